// plot.cc -- writes a gnuplot script with the data inline and runs it.
#include "plot.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "process.h"

namespace eddy::bench_tool {
namespace {

// gnuplot data: a quoted label, then numbers ("-" when missing).
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) out += c == '"' ? '\'' : c;
  return out + "\"";
}

std::string number(double v) {
  if (!std::isfinite(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

int kind_colour(const std::string& kind) { return kind == "eddy" ? 1 : kind == "raw_c" ? 2 : 3; }

struct EchoBar {
  std::string label;
  std::string kind;
  double rate[3];  // median, min, max
  double p99[3];
};

std::vector<EchoBar> echo_bars(const Json& run) {
  std::vector<EchoBar> bars;
  const Json& results = array_at(run, "/echo/results");
  bool several_groups = false;
  for (const Json& r : results) {
    if (number_at(r, "/size", 0) != number_at(results.front(), "/size", 0) ||
        number_at(r, "/connections", 0) != number_at(results.front(), "/connections", 0)) {
      several_groups = true;
    }
  }
  for (const Json& r : results) {
    if (!json_at(r, "/msgs_per_s").is_object()) continue;
    EchoBar b;
    b.label = string_at(r, "/label");
    if (several_groups) {
      b.label += " ";  // appended piece by piece: g++ 12 warns wrongly about " " + ...
      b.label += std::to_string(static_cast<int>(number_at(r, "/size", 0)));
      b.label += "B×";
      b.label += std::to_string(static_cast<int>(number_at(r, "/connections", 0)));
    }
    b.kind = string_at(r, "/kind");
    const char* fields[] = {"/median", "/min", "/max"};
    for (int i = 0; i < 3; ++i) {
      b.rate[i] = number_at(json_at(r, "/msgs_per_s"), fields[i]) / 1000;
      b.p99[i] = number_at(json_at(r, "/p99_us"), fields[i]);
    }
    bars.push_back(b);
  }
  return bars;
}

// Micro rows: workload label -> ratio per backend, backends in order.
struct MicroTable {
  std::vector<std::string> backends;
  std::vector<std::string> workloads;
  std::vector<std::vector<double>> ratio;  // [workload][backend]
};

MicroTable micro_table(const Json& run) {
  MicroTable t;
  for (const Json& r : array_at(run, "/results")) {
    std::string backend = string_at(r, "/backend");
    std::string label = string_at(r, "/label");
    if (std::find(t.backends.begin(), t.backends.end(), backend) == t.backends.end()) {
      t.backends.push_back(backend);
    }
    if (std::find(t.workloads.begin(), t.workloads.end(), label) == t.workloads.end()) {
      t.workloads.push_back(label);
    }
  }
  t.ratio.assign(t.workloads.size(), std::vector<double>(t.backends.size(), std::nan("")));
  for (const Json& r : array_at(run, "/results")) {
    size_t w = std::find(t.workloads.begin(), t.workloads.end(), string_at(r, "/label")) -
               t.workloads.begin();
    size_t b = std::find(t.backends.begin(), t.backends.end(), string_at(r, "/backend")) -
               t.backends.begin();
    t.ratio[w][b] = number_at(r, "/ratio_to_best");
  }
  return t;
}

void echo_panel(std::ostringstream& s, const std::vector<EchoBar>& bars, bool p99) {
  s << "$" << (p99 ? "p99" : "rate") << " << EOD\n";
  for (const EchoBar& b : bars) {
    const double* v = p99 ? b.p99 : b.rate;
    s << quoted(b.label) << " " << number(v[0]) << " " << number(v[1]) << " " << number(v[2]) << " "
      << kind_colour(b.kind) << "\n";
  }
  s << "EOD\n";
  s << "set title "
    << quoted(p99 ? "TCP echo: p99 round trip (µs; lower is better)"
                  : "TCP echo: throughput (thousand msgs/s; higher is better); "
                    "blue: eddy, red: raw C, grey: other references")
    << "\n";
  s << "set ylabel " << quoted(p99 ? "µs" : "k msgs/s") << "\n";
  s << "set xrange [-0.6:" << bars.size() - 0.4 << "]\nset yrange [0:*]\n";
  s << "set xtics rotate by -35 left\nunset key\n";
  s << "plot $" << (p99 ? "p99" : "rate")
    << " using 0:2:(0.7):5:xtic(1) with boxes fill solid 0.6 lc variable, \\\n"
    << "     '' using 0:3:(0):($4-$3) with vectors nohead lw 1.5 lc rgb 'black'\n";
}

void micro_panel(std::ostringstream& s, const MicroTable& t) {
  s << "$micro << EOD\nworkload";
  for (const std::string& b : t.backends) s << " " << quoted(b);
  s << "\n";
  for (size_t w = 0; w < t.workloads.size(); ++w) {
    s << quoted(t.workloads[w]);
    for (double r : t.ratio[w]) s << " " << number(r);
    s << "\n";
  }
  s << "EOD\n";
  s << "set title "
    << quoted("micro-benchmarks: time per operation / the row's fastest (lower is better)") << "\n";
  s << "set ylabel 'ratio'\nset yrange [0:*]\nset autoscale x\n";
  s << "set style data histograms\nset style histogram clustered gap 1\n";
  s << "set style fill solid 0.7\nset key top right\n";
  s << "set xtics rotate by -35 left\n";
  // Line types 4 on: a palette of its own, so backends do not take the
  // echo panels' eddy / raw C / reference colours.
  s << "plot for [i=2:" << t.backends.size() + 1
    << "] $micro using i:xtic(1) title columnheader(i) lt (i + 2)\n";
}

std::string find_in_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  for (absl::string_view dir :
       absl::StrSplit(path ? path : "/usr/bin:/bin", ':', absl::SkipEmpty())) {
    std::string candidate = absl::StrCat(dir, "/", program);
    if (is_executable(candidate)) return candidate;
  }
  return "";
}

}  // namespace

std::string plot_script(const Json& run, const std::string& path, const std::string& terminal) {
  std::vector<EchoBar> bars = echo_bars(run);
  MicroTable micro = micro_table(run);
  int panels = (bars.empty() ? 0 : 2) + (micro.workloads.empty() ? 0 : 1);
  size_t columns = std::max(
      bars.size(), micro.workloads.size() * std::max<size_t>(1, micro.backends.size()) / 3);
  int width = static_cast<int>(std::clamp<size_t>(columns * 45 + 200, 900, 2400));
  int height = std::max(1, panels) * 420;
  std::ostringstream s;
  s << "set terminal " << terminal << " size " << width << "," << height << " noenhanced\n";
  s << "set output " << quoted(path) << "\n";
  s << "set datafile missing '-'\nset grid ytics\nset bmargin 9\nset lmargin 12\n";
  s << "set linetype 1 lc rgb '#1f77b4'\nset linetype 2 lc rgb '#d62728'\n"
    << "set linetype 3 lc rgb '#7f7f7f'\n";
  const char* palette[] = {"#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
                           "#e377c2", "#17becf", "#bcbd22", "#393b79"};
  for (int i = 0; i < 8; ++i) s << "set linetype " << i + 4 << " lc rgb '" << palette[i] << "'\n";
  std::string date = string_at(run, "/setup/date_utc");
  s << "set multiplot layout " << std::max(1, panels) << ",1 title "
    << quoted("eddy-bench, " + date) << "\n";
  if (!bars.empty()) {
    echo_panel(s, bars, false);
    echo_panel(s, bars, true);
  }
  if (!micro.workloads.empty()) micro_panel(s, micro);
  s << "unset multiplot\n";
  return s.str();
}

PlotOutcome draw_plot(const Json& run, const std::string& path, std::string* message) {
  bool svg = absl::EndsWith(path, ".svg");
  if (!svg && !absl::EndsWith(path, ".png")) {
    *message = "--plot wants a file name ending in .png or .svg, not " + path;
    return PlotOutcome::kFailed;
  }
  std::string gnuplot = find_in_path("gnuplot");
  if (gnuplot.empty()) {
    *message = "plot skipped: gnuplot is not installed (Debian: gnuplot-nox)";
    return PlotOutcome::kSkipped;
  }
  if (array_at(run, "/results").empty() && array_at(run, "/echo/results").empty()) {
    *message = "plot skipped: the run has no results";
    return PlotOutcome::kSkipped;
  }
  // pngcairo draws far better than libgd's png; some builds lack it.
  std::vector<std::string> terminals;
  if (svg) {
    terminals = {"svg dynamic background rgb 'white' font 'sans,11'"};
  } else {
    terminals = {"pngcairo font 'sans,10'", "png"};
  }
  char script_path[] = "/tmp/eddy-bench-plot-XXXXXX";
  int fd = mkstemp(script_path);
  if (fd < 0) {
    *message = "plot: cannot make a temporary file";
    return PlotOutcome::kFailed;
  }
  close(fd);
  std::string error;
  for (const std::string& terminal : terminals) {
    std::ofstream(script_path) << plot_script(run, path, terminal);
    Child child;
    if (!child.start({{gnuplot, script_path}, -1}, &error)) break;
    child.wait(60);
    if (!child.exited()) child.terminate(1);
    if (child.exit_status() == 0) {
      unlink(script_path);
      *message = "plot written to " + path;
      return PlotOutcome::kDrawn;
    }
    error = child.stderr_text(800);
  }
  unlink(script_path);
  *message = "plot: gnuplot failed: " + error;
  return PlotOutcome::kFailed;
}

}  // namespace eddy::bench_tool
