// task_bench.cc -- the task layer's costs, on every backend.
//
//   BM_TaskCreateRunFinish   create_task of an empty coroutine, run, finish
//   BM_TaskResume            one sleep(0) round trip of a running task
//   BM_SuspendedTaskBytes    heap bytes of a task suspended in sleep()
//   BM_SleepingTasks         N concurrent sleeping tasks: time and peak RSS
//   BM_Gather                gather() of N tasks
//   BM_ExecutorRoundTrip     await to_thread(no-op): loop -> worker -> loop
#include <sys/resource.h>

#include <vector>

#include "bench_util.h"
#include "eddy/eddy.hpp"

namespace eddy::bench {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<EventLoop> make_loop(const std::string& backend) {
  LoopOptions o;
  o.backend = backend;
  return std::make_unique<EventLoop>(o);
}

Coro<> empty() { co_return; }

void BM_TaskCreateRunFinish(benchmark::State& state, const std::string& backend) {
  auto loop = make_loop(backend);
  constexpr int kBatch = 1024;
  uint64_t a0 = allocation_count();
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) loop->create_task(empty());
    loop->run_once(std::chrono::nanoseconds(0));
  }
  report_allocs(state, a0, static_cast<double>(state.iterations()) * kBatch);
  state.SetItemsProcessed(state.iterations() * kBatch);
}

Coro<> yielder(int64_t n) {
  auto zero = 0ns;
  for (int64_t i = 0; i < n; ++i) co_await sleep(zero);
}

void BM_TaskResume(benchmark::State& state, const std::string& backend) {
  // 1,024 tasks yielding with sleep(0): each loop iteration resumes all of
  // them, so the per-iteration poll is spread over 1,024 resumes.
  auto loop = make_loop(backend);
  constexpr int kTasks = 1024;
  constexpr int64_t kYields = 100;
  loop->run_until_complete(yielder(10));  // warm the pools
  double allocs = 0;
  for (auto _ : state) {
    std::vector<Task<>> ts;
    ts.reserve(kTasks);
    for (int i = 0; i < kTasks; ++i) ts.push_back(loop->create_task(yielder(kYields)));
    loop->run_once(std::chrono::nanoseconds(0));  // first steps: creation excluded from allocs
    uint64_t a0 = allocation_count();
    for (int64_t k = 0; k < kYields; ++k) loop->run_once(std::chrono::nanoseconds(0));
    allocs += static_cast<double>(allocation_count() - a0);
  }
  state.counters["allocs/op"] = allocs / (static_cast<double>(state.iterations()) * kTasks * kYields);
  state.SetItemsProcessed(state.iterations() * kTasks * kYields);
}

Coro<> long_sleep() {
  auto d = 1h;
  co_await sleep(d);
}

void BM_SuspendedTaskBytes(benchmark::State& state, const std::string& backend) {
  auto loop = make_loop(backend);
  constexpr int kTasks = 10'000;
  double bytes = 0;
  for (auto _ : state) {
    std::vector<Task<>> ts;
    ts.reserve(kTasks);
    // Empty this thread's block pool first, so that every frame and task
    // state is requested from the allocator and counted (at its size class,
    // which is exact for these sizes: 16-byte classes).
    eddy::detail::pool_release_cached();
    uint64_t b0 = allocated_bytes();
    for (int i = 0; i < kTasks; ++i) ts.push_back(loop->create_task(long_sleep()));
    loop->run_once(std::chrono::nanoseconds(0));  // every task now sleeps
    bytes = static_cast<double>(allocated_bytes() - b0) / kTasks;
    state.PauseTiming();
    for (auto& t : ts) t.cancel();
    loop->run_once(std::chrono::nanoseconds(0));
    state.ResumeTiming();
  }
  state.counters["bytes/task"] = bytes;
}

Coro<> short_sleep(std::chrono::milliseconds d) { co_await sleep(d); }

void BM_SleepingTasks(benchmark::State& state, const std::string& backend) {
  const int64_t n = state.range(0);
  for (auto _ : state) {
    auto loop = make_loop(backend);
    std::vector<Task<>> ts;
    ts.reserve(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) ts.push_back(loop->create_task(short_sleep(50ms)));
    loop->run_until_complete(gather(ts));
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  state.counters["peak_rss_MiB"] = static_cast<double>(ru.ru_maxrss) / 1024.0;
  state.SetItemsProcessed(state.iterations() * n);
}

// gather() of coroutines wraps them in tasks, which needs the running loop,
// so it is called from inside one (as asyncio.gather would be).
Coro<> gather_all(std::vector<Coro<>> cs) { co_await gather(std::move(cs)); }

void BM_Gather(benchmark::State& state, const std::string& backend) {
  const int64_t n = state.range(0);
  auto loop = make_loop(backend);
  for (auto _ : state) {
    std::vector<Coro<>> cs;
    cs.reserve(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) cs.push_back(empty());
    loop->run_until_complete(gather_all(std::move(cs)));
  }
  state.SetItemsProcessed(state.iterations() * n);
}

int noop_job() { return 1; }

Coro<int64_t> executor_round_trips(int64_t n) {
  int64_t sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += co_await to_thread(noop_job);
  co_return sum;
}

void BM_ExecutorRoundTrip(benchmark::State& state, const std::string& backend) {
  // Wall time per round trip: submit to the default pool, the worker runs the
  // job and posts the result with call_soon_threadsafe, the loop wakes.
  auto loop = make_loop(backend);
  constexpr int64_t kTrips = 100;
  loop->run_until_complete(executor_round_trips(10));  // start the worker
  for (auto _ : state) loop->run_until_complete(executor_round_trips(kTrips));
  state.SetItemsProcessed(state.iterations() * kTrips);
  loop->shutdown_default_executor();
}

}  // namespace

void register_task_benchmarks() {
  register_per_backend("BM_TaskCreateRunFinish", &BM_TaskCreateRunFinish);
  register_per_backend("BM_TaskResume", &BM_TaskResume);
  register_per_backend("BM_SuspendedTaskBytes", &BM_SuspendedTaskBytes);
  for (const std::string& b : backend_names()) {
    benchmark::RegisterBenchmark(("BM_SleepingTasks/" + b).c_str(),
                                 [b](benchmark::State& s) { BM_SleepingTasks(s, b); })
        ->Arg(1'000'000)
        ->Iterations(1)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("BM_Gather/" + b).c_str(),
                                 [b](benchmark::State& s) { BM_Gather(s, b); })
        ->Arg(100'000)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("BM_ExecutorRoundTrip/" + b).c_str(),
                                 [b](benchmark::State& s) { BM_ExecutorRoundTrip(s, b); })
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
  }
}

}  // namespace eddy::bench
