// options.h -- eddy-bench's command line.
//
//   --backends=A,B       columns to run (default: every available backend and
//                        raw twin); an unknown name is an error, a known but
//                        unavailable one is skipped with its reason
//   --workloads=REGEX    rows to run, matched against the workload key
//                        ("QueuePingPong/1") and label (default: the quick
//                        suite, every workload but the slow ones)
//   --repetitions=N      rounds (default 3); each round runs every selected
//                        benchmark once, so drift hits every column alike
//   --min-time=SECONDS   minimum time of one benchmark run (default 0.1)
//   --json=FILE          write results and set-up as JSON
//   --list               print the workloads and backends, run nothing
//   --quiet              no progress line
//
// The TCP echo workloads (echo_catalog.h) add:
//   --sizes=N,N          message sizes in bytes (default 1024)
//   --connections=N,N    connection counts (default 100)
//   --duration=SECONDS   measured window of one echo run (default 0.5)
//   --warmup=SECONDS     warm-up before each window, not measured (0.2)
//   --references=A,B     reference servers to run (default all; "none")
//   --python=PATH        interpreter of the asyncio/uvloop references
//   --echo-dir=DIR       where the echo programs are (default: found
//                        beside eddy-bench, in a build tree or an install)
//   --server-cpu=N, --load-cpu=N   CPUs the server and the load run on
//   --malloc=MODE        pinned (default): every server under the same
//                        fixed glibc malloc thresholds; default: glibc's
//                        dynamic ones (malloc_condition.h says why)
//   --syscalls=on|off    a counting round after the timed ones: each
//                        server's system calls per message, by name
//                        (default on; skipped with the reason where the
//                        kernel does not allow it)
//   --cross-check=on|off|strict   each server also measured under a
//                        second, io_uring-driven load generator; its CPU
//                        per message must agree within --tolerance=PCT
//                        (15); strict makes a disagreement an error
// and, for any run:
//   --plot=FILE          throughput and p99 (and micro ratios) as a .png
//                        or .svg chart, drawn by gnuplot
//   --compare=OLD.json   each row's change against an earlier run; changes
//                        for the worse beyond --threshold=PCT (default 10)
//                        are flagged
//   --from=RUN.json      with --plot / --compare: take this run's results
//                        instead of running anything
//
// A parser of its own, not Abseil flags: ABSL_FLAG names are C++
// identifiers, so they cannot spell --min-time, --cross-check or
// --echo-dir, and the documented command line would change.
//
// Test hooks: EDDY_BENCH_ECHO_CORRUPT=NAME starts the raw C reference server
// NAME with --corrupt (it flips a byte now and then), to check that a broken
// echo is caught and reported; EDDY_BENCH_ECHO_ARTEFACT=NAME with
// --artefact (an mmap and a munmap per message, as CPython's recv under
// glibc's dynamic threshold), to check that the syscall count shows it.
//
// Thread-safety: pure functions.
#ifndef EDDY_TOOLS_EDDY_BENCH_OPTIONS_H_
#define EDDY_TOOLS_EDDY_BENCH_OPTIONS_H_

#include <string>
#include <vector>

namespace eddy::bench_tool {

struct Options {
  std::vector<std::string> backends;  // empty: all
  std::string workloads;              // empty: the quick suite
  int repetitions = 3;
  double min_time_s = 0.1;
  std::string json_path;
  bool list = false;
  bool quiet = false;
  bool help = false;

  // TCP echo workloads.
  std::vector<int> sizes = {1024};
  std::vector<int> connections = {100};
  double duration_s = 0.5;
  double warmup_s = 0.2;
  std::vector<std::string> references;  // empty: all; {"none"}: none
  std::string python = "/usr/bin/python3";
  std::string echo_dir;  // empty: found beside the executable
  int server_cpu = 0;
  int load_cpu = 1;
  std::string malloc_mode = "pinned";  // "pinned" | "default"
  bool syscalls = true;
  std::string cross_check = "on";  // "on" | "off" | "strict"
  double tolerance_pct = 15;

  // Reporting.
  std::string plot_path;
  std::string compare_path;
  double threshold_pct = 10;
  std::string from_path;
};

// Parses argv; on error returns false with a message in *error.
bool parse_options(int argc, char** argv, Options* out, std::string* error);

// The --help text.
const char* usage();

}  // namespace eddy::bench_tool

#endif  // EDDY_TOOLS_EDDY_BENCH_OPTIONS_H_
