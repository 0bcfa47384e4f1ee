// runner.h -- runs the plan: every selected benchmark once per round, for
// N rounds, so that slow drift of a shared machine (another job starting on
// the other core, the CPU clocking down) spreads over every backend alike
// instead of landing on whichever ran last. A progress line on stderr says
// what is running and what is left.
//
// A job is one micro-benchmark instance or one TCP echo run; a round runs
// every job once, in plan order.
//
// Thread-safety: main thread only.
#ifndef EDDY_TOOLS_EDDY_BENCH_RUNNER_H_
#define EDDY_TOOLS_EDDY_BENCH_RUNNER_H_

#include <functional>
#include <string>
#include <vector>

namespace eddy::bench_tool {

struct Job {
  std::string name;           // shown in the progress line
  std::function<void()> run;  // runs it once, recording the result
};

// Runs `jobs` `rounds` times; returns the wall time it took, in seconds.
double run_rounds(const std::vector<Job>& jobs, int rounds, bool progress);

}  // namespace eddy::bench_tool

#endif  // EDDY_TOOLS_EDDY_BENCH_RUNNER_H_
