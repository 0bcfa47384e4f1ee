// echo_json.cc -- lays out the "echo" member of the --json file.
#include "echo_json.h"

#include <cmath>
#include <string>

#include "malloc_condition.h"

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
  MallocCondition malloc;
  malloc_condition(o.malloc_mode, &malloc);
  w.key("malloc");
  w.begin_object();
  w.key("mode"), w.value(malloc.mode);
  w.key("glibc_version"), w.value(malloc.glibc_version);
  w.key("glibc_tunables"), w.value(malloc.glibc_tunables);
  w.end_object();
  w.key("cross_check"), w.value(o.cross_check);
  w.key("cross_check_engine"), w.value(o.cross_check == "off" ? "" : "uring");
  w.key("tolerance_pct"), w.value(o.tolerance_pct);
  w.key("syscalls"), w.value(o.syscalls);
  w.end_object();
}

void write_rounds(JsonWriter& w, const EchoResult* r) {
  w.key("rounds");
  w.begin_array();
  if (r) {
    for (const EchoRound& round : r->rounds) {
      w.begin_object();
      for (const auto& [k, v] : round.values) w.key(k), w.value(v);
      w.end_object();
    }
  }
  w.end_array();
}

void write_cross_check(JsonWriter& w, const EchoRow& r) {
  w.key("cross_check");
  if (r.cross == nullptr) {
    w.value(std::nan(""));  // null
    return;
  }
  w.begin_object();
  w.key("engine"), w.value("uring");
  w.key("uring_setup"), w.value(r.cross->uring_setup);
  write_summary(w, "msgs_per_s", r.cross_msgs_per_s);
  write_summary(w, "cpu_total_us_per_msg", r.cross_cpu_total_us);
  w.key("ratio"), w.value(r.cross_ratio > 0 ? r.cross_ratio : std::nan(""));
  w.key("agrees"), w.value(r.cross_ratio > 0 && !r.disagrees);
  write_rounds(w, r.cross);
  w.key("error_rounds"), w.value(r.cross->error_rounds);
  if (r.cross->error_rounds > 0) w.key("error"), w.value(r.cross->error);
  w.end_object();
}

void write_syscalls(JsonWriter& w, const EchoRow& r) {
  w.key("syscalls");
  if (r.counted == nullptr) {
    w.value(std::nan(""));  // null
    return;
  }
  w.begin_object();
  w.key("per_msg"), w.value(r.syscalls_per_msg > 0 ? r.syscalls_per_msg : std::nan(""));
  w.key("by_name_per_msg");
  w.begin_object();
  for (const auto& [name, per_msg] : r.syscalls_by_name) w.key(name), w.value(per_msg);
  w.end_object();
  const EchoRound* round = r.counted->rounds.empty() ? nullptr : &r.counted->rounds.front();
  w.key("messages"), w.value(round ? round->get("messages") : std::nan(""));
  w.key("counts");
  w.begin_object();
  if (round) {
    for (const auto& [name, n] : round->syscalls) w.key(name), w.value(n);
  }
  w.end_object();
  w.key("note"), w.value(r.syscalls_note);
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
  write_rounds(w, r.result);
  write_cross_check(w, r);
  write_syscalls(w, r);
  w.key("error_rounds"), w.value(r.result ? r.result->error_rounds : 0);
  w.key("echo_errors"), w.value(r.result ? r.result->echo_errors : 0.0);
  w.key("fed_identically"), w.value(r.feed_note.empty());
  w.key("feed_note"), w.value(r.feed_note);
  for (const EchoResult* part : {r.result, r.cross, r.counted}) {
    if (part == nullptr || part->error_rounds == 0) continue;
    w.key("error"), w.value(part->error);  // the first part's that failed
    break;
  }
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
