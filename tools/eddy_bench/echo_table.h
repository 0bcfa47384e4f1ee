// echo_table.h -- the TCP echo table eddy-bench prints after the micro
// one: a block per message size and connection count, a line per server,
// with the throughput (median ±spread over the rounds), the p50 and p99
// round trip, the server's CPU time per message (user, system, total) and
// the ratios to the best raw C server (echo_rows.h).
//
// Thread-safety: writes to the given stream; call from one thread.
#ifndef EDDY_TOOLS_EDDY_BENCH_ECHO_TABLE_H_
#define EDDY_TOOLS_EDDY_BENCH_ECHO_TABLE_H_

#include <cstdio>
#include <string>
#include <vector>

#include "echo_rows.h"
#include "options.h"

namespace eddy::bench_tool {

void print_echo_table(std::FILE* out, const std::vector<EchoRow>& rows, const Options& options);

// "212 k", "1.23 M", "950": 3 significant digits.
std::string rate_text(double per_second);

}  // namespace eddy::bench_tool

#endif  // EDDY_TOOLS_EDDY_BENCH_ECHO_TABLE_H_
