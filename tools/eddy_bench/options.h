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
};

// Parses argv; on error returns false with a message in *error.
bool parse_options(int argc, char** argv, Options* out, std::string* error);

// The --help text.
const char* usage();

}  // namespace eddy::bench_tool

#endif  // EDDY_TOOLS_EDDY_BENCH_OPTIONS_H_
