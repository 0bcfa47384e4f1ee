// queue_bench.cc -- asyncio.Queue's costs, on every backend.
//
//   BM_QueuePingPong/<backend>/<maxsize>   a producer task puts, a consumer
//       task gets, through a queue of that maxsize. maxsize 1 is strict
//       ping-pong: every put and every get waits, so each item costs two
//       task switches (and a loop iteration); maxsize 64 lets each side run
//       a batch per switch, so it measures put/get themselves.
//
// allocs/op counts heap allocations per item over the whole run, setup
// included (one task and one run_until_complete per batch of items).
#include "bench_util.h"
#include "eddy/eddy.hpp"

namespace eddy::bench {
namespace {

constexpr int64_t kItems = 1 << 15;  // per benchmark iteration

std::unique_ptr<EventLoop> make_loop(const std::string& backend) {
  LoopOptions o;
  o.backend = backend;
  return std::make_unique<EventLoop>(o);
}

Coro<> produce(Queue<int64_t>* q, int64_t n) {
  for (int64_t i = 0; i < n; ++i) co_await q->put(i);
}

Coro<int64_t> ping_pong(Queue<int64_t>* q, int64_t n) {
  Task<> producer = create_task(produce(q, n));
  int64_t sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += co_await q->get();
  co_await producer;
  co_return sum;
}

void BM_QueuePingPong(benchmark::State& state, const std::string& backend) {
  auto loop = make_loop(backend);
  Queue<int64_t> q(state.range(0));
  loop->run_until_complete(ping_pong(&q, 1024));  // warm the ring and the frame pool
  uint64_t a0 = allocation_count();
  for (auto _ : state) {
    int64_t sum = loop->run_until_complete(ping_pong(&q, kItems));
    benchmark::DoNotOptimize(sum);
  }
  report_allocs(state, a0, static_cast<double>(state.iterations()) * kItems);
  state.SetItemsProcessed(state.iterations() * kItems);
}

}  // namespace

void register_queue_benchmarks() {
  for (const std::string& b : backend_names()) {
    benchmark::RegisterBenchmark(("BM_QueuePingPong/" + b).c_str(),
                                 [b](benchmark::State& s) { BM_QueuePingPong(s, b); })
        ->Arg(1)
        ->Arg(64)
        ->Unit(benchmark::kMillisecond);
  }
}

}  // namespace eddy::bench
