// compare.h -- --compare OLD.json: each row of this run against the same
// row of an earlier one, in the spirit of Google Benchmark's compare.py.
//
// Rows are matched by name: micro cells ("BM_CallSoonLambda/epoll") by
// their median time per operation, echo runs ("Echo/uv/protocols/1024/100")
// by their median msgs/s, p99 and server CPU per message. A change for the
// worse (slower, fewer msgs/s, more CPU) beyond the threshold is flagged
// "WORSE"; one for the better, "better". Rows in only one run are counted.
// The comparison informs, it does not fail the run: on a shared machine a
// 10% swing can be noise, so read flagged rows against their ±spread.
//
// Thread-safety: pure functions and writes to the given stream.
#ifndef EDDY_TOOLS_EDDY_BENCH_COMPARE_H_
#define EDDY_TOOLS_EDDY_BENCH_COMPARE_H_

#include <cstdio>
#include <string>
#include <vector>

#include "run_json.h"

namespace eddy::bench_tool {

struct Change {
  std::string name;    // the row
  std::string metric;  // "time/op", "msgs/s", "p99", "CPU/msg"
  double old_value = 0;
  double new_value = 0;
  double change = 0;     // new / old - 1
  bool worse = false;    // in the direction that is bad for this metric
  bool flagged = false;  // beyond the threshold
};

struct Comparison {
  std::vector<Change> changes;
  int only_old = 0;  // rows of the old run missing from the new one
  int only_new = 0;
  int worse = 0;   // flagged changes for the worse
  int better = 0;  // flagged changes for the better
};

Comparison compare_runs(const Json& old_run, const Json& new_run, double threshold_pct);

void print_comparison(std::FILE* out, const Comparison& c, const std::string& old_path,
                      const Json& old_run, double threshold_pct);

}  // namespace eddy::bench_tool

#endif  // EDDY_TOOLS_EDDY_BENCH_COMPARE_H_
