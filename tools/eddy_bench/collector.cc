// collector.cc -- turns Google Benchmark's runs into eddy-bench's
// measurements: time per operation, plus the benchmark's own counters.
#include "collector.h"

namespace eddy::bench_tool {

bool Collector::ReportContext(const Context& context) {
  if (!cpu_.known) {  // the first context is the one before any load we add
    const benchmark::CPUInfo& c = context.cpu_info;
    cpu_.known = true;
    cpu_.num_cpus = c.num_cpus;
    cpu_.mhz = c.cycles_per_second / 1e6;
    cpu_.scaling = c.scaling == benchmark::CPUInfo::ENABLED    ? "enabled"
                   : c.scaling == benchmark::CPUInfo::DISABLED ? "disabled"
                                                               : "unknown";
    cpu_.load_avg = c.load_avg;
  }
  return true;
}

void Collector::ReportRuns(const std::vector<Run>& runs) {
  for (const Run& run : runs) {
    if (run.run_type != Run::RT_Iteration) continue;  // eddy-bench aggregates itself
    InstanceResult& r = results_[run.benchmark_name()];
    r.name = run.benchmark_name();
    r.real_time = run.run_name.time_type == "real_time" || run.run_name.time_type == "manual_time";
    if (run.error_occurred) {
      r.error = run.error_message;
      continue;
    }
    Measurement m;
    m.iterations = static_cast<int64_t>(run.iterations);
    double seconds = r.real_time ? run.real_accumulated_time : run.cpu_accumulated_time;
    double per_iteration_ns =
        run.iterations > 0 ? seconds * 1e9 / static_cast<double>(run.iterations) : 0;
    m.per_op_ns = per_iteration_ns;
    for (const auto& [name, counter] : run.counters) {
      if (name == "items_per_second") {
        // Already a rate over the same clock (CPU, or wall for real_time).
        if (counter.value > 0) m.per_op_ns = 1e9 / counter.value;
      } else {
        m.counters[name] = counter.value;
      }
    }
    r.rounds.push_back(m);
  }
}

}  // namespace eddy::bench_tool
