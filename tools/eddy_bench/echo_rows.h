// echo_rows.h -- the echo results summarized for the table and the JSON
// file: per run, the median and spread over its rounds of the throughput,
// the p50 and p99 round trip and the server's CPU time per message (user,
// system, total), and its ratios to the best raw C server (ref_epoll,
// ref_uv, ref_event) of the same size and connection count:
//   throughput_vs_c  its messages/s over the highest raw C messages/s
//                    (1.00 = as fast as the best C server; lower is slower);
//   cpu_vs_c         its CPU per message over the lowest raw C CPU per
//                    message (1.00 = as frugal; higher costs more).
// and what explains and checks those figures:
//   cross_ratio      its CPU per message under eddy-echo-load's epoll
//                    engine over the same under the io_uring engine: two
//                    structurally different load generators should see the
//                    same server cost (1.00); beyond the tolerance either
//                    way the row disagrees, and its figures are not to be
//                    trusted until the reason is found;
//   syscalls         the counting round's system calls per message, by name;
//   feed_note        what differed, if the server was not fed as the others
//                    (TCP_NODELAY missing on a socket of either end).
//
// Thread-safety: pure functions.
#ifndef EDDY_TOOLS_EDDY_BENCH_ECHO_ROWS_H_
#define EDDY_TOOLS_EDDY_BENCH_ECHO_ROWS_H_

#include <map>
#include <string>
#include <utility>
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

  const EchoResult* cross = nullptr;  // null: no cross-check
  Summary cross_msgs_per_s;
  Summary cross_cpu_total_us;
  double cross_ratio = 0;  // 0: nothing to compare
  bool disagrees = false;

  const EchoResult* counted = nullptr;  // null: no counting round
  double syscalls_per_msg = 0;          // 0: not counted
  std::vector<std::pair<std::string, double>> syscalls_by_name;  // per message
  std::string syscalls_note;  // why there is no count, when there is none

  // Whether the server was fed as every other: TCP_NODELAY on each of the
  // load generator's sockets and on each of the server's (counted by
  // eddy-echo-load through pidfd_getfd), in every round of both engines.
  // Empty when it was; otherwise what differed. (Message boundaries are
  // the load generator's alone: one whole message per write, the next
  // only after the whole echo, the same for every server.)
  std::string feed_note;

  bool error() const {
    for (const EchoResult* r : {result, cross, counted}) {
      if (r && r->error_rounds > 0) return true;
    }
    return false;
  }
  bool skipped() const { return result && result->skipped; }
};

// Rows in plan order. `tolerance_pct`: how far cross_ratio may be from 1
// (either way, as a ratio) before the row disagrees.
std::vector<EchoRow> build_echo_rows(const std::vector<EchoInstance>& plan,
                                     const EchoResults& results, double tolerance_pct);

// Whether two CPU-per-message figures agree within tolerance_pct: their
// larger over their smaller is at most 1 + tolerance_pct / 100.
bool within_tolerance(double a, double b, double tolerance_pct);

}  // namespace eddy::bench_tool

#endif  // EDDY_TOOLS_EDDY_BENCH_ECHO_ROWS_H_
