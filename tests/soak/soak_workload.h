// soak_workload.h -- the soak's server and client mix, on one backend.
//
// The server is a streams echo server (start_server) on its own thread and
// loop: it echoes what it reads until EOF, then closes; each read waits
// under wait_for, so every read arms a timer and cancels it. The clients
// run on the calling thread's loop, on the same backend, as `workers`
// coroutines that each open one connection after another until the
// deadline, in six kinds:
//   churn      one short message, its echo, then a half-close and the
//              server's EOF -- most of the connections;
//   echo       up to eight messages of up to 64 KiB, each echoed before the
//              next, then the half-close;
//   half-close up to 512 KiB written and the write side shut at once, then
//              everything read back to the server's EOF;
//   reset      1 MiB written, a first part of the echo read back, then the
//              connection reset (SO_LINGER 0 + abort) in the middle of the
//              server's writing;
//   slow       512 KiB written by one task while another reads it back in
//              small reads with a sleep after each (the server's writes
//              wait on drain());
//   cancel     reads cancelled by a timeout (wait_for) and by
//              Task::cancel() while they wait, a sleeping task cancelled,
//              then the connection used normally.
// Every byte echoed is compared with what was sent (message_pattern.h,
// unique per connection and message); a byte that is wrong is "corrupt",
// a byte that never came back (except after the reset kind's deliberate
// reset) is "lost".
//
// Thread-safety: run_soak() runs the server on a thread it starts and
// joins; the results are read after the join.
#ifndef EDDY_TESTS_SOAK_SOAK_WORKLOAD_H_
#define EDDY_TESTS_SOAK_SOAK_WORKLOAD_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace eddy::soak {

enum Kind { kChurn, kEcho, kHalfClose, kReset, kSlow, kCancel, kKinds };
const char* kind_name(int kind);

struct SoakConfig {
  std::string backend;
  std::chrono::milliseconds duration{10000};
  int workers = 48;
  // Called once on the client thread after a fifth of the duration (the
  // warm-up), while the load runs.
  std::function<void()> on_warm;
};

struct SoakResult {
  // Client side.
  uint64_t connections = 0;        // opened
  uint64_t per_kind[kKinds] = {};  // connections that completed their script
  uint64_t bytes_sent = 0;         // that had to come back
  uint64_t bytes_checked = 0;      // came back and matched
  uint64_t corrupt = 0;            // connections with a wrong byte
  uint64_t lost_bytes = 0;         // sent, never back, not after a reset
  uint64_t cancellations = 0;      // reads and sleeps cancelled on purpose
  uint64_t client_errors = 0;      // anything unexpected
  // Server side.
  uint64_t accepted = 0;
  uint64_t server_bytes = 0;        // echoed
  uint64_t server_timed_reads = 0;  // reads under wait_for (a timer each)
  uint64_t server_resets = 0;       // connections ended by a ConnectionError
  uint64_t server_errors = 0;       // anything else unexpected
  uint64_t server_left_open = 0;    // connections still open at the end
  std::vector<std::string> errors;  // the first few descriptions
  double seconds = 0;
};

// Runs the mix on config.backend for config.duration, then stops the
// clients, closes the server and waits for its connections to be gone.
SoakResult run_soak(const SoakConfig& config);

}  // namespace eddy::soak

#endif  // EDDY_TESTS_SOAK_SOAK_WORKLOAD_H_
