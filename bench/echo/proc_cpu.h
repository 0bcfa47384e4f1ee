// proc_cpu.h -- how much CPU another process has used, from /proc.
//
// The echo load generator samples the server at the start and at the end
// of its measured window. Two sources, because neither is enough alone:
// - /proc/<pid>/task/<tid>/schedstat, summed over the threads, gives the
//   time on CPU in nanoseconds, measured by the scheduler (exact, but with
//   no user/system split);
// - /proc/<pid>/stat gives utime and stime in clock ticks (10 ms at
//   USER_HZ 100), sampled at each tick: coarse, but split.
// The total comes from schedstat and is divided in the proportion of the
// utime/stime deltas. Without schedstat (a kernel without
// CONFIG_SCHED_INFO), the tick counts serve for the total too.
//
// Thread-safety: pure functions over /proc.
#ifndef EDDY_BENCH_ECHO_PROC_CPU_H_
#define EDDY_BENCH_ECHO_PROC_CPU_H_

#include <sys/types.h>

#include <cstdint>

namespace eddy::echo {

struct CpuSample {
  bool ok = false;  // the process existed and /proc/<pid>/stat was read
  bool have_schedstat = false;
  uint64_t run_ns = 0;       // schedstat: time on CPU, all threads
  uint64_t utime_ticks = 0;  // stat: user time, all threads
  uint64_t stime_ticks = 0;  // stat: system time, all threads
};

CpuSample sample_process_cpu(pid_t pid);

// CPU used between two samples, in seconds, split into user and system.
struct CpuUsage {
  bool ok = false;
  double total_s = 0;
  double user_s = 0;         // NaN when no tick fell in the window
  double system_s = 0;       // NaN when no tick fell in the window
  bool exact_total = false;  // the total came from schedstat
};

CpuUsage cpu_between(const CpuSample& start, const CpuSample& end);

}  // namespace eddy::echo

#endif  // EDDY_BENCH_ECHO_PROC_CPU_H_
