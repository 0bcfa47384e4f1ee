// bench_util.h -- shared helpers of eddy's micro-benchmarks.
//
// Every benchmark runs once per available backend: register_per_backend()
// registers "BM_Name/<backend>" for each backend the registry finds, so a
// backend that lands later shows up in the same table without a code change.
//
// Thread-safety: call from main() before benchmark::RunSpecifiedBenchmarks.
#ifndef EDDY_BENCH_BENCH_UTIL_H_
#define EDDY_BENCH_BENCH_UTIL_H_

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "alloc_counter.h"

namespace eddy::bench {

// Names of the available backends, each once, in priority order.
std::vector<std::string> backend_names();

using BackendBenchmark = void (*)(benchmark::State&, const std::string& backend);
void register_per_backend(const char* name, BackendBenchmark fn);

// Records allocs/op for `ops` operations given the count at the start.
inline void report_allocs(benchmark::State& state, uint64_t start, double ops) {
  double allocs = static_cast<double>(allocation_count() - start);
  state.counters["allocs/op"] = ops > 0 ? allocs / ops : 0.0;
}

// A connected AF_UNIX stream socketpair, both ends non-blocking.
struct SocketPair {
  SocketPair();
  ~SocketPair();
  int fd[2];
};

}  // namespace eddy::bench

#endif  // EDDY_BENCH_BENCH_UTIL_H_
