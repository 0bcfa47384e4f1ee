// echo_json.cc -- lays out the "echo" member of the --json file.
#include "echo_json.h"

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

// {"median", "min", "max"}, or null for a summary of no rounds.
Json summary_json(const Summary& s) {
  if (s.count == 0) return nullptr;
  return {{"median", number_or_null(s.median)},
          {"min", number_or_null(s.min)},
          {"max", number_or_null(s.max)}};
}

Json settings_json(const Options& o, const EchoPrograms& p) {
  MallocCondition malloc;
  malloc_condition(o.malloc_mode, &malloc);
  return {{"sizes", o.sizes},
          {"connections", o.connections},
          {"duration_s", o.duration_s},
          {"warmup_s", o.warmup_s},
          {"server_cpu", o.server_cpu},
          {"load_cpu", o.load_cpu},
          {"programs", p.dir},
          {"python", p.python},
          {"python_version", p.python_version},
          {"uvloop_version", p.uvloop_version},
          {"eddy_modes", p.eddy_modes},
          {"malloc",
           {{"mode", malloc.mode},
            {"glibc_version", malloc.glibc_version},
            {"glibc_tunables", malloc.glibc_tunables}}},
          {"cross_check", o.cross_check},
          {"cross_check_engine", o.cross_check == "off" ? "" : "uring"},
          {"tolerance_pct", o.tolerance_pct},
          {"syscalls", o.syscalls}};
}

// Every round's figures, as the load generator reported them.
Json rounds_json(const EchoResult* r) {
  Json rounds = Json::array();
  if (r == nullptr) return rounds;
  for (const EchoRound& round : r->rounds) {
    Json values = Json::object();
    for (const auto& [k, v] : round.values) values[k] = number_or_null(v);
    rounds.push_back(std::move(values));
  }
  return rounds;
}

Json cross_check_json(const EchoRow& r) {
  if (r.cross == nullptr) return nullptr;
  Json j;
  j["engine"] = "uring";
  j["uring_setup"] = r.cross->uring_setup;
  j["msgs_per_s"] = summary_json(r.cross_msgs_per_s);
  j["cpu_total_us_per_msg"] = summary_json(r.cross_cpu_total_us);
  j["ratio"] = positive_or_null(r.cross_ratio);
  j["agrees"] = r.cross_ratio > 0 && !r.disagrees;
  j["rounds"] = rounds_json(r.cross);
  j["error_rounds"] = r.cross->error_rounds;
  if (r.cross->error_rounds > 0) j["error"] = r.cross->error;
  return j;
}

Json syscalls_json(const EchoRow& r) {
  if (r.counted == nullptr) return nullptr;
  Json j;
  j["per_msg"] = positive_or_null(r.syscalls_per_msg);
  Json by_name = Json::object();
  for (const auto& [name, per_msg] : r.syscalls_by_name) by_name[name] = number_or_null(per_msg);
  j["by_name_per_msg"] = std::move(by_name);
  const EchoRound* round = r.counted->rounds.empty() ? nullptr : &r.counted->rounds.front();
  j["messages"] = round ? number_or_null(round->get("messages")) : Json();
  Json counts = Json::object();
  if (round) {
    for (const auto& [name, n] : round->syscalls) counts[name] = number_or_null(n);
  }
  j["counts"] = std::move(counts);
  j["note"] = r.syscalls_note;
  return j;
}

Json row_json(const EchoRow& r) {
  const EchoInstance& i = r.instance;
  Json j;
  j["name"] = i.name;
  j["workload"] = i.workload;
  j["server"] = i.server.server;
  j["mode"] = i.server.mode;
  j["kind"] = kind_name(i.server.kind);
  j["label"] = i.server.label;
  j["size"] = i.size;
  j["connections"] = i.connections;
  j["command"] = i.server.command;
  j["skipped"] = r.skipped();
  if (r.skipped()) j["skip_reason"] = r.result->skip_reason;
  j["msgs_per_s"] = summary_json(r.msgs_per_s);
  j["p50_us"] = summary_json(r.p50_us);
  j["p99_us"] = summary_json(r.p99_us);
  j["cpu_user_us_per_msg"] = summary_json(r.cpu_user_us);
  j["cpu_sys_us_per_msg"] = summary_json(r.cpu_sys_us);
  j["cpu_total_us_per_msg"] = summary_json(r.cpu_total_us);
  j["server_util"] = summary_json(r.server_util);
  j["client_util"] = summary_json(r.client_util);
  j["ratio_to_best_raw_c"] = {{"throughput", positive_or_null(r.throughput_vs_c)},
                              {"fastest", r.fastest_c},
                              {"cpu_per_msg", positive_or_null(r.cpu_vs_c)},
                              {"leanest", r.leanest_c}};
  j["rounds"] = rounds_json(r.result);
  j["cross_check"] = cross_check_json(r);
  j["syscalls"] = syscalls_json(r);
  j["error_rounds"] = r.result ? r.result->error_rounds : 0;
  j["echo_errors"] = r.result ? r.result->echo_errors : 0.0;
  j["fed_identically"] = r.feed_note.empty();
  j["feed_note"] = r.feed_note;
  for (const EchoResult* part : {r.result, r.cross, r.counted}) {
    if (part == nullptr || part->error_rounds == 0) continue;
    j["error"] = part->error;  // the first part's that failed
    break;
  }
  return j;
}

}  // namespace

Json echo_json(const std::vector<EchoRow>& rows, const Options& o, const EchoPrograms& programs) {
  Json results = Json::array();
  for (const EchoRow& r : rows) results.push_back(row_json(r));
  Json j;
  j["settings"] = settings_json(o, programs);
  j["results"] = std::move(results);
  return j;
}

}  // namespace eddy::bench_tool
