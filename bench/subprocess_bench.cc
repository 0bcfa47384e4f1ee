// subprocess_bench.cc -- the cost of a child process, on every backend.
//
//   BM_SpawnWait            create_subprocess_exec("/bin/true") + wait(), one
//                           at a time: spawn, exit watching (pidfd) and reaping
//   BM_SpawnWaitConcurrent  the same, 16 children in flight at once
#include <string>
#include <vector>

#include "bench_util.h"
#include "eddy/eddy.hpp"

namespace eddy::bench {
namespace {

std::unique_ptr<EventLoop> make_loop(const std::string& backend) {
  LoopOptions o;
  o.backend = backend;
  return std::make_unique<EventLoop>(o);
}

Coro<int> spawn_wait() {
  std::vector<std::string> argv = {"/bin/true"};
  Process p = co_await create_subprocess_exec(argv);
  int rc = co_await p.wait();
  co_return rc;
}

Coro<> spawn_wait_many(int n) {
  std::vector<Coro<int>> cs;
  for (int i = 0; i < n; ++i) cs.push_back(spawn_wait());
  co_await gather(std::move(cs));
}

void BM_SpawnWait(benchmark::State& state, const std::string& backend) {
  auto loop = make_loop(backend);
  for (auto _ : state) {
    if (loop->run_until_complete(spawn_wait()) != 0) state.SkipWithError("child failed");
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_SpawnWaitConcurrent(benchmark::State& state, const std::string& backend) {
  constexpr int kInFlight = 16;
  auto loop = make_loop(backend);
  for (auto _ : state) loop->run_until_complete(spawn_wait_many(kInFlight));
  state.SetItemsProcessed(state.iterations() * kInFlight);
}

}  // namespace

void register_subprocess_benchmarks() {
  // Wall-clock time: the work happens in the children and the kernel, so
  // the parent's CPU time would flatter the figures.
  for (const std::string& b : backend_names()) {
    benchmark::RegisterBenchmark(("BM_SpawnWait/" + b).c_str(),
                                 [b](benchmark::State& s) { BM_SpawnWait(s, b); })
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("BM_SpawnWaitConcurrent/" + b).c_str(),
                                 [b](benchmark::State& s) { BM_SpawnWaitConcurrent(s, b); })
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
  }
}

}  // namespace eddy::bench
