// table.cc -- the set-up block and the side-by-side table.
#include "table.h"

#include <algorithm>
#include <cmath>

#include "text.h"

namespace eddy::bench_tool {
namespace {

void print_line(std::FILE* out, const std::vector<std::string>& cells,
                const std::vector<size_t>& widths) {
  std::string line;
  for (size_t i = 0; i < cells.size(); ++i) {
    // The two text columns read left-aligned; the figures right-aligned.
    line += i < 2 ? pad_right(cells[i], widths[i]) : pad_left(cells[i], widths[i]);
    if (i + 1 < cells.size()) line += "  ";
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  std::fprintf(out, "%s\n", line.c_str());
}

}  // namespace

std::string cell_text(const Cell* cell) {
  if (cell == nullptr) return "-";
  if (cell->time_ns.count == 0) return cell->result && !cell->result->error.empty() ? "error" : "-";
  const Summary& s = cell->time_ns;
  double dev = s.median > 0 ? std::max(s.max - s.median, s.median - s.min) / s.median : 0;
  char spread[32] = "";
  if (s.count > 1) std::snprintf(spread, sizeof spread, " ±%.0f%%", dev * 100);
  char ratio[32];
  std::snprintf(ratio, sizeof ratio, " %.2f×", cell->ratio_to_best);
  return format_duration(s.median) + spread + ratio;
}

void print_setup(std::FILE* out, const Setup& setup, const Options& options,
                 const std::vector<std::string>& columns, const std::vector<Skipped>& skipped,
                 const std::string& echo_line) {
  std::fprintf(out, "eddy-bench %s\n", setup.eddy_version.c_str());
  std::fprintf(out, "  date       %s\n", setup.date_utc.c_str());
  std::fprintf(out, "  cpu        %s, %d cores online; load average %s at start%s%s\n",
               setup.cpu_model.c_str(), setup.cores, setup.load_avg.c_str(),
               setup.load_avg_end.empty() ? "" : ", at end ", setup.load_avg_end.c_str());
  std::fprintf(out, "  machine    %s\n", machine_line(setup.probes).c_str());
  std::fprintf(out, "  cpu speed  %s\n", cpu_speed_line(setup.probes).c_str());
  for (const std::string& line : wake_lines(setup.probes)) {
    std::fprintf(out, "  wake-up    %s\n", line.c_str());
  }
  std::fprintf(out, "  kernel     %s\n", setup.kernel.c_str());
  std::fprintf(out, "  build      %s, %s\n", setup.compiler.c_str(), setup.build_type.c_str());
  std::string libs;
  for (const auto& [name, version] : setup.libraries) {
    libs += (libs.empty() ? "" : ", ") + name + " " + version;
  }
  std::fprintf(out, "  libraries  %s\n", libs.c_str());
  for (const BackendInfo& b : setup.backends) {
    if (!b.available) continue;
    std::fprintf(out, "  backend    %-9s %s, ABI %s, %s%s%s\n", b.name.c_str(),
                 b.version.empty() ? "-" : b.version.c_str(), abi_string(b.abi_version).c_str(),
                 capability_names(b.capabilities).c_str(), b.description.empty() ? "" : "; ",
                 b.description.c_str());
  }
  for (const Skipped& s : skipped) {
    std::fprintf(out, "  skipped    %-9s %s\n", s.name.c_str(), s.reason.c_str());
  }
  std::string cols;
  for (const std::string& c : columns) cols += (cols.empty() ? "" : ", ") + c;
  if (!cols.empty()) {
    std::fprintf(out, "  running    %s; %d round%s, each benchmark run at least %g s per round\n",
                 cols.c_str(), options.repetitions, options.repetitions == 1 ? "" : "s",
                 options.min_time_s);
  }
  if (!echo_line.empty()) std::fprintf(out, "  echo       %s\n", echo_line.c_str());
  std::fprintf(out, "\n");
  std::fflush(out);
}

void print_table(std::FILE* out, const std::vector<Row>& rows,
                 const std::vector<std::string>& columns, int rounds) {
  std::vector<std::vector<std::string>> lines;
  std::vector<std::string> header = {"workload", "per"};
  header.insert(header.end(), columns.begin(), columns.end());
  lines.push_back(header);
  for (const Row& row : rows) {
    std::vector<std::string> line = {row.label, row.per + (row.real_time ? " (wall)" : "")};
    for (const std::string& c : columns) {
      auto it = row.cells.find(c);
      line.push_back(cell_text(it == row.cells.end() ? nullptr : &it->second));
    }
    lines.push_back(line);
  }
  std::vector<size_t> widths(header.size(), 0);
  for (const auto& line : lines) {
    for (size_t i = 0; i < line.size(); ++i)
      widths[i] = std::max(widths[i], display_width(line[i]));
  }
  for (const auto& line : lines) print_line(out, line, widths);
  if (rounds > 1) {
    std::fprintf(out,
                 "\nEach cell: the median time per operation over %d rounds (CPU time of the\n"
                 "benchmarking thread; \"wall\" rows: wall-clock time), ±N%%: every round within\n"
                 "N%% of that median, and the ratio to the fastest cell of its row (1.00×).\n",
                 rounds);
  } else {
    std::fprintf(out,
                 "\nEach cell: the time per operation (CPU time of the benchmarking thread;\n"
                 "\"wall\" rows: wall-clock time) and the ratio to the fastest cell of its row.\n");
  }
  bool raw = std::any_of(columns.begin(), columns.end(),
                         [](const std::string& c) { return c.rfind("raw_", 0) == 0; });
  if (raw) {
    std::fprintf(out,
                 "raw_libuv / raw_libevent: the same work written against the library alone.\n");
  }
  for (const Row& row : rows) {
    for (const auto& [backend, cell] : row.cells) {
      if (cell.result && !cell.result->error.empty()) {
        std::fprintf(out, "error: %s: %s\n", cell.instance.name.c_str(),
                     cell.result->error.c_str());
      }
    }
  }
  std::fflush(out);
}

}  // namespace eddy::bench_tool
