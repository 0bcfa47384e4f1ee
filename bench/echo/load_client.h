// load_client.h -- the closed-loop engine of the echo load generator.
//
// N TCP connections to one server, each with exactly one message of S bytes
// outstanding: a connection sends message k, waits until all S bytes have
// come back, checks each of them against what it sent (message_pattern.h),
// records the round trip and sends message k+1 at once. One thread drives
// every connection through level-triggered epoll; the connections' message
// buffers are one arena allocated up front, and latencies go to a
// fixed-size histogram, so nothing is allocated per message.
//
// Whatever breaks the echo is an error, counted and described once: a byte
// that differs from what was sent, more bytes than were sent, or a close or
// reset before the message came back whole. A connection with an error is
// closed and takes no further part; the others go on.
//
// Thread-safety: one thread.
#ifndef EDDY_BENCH_ECHO_LOAD_CLIENT_H_
#define EDDY_BENCH_ECHO_LOAD_CLIENT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "latency_histogram.h"

namespace eddy::echo {

struct LoadConfig {
  std::string host = "127.0.0.1";
  int port = 0;
  int connections = 100;
  size_t size = 1024;
};

// CLOCK_MONOTONIC in nanoseconds.
int64_t monotonic_ns();

class LoadClient {
 public:
  explicit LoadClient(const LoadConfig& config);
  ~LoadClient();
  LoadClient(const LoadClient&) = delete;
  LoadClient& operator=(const LoadClient&) = delete;

  // Opens every connection and sends each its first message. False, with
  // the reason in *error, if a connection cannot be made.
  bool start(std::string* error);

  // Drives the connections until the monotonic clock reaches deadline_ns,
  // or no connection is left.
  void run_until(int64_t deadline_ns);

  // Starts a new window: completed() and latencies() count from here.
  void reset_window();
  uint64_t completed() const { return completed_; }
  const LatencyHistogram& latencies() const { return latencies_; }

  // Errors over the whole run, and the first one's description.
  uint64_t errors() const { return errors_; }
  const std::string& first_error() const { return first_error_; }
  int open_connections() const { return open_; }

 private:
  struct Conn {
    int fd = -1;
    uint32_t id = 0;
    uint64_t seq = 0;     // the message in flight
    size_t sent = 0;      // bytes of it sent
    size_t received = 0;  // bytes of it echoed and checked
    int64_t started_ns = 0;
    bool want_write = false;
    char* message = nullptr;  // its bytes, in the arena
  };

  void begin_message(Conn& c, int64_t now);
  void send_more(Conn& c);
  void on_readable(Conn& c);
  void set_want_write(Conn& c, bool on);
  void fail(Conn& c, const std::string& what);

  LoadConfig config_;
  int epfd_ = -1;
  std::vector<Conn> conns_;
  std::unique_ptr<char[]> arena_;
  LatencyHistogram latencies_;
  uint64_t completed_ = 0;
  uint64_t errors_ = 0;
  std::string first_error_;
  int open_ = 0;
};

}  // namespace eddy::echo

#endif  // EDDY_BENCH_ECHO_LOAD_CLIENT_H_
