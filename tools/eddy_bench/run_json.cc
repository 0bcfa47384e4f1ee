// run_json.cc -- parsing with positioned errors, the --json file's dump,
// and the lenient accessors.
#include "run_json.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"

namespace eddy::bench_tool {
namespace {

const Json& null_json() {
  static const Json kNull;
  return kNull;
}

// nlohmann's message without its "[json.exception.parse_error.101] " tag:
// "parse error at line 2, column 6: syntax error ...".
std::string without_tag(const char* what) {
  std::string s = what;
  if (size_t end = s.find("] "); s.rfind("[json.exception.", 0) == 0 && end != std::string::npos) {
    s.erase(0, end + 2);
  }
  return s;
}

}  // namespace

absl::StatusOr<Json> parse_json(std::string_view text) {
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    return absl::InvalidArgumentError(without_tag(e.what()));
  }
}

absl::StatusOr<Json> read_run_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError("cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  absl::StatusOr<Json> run = parse_json(text.str());
  if (!run.ok()) {
    return absl::InvalidArgumentError(path + ": " + std::string(run.status().message()));
  }
  if (!run->is_object() || string_at(*run, "/tool") != "eddy-bench") {
    return absl::InvalidArgumentError(path +
                                      " is not an eddy-bench --json file "
                                      "(it has no \"tool\": \"eddy-bench\" member)");
  }
  return run;
}

std::string dump_json(const Json& j) {
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

Json number_or_null(double v) { return std::isfinite(v) ? Json(v) : Json(); }

Json positive_or_null(double v) { return std::isfinite(v) && v > 0 ? Json(v) : Json(); }

const Json& json_at(const Json& j, const std::string& pointer) {
  Json::json_pointer p(pointer);
  return j.contains(p) ? j.at(p) : null_json();
}

double number_at(const Json& j, const std::string& pointer, double fallback) {
  const Json& v = json_at(j, pointer);
  return v.is_number() ? v.get<double>() : fallback;
}

std::string string_at(const Json& j, const std::string& pointer) {
  const Json& v = json_at(j, pointer);
  return v.is_string() ? v.get<std::string>() : std::string();
}

bool bool_at(const Json& j, const std::string& pointer, bool fallback) {
  const Json& v = json_at(j, pointer);
  return v.is_boolean() ? v.get<bool>() : fallback;
}

const Json& array_at(const Json& j, const std::string& pointer) {
  static const Json kEmpty = Json::array();
  const Json& v = json_at(j, pointer);
  return v.is_array() ? v : kEmpty;
}

const Json& object_at(const Json& j, const std::string& pointer) {
  static const Json kEmpty = Json::object();
  const Json& v = json_at(j, pointer);
  return v.is_object() ? v : kEmpty;
}

}  // namespace eddy::bench_tool
