// echo_plan.h -- turns the options into the TCP echo runs of this
// invocation: finds the programs, selects the runs (echo_catalog.h), checks
// which servers can run here and notes the others as skipped, and fixes the
// settings every run shares (windows, CPUs).
//
// Thread-safety: main thread only.
#ifndef EDDY_TOOLS_EDDY_BENCH_ECHO_PLAN_H_
#define EDDY_TOOLS_EDDY_BENCH_ECHO_PLAN_H_

#include <cstdio>
#include <regex>
#include <string>
#include <vector>

#include "echo_catalog.h"
#include "echo_runner.h"
#include "options.h"
#include "skipped.h"

namespace eddy::bench_tool {

struct EchoPlan {
  EchoPrograms programs;
  std::vector<EchoServer> servers;     // every known server
  std::vector<EchoInstance> selected;  // what the options ask for
  std::vector<EchoInstance> runs;      // what of it can run here
  std::vector<Skipped> skipped;        // the rest, one note per server
  EchoSettings settings;
  std::string cpu_note;  // set when a CPU had to be left unpinned
};

// Plans the echo runs. False, with a message, for an unknown --references
// name. `eddy_backends` are the eddy backends chosen to run (no raw twins);
// `cores` the CPUs online; `regex_given` false selects the quick suite.
bool plan_echo(const Options& o, const std::vector<std::string>& eddy_backends, int cores,
               bool regex_given, const std::regex& re, EchoPlan* plan, std::string* error);

// The set-up block's lines about the echo runs ("" when there are none):
// the runs, the allocator condition, the cross-check and syscall counting.
// The first line goes under print_setup's "echo" label; the others carry
// their own.
std::string echo_setup_line(const EchoPlan& plan, const Options& o);

// --list: the echo workloads, with the servers of each.
void print_echo_list(std::FILE* out, const EchoPlan& plan, const Options& o);

}  // namespace eddy::bench_tool

#endif  // EDDY_TOOLS_EDDY_BENCH_ECHO_PLAN_H_
