// echo_rows.h -- the echo results summarized for the table and the JSON
// file: per run, the median and spread over its rounds of the throughput,
// the p50 and p99 round trip and the server's CPU time per message (user,
// system, total), and its ratios to the best raw C server (ref_epoll,
// ref_uv, ref_event) of the same size and connection count:
//   throughput_vs_c  its messages/s over the highest raw C messages/s
//                    (1.00 = as fast as the best C server; lower is slower);
//   cpu_vs_c         its CPU per message over the lowest raw C CPU per
//                    message (1.00 = as frugal; higher costs more).
//
// Thread-safety: pure functions.
#ifndef EDDY_TOOLS_EDDY_BENCH_ECHO_ROWS_H_
#define EDDY_TOOLS_EDDY_BENCH_ECHO_ROWS_H_

#include <map>
#include <string>
#include <vector>

#include "echo_catalog.h"
#include "echo_runner.h"
#include "stats.h"

namespace eddy::bench_tool {

struct EchoRow {
  EchoInstance instance;
  const EchoResult* result = nullptr;  // null: never ran
  Summary msgs_per_s;
  Summary p50_us;
  Summary p99_us;
  Summary cpu_user_us;  // server CPU per message
  Summary cpu_sys_us;
  Summary cpu_total_us;
  Summary server_util;         // fraction of the server's CPU it used
  Summary client_util;         // the same for the load generator
  double throughput_vs_c = 0;  // 0: no raw C figure in its group
  double cpu_vs_c = 0;
  std::string fastest_c;  // the raw C server with the best throughput
  std::string leanest_c;  // the raw C server with the least CPU per message
  bool error() const { return result && result->error_rounds > 0; }
  bool skipped() const { return result && result->skipped; }
};

// Rows in plan order.
std::vector<EchoRow> build_echo_rows(const std::vector<EchoInstance>& plan,
                                     const std::map<std::string, EchoResult>& results);

}  // namespace eddy::bench_tool

#endif  // EDDY_TOOLS_EDDY_BENCH_ECHO_ROWS_H_
