// soak -- eddy under a long mixed load, on every backend in turn
// (soak_workload.h says what the load is). For each backend it samples the
// process's descriptors and RSS before, under load (after a warm-up of a
// fifth of the time) and after the teardown, and fails unless:
//   - every byte sent came back and matched (0 corrupt, 0 lost), every
//     client connection completed its script, the server saw no error
//     other than the deliberate resets and accepted every connection;
//   - no connection is left open and the descriptor count after the
//     teardown is the count before (no leaked fd);
//   - RSS after the teardown is at most kRssGrowthKiB above RSS before (no
//     leak that grows with the connections: thousands were made);
// and, over all backends, unless at least SOAK_MIN_CONNECTIONS
// connections were made.
//
//   soak [SECONDS]     SECONDS per backend (else $SOAK_SECONDS, else 3)
//   $SOAK_BACKENDS     comma-separated backends (else every available one)
//
// A watchdog (alarm) kills the process if the whole run overruns its time
// by two minutes: meson's own timeout is off for this test.
//
// Thread-safety: a program; run_soak() uses two threads.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "eddy/backends.h"
#include "eddy/log.h"
#include "proc_sample.h"
#include "soak_workload.h"

namespace {

using eddy::soak::ProcSample;
using eddy::soak::SoakResult;

// The RSS bound: after the teardown, at most this much above the sample
// before. Under load RSS is some 10-16 MiB higher (buffers of the 48
// connections in flight); per-connection state that leaked would stay.
// The samples are taken after a warm-up run (kWarmUp on the first
// backend, not counted): the first run grows RSS by some 3 MiB once
// (the server thread's malloc arena, thread caches), whatever it runs.
constexpr int64_t kRssGrowthKiB = 4 * 1024;
constexpr std::chrono::seconds kWarmUp(2);

std::vector<std::string> backends() {
  std::vector<std::string> out;
  if (const char* env = std::getenv("SOAK_BACKENDS"); env && *env) {
    for (absl::string_view s : absl::StrSplit(env, ',', absl::SkipEmpty())) out.emplace_back(s);
    return out;
  }
  std::set<std::string> seen;
  for (const eddy::BackendInfo& b : eddy::available_backends()) {
    if (b.available && seen.insert(b.name).second) out.push_back(b.name);
  }
  return out;
}

double mib(uint64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

// Prints one backend's figures; returns whether it passed.
bool report(const std::string& backend, const SoakResult& r, const ProcSample& before,
            const ProcSample& warm, const ProcSample& after) {
  std::printf("soak %s: %.1f s, %" PRIu64 " connections (", backend.c_str(), r.seconds,
              r.connections);
  for (int k = 0; k < eddy::soak::kKinds; ++k) {
    std::printf("%s%s %" PRIu64, k ? ", " : "", eddy::soak::kind_name(k), r.per_kind[k]);
  }
  std::printf(")\n");
  std::printf("  bytes: %.1f MiB sent to come back, %.1f MiB checked, %" PRIu64
              " connections corrupt, %" PRIu64 " bytes lost\n",
              mib(r.bytes_sent), mib(r.bytes_checked), r.corrupt, r.lost_bytes);
  std::printf("  cancellations %" PRIu64 ", client errors %" PRIu64 "\n", r.cancellations,
              r.client_errors);
  std::printf("  server: accepted %" PRIu64 ", echoed %.1f MiB, %" PRIu64
              " reads under a timer, %" PRIu64 " resets, %" PRIu64 " errors, %" PRIu64
              " left open\n",
              r.accepted, mib(r.server_bytes), r.server_timed_reads, r.server_resets,
              r.server_errors, r.server_left_open);
  std::printf("  fds: %d before, %d after; RSS: %" PRId64 " KiB before, %" PRId64
              " KiB under load, %" PRId64 " KiB after (bound: before + %" PRId64 ")\n",
              before.fds, after.fds, before.rss_kib, warm.rss_kib, after.rss_kib, kRssGrowthKiB);
  for (const std::string& e : r.errors) std::printf("  error: %s\n", e.c_str());
  bool ok = true;
  auto expect = [&](bool cond, const char* what) {
    if (!cond) {
      std::printf("  FAIL: %s\n", what);
      ok = false;
    }
  };
  expect(r.connections > 0, "no connection was made");
  expect(r.corrupt == 0, "corrupt bytes");
  expect(r.lost_bytes == 0 && r.bytes_checked == r.bytes_sent, "lost bytes");
  expect(r.client_errors == 0, "client errors");
  expect(r.server_errors == 0, "server errors");
  expect(r.accepted == r.connections, "the server did not accept every connection");
  expect(r.server_left_open == 0, "connections left open");
  expect(after.fds == before.fds, "descriptor count changed");
  expect(before.rss_kib > 0 && after.rss_kib <= before.rss_kib + kRssGrowthKiB,
         "RSS grew beyond the bound");
  std::fflush(stdout);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  int seconds = 3;
  if (const char* env = std::getenv("SOAK_SECONDS"); env && *env) seconds = std::atoi(env);
  if (argc > 1) seconds = std::atoi(argv[1]);
  uint64_t min_connections = 0;
  if (const char* env = std::getenv("SOAK_MIN_CONNECTIONS"); env && *env) {
    min_connections = std::strtoull(env, nullptr, 10);
  }
  if (seconds <= 0) {
    std::fprintf(stderr, "usage: soak [SECONDS per backend]\n");
    return 2;
  }
  // Errors the loops report (a reset seen while writing, ...) are counted
  // by the workload itself; the log would only repeat them.
  eddy::set_log_sink([](int32_t, std::string_view) {});
  rlimit rl;
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
  std::vector<std::string> names = backends();
  ::alarm(static_cast<unsigned>(seconds * static_cast<int>(names.size()) + kWarmUp.count() + 120));
  bool ok = !names.empty();
  uint64_t total = 0;
  auto t0 = std::chrono::steady_clock::now();
  if (ok) {
    eddy::soak::SoakConfig config;
    config.backend = names[0];
    config.duration = kWarmUp;
    SoakResult r = eddy::soak::run_soak(config);
    std::printf("soak: warm-up on %s, %" PRIu64 " connections, not counted\n", names[0].c_str(),
                r.connections);
  }
  for (const std::string& name : names) {
    ProcSample before = eddy::soak::sample_process();
    eddy::soak::SoakConfig config;
    config.backend = name;
    config.duration = std::chrono::seconds(seconds);
    ProcSample warm;
    config.on_warm = [&warm] { warm = eddy::soak::sample_process(); };
    SoakResult r = eddy::soak::run_soak(config);
    ProcSample after = eddy::soak::sample_process();
    ok &= report(name, r, before, warm, after);
    total += r.connections;
  }
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("soak: %zu backends, %" PRIu64 " connections in %.1f s (at least %" PRIu64
              " required)\n",
              names.size(), total, elapsed, min_connections);
  if (total < min_connections) {
    std::printf("FAIL: too few connections\n");
    ok = false;
  }
  std::printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}
