// rows.cc -- groups instances into rows and finds each row's best cell.
#include "rows.h"

#include <algorithm>
#include <limits>

namespace eddy::bench_tool {

std::vector<Row> build_rows(const std::vector<Instance>& plan,
                            const std::map<std::string, InstanceResult>& results) {
  std::vector<Row> rows;
  for (const Instance& instance : plan) {
    auto it = std::find_if(rows.begin(), rows.end(),
                           [&](const Row& r) { return r.workload == instance.workload; });
    if (it == rows.end()) {
      rows.push_back(Row{instance.workload, instance.label, instance.per, false, {}});
      it = rows.end() - 1;
    }
    Cell cell;
    cell.instance = instance;
    if (auto r = results.find(instance.name); r != results.end()) {
      cell.result = &r->second;
      std::vector<double> times;
      for (const Measurement& m : r->second.rounds) times.push_back(m.per_op_ns);
      cell.time_ns = summarize(times);
      it->real_time = it->real_time || r->second.real_time;
    }
    it->cells[instance.backend] = cell;
  }
  for (Row& row : rows) {
    double best = std::numeric_limits<double>::infinity();
    for (const auto& [backend, cell] : row.cells) {
      if (cell.time_ns.count > 0) best = std::min(best, cell.time_ns.median);
    }
    for (auto& [backend, cell] : row.cells) {
      if (cell.time_ns.count == 0 || best <= 0) continue;
      cell.ratio_to_best = cell.time_ns.median / best;
      cell.best = cell.time_ns.median == best;
    }
  }
  return rows;
}

}  // namespace eddy::bench_tool
