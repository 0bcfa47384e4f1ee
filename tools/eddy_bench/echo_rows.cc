// echo_rows.cc -- medians over rounds and ratios to the raw C servers.
#include "echo_rows.h"

#include <cmath>

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

}  // namespace

std::vector<EchoRow> build_echo_rows(const std::vector<EchoInstance>& plan,
                                     const std::map<std::string, EchoResult>& results) {
  std::vector<EchoRow> rows;
  for (const EchoInstance& i : plan) {
    EchoRow row;
    row.instance = i;
    if (auto it = results.find(i.name); it != results.end()) {
      const EchoResult& r = it->second;
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
