// run_json.h -- eddy-bench's JSON documents, held as nlohmann::ordered_json:
// the --json file it writes (json_out.h), the earlier runs --compare and
// --from read back, and the load generator's result line (echo_runner.h).
//
// ordered_json keeps an object's members in the order they were added or
// read, so the --json file lists them in a fixed, readable order, and the
// load generator's syscall counts keep their largest-first order.
//
// Reading is lenient by design: a run written by an older eddy-bench, or a
// row without a median (an error row), lacks members. The *_at accessors
// take a JSON pointer ("/echo/results", "/msgs_per_s/median") and give a
// fallback instead of throwing when a member is absent or of another type,
// so a file of the wrong shape reads as a run with no rows, never a crash.
// Writing: the file is the document dumped with two-space indentation; a
// number that is not finite is written as null (nlohmann's rule too).
//
// Thread-safety: pure functions; a Json is a plain value.
#ifndef EDDY_TOOLS_EDDY_BENCH_RUN_JSON_H_
#define EDDY_TOOLS_EDDY_BENCH_RUN_JSON_H_

#include <cmath>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"

namespace eddy::bench_tool {

using Json = nlohmann::ordered_json;

// Parses one JSON value; the error says where ("line L, column C: ...").
absl::StatusOr<Json> parse_json(std::string_view text);

// Reads an eddy-bench --json file: it must parse and be an object with
// "tool": "eddy-bench". The error names the file.
absl::StatusOr<Json> read_run_file(const std::string& path);

// The document as the --json file has it: indented two spaces, ending in a
// newline; bytes that are not UTF-8 (a server's stderr cut mid-character)
// become U+FFFD instead of failing the dump.
std::string dump_json(const Json& j);

// `v`, or null when it is not finite or not > 0 (a ratio or rate that could
// not be computed).
Json number_or_null(double v);
Json positive_or_null(double v);

// The value at `pointer` in `j`, or null when there is none.
const Json& json_at(const Json& j, const std::string& pointer);
// The number at `pointer`, or `fallback` when absent or not a number.
double number_at(const Json& j, const std::string& pointer, double fallback = std::nan(""));
// The string at `pointer`, or "" when absent or not a string.
std::string string_at(const Json& j, const std::string& pointer);
// The boolean at `pointer`, or `fallback`.
bool bool_at(const Json& j, const std::string& pointer, bool fallback = false);
// The array at `pointer`, or an empty array.
const Json& array_at(const Json& j, const std::string& pointer);
// The object at `pointer`, or an empty object.
const Json& object_at(const Json& j, const std::string& pointer);

}  // namespace eddy::bench_tool

#endif  // EDDY_TOOLS_EDDY_BENCH_RUN_JSON_H_
