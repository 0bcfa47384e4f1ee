// stats.cc -- median and min-max of a benchmark's rounds.
#include "stats.h"

#include <algorithm>

namespace eddy::bench_tool {

Summary summarize(std::vector<double> values) {
  Summary s;
  s.count = static_cast<int>(values.size());
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  s.median = n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  s.min = values.front();
  s.max = values.back();
  return s;
}

}  // namespace eddy::bench_tool
