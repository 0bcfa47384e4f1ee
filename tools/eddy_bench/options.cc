// options.cc -- parses eddy-bench's command line ("--name=value" or
// "--name value").
#include "options.h"

#include <cstdlib>
#include <sstream>

namespace eddy::bench_tool {
namespace {

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

bool parse_double(const std::string& s, double* out) {
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0') return false;
  *out = v;
  return true;
}

}  // namespace

const char* usage() {
  return "usage: eddy-bench [--backends=A,B] [--workloads=REGEX] [--repetitions=N]\n"
         "                  [--min-time=SECONDS] [--json=FILE] [--list] [--quiet]\n"
         "Runs eddy's micro-benchmarks on every available loop backend (and the raw\n"
         "libuv/libevent twins) and prints one side-by-side table: per workload, the\n"
         "median time per operation on each backend and its ratio to the row's best.\n"
         "  --backends=A,B      columns (default: all available; see --list)\n"
         "  --workloads=REGEX   rows whose key or label matches (default: the quick\n"
         "                      suite, without the slow workloads)\n"
         "  --repetitions=N     interleaved rounds; the median and min-max are shown\n"
         "                      (default 3)\n"
         "  --min-time=SECONDS  minimum duration of one benchmark run (default 0.1)\n"
         "  --json=FILE         also write the results and the set-up as JSON\n"
         "  --list              list workloads and backends, run nothing\n"
         "  --quiet             no progress line on stderr\n";
}

bool parse_options(int argc, char** argv, Options* out, std::string* error) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string name = arg, value;
    bool has_value = false;
    if (size_t eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    auto take_value = [&]() {
      if (has_value) return true;
      if (i + 1 >= argc) {
        *error = name + " needs a value";
        return false;
      }
      value = argv[++i];
      return true;
    };
    if (name == "-h" || name == "--help") {
      out->help = true;
    } else if (name == "--list") {
      out->list = true;
    } else if (name == "--quiet") {
      out->quiet = true;
    } else if (name == "--backends") {
      if (!take_value()) return false;
      out->backends = split_list(value);
      if (out->backends.empty()) {
        *error = "--backends needs at least one name";
        return false;
      }
    } else if (name == "--workloads") {
      if (!take_value()) return false;
      out->workloads = value;
    } else if (name == "--repetitions") {
      if (!take_value()) return false;
      double v = 0;
      if (!parse_double(value, &v) || v < 1 || v != static_cast<int>(v)) {
        *error = "--repetitions wants a whole number >= 1, not '" + value + "'";
        return false;
      }
      out->repetitions = static_cast<int>(v);
    } else if (name == "--min-time") {
      if (!take_value()) return false;
      if (!parse_double(value, &out->min_time_s) || out->min_time_s <= 0) {
        *error = "--min-time wants a positive number of seconds, not '" + value + "'";
        return false;
      }
    } else if (name == "--json") {
      if (!take_value()) return false;
      out->json_path = value;
    } else {
      *error = "unknown argument '" + arg + "' (try --help)";
      return false;
    }
  }
  return true;
}

}  // namespace eddy::bench_tool
