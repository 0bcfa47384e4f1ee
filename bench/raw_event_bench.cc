// raw_event_bench.cc -- the raw-libevent twins of the socketpair ping-pong and
// timer benchmarks (see raw_uv_bench.cc for why they exist).
#include <event2/event.h>
#include <unistd.h>

#include <vector>

#include "bench_util.h"

namespace eddy::bench {
namespace {

constexpr int kBatch = 1024;

struct EvPingPong {
  int a, b;
  uint64_t round_trips = 0;
};

void ev_on_b(evutil_socket_t fd, short, void* arg) {
  auto* p = static_cast<EvPingPong*>(arg);
  char c;
  if (::read(fd, &c, 1) == 1) (void)!::write(p->b, &c, 1);
}

void ev_on_a(evutil_socket_t fd, short, void* arg) {
  auto* p = static_cast<EvPingPong*>(arg);
  char c;
  if (::read(fd, &c, 1) == 1) ++p->round_trips;
}

void BM_RawEventPingPong(benchmark::State& state) {
  event_base* base = event_base_new();
  SocketPair sp;
  EvPingPong p{sp.fd[0], sp.fd[1]};
  event* ea = event_new(base, p.a, EV_READ | EV_PERSIST, &ev_on_a, &p);
  event* eb = event_new(base, p.b, EV_READ | EV_PERSIST, &ev_on_b, &p);
  event_add(ea, nullptr);
  event_add(eb, nullptr);
  uint64_t a0 = allocation_count();
  for (auto _ : state) {
    uint64_t target = p.round_trips + 1;
    char c = 'x';
    (void)!::write(p.a, &c, 1);
    while (p.round_trips < target) event_base_loop(base, EVLOOP_ONCE);
  }
  report_allocs(state, a0, static_cast<double>(state.iterations()));
  event_free(ea);
  event_free(eb);
  event_base_free(base);
  state.SetItemsProcessed(state.iterations());
}

void ev_on_timer(evutil_socket_t, short, void* arg) { ++*static_cast<uint64_t*>(arg); }

void BM_RawEventTimers(benchmark::State& state) {
  event_base* base = event_base_new();
  uint64_t fired = 0;
  std::vector<event*> ts(kBatch);
  for (auto& t : ts) t = evtimer_new(base, &ev_on_timer, &fired);
  const timeval zero = {0, 0};
  uint64_t a0 = allocation_count();
  for (auto _ : state) {
    for (auto* t : ts) evtimer_add(t, &zero);
    uint64_t target = fired + kBatch;
    while (fired < target) event_base_loop(base, EVLOOP_NONBLOCK);
  }
  report_allocs(state, a0, static_cast<double>(state.iterations()) * kBatch);
  for (auto* t : ts) event_free(t);
  event_base_free(base);
  state.SetItemsProcessed(static_cast<int64_t>(fired));
}

}  // namespace

void register_raw_event_benchmarks() {
  benchmark::RegisterBenchmark("BM_SocketpairPingPong/raw_libevent", &BM_RawEventPingPong);
  benchmark::RegisterBenchmark("BM_TimerScheduleFire/raw_libevent", &BM_RawEventTimers);
}

}  // namespace eddy::bench
