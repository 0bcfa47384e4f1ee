// echo_runner.h -- one TCP echo run: start the server pinned to its CPU,
// wait for its "PORT <n>" line, run eddy-echo-load pinned to the other CPU
// against it (it samples the server's CPU time itself), read the load
// generator's JSON line, stop the server with SIGTERM.
//
// What can go wrong, and what becomes of it:
// - the server exits with status 77 before listening (a backend that does
//   not load, uvloop missing): the run is skipped, with its stderr as the
//   reason, and so are its later rounds;
// - the server fails to start or dies during the run, the load generator
//   cannot connect, or any echoed byte is wrong: the round is an error,
//   described from the load generator's "error" field or the server's
//   stderr, and eddy-bench exits with status 1. Error rounds do not count
//   in the medians.
//
// The server starts under the settings' allocator condition
// (malloc_condition.h). The load generator runs with the settings' engine
// (--engine epoll|uring: the second engine is the cross-check's) and, in a
// counting run, counts the server's system calls over its window
// (--count-syscalls); a server whose syscalls cannot be counted gives a
// round with syscalls_error set, not an error round.
//
// Thread-safety: main thread only.
#ifndef EDDY_TOOLS_EDDY_BENCH_ECHO_RUNNER_H_
#define EDDY_TOOLS_EDDY_BENCH_ECHO_RUNNER_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "echo_catalog.h"
#include "malloc_condition.h"

namespace eddy::bench_tool {

struct EchoSettings {
  std::string load_program;  // eddy-echo-load
  double warmup_s = 0.25;
  double duration_s = 0.5;
  int server_cpu = 0;
  int load_cpu = 1;
  MallocCondition malloc;        // what every server starts under
  std::string engine = "epoll";  // eddy-echo-load --engine
  bool count_syscalls = false;   // eddy-echo-load --count-syscalls
};

// One round's figures: every number of the load generator's line
// ("msgs_per_s", "lat_p99_us", "cpu_user_us_per_msg", ...; absent: null).
struct EchoRound {
  std::map<std::string, double> values;
  double get(const std::string& key) const;  // NaN if absent or null
  // A counting run's system calls over the window, by name, largest first
  // (empty with the reason in syscalls_error when they were not counted).
  std::vector<std::pair<std::string, double>> syscalls;
  std::string syscalls_error;
};

struct EchoResult {
  std::vector<EchoRound> rounds;  // the rounds without errors
  int error_rounds = 0;
  double echo_errors = 0;  // wrong bytes and broken connections, all rounds
  std::string error;       // the last error's description
  bool skipped = false;
  std::string skip_reason;
  std::string uring_setup;  // the io_uring engine's ring set-up (eddy-echo-load's "uring_setup")
};

// Every result of an invocation, by run name.
struct EchoResults {
  std::map<std::string, EchoResult> timed;    // the timed rounds
  std::map<std::string, EchoResult> cross;    // under the cross-check's engine
  std::map<std::string, EchoResult> counted;  // the syscall-counting round
};

void run_echo(const EchoInstance& instance, const EchoSettings& settings, EchoResult* result);

}  // namespace eddy::bench_tool

#endif  // EDDY_TOOLS_EDDY_BENCH_ECHO_RUNNER_H_
