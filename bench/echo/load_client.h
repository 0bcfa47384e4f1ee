// load_client.h -- the closed-loop engine of the echo load generator.
//
// N TCP connections to one server, each with exactly one message of S bytes
// outstanding: a connection sends message k, waits until all S bytes have
// come back, checks each of them against what it sent (message_pattern.h),
// records the round trip and sends message k+1 at once. One thread drives
// every connection, with one of two structurally different engines:
//   kEpoll  level-triggered epoll readiness, then send()/recv() calls;
//   kUring  io_uring completions (load_client_uring.cc): a recv always in
//           flight per connection into its own buffer, a send per message
//           (continued when short), every submission of an iteration made
//           with one io_uring_enter.
// Both write each message with one send (continued only when short), with
// TCP_NODELAY set, so a server sees the same message boundaries from
// either. eddy-bench runs every server under both: a server cost that
// differs between them is an artefact of the load generator, not of the
// server. The buffers are one arena allocated up front, and latencies go
// to a fixed-size histogram, so nothing is allocated per message.
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
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>
#include <vector>

#include "latency_histogram.h"

namespace eddy::echo {

enum class LoadEngine { kEpoll, kUring };

struct LoadConfig {
  std::string host = "127.0.0.1";
  int port = 0;
  int connections = 100;
  size_t size = 1024;
  LoadEngine engine = LoadEngine::kEpoll;
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
  // the reason in *error, if a connection cannot be made (or, for kUring,
  // io_uring cannot be set up).
  bool start(std::string* error);

  // Drives the connections until the monotonic clock reaches deadline_ns,
  // or no connection is left.
  void run_until(int64_t deadline_ns);

  // Starts a new window: completed() and latencies() count from here.
  void reset_window();
  uint64_t completed() const { return completed_; }
  // Round trips since start(), warm-up included.
  uint64_t completed_total() const { return completed_total_; }
  // Whether every connection has TCP_NODELAY set (read back from the
  // sockets after start()).
  bool all_nodelay() const;
  const LatencyHistogram& latencies() const { return latencies_; }
  // kUring: how the ring was set up ("defer_taskrun", "coop_taskrun" or
  // "plain", the first the kernel took); "" for kEpoll.
  const std::string& uring_setup() const { return setup_; }

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
    char* receive = nullptr;  // kUring: its own receive buffer, in the arena
  };
  struct Uring;  // load_client_uring.cc

  void begin_message(Conn& c, int64_t now);
  void send_more(Conn& c);
  void on_readable(Conn& c);
  // What both engines do with a receive's result: n bytes in buf, 0 for
  // end of file, -errno for an error. False when the connection failed.
  bool on_received(Conn& c, const char* buf, ssize_t n);
  void set_want_write(Conn& c, bool on);
  void fail(Conn& c, const std::string& what);
  void run_epoll_until(int64_t deadline_ns);

  // The kUring engine (load_client_uring.cc).
  bool start_uring(std::string* error);
  void queue_send(Conn& c);
  void queue_receive(Conn& c);
  void run_uring_until(int64_t deadline_ns);

  LoadConfig config_;
  int epfd_ = -1;
  std::unique_ptr<Uring> uring_;
  std::string setup_;
  std::vector<Conn> conns_;
  std::unique_ptr<char[]> arena_;
  size_t receive_size_ = 0;
  LatencyHistogram latencies_;
  uint64_t completed_ = 0;
  uint64_t completed_total_ = 0;
  uint64_t errors_ = 0;
  std::string first_error_;
  int open_ = 0;
};

}  // namespace eddy::echo

#endif  // EDDY_BENCH_ECHO_LOAD_CLIENT_H_
