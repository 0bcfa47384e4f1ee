// raw_uv_bench.cc -- the raw-libuv twins of the socketpair ping-pong and timer
// benchmarks: the same work per operation written directly against libuv, so
// "eddy on uv" can be compared with "libuv alone" in one run (issue 4's
// overhead target: at most 1.10x).
#include <uv.h>
#include <unistd.h>

#include <vector>

#include "bench_util.h"

namespace eddy::bench {
namespace {

constexpr int kBatch = 1024;

struct UvPingPong {
  int a, b;
  uint64_t round_trips = 0;
};

void uv_on_b(uv_poll_t* h, int status, int) {
  auto* p = static_cast<UvPingPong*>(h->data);
  char c;
  if (status == 0 && ::read(p->b, &c, 1) == 1) (void)!::write(p->b, &c, 1);
}

void uv_on_a(uv_poll_t* h, int status, int) {
  auto* p = static_cast<UvPingPong*>(h->data);
  char c;
  if (status == 0 && ::read(p->a, &c, 1) == 1) ++p->round_trips;
}

void BM_RawUvPingPong(benchmark::State& state) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  SocketPair sp;
  UvPingPong p{sp.fd[0], sp.fd[1]};
  uv_poll_t pa, pb;
  uv_poll_init(&loop, &pa, p.a);
  uv_poll_init(&loop, &pb, p.b);
  pa.data = pb.data = &p;
  uv_poll_start(&pa, UV_READABLE, &uv_on_a);
  uv_poll_start(&pb, UV_READABLE, &uv_on_b);
  uint64_t a0 = allocation_count();
  for (auto _ : state) {
    uint64_t target = p.round_trips + 1;
    char c = 'x';
    (void)!::write(p.a, &c, 1);
    while (p.round_trips < target) uv_run(&loop, UV_RUN_ONCE);
  }
  report_allocs(state, a0, static_cast<double>(state.iterations()));
  uv_close(reinterpret_cast<uv_handle_t*>(&pa), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&pb), nullptr);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  state.SetItemsProcessed(state.iterations());
}

void uv_on_timer(uv_timer_t* t) { ++*static_cast<uint64_t*>(t->data); }

void BM_RawUvTimers(benchmark::State& state) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  uint64_t fired = 0;
  std::vector<uv_timer_t> ts(kBatch);
  for (auto& t : ts) {
    uv_timer_init(&loop, &t);
    t.data = &fired;
  }
  uint64_t a0 = allocation_count();
  for (auto _ : state) {
    for (auto& t : ts) uv_timer_start(&t, &uv_on_timer, 0, 0);
    uint64_t target = fired + kBatch;
    while (fired < target) uv_run(&loop, UV_RUN_NOWAIT);
  }
  report_allocs(state, a0, static_cast<double>(state.iterations()) * kBatch);
  for (auto& t : ts) uv_close(reinterpret_cast<uv_handle_t*>(&t), nullptr);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  state.SetItemsProcessed(static_cast<int64_t>(fired));
}

}  // namespace

void register_raw_uv_benchmarks() {
  benchmark::RegisterBenchmark("BM_SocketpairPingPong/raw_libuv", &BM_RawUvPingPong);
  benchmark::RegisterBenchmark("BM_TimerScheduleFire/raw_libuv", &BM_RawUvTimers);
}

}  // namespace eddy::bench
