// echo_json.cc -- lays out the "echo" member of the --json file.
#include "echo_json.h"

#include <cmath>
#include <string>

namespace eddy::bench_tool {
namespace {

const char* kind_name(EchoKind k) {
  switch (k) {
    case EchoKind::kEddy:
      return "eddy";
    case EchoKind::kRawC:
      return "raw_c";
    case EchoKind::kReference:
      return "reference";
  }
  return "?";
}

void write_summary(JsonWriter& w, const char* key, const Summary& s) {
  w.key(key);
  if (s.count == 0) {
    w.value(std::nan(""));  // null
    return;
  }
  w.begin_object();
  w.key("median"), w.value(s.median);
  w.key("min"), w.value(s.min);
  w.key("max"), w.value(s.max);
  w.end_object();
}

void write_settings(JsonWriter& w, const Options& o, const EchoPrograms& p) {
  w.key("settings");
  w.begin_object();
  w.key("sizes");
  w.begin_array();
  for (int s : o.sizes) w.value(s);
  w.end_array();
  w.key("connections");
  w.begin_array();
  for (int c : o.connections) w.value(c);
  w.end_array();
  w.key("duration_s"), w.value(o.duration_s);
  w.key("warmup_s"), w.value(o.warmup_s);
  w.key("server_cpu"), w.value(o.server_cpu);
  w.key("load_cpu"), w.value(o.load_cpu);
  w.key("programs"), w.value(p.dir);
  w.key("python"), w.value(p.python);
  w.key("python_version"), w.value(p.python_version);
  w.key("uvloop_version"), w.value(p.uvloop_version);
  w.key("eddy_modes");
  w.begin_array();
  for (const std::string& m : p.eddy_modes) w.value(m);
  w.end_array();
  w.end_object();
}

void write_row(JsonWriter& w, const EchoRow& r) {
  const EchoInstance& i = r.instance;
  w.begin_object();
  w.key("name"), w.value(i.name);
  w.key("workload"), w.value(i.workload);
  w.key("server"), w.value(i.server.server);
  w.key("mode"), w.value(i.server.mode);
  w.key("kind"), w.value(kind_name(i.server.kind));
  w.key("label"), w.value(i.server.label);
  w.key("size"), w.value(i.size);
  w.key("connections"), w.value(i.connections);
  w.key("command");
  w.begin_array();
  for (const std::string& a : i.server.command) w.value(a);
  w.end_array();
  w.key("skipped"), w.value(r.skipped());
  if (r.skipped()) w.key("skip_reason"), w.value(r.result->skip_reason);
  write_summary(w, "msgs_per_s", r.msgs_per_s);
  write_summary(w, "p50_us", r.p50_us);
  write_summary(w, "p99_us", r.p99_us);
  write_summary(w, "cpu_user_us_per_msg", r.cpu_user_us);
  write_summary(w, "cpu_sys_us_per_msg", r.cpu_sys_us);
  write_summary(w, "cpu_total_us_per_msg", r.cpu_total_us);
  write_summary(w, "server_util", r.server_util);
  write_summary(w, "client_util", r.client_util);
  w.key("ratio_to_best_raw_c");
  w.begin_object();
  w.key("throughput"), w.value(r.throughput_vs_c > 0 ? r.throughput_vs_c : std::nan(""));
  w.key("fastest"), w.value(r.fastest_c);
  w.key("cpu_per_msg"), w.value(r.cpu_vs_c > 0 ? r.cpu_vs_c : std::nan(""));
  w.key("leanest"), w.value(r.leanest_c);
  w.end_object();
  w.key("rounds");
  w.begin_array();
  if (r.result) {
    for (const EchoRound& round : r.result->rounds) {
      w.begin_object();
      for (const auto& [k, v] : round.values) w.key(k), w.value(v);
      w.end_object();
    }
  }
  w.end_array();
  w.key("error_rounds"), w.value(r.result ? r.result->error_rounds : 0);
  w.key("echo_errors"), w.value(r.result ? r.result->echo_errors : 0.0);
  if (r.error()) w.key("error"), w.value(r.result->error);
  w.end_object();
}

}  // namespace

void write_echo_json(JsonWriter& w, const std::vector<EchoRow>& rows, const Options& o,
                     const EchoPrograms& programs) {
  w.key("echo");
  w.begin_object();
  write_settings(w, o, programs);
  w.key("results");
  w.begin_array();
  for (const EchoRow& r : rows) write_row(w, r);
  w.end_array();
  w.end_object();
}

}  // namespace eddy::bench_tool
