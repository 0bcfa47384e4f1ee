// stats.h -- the summary eddy-bench reports for one benchmark: the median of
// its rounds and their spread (min and max), so a noisy cell is visible as
// such rather than hidden behind one number.
#ifndef EDDY_TOOLS_EDDY_BENCH_STATS_H_
#define EDDY_TOOLS_EDDY_BENCH_STATS_H_

#include <vector>

namespace eddy::bench_tool {

struct Summary {
  double median = 0;
  double min = 0;
  double max = 0;
  int count = 0;
  // (max - min) / median, as a fraction; 0 with fewer than two values.
  double spread() const { return count > 1 && median > 0 ? (max - min) / median : 0.0; }
};

// Summarizes `values` (any order); an empty input gives count == 0.
Summary summarize(std::vector<double> values);

}  // namespace eddy::bench_tool

#endif  // EDDY_TOOLS_EDDY_BENCH_STATS_H_
