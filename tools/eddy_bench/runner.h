// runner.h -- runs the plan: every selected benchmark once per round, for
// N rounds, so that slow drift of a shared machine (another job starting on
// the other core, the CPU clocking down) spreads over every backend alike
// instead of landing on whichever ran last. A progress line on stderr says
// what is running and what is left.
//
// Thread-safety: main thread only.
#ifndef EDDY_TOOLS_EDDY_BENCH_RUNNER_H_
#define EDDY_TOOLS_EDDY_BENCH_RUNNER_H_

#include <vector>

#include "catalog.h"
#include "collector.h"

namespace eddy::bench_tool {

// Runs `plan` `rounds` times, reporting to `collector`; returns the wall
// time it took, in seconds.
double run_rounds(const std::vector<Instance>& plan, int rounds, bool progress,
                  Collector* collector);

}  // namespace eddy::bench_tool

#endif  // EDDY_TOOLS_EDDY_BENCH_RUNNER_H_
