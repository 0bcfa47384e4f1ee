// load_client.cc -- connections, sends, receives and checks of the echo
// load generator.
#include "load_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "echo_check.h"
#include "load_client_uring.h"
#include "message_pattern.h"

namespace eddy::echo {
namespace {

constexpr size_t kReadSize = 65536;

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

}  // namespace

int64_t monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

LoadClient::LoadClient(const LoadConfig& config) : config_(config) {}

bool LoadClient::start(std::string* error) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(config_.port));
  if (inet_pton(AF_INET, config_.host.c_str(), &addr.sin_addr) != 1) {
    *error = "not an IPv4 address: " + config_.host;
    return false;
  }
  bool uring = config_.engine == LoadEngine::kUring;
  if (uring) {
    if (!start_uring(error)) return false;
  } else {
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0) {
      *error = errno_text("epoll_create1");
      return false;
    }
  }
  // Each connection's message and, for kUring, its receive buffer.
  receive_size_ = uring ? std::min(config_.size, kReadSize) : 0;
  size_t per_conn = config_.size + receive_size_;
  arena_.reset(new char[static_cast<size_t>(config_.connections) * per_conn]);
  conns_.resize(static_cast<size_t>(config_.connections));
  for (int i = 0; i < config_.connections; ++i) {
    Conn& c = conns_[static_cast<size_t>(i)];
    c.id = static_cast<uint32_t>(i);
    c.message = arena_.get() + static_cast<size_t>(i) * per_conn;
    c.receive = c.message + config_.size;
    // A blocking connect, one at a time: simple, and on loopback each takes
    // microseconds once the server listens with a large backlog.
    c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c.fd < 0 || ::connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      *error = errno_text("connect") + " (connection " + std::to_string(i) + " to " + config_.host +
               ":" + std::to_string(config_.port) + ")";
      return false;
    }
    int one = 1;
    ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ++open_;
    if (uring) continue;  // io_uring's recv and send wait by themselves
    ::fcntl(c.fd, F_SETFL, ::fcntl(c.fd, F_GETFL) | O_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = c.id;
    if (epoll_ctl(epfd_, EPOLL_CTL_ADD, c.fd, &ev) != 0) {
      *error = errno_text("epoll_ctl");
      return false;
    }
  }
  int64_t now = monotonic_ns();
  for (Conn& c : conns_) {
    if (uring) queue_receive(c);
    begin_message(c, now);
  }
  return true;
}

bool LoadClient::all_nodelay() const {
  for (const Conn& c : conns_) {
    if (c.fd < 0) continue;
    int on = 0;
    socklen_t len = sizeof on;
    if (::getsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &on, &len) != 0 || !on) return false;
  }
  return true;
}

void LoadClient::reset_window() {
  completed_ = 0;
  latencies_.clear();
}

void LoadClient::begin_message(Conn& c, int64_t now) {
  fill_message(c.id, c.seq, c.message, config_.size);
  c.sent = 0;
  c.received = 0;
  c.started_ns = now;
  if (config_.engine == LoadEngine::kUring) {
    queue_send(c);
  } else {
    send_more(c);
  }
}

void LoadClient::send_more(Conn& c) {
  while (c.sent < config_.size) {
    ssize_t n = ::send(c.fd, c.message + c.sent, config_.size - c.sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        set_want_write(c, true);
        return;
      }
      fail(c, errno_text("send"));
      return;
    }
    c.sent += static_cast<size_t>(n);
  }
  if (c.want_write) set_want_write(c, false);
}

void LoadClient::set_want_write(Conn& c, bool on) {
  epoll_event ev{};
  ev.events = on ? (EPOLLIN | EPOLLOUT) : EPOLLIN;
  ev.data.u32 = c.id;
  epoll_ctl(epfd_, EPOLL_CTL_MOD, c.fd, &ev);
  c.want_write = on;
}

void LoadClient::on_readable(Conn& c) {
  char buf[kReadSize];
  ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return;
    n = -errno;
  }
  on_received(c, buf, n);
}

bool LoadClient::on_received(Conn& c, const char* buf, ssize_t n) {
  if (n < 0) {
    errno = static_cast<int>(-n);
    fail(c, errno_text("recv") + " after " + std::to_string(c.received) + " of " +
                std::to_string(config_.size) + " bytes");
    return false;
  }
  if (n == 0) {
    fail(c, "closed by the server after " + std::to_string(c.received) + " of " +
                std::to_string(config_.size) + " bytes");
    return false;
  }
  std::string error;
  EchoVerdict verdict = check_echo(c.message, config_.size, c.sent, &c.received, buf,
                                   static_cast<size_t>(n), &error);
  if (verdict == EchoVerdict::kError) {
    fail(c, error);
    return false;
  }
  if (verdict == EchoVerdict::kPartial) return true;
  int64_t now = monotonic_ns();
  latencies_.record(static_cast<uint64_t>(now - c.started_ns));
  ++completed_;
  ++completed_total_;
  ++c.seq;
  begin_message(c, now);
  return c.fd >= 0;
}

void LoadClient::fail(Conn& c, const std::string& what) {
  ++errors_;
  if (first_error_.empty()) {
    first_error_ =
        "connection " + std::to_string(c.id) + ", message " + std::to_string(c.seq) + ": " + what;
  }
  // An io_uring recv in flight holds the socket open past close(); the
  // shutdown ends it (its completion is then ignored: c.fd < 0).
  if (config_.engine == LoadEngine::kUring) ::shutdown(c.fd, SHUT_RDWR);
  ::close(c.fd);  // also leaves the epoll set
  c.fd = -1;
  --open_;
}

void LoadClient::run_until(int64_t deadline_ns) {
  if (config_.engine == LoadEngine::kUring) {
    run_uring_until(deadline_ns);
  } else {
    run_epoll_until(deadline_ns);
  }
}

void LoadClient::run_epoll_until(int64_t deadline_ns) {
  epoll_event events[256];
  for (;;) {
    int64_t left = deadline_ns - monotonic_ns();
    if (left <= 0 || open_ == 0) return;
    int timeout_ms = static_cast<int>(std::min<int64_t>((left + 999999) / 1000000, 100));
    int n = epoll_wait(epfd_, events, 256, timeout_ms);
    for (int i = 0; i < n; ++i) {
      Conn& c = conns_[events[i].data.u32];
      if (c.fd < 0) continue;
      if ((events[i].events & EPOLLOUT) && c.want_write) send_more(c);
      if (c.fd >= 0 && (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) on_readable(c);
    }
  }
}

}  // namespace eddy::echo
