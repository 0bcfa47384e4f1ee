// gbench.cc -- the flags eddy-bench hands Google Benchmark, and the two
// calls it makes: list the instances, run one.
#include "gbench.h"

#include <sstream>

namespace eddy::bench_tool {
namespace {

double g_min_time_s = 0.05;

// benchmark::Initialize wants a mutable argv, like main's.
void initialize_with(const std::vector<std::string>& flags) {
  std::vector<std::string> args = {"eddy-bench"};
  args.insert(args.end(), flags.begin(), flags.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int argc = static_cast<int>(args.size());
  benchmark::Initialize(&argc, argv.data());
}

std::vector<std::string> flags(bool list_tests) {
  std::ostringstream min_time;
  min_time << g_min_time_s;
  return {"--benchmark_min_time=" + min_time.str(), "--benchmark_repetitions=1",
          std::string("--benchmark_list_tests=") + (list_tests ? "true" : "false")};
}

// A reporter that reports nothing: listing writes to its output stream.
class SilentReporter : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>&) override {}
};

// Google Benchmark matches instance names with a POSIX extended regex.
std::string exact_regex(const std::string& name) {
  std::string re = "^";
  for (char c : name) {
    if (std::string_view(".[]{}()\\*+?^$|").find(c) != std::string_view::npos) re += '\\';
    re += c;
  }
  return re + "$";
}

}  // namespace

void init_google_benchmark(double min_time_s) {
  g_min_time_s = min_time_s;
  initialize_with(flags(false));
}

std::vector<std::string> list_benchmark_names() {
  // --benchmark_list_tests makes RunSpecifiedBenchmarks print the names of
  // the matching instances to the reporter's stream instead of running them.
  initialize_with(flags(true));
  std::ostringstream out;
  SilentReporter reporter;
  reporter.SetOutputStream(&out);
  benchmark::RunSpecifiedBenchmarks(&reporter, ".");
  initialize_with(flags(false));
  std::vector<std::string> names;
  std::istringstream in(out.str());
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) names.push_back(line);
  }
  return names;
}

bool run_benchmark(const std::string& name, benchmark::BenchmarkReporter* reporter) {
  return benchmark::RunSpecifiedBenchmarks(reporter, exact_regex(name)) > 0;
}

}  // namespace eddy::bench_tool
