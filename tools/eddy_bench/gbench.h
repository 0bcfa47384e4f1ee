// gbench.h -- eddy-bench's use of Google Benchmark as a library: set its
// flags, list the registered instances, run one instance with a reporter.
//
// Google Benchmark takes its settings only as command-line flags, through
// benchmark::Initialize; eddy-bench builds that command line itself from
// its own options, so users never see Google Benchmark's flags.
//
// Thread-safety: main thread only.
#ifndef EDDY_TOOLS_EDDY_BENCH_GBENCH_H_
#define EDDY_TOOLS_EDDY_BENCH_GBENCH_H_

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

namespace eddy::bench_tool {

// Initializes Google Benchmark: every run lasts at least `min_time_s`
// seconds and is one repetition (eddy-bench makes its own rounds).
void init_google_benchmark(double min_time_s);

// The full names of every registered instance, in registration order.
// Requires init_google_benchmark() first; leaves the settings as they were.
std::vector<std::string> list_benchmark_names();

// Runs the one instance called `name`, reporting to `reporter`. Returns
// false if no registered instance has that name.
bool run_benchmark(const std::string& name, benchmark::BenchmarkReporter* reporter);

}  // namespace eddy::bench_tool

#endif  // EDDY_TOOLS_EDDY_BENCH_GBENCH_H_
