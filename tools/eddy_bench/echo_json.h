// echo_json.h -- the TCP echo part of the --json file: the echo settings
// and, per run, its summaries (median, min, max of throughput, latencies
// and server CPU per message), its ratios to the best raw C server, every
// round's full figures, and its errors.
//
// Thread-safety: call from one thread.
#ifndef EDDY_TOOLS_EDDY_BENCH_ECHO_JSON_H_
#define EDDY_TOOLS_EDDY_BENCH_ECHO_JSON_H_

#include <vector>

#include "echo_catalog.h"
#include "echo_rows.h"
#include "options.h"
#include "run_json.h"

namespace eddy::bench_tool {

// The member "echo": {"settings": {...}, "results": [...]}.
Json echo_json(const std::vector<EchoRow>& rows, const Options& o, const EchoPrograms& programs);

}  // namespace eddy::bench_tool

#endif  // EDDY_TOOLS_EDDY_BENCH_ECHO_JSON_H_
