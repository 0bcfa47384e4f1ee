// plot.h -- --plot FILE: a chart of a run, drawn by gnuplot.
//
// Panels, top to bottom, for what the run has: the echo throughput of each
// server (bar = median msgs/s, whisker = min..max over the rounds; eddy,
// raw C and other references in three colours), the echo p99 round trip the
// same way, and the micro rows as clustered bars of each backend's ratio to
// the row's fastest (1.0 = fastest). The format follows the file name:
// .svg, or .png (pngcairo, else gnuplot's plain png). It reads the run as
// JSON, so it can redraw an earlier run (--from).
//
// Without gnuplot on PATH the chart is skipped with a note, not an error.
//
// Thread-safety: main thread only (runs gnuplot as a child process).
#ifndef EDDY_TOOLS_EDDY_BENCH_PLOT_H_
#define EDDY_TOOLS_EDDY_BENCH_PLOT_H_

#include <string>

#include "run_json.h"

namespace eddy::bench_tool {

enum class PlotOutcome { kDrawn, kSkipped, kFailed };

// Draws `run` into `path`; *message says what happened (the file written,
// why it was skipped, or the error).
PlotOutcome draw_plot(const Json& run, const std::string& path, std::string* message);

// The gnuplot script draw_plot() would run, with the data inline (for the
// tests and for anyone who wants to restyle the chart).
std::string plot_script(const Json& run, const std::string& path, const std::string& terminal);

}  // namespace eddy::bench_tool

#endif  // EDDY_TOOLS_EDDY_BENCH_PLOT_H_
