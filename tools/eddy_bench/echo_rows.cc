// echo_rows.cc -- medians over rounds and ratios to the raw C servers.
#include "echo_rows.h"

#include <cmath>
#include <cstdio>

namespace eddy::bench_tool {
namespace {

Summary over_rounds(const EchoResult& r, const char* key) {
  std::vector<double> values;
  for (const EchoRound& round : r.rounds) {
    double v = round.get(key);
    if (std::isfinite(v)) values.push_back(v);
  }
  return summarize(values);
}

bool same_group(const EchoInstance& a, const EchoInstance& b) {
  return a.size == b.size && a.connections == b.connections;
}

const EchoResult* find(const std::map<std::string, EchoResult>& m, const std::string& name) {
  auto it = m.find(name);
  return it == m.end() ? nullptr : &it->second;
}

void add_cross_check(const EchoResult& r, double tolerance_pct, EchoRow* row) {
  row->cross = &r;
  row->cross_msgs_per_s = over_rounds(r, "msgs_per_s");
  row->cross_cpu_total_us = over_rounds(r, "cpu_total_us_per_msg");
  if (row->cpu_total_us.count == 0 || row->cross_cpu_total_us.count == 0) return;
  double a = row->cpu_total_us.median, b = row->cross_cpu_total_us.median;
  if (a <= 0 || b <= 0) return;
  row->cross_ratio = a / b;
  row->disagrees = !within_tolerance(a, b, tolerance_pct);
}

void add_syscalls(const EchoResult& r, EchoRow* row) {
  row->counted = &r;
  if (r.rounds.empty()) {
    row->syscalls_note = r.error.empty() ? "no counting round" : r.error;
    return;
  }
  const EchoRound& round = r.rounds.front();
  double messages = round.get("messages");
  if (!round.syscalls_error.empty()) {
    row->syscalls_note = round.syscalls_error;
    return;
  }
  if (!(messages > 0)) {
    row->syscalls_note = "no message in the counting window";
    return;
  }
  for (const auto& [name, n] : round.syscalls) {
    row->syscalls_by_name.emplace_back(name, n / messages);
    row->syscalls_per_msg += n / messages;
  }
}

// The first difference in how the server was fed, over every round of r.
std::string feed_difference(const EchoResult& r, int connections) {
  for (const EchoRound& round : r.rounds) {
    if (round.get("client_nodelay") == 0) return "TCP_NODELAY off on a load generator socket";
    double total = round.get("server_tcp_connections");
    double nodelay = round.get("server_nodelay_connections");
    if (!std::isfinite(total) || !std::isfinite(nodelay)) continue;  // could not look
    if (nodelay < total) {
      char text[128];
      std::snprintf(text, sizeof text, "TCP_NODELAY on %.0f of the server's %.0f sockets",
                    nodelay, total);
      return text;
    }
    if (total < connections) {
      char text[128];
      std::snprintf(text, sizeof text, "the server held %.0f of %d connections", total,
                    connections);
      return text;
    }
  }
  return "";
}

}  // namespace

bool within_tolerance(double a, double b, double tolerance_pct) {
  if (!(a > 0) || !(b > 0)) return false;
  double ratio = a > b ? a / b : b / a;
  return ratio <= 1 + tolerance_pct / 100;
}

std::vector<EchoRow> build_echo_rows(const std::vector<EchoInstance>& plan,
                                     const EchoResults& results, double tolerance_pct) {
  std::vector<EchoRow> rows;
  for (const EchoInstance& i : plan) {
    EchoRow row;
    row.instance = i;
    if (const EchoResult* timed = find(results.timed, i.name)) {
      const EchoResult& r = *timed;
      row.result = &r;
      row.msgs_per_s = over_rounds(r, "msgs_per_s");
      row.p50_us = over_rounds(r, "lat_p50_us");
      row.p99_us = over_rounds(r, "lat_p99_us");
      row.cpu_user_us = over_rounds(r, "cpu_user_us_per_msg");
      row.cpu_sys_us = over_rounds(r, "cpu_sys_us_per_msg");
      row.cpu_total_us = over_rounds(r, "cpu_total_us_per_msg");
      row.server_util = over_rounds(r, "server_util");
      row.client_util = over_rounds(r, "client_util");
    }
    if (const EchoResult* cross = find(results.cross, i.name)) {
      add_cross_check(*cross, tolerance_pct, &row);
    }
    if (const EchoResult* counted = find(results.counted, i.name)) add_syscalls(*counted, &row);
    for (const EchoResult* r : {row.result, row.cross}) {
      if (r && row.feed_note.empty()) row.feed_note = feed_difference(*r, i.connections);
    }
    rows.push_back(row);
  }
  for (EchoRow& row : rows) {
    double best_rate = 0, least_cpu = 0;
    for (const EchoRow& c : rows) {
      if (c.instance.server.kind != EchoKind::kRawC || !same_group(c.instance, row.instance))
        continue;
      if (c.msgs_per_s.count > 0 && c.msgs_per_s.median > best_rate) {
        best_rate = c.msgs_per_s.median;
        row.fastest_c = c.instance.server.server;
      }
      if (c.cpu_total_us.count > 0 && (least_cpu == 0 || c.cpu_total_us.median < least_cpu)) {
        least_cpu = c.cpu_total_us.median;
        row.leanest_c = c.instance.server.server;
      }
    }
    if (best_rate > 0 && row.msgs_per_s.count > 0)
      row.throughput_vs_c = row.msgs_per_s.median / best_rate;
    if (least_cpu > 0 && row.cpu_total_us.count > 0)
      row.cpu_vs_c = row.cpu_total_us.median / least_cpu;
  }
  return rows;
}

}  // namespace eddy::bench_tool
