// skipped.h -- a column or server eddy-bench could not run, and why. The
// set-up block, --list and the JSON file all show them, so a missing
// backend or reference is a note rather than a silent gap.
#ifndef EDDY_TOOLS_EDDY_BENCH_SKIPPED_H_
#define EDDY_TOOLS_EDDY_BENCH_SKIPPED_H_

#include <string>

namespace eddy::bench_tool {

struct Skipped {
  std::string name;
  std::string reason;
};

}  // namespace eddy::bench_tool

#endif  // EDDY_TOOLS_EDDY_BENCH_SKIPPED_H_
