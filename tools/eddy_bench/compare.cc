// compare.cc -- matches the rows of two runs and measures their changes.
#include "compare.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "echo_table.h"
#include "text.h"

namespace eddy::bench_tool {
namespace {

struct Metric {
  const char* label;
  double value;
  bool higher_is_better;
};

// name -> the metrics of that row, from either kind of result.
std::map<std::string, std::vector<Metric>> metrics_of(const Json& run) {
  std::map<std::string, std::vector<Metric>> out;
  for (const Json& r : array_at(run, "/results")) {
    double v = number_at(r, "/median_ns");
    if (std::isfinite(v)) out[string_at(r, "/name")].push_back({"time/op", v, false});
  }
  for (const Json& r : array_at(run, "/echo/results")) {
    std::vector<Metric>& m = out[string_at(r, "/name")];
    double rate = number_at(r, "/msgs_per_s/median");
    double p99 = number_at(r, "/p99_us/median");
    double cpu = number_at(r, "/cpu_total_us_per_msg/median");
    if (std::isfinite(rate)) m.push_back({"msgs/s", rate, true});
    if (std::isfinite(p99)) m.push_back({"p99", p99, false});
    if (std::isfinite(cpu)) m.push_back({"CPU/msg", cpu, false});
  }
  return out;
}

std::string value_text(const std::string& metric, double v) {
  if (metric == "time/op") return format_duration(v);
  if (metric == "p99") return format_duration(v * 1000);
  if (metric == "msgs/s") return rate_text(v);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f µs", v);
  return buf;
}

}  // namespace

Comparison compare_runs(const Json& old_run, const Json& new_run, double threshold_pct) {
  Comparison c;
  auto before = metrics_of(old_run);
  auto after = metrics_of(new_run);
  for (const auto& [name, metrics] : before) {
    if (!after.count(name)) ++c.only_old;
  }
  // In the new run's order: micro rows, then echo rows.
  std::vector<std::string> order;
  for (const Json& r : array_at(new_run, "/results")) order.push_back(string_at(r, "/name"));
  for (const Json& r : array_at(new_run, "/echo/results")) order.push_back(string_at(r, "/name"));
  for (const std::string& name : order) {
    auto old_it = before.find(name);
    auto new_it = after.find(name);
    if (new_it == after.end() || new_it->second.empty()) continue;
    if (old_it == before.end()) {
      ++c.only_new;
      continue;
    }
    for (const Metric& n : new_it->second) {
      for (const Metric& o : old_it->second) {
        if (std::string(o.label) != n.label || o.value <= 0) continue;
        Change ch;
        ch.name = name;
        ch.metric = n.label;
        ch.old_value = o.value;
        ch.new_value = n.value;
        ch.change = n.value / o.value - 1;
        ch.worse = n.higher_is_better ? ch.change < 0 : ch.change > 0;
        ch.flagged = std::fabs(ch.change) * 100 > threshold_pct;
        if (ch.flagged) ++(ch.worse ? c.worse : c.better);
        c.changes.push_back(ch);
      }
    }
  }
  return c;
}

void print_comparison(std::FILE* out, const Comparison& c, const std::string& old_path,
                      const Json& old_run, double threshold_pct) {
  std::string date = string_at(old_run, "/setup/date_utc");
  std::fprintf(out, "\nCompared with %s%s%s%s; changes beyond %g%% are flagged:\n\n",
               old_path.c_str(), date.empty() ? "" : " (", date.c_str(), date.empty() ? "" : ")",
               threshold_pct);
  std::vector<std::vector<std::string>> lines = {{"row", "metric", "old", "new", "change", ""}};
  for (const Change& ch : c.changes) {
    char pct[32];
    std::snprintf(pct, sizeof pct, "%+.1f%%", ch.change * 100);
    lines.push_back({ch.name, ch.metric, value_text(ch.metric, ch.old_value),
                     value_text(ch.metric, ch.new_value), pct,
                     ch.flagged ? (ch.worse ? "WORSE" : "better") : ""});
  }
  std::vector<size_t> widths(6, 0);
  for (const auto& l : lines) {
    for (size_t i = 0; i < l.size(); ++i) widths[i] = std::max(widths[i], display_width(l[i]));
  }
  for (const auto& l : lines) {
    std::string text = pad_right(l[0], widths[0]) + "  " + pad_right(l[1], widths[1]);
    for (size_t i = 2; i < 5; ++i) text += "  " + pad_left(l[i], widths[i]);
    text += "  " + l[5];
    while (!text.empty() && text.back() == ' ') text.pop_back();
    std::fprintf(out, "%s\n", text.c_str());
  }
  std::fprintf(out, "\n%zu figures compared: %d worse and %d better beyond %g%%", c.changes.size(),
               c.worse, c.better, threshold_pct);
  if (c.only_old || c.only_new) {
    std::fprintf(out, "; %d row%s only in the old run, %d only in this one", c.only_old,
                 c.only_old == 1 ? "" : "s", c.only_new);
  }
  std::fprintf(out, ".\n");
  std::fflush(out);
}

}  // namespace eddy::bench_tool
