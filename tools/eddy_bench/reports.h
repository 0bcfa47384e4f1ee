// reports.h -- what eddy-bench does with a finished run besides the tables:
// --compare (compare.h) and --plot (plot.h), on this run or, with --from,
// on one read back from its JSON file.
//
// Thread-safety: main thread only.
#ifndef EDDY_TOOLS_EDDY_BENCH_REPORTS_H_
#define EDDY_TOOLS_EDDY_BENCH_REPORTS_H_

#include "options.h"
#include "run_json.h"

namespace eddy::bench_tool {

// --compare and --plot for `run`. Returns 1 if a requested report failed
// (an unreadable OLD.json, gnuplot failing), else 0; a plot skipped for lack
// of gnuplot is a note, not a failure.
int report(const Options& o, const Json& run);

// --from RUN.json: the same reports on an earlier run, running nothing.
// Returns 2 if the file cannot be read.
int report_from_file(const Options& o);

}  // namespace eddy::bench_tool

#endif  // EDDY_TOOLS_EDDY_BENCH_REPORTS_H_
