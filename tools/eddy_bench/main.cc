// eddy-bench: the same workloads on every loop backend, side by side.
//
// It registers eddy's micro-benchmarks (bench/, Google Benchmark used as a
// library), chooses the rows (--workloads) and columns (--backends), plans
// the TCP echo runs (echo_plan.h: eddy's echo server on each backend beside
// reference servers, as separate processes), runs everything in interleaved
// rounds with a progress line on stderr, and prints the set-up, the micro
// table and the echo table on stdout; --json writes the same as JSON,
// --plot draws it, --compare sets it against an earlier run. Backends and
// reference servers that cannot run are listed as skipped, with the reason.
//
// Exit status: 0 on success, 1 if a benchmark or an echo run reported an
// error (an echoed byte that differs is one), the JSON file could not be
// written or the plot failed, 2 for a bad command line.
#include <algorithm>
#include <cstdio>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "catalog.h"
#include "collector.h"
#include "echo_plan.h"
#include "echo_rows.h"
#include "echo_table.h"
#include "gbench.h"
#include "json_out.h"
#include "options.h"
#include "reports.h"
#include "rows.h"
#include "runner.h"
#include "setup.h"
#include "table.h"
#include "workloads.h"

namespace eddy::bench_tool {
namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string join(const std::vector<std::string>& v) { return absl::StrJoin(v, ", "); }

// The columns to run and the backends skipped (with why), or false with a
// message for a name nobody knows.
bool choose_columns(const Options& o, const Setup& setup, std::vector<std::string>* columns,
                    std::vector<Skipped>* skipped, std::string* error) {
  std::vector<std::string> usable, unusable;
  for (const BackendInfo& b : setup.backends) (b.available ? usable : unusable).push_back(b.name);
  for (const std::string& raw : raw_twin_names()) usable.push_back(raw);
  for (const std::string& name : o.backends) {
    if (!contains(usable, name) && !contains(unusable, name)) {
      *error = "unknown backend '" + name + "' in --backends; available: " + join(usable);
      if (!unusable.empty()) *error += " (found but unavailable: " + join(unusable) + ")";
      return false;
    }
  }
  std::vector<std::string> wanted = o.backends;
  if (wanted.empty()) {
    wanted = usable;
    wanted.insert(wanted.end(), unusable.begin(), unusable.end());
  }
  for (const std::string& name : wanted) {
    if (contains(*columns, name)) continue;
    if (contains(usable, name)) {
      columns->push_back(name);
      continue;
    }
    for (const BackendInfo& b : setup.backends) {
      if (b.name == name) skipped->push_back({name, b.reason});
    }
  }
  return true;
}

bool selected(const Instance& i, const Options& o, const std::regex& re) {
  if (o.workloads.empty()) return !i.slow;
  return std::regex_search(i.workload, re) || std::regex_search(i.label, re);
}

// Python's, uvloop's and Boost's versions, for the set-up block.
void add_echo_versions(const EchoPrograms& p, Setup* setup) {
  if (!p.python_version.empty()) setup->libraries.emplace_back("python", p.python_version);
  if (!p.uvloop_version.empty()) setup->libraries.emplace_back("uvloop", p.uvloop_version);
#ifdef EDDY_BOOST_VERSION
  setup->libraries.emplace_back("boost", EDDY_BOOST_VERSION);
#endif
}

void print_list(const std::vector<Instance>& all, const std::vector<std::string>& columns,
                const std::vector<Skipped>& skipped) {
  std::printf("workloads (key: label, per operation; [slow]: not in the quick suite):\n");
  std::vector<std::string> seen;
  for (const Instance& i : all) {
    if (contains(seen, i.workload)) continue;
    seen.push_back(i.workload);
    std::vector<std::string> backends;
    for (const Instance& j : all) {
      if (j.workload == i.workload && contains(columns, j.backend)) backends.push_back(j.backend);
    }
    std::printf("  %-22s %s, per %s%s\n      on %s\n", i.workload.c_str(), i.label.c_str(),
                i.per.c_str(), i.slow ? " [slow]" : "", join(backends).c_str());
  }
  std::printf("backends: %s\n", join(columns).c_str());
  for (const Skipped& s : skipped)
    std::printf("skipped: %s: %s\n", s.name.c_str(), s.reason.c_str());
}

int run(int argc, char** argv) {
  Options o;
  std::string error;
  if (!parse_options(argc, argv, &o, &error)) {
    std::fprintf(stderr, "eddy-bench: %s\n", error.c_str());
    return 2;
  }
  if (o.help) {
    std::fputs(usage(), stdout);
    return 0;
  }
  if (!o.from_path.empty()) return report_from_file(o);
  std::regex re;
  try {
    re = std::regex(o.workloads);
  } catch (const std::regex_error& e) {
    std::fprintf(stderr, "eddy-bench: bad --workloads regex '%s': %s\n", o.workloads.c_str(),
                 e.what());
    return 2;
  }
  Setup setup = collect_setup();
  std::vector<std::string> columns;
  std::vector<Skipped> skipped;
  if (!choose_columns(o, setup, &columns, &skipped, &error)) {
    std::fprintf(stderr, "eddy-bench: %s\n", error.c_str());
    return 2;
  }

  // The echo runs: eddy's server on the chosen eddy backends (not the raw
  // twins, which are micro-benchmark programs), beside the references.
  std::vector<std::string> eddy_columns;
  for (const std::string& c : columns) {
    if (!contains(raw_twin_names(), c)) eddy_columns.push_back(c);
  }
  EchoPlan echo;
  if (!plan_echo(o, eddy_columns, setup.cores, !o.workloads.empty(), re, &echo, &error)) {
    std::fprintf(stderr, "eddy-bench: %s\n", error.c_str());
    return 2;
  }
  skipped.insert(skipped.end(), echo.skipped.begin(), echo.skipped.end());
  if (!echo.selected.empty()) add_echo_versions(echo.programs, &setup);

  init_google_benchmark(o.min_time_s);
  eddy::bench::register_all_benchmarks();
  std::vector<Instance> all = list_instances();
  if (o.list) {
    print_list(all, columns, skipped);
    print_echo_list(stdout, echo, o);
    return 0;
  }
  std::vector<Instance> plan;
  for (const Instance& i : all) {
    if (contains(columns, i.backend) && selected(i, o, re)) plan.push_back(i);
  }
  if (plan.empty() && echo.selected.empty()) {
    std::fprintf(stderr, "eddy-bench: no workload matches --workloads='%s' on %s (see --list)\n",
                 o.workloads.c_str(), join(columns).c_str());
    return 2;
  }
  // Only the columns that have something to show.
  std::vector<std::string> shown;
  for (const std::string& c : columns) {
    if (std::any_of(plan.begin(), plan.end(), [&](const Instance& i) { return i.backend == c; })) {
      shown.push_back(c);
    }
  }

  print_setup(stdout, setup, o, shown, skipped, echo_setup_line(echo, o));
  Collector collector;
  EchoResults echo_results;
  std::vector<Job> jobs;
  for (const Instance& i : plan) {
    jobs.push_back({i.name, [&collector, name = i.name] { run_benchmark(name, &collector); }});
  }
  // Each echo run, and its cross-check beside it in the same round, so
  // that drift hits both load generators alike.
  EchoSettings cross_settings = echo.settings;
  cross_settings.engine = "uring";
  for (const EchoInstance& i : echo.runs) {
    jobs.push_back({i.name, [&echo, &echo_results, i] {
                      run_echo(i, echo.settings, &echo_results.timed[i.name]);
                    }});
    if (o.cross_check == "off") continue;
    jobs.push_back({i.name + " (cross-check)", [&cross_settings, &echo_results, i] {
                      run_echo(i, cross_settings, &echo_results.cross[i.name]);
                    }});
  }
  double seconds = run_rounds(jobs, o.repetitions, !o.quiet);
  // The counting round, apart: counting slows a server down a little, and
  // its figures feed no timing column.
  if (o.syscalls && !echo.runs.empty()) {
    EchoSettings counting = echo.settings;
    counting.count_syscalls = true;
    std::vector<Job> counts;
    for (const EchoInstance& i : echo.runs) {
      counts.push_back({i.name + " (syscalls)", [&counting, &echo_results, i] {
                          run_echo(i, counting, &echo_results.counted[i.name]);
                        }});
    }
    seconds += run_rounds(counts, 1, !o.quiet);
  }
  finish_setup(&setup);
  std::vector<Row> rows = build_rows(plan, collector.results());
  if (!plan.empty()) print_table(stdout, rows, shown, o.repetitions);
  std::vector<EchoRow> echo_rows = build_echo_rows(echo.runs, echo_results, o.tolerance_pct);
  print_echo_table(stdout, echo_rows, o);
  std::printf("\n%zu benchmarks and %zu echo runs x %d rounds in %.1f s.\n", plan.size(),
              echo.runs.size(), o.repetitions, seconds);
  print_setup_end(stdout, setup);

  int status = 0;
  for (const auto& [name, result] : collector.results()) {
    if (!result.error.empty()) status = 1;
  }
  for (const EchoRow& r : echo_rows) {
    if (r.error()) status = 1;
    if (r.disagrees && o.cross_check == "strict") status = 1;
    if (r.skipped()) skipped.push_back({r.instance.name, r.result->skip_reason});
  }
  RunFacts facts{&setup, &collector.cpu(), &o,         &shown,        &skipped,
                 &rows,  seconds,          &echo_rows, &echo.programs};
  if (!o.json_path.empty() && !write_json(o.json_path, facts, &error)) {
    std::fprintf(stderr, "eddy-bench: %s\n", error.c_str());
    status = 1;
  }
  if ((!o.plot_path.empty() || !o.compare_path.empty()) && report(o, run_document(facts)) != 0) {
    status = 1;
  }
  benchmark::Shutdown();
  return status;
}

}  // namespace
}  // namespace eddy::bench_tool

int main(int argc, char** argv) { return eddy::bench_tool::run(argc, argv); }
