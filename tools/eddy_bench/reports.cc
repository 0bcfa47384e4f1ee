// reports.cc -- runs --compare and --plot on a run's JSON.
#include "reports.h"

#include <cstdio>
#include <string>

#include "compare.h"
#include "plot.h"

namespace eddy::bench_tool {

int report(const Options& o, const Json& run) {
  int status = 0;
  if (!o.compare_path.empty()) {
    absl::StatusOr<Json> old_run = read_run_file(o.compare_path);
    if (!old_run.ok()) {
      std::fprintf(stderr, "eddy-bench: --compare: %s\n",
                   std::string(old_run.status().message()).c_str());
      status = 1;
    } else {
      Comparison c = compare_runs(*old_run, run, o.threshold_pct);
      print_comparison(stdout, c, o.compare_path, *old_run, o.threshold_pct);
    }
  }
  if (!o.plot_path.empty()) {
    std::string message;
    PlotOutcome outcome = draw_plot(run, o.plot_path, &message);
    std::fprintf(outcome == PlotOutcome::kFailed ? stderr : stdout, "%s%s\n",
                 outcome == PlotOutcome::kFailed ? "eddy-bench: " : "", message.c_str());
    if (outcome == PlotOutcome::kFailed) status = 1;
  }
  return status;
}

int report_from_file(const Options& o) {
  absl::StatusOr<Json> run = read_run_file(o.from_path);
  if (!run.ok()) {
    std::fprintf(stderr, "eddy-bench: --from: %s\n", std::string(run.status().message()).c_str());
    return 2;
  }
  return report(o, *run);
}

}  // namespace eddy::bench_tool
