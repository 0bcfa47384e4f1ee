// json_out.h -- the --json file: the set-up, the options, every backend
// found (with version, ABI and capabilities), what was skipped and why, and
// every result with its rounds, median, min and max; the TCP echo runs in
// their own member, "echo" (echo_json.h). Meant for scripts and for
// comparing runs later (--compare reads it back). The document is an
// nlohmann::ordered_json (run_json.h), so members keep this order.
//
// Thread-safety: call from one thread.
#ifndef EDDY_TOOLS_EDDY_BENCH_JSON_OUT_H_
#define EDDY_TOOLS_EDDY_BENCH_JSON_OUT_H_

#include <string>
#include <vector>

#include "collector.h"
#include "echo_catalog.h"
#include "echo_rows.h"
#include "options.h"
#include "rows.h"
#include "run_json.h"
#include "setup.h"
#include "table.h"

namespace eddy::bench_tool {

struct RunFacts {
  const Setup* setup;
  const CpuContext* cpu;
  const Options* options;
  const std::vector<std::string>* columns;
  const std::vector<Skipped>* skipped;
  const std::vector<Row>* rows;
  double duration_s;
  const std::vector<EchoRow>* echo_rows = nullptr;  // null or empty: no "echo"
  const EchoPrograms* echo_programs = nullptr;
};

// The JSON document of a run: what the file holds, and what --compare and
// --plot read when they report on this run.
Json run_document(const RunFacts& facts);

// Writes the file; false with a message in *error if it cannot.
bool write_json(const std::string& path, const RunFacts& facts, std::string* error);

}  // namespace eddy::bench_tool

#endif  // EDDY_TOOLS_EDDY_BENCH_JSON_OUT_H_
