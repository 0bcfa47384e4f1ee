// collector.h -- the Google Benchmark reporter of eddy-bench: it prints
// nothing and keeps every run, keyed by instance name, for the table and
// the JSON file. It also keeps what Google Benchmark knows about the CPU
// (frequency, scaling governor) for the set-up.
//
// Thread-safety: used by the benchmark-running (main) thread only.
#ifndef EDDY_TOOLS_EDDY_BENCH_COLLECTOR_H_
#define EDDY_TOOLS_EDDY_BENCH_COLLECTOR_H_

#include <benchmark/benchmark.h>

#include <map>
#include <string>
#include <vector>

#include "results.h"

namespace eddy::bench_tool {

struct CpuContext {
  bool known = false;
  int num_cpus = 0;
  double mhz = 0;
  std::string scaling;  // "enabled", "disabled" or "unknown"
  std::vector<double> load_avg;
};

class Collector : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context& context) override;
  void ReportRuns(const std::vector<Run>& runs) override;

  const std::map<std::string, InstanceResult>& results() const { return results_; }
  const CpuContext& cpu() const { return cpu_; }

 private:
  std::map<std::string, InstanceResult> results_;
  CpuContext cpu_;
};

}  // namespace eddy::bench_tool

#endif  // EDDY_TOOLS_EDDY_BENCH_COLLECTOR_H_
