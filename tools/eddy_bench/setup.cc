// setup.cc -- reads the machine (/proc/cpuinfo, uname), the build (defines
// meson passes) and the libraries (their version functions and macros).
#include "setup.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <fstream>

#ifdef EDDY_BENCH_RAW_UV
#include <uv.h>
#endif
#ifdef EDDY_BENCH_RAW_EVENT
#include <event2/event.h>
#endif
#if __has_include(<liburing/io_uring_version.h>)
#include <liburing/io_uring_version.h>
#endif

#ifndef EDDY_BUILD_TYPE
#define EDDY_BUILD_TYPE "unknown"
#endif
#ifndef EDDY_BUILD_OPTIMIZATION
#define EDDY_BUILD_OPTIMIZATION "?"
#endif
#ifndef EDDY_PROJECT_VERSION
#define EDDY_PROJECT_VERSION "unknown"
#endif

namespace eddy::bench_tool {
namespace {

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) != 0) continue;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    size_t start = line.find_first_not_of(" \t", colon + 1);
    return start == std::string::npos ? "" : line.substr(start);
  }
  return "unknown";
}

std::string kernel() {
  struct utsname u;
  if (uname(&u) != 0) return "unknown";
  return std::string(u.sysname) + " " + u.release + " " + u.version + " " + u.machine;
}

std::string load_avg() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  if (!(in >> one >> five >> fifteen)) return "unknown";
  return one + " " + five + " " + fifteen;
}

std::string compiler() {
#if defined(__clang__)
  return std::string("clang++ ") + __clang_version__;
#elif defined(__GNUC__)
  return std::string("g++ ") + __VERSION__;
#else
  return __VERSION__;
#endif
}

std::string now_utc() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

std::string liburing_version() {
#if defined(IO_URING_VERSION_MAJOR) && defined(IO_URING_VERSION_MINOR)
  return std::to_string(IO_URING_VERSION_MAJOR) + "." + std::to_string(IO_URING_VERSION_MINOR);
#elif defined(EDDY_LIBURING_PKG_VERSION)
  return EDDY_LIBURING_PKG_VERSION " (pkg-config, at build time)";
#else
  return "not found at build time";
#endif
}

std::vector<std::pair<std::string, std::string>> libraries() {
  std::vector<std::pair<std::string, std::string>> libs;
#ifdef EDDY_BENCH_RAW_UV
  libs.emplace_back("libuv", uv_version_string());
#endif
#ifdef EDDY_BENCH_RAW_EVENT
  libs.emplace_back("libevent", event_get_version());
#endif
  libs.emplace_back("liburing", liburing_version());
#ifdef EDDY_BENCHMARK_VERSION
  libs.emplace_back("google-benchmark", EDDY_BENCHMARK_VERSION);
#endif
  return libs;
}

std::vector<BackendInfo> unique_backends() {
  std::vector<BackendInfo> out;
  for (const BackendInfo& b : available_backends()) {
    bool seen =
        std::any_of(out.begin(), out.end(), [&](const BackendInfo& o) { return o.name == b.name; });
    if (!seen) out.push_back(b);  // later ones of a name are shadowed copies
  }
  return out;
}

}  // namespace

std::string abi_string(uint32_t abi_version) {
  if (abi_version == 0) return "-";
  return std::to_string(EDDY_ABI_MAJOR(abi_version)) + "." +
         std::to_string(EDDY_ABI_MINOR(abi_version));
}

Setup collect_setup() {
  Setup s;
  s.date_utc = now_utc();
  s.cpu_model = cpu_model();
  s.cores = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  s.kernel = kernel();
  s.load_avg = load_avg();
  s.compiler = compiler();
  s.build_type = std::string(EDDY_BUILD_TYPE) + " (-O" EDDY_BUILD_OPTIMIZATION ")";
  s.eddy_version =
      std::string(EDDY_PROJECT_VERSION) + ", loop ABI " + abi_string(EDDY_ABI_VERSION_CURRENT);
  s.libraries = libraries();
  s.backends = unique_backends();
  s.probes = run_probes();
  return s;
}

void finish_setup(Setup* setup) { setup->load_avg_end = load_avg(); }

void print_setup_end(std::FILE* out, const Setup& setup) {
  if (setup.load_avg_end.empty()) return;
  std::fprintf(out, "  load avg   at end of run %s (at start %s)\n", setup.load_avg_end.c_str(),
               setup.load_avg.c_str());
  std::fflush(out);
}

}  // namespace eddy::bench_tool
