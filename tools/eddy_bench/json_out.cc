// json_out.cc -- lays out the --json file.
#include "json_out.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "absl/strings/str_split.h"
#include "catalog.h"
#include "echo_json.h"

namespace eddy::bench_tool {
namespace {

bool ran(const std::vector<std::string>& columns, const std::string& name) {
  return std::find(columns.begin(), columns.end(), name) != columns.end();
}

Json setup_json(const Setup& s, const CpuContext& cpu) {
  Json j;
  j["date_utc"] = s.date_utc;
  j["cpu_model"] = s.cpu_model;
  j["cores"] = s.cores;
  j["cpu_mhz"] = cpu.mhz;
  j["cpu_scaling"] = cpu.scaling;
  j["load_avg"] = s.load_avg;  // at the start
  j["load_avg_end"] = s.load_avg_end;
  j["kernel"] = s.kernel;
  j["compiler"] = s.compiler;
  j["build_type"] = s.build_type;
  j["eddy"] = s.eddy_version;
  Json libraries = Json::object();
  for (const auto& [name, version] : s.libraries) libraries[name] = version;
  j["libraries"] = std::move(libraries);
  j["probes"] = probes_json(s.probes);
  return j;
}

Json options_json(const Options& o, const std::vector<std::string>& columns) {
  Json j;
  j["columns"] = columns;
  j["workloads"] = o.workloads.empty() ? "(quick suite)" : o.workloads;
  j["repetitions"] = o.repetitions;
  j["min_time_s"] = o.min_time_s;
  return j;
}

Json backends_json(const Setup& s, const std::vector<std::string>& columns) {
  Json list = Json::array();
  for (const BackendInfo& b : s.backends) {
    Json j;
    j["name"] = b.name;
    j["available"] = b.available;
    j["ran"] = ran(columns, b.name);
    j["version"] = b.version;
    j["abi_version"] = abi_string(b.abi_version);
    std::vector<std::string> caps =
        absl::StrSplit(capability_names(b.capabilities), ',', absl::SkipEmpty());
    j["capabilities"] = caps;
    j["priority"] = b.priority;
    j["description"] = b.description;
    j["path"] = b.path;
    if (!b.available) j["reason"] = b.reason;
    list.push_back(std::move(j));
  }
  for (const std::string& raw : raw_twin_names()) {
    Json j;
    j["name"] = raw;
    j["available"] = true;
    j["ran"] = ran(columns, raw);
    j["description"] = "the same work written against the library alone";
    list.push_back(std::move(j));
  }
  return list;
}

Json skipped_json(const std::vector<Skipped>& skipped) {
  Json list = Json::array();
  for (const Skipped& k : skipped) list.push_back({{"name", k.name}, {"reason", k.reason}});
  return list;
}

Json cell_json(const Row& row, const std::string& backend, const Cell& cell) {
  Json j;
  j["name"] = cell.instance.name;
  j["workload"] = row.workload;
  j["label"] = row.label;
  j["per"] = row.per;
  j["backend"] = backend;
  j["time_basis"] = row.real_time ? "wall" : "cpu";
  if (cell.time_ns.count > 0) {
    j["median_ns"] = number_or_null(cell.time_ns.median);
    j["min_ns"] = number_or_null(cell.time_ns.min);
    j["max_ns"] = number_or_null(cell.time_ns.max);
    j["ratio_to_best"] = number_or_null(cell.ratio_to_best);
    j["best"] = cell.best;
  }
  Json rounds = Json::array();
  if (cell.result) {
    for (const Measurement& m : cell.result->rounds) {
      Json round;
      round["per_op_ns"] = number_or_null(m.per_op_ns);
      round["iterations"] = m.iterations;
      for (const auto& [name, v] : m.counters) round[name] = number_or_null(v);
      rounds.push_back(std::move(round));
    }
  }
  j["rounds"] = std::move(rounds);
  if (cell.result && !cell.result->error.empty()) j["error"] = cell.result->error;
  return j;
}

}  // namespace

Json run_document(const RunFacts& f) {
  Json j;
  j["tool"] = "eddy-bench";
  j["setup"] = setup_json(*f.setup, *f.cpu);
  j["options"] = options_json(*f.options, *f.columns);
  j["backends"] = backends_json(*f.setup, *f.columns);
  j["skipped"] = skipped_json(*f.skipped);
  Json results = Json::array();
  for (const Row& row : *f.rows) {
    for (const std::string& c : *f.columns) {
      if (auto it = row.cells.find(c); it != row.cells.end()) {
        results.push_back(cell_json(row, c, it->second));
      }
    }
  }
  j["results"] = std::move(results);
  if (f.echo_rows != nullptr && !f.echo_rows->empty() && f.echo_programs != nullptr) {
    j["echo"] = echo_json(*f.echo_rows, *f.options, *f.echo_programs);
  }
  j["duration_s"] = f.duration_s;
  return j;
}

bool write_json(const std::string& path, const RunFacts& f, std::string* error) {
  std::ofstream out(path);
  if (!out) {
    *error = "cannot write " + path + ": " + std::strerror(errno);
    return false;
  }
  out << dump_json(run_document(f));
  out.close();
  if (!out) {
    *error = "error writing " + path;
    return false;
  }
  return true;
}

}  // namespace eddy::bench_tool
