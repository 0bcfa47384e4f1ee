// options.cc -- parses eddy-bench's command line ("--name=value" or
// "--name value").
#include "options.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace eddy::bench_tool {
namespace {

std::vector<std::string> split_list(const std::string& s) {
  return absl::StrSplit(s, ',', absl::SkipEmpty());
}

bool parse_double(const std::string& s, double* out) { return absl::SimpleAtod(s, out); }

// A comma-separated list of whole numbers >= min.
bool parse_int_list(const std::string& s, int min, std::vector<int>* out) {
  std::vector<int> values;
  for (const std::string& item : split_list(s)) {
    double v = 0;
    if (!parse_double(item, &v) || v < min || v != static_cast<int>(v)) return false;
    values.push_back(static_cast<int>(v));
  }
  if (values.empty()) return false;
  *out = values;
  return true;
}

}  // namespace

const char* usage() {
  return "usage: eddy-bench [--backends=A,B] [--workloads=REGEX] [--repetitions=N]\n"
         "                  [--min-time=SECONDS] [--json=FILE] [--list] [--quiet]\n"
         "                  [--sizes=N,N] [--connections=N,N] [--duration=S] [--warmup=S]\n"
         "                  [--plot=FILE] [--compare=OLD.json] [--from=RUN.json] ...\n"
         "Runs eddy's micro-benchmarks on every available loop backend (and the raw\n"
         "libuv/libevent twins) and prints one side-by-side table: per workload, the\n"
         "median time per operation on each backend and its ratio to the row's best.\n"
         "Then TCP echo: eddy's echo server on each backend beside raw epoll, libuv,\n"
         "libevent, Boost.Asio, asyncio and uvloop servers: throughput, latency and\n"
         "the server's CPU time per message, against the best raw C server.\n"
         "  --backends=A,B      columns (default: all available; see --list)\n"
         "  --workloads=REGEX   rows whose key or label matches (default: the quick\n"
         "                      suite, without the slow workloads); echo runs also\n"
         "                      by name, e.g. Echo/uvloop/streams/1024/100\n"
         "  --repetitions=N     interleaved rounds; the median and min-max are shown\n"
         "                      (default 3)\n"
         "  --min-time=SECONDS  minimum duration of one benchmark run (default 0.1)\n"
         "  --json=FILE         also write the results and the set-up as JSON\n"
         "  --list              list workloads and backends, run nothing\n"
         "  --quiet             no progress line on stderr\n"
         "TCP echo workloads (keys Echo/<mode>/<size>/<connections>; a closed loop,\n"
         "server and load generator pinned to their own CPUs):\n"
         "  --sizes=N,N         message sizes in bytes (default 1024)\n"
         "  --connections=N,N   connections, one message in flight each (default 100)\n"
         "  --duration=SECONDS  measured window of each run (default 0.5)\n"
         "  --warmup=SECONDS    warm-up before it, not measured (default 0.2)\n"
         "  --references=A,B    reference servers: ref_epoll, ref_uv, ref_event, asio,\n"
         "                      asyncio, uvloop (default all; none for none)\n"
         "  --python=PATH       Python of the asyncio/uvloop references\n"
         "                      (default /usr/bin/python3)\n"
         "  --echo-dir=DIR      where eddy-echo-load and the servers are (default:\n"
         "                      beside eddy-bench, in a build tree or an install)\n"
         "  --server-cpu=N      CPU of the server (default 0)\n"
         "  --load-cpu=N        CPU of the load generator (default 1)\n"
         "  --malloc=MODE       pinned: every server under the same fixed glibc malloc\n"
         "                      thresholds (default); default: glibc's dynamic ones\n"
         "  --syscalls=on|off   a counting round: each server's system calls per\n"
         "                      message, by name (default on; needs root or\n"
         "                      CAP_PERFMON, else skipped with the reason)\n"
         "  --cross-check=on|off|strict  measure each server under a second,\n"
         "                      io_uring-driven load generator too and compare CPU per\n"
         "                      message (default on; strict: disagreement is an error)\n"
         "  --tolerance=PCT     the agreement the cross-check asks for (default 15)\n"
         "Reports:\n"
         "  --plot=FILE         a chart (.png or .svg) of echo throughput and p99, and\n"
         "                      of the micro rows' ratios; needs gnuplot\n"
         "  --compare=OLD.json  each row's change against an earlier --json run;\n"
         "                      changes for the worse beyond --threshold are flagged\n"
         "  --threshold=PCT     (default 10)\n"
         "  --from=RUN.json     with --plot/--compare: use that run, run nothing\n";
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
    } else if (name == "--sizes") {
      if (!take_value()) return false;
      if (!parse_int_list(value, 1, &out->sizes)) {
        *error = "--sizes wants byte counts >= 1 separated by commas, not '" + value + "'";
        return false;
      }
    } else if (name == "--connections") {
      if (!take_value()) return false;
      if (!parse_int_list(value, 1, &out->connections)) {
        *error = "--connections wants counts >= 1 separated by commas, not '" + value + "'";
        return false;
      }
    } else if (name == "--duration" || name == "--warmup") {
      if (!take_value()) return false;
      double* target = name == "--duration" ? &out->duration_s : &out->warmup_s;
      double min = name == "--duration" ? 1e-9 : 0;
      if (!parse_double(value, target) || *target < min) {
        *error = name + " wants a " + (min > 0 ? "positive" : "non-negative") +
                 " number of seconds, not '" + value + "'";
        return false;
      }
    } else if (name == "--references") {
      if (!take_value()) return false;
      out->references = split_list(value);
      if (out->references.empty()) out->references = {"none"};
    } else if (name == "--python") {
      if (!take_value()) return false;
      out->python = value;
    } else if (name == "--echo-dir") {
      if (!take_value()) return false;
      out->echo_dir = value;
    } else if (name == "--server-cpu" || name == "--load-cpu") {
      if (!take_value()) return false;
      double v = 0;
      if (!parse_double(value, &v) || v < 0 || v != static_cast<int>(v)) {
        *error = name + " wants a CPU number, not '" + value + "'";
        return false;
      }
      (name == "--server-cpu" ? out->server_cpu : out->load_cpu) = static_cast<int>(v);
    } else if (name == "--malloc") {
      if (!take_value()) return false;
      if (value != "pinned" && value != "default") {
        *error = "--malloc wants pinned or default, not '" + value + "'";
        return false;
      }
      out->malloc_mode = value;
    } else if (name == "--syscalls") {
      if (!take_value()) return false;
      if (value != "on" && value != "off") {
        *error = "--syscalls wants on or off, not '" + value + "'";
        return false;
      }
      out->syscalls = value == "on";
    } else if (name == "--cross-check") {
      if (!take_value()) return false;
      if (value != "on" && value != "off" && value != "strict") {
        *error = "--cross-check wants on, off or strict, not '" + value + "'";
        return false;
      }
      out->cross_check = value;
    } else if (name == "--tolerance") {
      if (!take_value()) return false;
      if (!parse_double(value, &out->tolerance_pct) || out->tolerance_pct <= 0) {
        *error = "--tolerance wants a percentage > 0, not '" + value + "'";
        return false;
      }
    } else if (name == "--plot") {
      if (!take_value()) return false;
      out->plot_path = value;
    } else if (name == "--compare") {
      if (!take_value()) return false;
      out->compare_path = value;
    } else if (name == "--threshold") {
      if (!take_value()) return false;
      if (!parse_double(value, &out->threshold_pct) || out->threshold_pct < 0) {
        *error = "--threshold wants a percentage >= 0, not '" + value + "'";
        return false;
      }
    } else if (name == "--from") {
      if (!take_value()) return false;
      out->from_path = value;
    } else {
      *error = "unknown argument '" + arg + "' (try --help)";
      return false;
    }
  }
  if (!out->from_path.empty() && out->plot_path.empty() && out->compare_path.empty()) {
    *error = "--from needs --plot or --compare (it only re-reports a run)";
    return false;
  }
  return true;
}

}  // namespace eddy::bench_tool
