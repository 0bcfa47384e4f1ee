// register_all.cc -- the one place that knows every file of workloads: it
// registers them all, so eddy_micro and eddy-bench run the same set.
#include "workloads.h"

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

void register_all_benchmarks() {
  register_loop_benchmarks();
  register_task_benchmarks();
  register_queue_benchmarks();
  register_subprocess_benchmarks();
#ifdef EDDY_BENCH_RAW_UV
  register_raw_uv_benchmarks();
#endif
#ifdef EDDY_BENCH_RAW_EVENT
  register_raw_event_benchmarks();
#endif
}

}  // namespace eddy::bench
