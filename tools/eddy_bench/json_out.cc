// json_out.cc -- lays out the --json file.
#include "json_out.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "catalog.h"
#include "echo_json.h"
#include "json_writer.h"

namespace eddy::bench_tool {
namespace {

void write_setup(JsonWriter& w, const Setup& s, const CpuContext& cpu) {
  w.key("setup");
  w.begin_object();
  w.key("date_utc"), w.value(s.date_utc);
  w.key("cpu_model"), w.value(s.cpu_model);
  w.key("cores"), w.value(s.cores);
  w.key("cpu_mhz"), w.value(cpu.mhz);
  w.key("cpu_scaling"), w.value(cpu.scaling);
  w.key("load_avg"), w.value(s.load_avg);  // at the start
  w.key("load_avg_end"), w.value(s.load_avg_end);
  w.key("kernel"), w.value(s.kernel);
  w.key("compiler"), w.value(s.compiler);
  w.key("build_type"), w.value(s.build_type);
  w.key("eddy"), w.value(s.eddy_version);
  w.key("libraries");
  w.begin_object();
  for (const auto& [name, version] : s.libraries) w.key(name), w.value(version);
  w.end_object();
  write_probes_json(w, s.probes);
  w.end_object();
}

void write_options(JsonWriter& w, const Options& o, const std::vector<std::string>& columns) {
  w.key("options");
  w.begin_object();
  w.key("columns");
  w.begin_array();
  for (const std::string& c : columns) w.value(c);
  w.end_array();
  w.key("workloads"), w.value(o.workloads.empty() ? "(quick suite)" : o.workloads);
  w.key("repetitions"), w.value(o.repetitions);
  w.key("min_time_s"), w.value(o.min_time_s);
  w.end_object();
}

void write_backends(JsonWriter& w, const Setup& s, const std::vector<std::string>& columns,
                    const std::vector<Skipped>& skipped) {
  w.key("backends");
  w.begin_array();
  for (const BackendInfo& b : s.backends) {
    w.begin_object();
    w.key("name"), w.value(b.name);
    w.key("available"), w.value(b.available);
    w.key("ran"), w.value(std::find(columns.begin(), columns.end(), b.name) != columns.end());
    w.key("version"), w.value(b.version);
    w.key("abi_version"), w.value(abi_string(b.abi_version));
    w.key("capabilities");
    w.begin_array();
    std::istringstream caps(capability_names(b.capabilities));
    for (std::string cap; std::getline(caps, cap, ',');) {
      if (!cap.empty()) w.value(cap);
    }
    w.end_array();
    w.key("priority"), w.value(static_cast<int64_t>(b.priority));
    w.key("description"), w.value(b.description);
    w.key("path"), w.value(b.path);
    if (!b.available) w.key("reason"), w.value(b.reason);
    w.end_object();
  }
  for (const std::string& raw : raw_twin_names()) {
    w.begin_object();
    w.key("name"), w.value(raw);
    w.key("available"), w.value(true);
    w.key("ran"), w.value(std::find(columns.begin(), columns.end(), raw) != columns.end());
    w.key("description"), w.value("the same work written against the library alone");
    w.end_object();
  }
  w.end_array();
  w.key("skipped");
  w.begin_array();
  for (const Skipped& k : skipped) {
    w.begin_object();
    w.key("name"), w.value(k.name);
    w.key("reason"), w.value(k.reason);
    w.end_object();
  }
  w.end_array();
}

void write_cell(JsonWriter& w, const Row& row, const std::string& backend, const Cell& cell) {
  w.begin_object();
  w.key("name"), w.value(cell.instance.name);
  w.key("workload"), w.value(row.workload);
  w.key("label"), w.value(row.label);
  w.key("per"), w.value(row.per);
  w.key("backend"), w.value(backend);
  w.key("time_basis"), w.value(row.real_time ? "wall" : "cpu");
  if (cell.time_ns.count > 0) {
    w.key("median_ns"), w.value(cell.time_ns.median);
    w.key("min_ns"), w.value(cell.time_ns.min);
    w.key("max_ns"), w.value(cell.time_ns.max);
    w.key("ratio_to_best"), w.value(cell.ratio_to_best);
    w.key("best"), w.value(cell.best);
  }
  w.key("rounds");
  w.begin_array();
  if (cell.result) {
    for (const Measurement& m : cell.result->rounds) {
      w.begin_object();
      w.key("per_op_ns"), w.value(m.per_op_ns);
      w.key("iterations"), w.value(m.iterations);
      for (const auto& [name, v] : m.counters) w.key(name), w.value(v);
      w.end_object();
    }
  }
  w.end_array();
  if (cell.result && !cell.result->error.empty()) w.key("error"), w.value(cell.result->error);
  w.end_object();
}

}  // namespace

std::string json_text(const RunFacts& f) {
  std::ostringstream out;
  JsonWriter w(out);
  w.begin_object();
  w.key("tool"), w.value("eddy-bench");
  write_setup(w, *f.setup, *f.cpu);
  write_options(w, *f.options, *f.columns);
  write_backends(w, *f.setup, *f.columns, *f.skipped);
  w.key("results");
  w.begin_array();
  for (const Row& row : *f.rows) {
    for (const std::string& c : *f.columns) {
      if (auto it = row.cells.find(c); it != row.cells.end()) write_cell(w, row, c, it->second);
    }
  }
  w.end_array();
  if (f.echo_rows != nullptr && !f.echo_rows->empty() && f.echo_programs != nullptr) {
    write_echo_json(w, *f.echo_rows, *f.options, *f.echo_programs);
  }
  w.key("duration_s"), w.value(f.duration_s);
  w.end_object();
  return out.str();
}

bool write_json(const std::string& path, const RunFacts& f, std::string* error) {
  std::ofstream out(path);
  if (!out) {
    *error = "cannot write " + path + ": " + std::strerror(errno);
    return false;
  }
  out << json_text(f);
  out.close();
  if (!out) {
    *error = "error writing " + path;
    return false;
  }
  return true;
}

}  // namespace eddy::bench_tool
