// setup.h -- the set-up a result belongs to: machine, kernel, compiler,
// build type, library versions and, for each backend, its version, ABI and
// capabilities. eddy-bench prints it above the table and writes it into the
// JSON file, because a figure without its set-up cannot be compared.
//
// collect_setup() also runs the machine probes (probes.h: CPU speed, core
// MHz, thread wake-up round trips, VM or not; ~0.2 s), and finish_setup(),
// called after the run, takes the load average at its end.
//
// Thread-safety: collect_setup() reads files, calls into the registry and
// starts (and joins) the probes' threads; call it from one thread.
#ifndef EDDY_TOOLS_EDDY_BENCH_SETUP_H_
#define EDDY_TOOLS_EDDY_BENCH_SETUP_H_

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "eddy/backends.h"
#include "probes.h"

namespace eddy::bench_tool {

struct Setup {
  std::string date_utc;      // when the run started, ISO 8601
  std::string cpu_model;     // /proc/cpuinfo "model name"
  int cores = 0;             // online CPUs
  std::string kernel;        // uname: sysname release version machine
  std::string load_avg;      // /proc/loadavg's 1, 5 and 15 minute figures, at the start
  std::string load_avg_end;  // the same at the end of the run ("" until finish_setup)
  std::string compiler;      // "g++ 12.2.0"
  std::string build_type;    // meson buildtype, optimization level
  std::string eddy_version;  // project version and loop ABI version
  // Library versions: name -> version, in print order.
  std::vector<std::pair<std::string, std::string>> libraries;
  // Every backend the loader found (available or not), first of each name.
  std::vector<BackendInfo> backends;
  // What the machine costs: CPU speed, core MHz, wake-ups, VM (probes.h).
  MachineProbes probes;
};

Setup collect_setup();

// After the run: the load average at its end (Setup::load_avg_end).
void finish_setup(Setup* setup);

// After the run's table: "  load avg   at end of run ..." (nothing if
// finish_setup was not called).
void print_setup_end(std::FILE* out, const Setup& setup);

// "1.0" for an EDDY_ABI_VERSION value, "-" for 0.
std::string abi_string(uint32_t abi_version);

}  // namespace eddy::bench_tool

#endif  // EDDY_TOOLS_EDDY_BENCH_SETUP_H_
