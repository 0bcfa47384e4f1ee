// rows.h -- the results arranged as the table shows them: one row per
// workload, one cell per backend, each cell summarized over its rounds and
// compared with the fastest cell of its row. The table and the JSON file
// both read this, so they cannot disagree.
//
// Thread-safety: pure functions.
#ifndef EDDY_TOOLS_EDDY_BENCH_ROWS_H_
#define EDDY_TOOLS_EDDY_BENCH_ROWS_H_

#include <map>
#include <string>
#include <vector>

#include "catalog.h"
#include "results.h"
#include "stats.h"

namespace eddy::bench_tool {

struct Cell {
  Instance instance;
  const InstanceResult* result = nullptr;  // null: the benchmark never reported
  Summary time_ns;                         // over the rounds' per-op times
  double ratio_to_best = 0;                // median / the row's best median
  bool best = false;
};

struct Row {
  std::string workload;  // "QueuePingPong/1"
  std::string label;
  std::string per;
  bool real_time = false;
  std::map<std::string, Cell> cells;  // by backend
};

// Rows in plan order (first appearance of each workload).
std::vector<Row> build_rows(const std::vector<Instance>& plan,
                            const std::map<std::string, InstanceResult>& results);

}  // namespace eddy::bench_tool

#endif  // EDDY_TOOLS_EDDY_BENCH_ROWS_H_
