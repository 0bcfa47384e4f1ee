// eddy_micro: every micro-benchmark on every available backend, plus the raw
// library twins, in one run so the figures sit side by side. It is Google
// Benchmark's own front end (its flags, its console and JSON output); the
// friendlier side-by-side table is eddy-bench (tools/eddy_bench).
#include <benchmark/benchmark.h>

#include "workloads.h"

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  eddy::bench::register_all_benchmarks();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
