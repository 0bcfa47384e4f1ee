// eddy_micro: every micro-benchmark on every available backend, plus the raw
// library twins, in one run so the figures sit side by side.
#include <benchmark/benchmark.h>

namespace eddy::bench {
void register_loop_benchmarks();
void register_task_benchmarks();
void register_queue_benchmarks();
void register_subprocess_benchmarks();
#ifdef EDDY_BENCH_RAW_UV
void register_raw_uv_benchmarks();
#endif
#ifdef EDDY_BENCH_RAW_EVENT
void register_raw_event_benchmarks();
#endif
}  // namespace eddy::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  eddy::bench::register_loop_benchmarks();
  eddy::bench::register_task_benchmarks();
  eddy::bench::register_queue_benchmarks();
  eddy::bench::register_subprocess_benchmarks();
#ifdef EDDY_BENCH_RAW_UV
  eddy::bench::register_raw_uv_benchmarks();
#endif
#ifdef EDDY_BENCH_RAW_EVENT
  eddy::bench::register_raw_event_benchmarks();
#endif
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
