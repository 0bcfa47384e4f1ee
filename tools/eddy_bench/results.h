// results.h -- what eddy-bench measured: for every benchmark instance (one
// workload on one backend), one measurement per round.
//
// A measurement is the time per operation in nanoseconds: per item when the
// benchmark reports items (a callback, a resume, a round trip...), per
// iteration otherwise. It is CPU time of the benchmarking thread unless the
// benchmark is measured in wall-clock time (real_time), as the executor and
// subprocess ones are, since their work happens on other threads and in
// other processes.
#ifndef EDDY_TOOLS_EDDY_BENCH_RESULTS_H_
#define EDDY_TOOLS_EDDY_BENCH_RESULTS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace eddy::bench_tool {

struct Measurement {
  double per_op_ns = 0;
  int64_t iterations = 0;
  std::map<std::string, double> counters;  // allocs/op, bytes/task, ...
};

struct InstanceResult {
  std::string name;  // Google Benchmark's full name
  bool real_time = false;
  std::vector<Measurement> rounds;
  std::string error;  // the last error a round reported, if any
};

}  // namespace eddy::bench_tool

#endif  // EDDY_TOOLS_EDDY_BENCH_RESULTS_H_
