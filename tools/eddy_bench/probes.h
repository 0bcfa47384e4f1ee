// probes.h -- short measurements of the machine itself, taken before the
// run and kept in the set-up, so that two runs on different machines can be
// told apart by what the machine costs rather than by what eddy does:
//
//   cpu speed   a fixed chain of dependent integer adds (1 cycle each on
//               every x86 and ARM core), best of 3: the effective clock
//   core MHz    what the kernel says each core runs at now (in a VM often
//               only the nominal or TSC figure, hence the chain above)
//   wake-up     two threads on two CPUs handing a turn back and forth
//               through std::mutex + std::condition_variable -- the
//               mechanism ThreadPoolExecutor's workers wait on
//               (sdk/src/executor.cc) -- median round trip:
//                 * busy-spinning peer: the peer polls an atomic, nobody
//                   sleeps (the cross-CPU hand-off floor)
//                 * peer blocked: the peer sleeps in the condvar; trips
//                   back to back, as in the executor benchmark
//                 * peer idle (blocked): the same after a 1 ms pause, so
//                   the peer's CPU has gone idle (in a VM: the vCPU has
//                   halted and is woken by an IPI through the hypervisor)
//   machine     VM or not, the hypervisor, the cpuidle driver
//
// All of it takes well under 0.3 s (each phase is also time-capped).
//
// Thread-safety: run_probes() starts and joins its own threads; call it
// from one thread at a time.
#ifndef EDDY_TOOLS_EDDY_BENCH_PROBES_H_
#define EDDY_TOOLS_EDDY_BENCH_PROBES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "run_json.h"

namespace eddy::bench_tool {

struct CpuSpeedProbe {
  int64_t adds = 0;       // dependent adds per pass
  double best_ms = 0;     // the fastest of the passes
  int passes = 0;
  double gadds_per_s() const { return best_ms > 0 ? adds / (best_ms * 1e6) : 0; }
};

// One phase of the wake-up probe.
struct WakePhase {
  int trips = 0;         // round trips measured (fewer than asked if time-capped)
  double median_us = 0;  // median round trip
  double p90_us = 0;     // 90th percentile
};

struct WakeProbe {
  std::string mechanism;  // what the two threads wait on
  int cpu_a = -1;         // the CPUs the two threads are pinned to
  int cpu_b = -1;         // (-1: not pinned)
  WakePhase spin;         // busy-spinning peer (no sleep, no futex)
  WakePhase blocked;      // peer blocked in the condvar, trips back to back
  WakePhase idle;         // peer blocked, each trip after an idle pause
  double idle_pause_ms = 0;
  std::string note;       // why a phase did not run, if one did not
};

struct MachineKind {
  bool vm = false;
  std::string hypervisor;  // "KVM" (cpuid leaf 0x40000000), "" if unknown
  std::string evidence;    // what said so: cpuid, the cpuinfo flag, DMI
  std::string cpuidle;     // "driver none, governor menu"
};

struct MachineProbes {
  CpuSpeedProbe speed;
  std::vector<double> core_mhz;  // per online CPU, in /proc/cpuinfo order
  std::string core_mhz_source;   // "scaling_cur_freq" or "/proc/cpuinfo"
  WakeProbe wake;
  MachineKind machine;
  double seconds = 0;  // what the probes took
};

MachineProbes run_probes();

// The set-up block's lines, without their "  name       " prefix.
std::string cpu_speed_line(const MachineProbes& p);  // "5.0e7 dependent adds ..."
std::string machine_line(const MachineProbes& p);    // "VM (KVM: cpuid, ...)"
// The wake-up probe: a heading, then one line per phase.
std::vector<std::string> wake_lines(const MachineProbes& p);

// The "probes" member of the set-up object in the --json file.
Json probes_json(const MachineProbes& p);

}  // namespace eddy::bench_tool

#endif  // EDDY_TOOLS_EDDY_BENCH_PROBES_H_
