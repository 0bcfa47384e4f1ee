// load_client_uring.cc -- LoadClient's kUring engine: every connection
// driven by io_uring completions instead of epoll readiness.
//
// Per connection a recv is always in flight into the connection's own
// buffer; a message goes out as one send, continued from where it stopped
// when the kernel took only part of it. What one iteration queues is
// submitted, and the next completions waited for, by one
// io_uring_submit_and_wait_timeout call. user_data is the connection's
// index times two, plus one for a send. The ring is set up so that a
// completion does not interrupt this thread (DEFER_TASKRUN, else
// COOP_TASKRUN; uring_setup() says which), see start_uring().
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "load_client.h"
#include "load_client_uring.h"

namespace eddy::echo {
namespace {

constexpr int64_t kMaxWaitNs = 100'000'000;  // re-check the deadline this often

unsigned ring_entries(int connections) {
  // Two operations per connection can be in flight (a recv and a send).
  unsigned want = static_cast<unsigned>(std::max(2 * connections, 64));
  unsigned n = 1;
  while (n < want && n < 32768) n <<= 1;
  return n;
}

// A free submission entry, submitting what is queued when the ring is full.
io_uring_sqe* next_sqe(io_uring* ring) {
  io_uring_sqe* sqe = io_uring_get_sqe(ring);
  while (sqe == nullptr) {
    io_uring_submit(ring);
    sqe = io_uring_get_sqe(ring);
  }
  return sqe;
}

}  // namespace

LoadClient::~LoadClient() {
  uring_.reset();  // first: io_uring holds the sockets of its requests
  for (Conn& c : conns_) {
    if (c.fd >= 0) ::close(c.fd);
  }
  if (epfd_ >= 0) ::close(epfd_);
}

bool LoadClient::start_uring(std::string* error) {
  uring_ = std::make_unique<Uring>();
  // The first set-up the kernel takes. Without COOP_TASKRUN, each
  // completion's task_work kicks the client's CPU with an interrupt from
  // the context that completed it -- the server's send() on loopback -- and
  // that cost lands in the server's CPU time: measured on a 2-vCPU VM,
  // raw epoll's server read 15-22 µs/msg under that client against
  // 8.0-8.7 under the epoll one, and 8.6 with either flag set below.
  struct Setup {
    unsigned flags;
    const char* name;
  };
  static constexpr Setup kSetups[] = {
      {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, "defer_taskrun"},
      {IORING_SETUP_COOP_TASKRUN, "coop_taskrun"},
      {0, "plain"},
  };
  int rc = -EINVAL;
  for (const Setup& setup : kSetups) {
    rc = io_uring_queue_init(ring_entries(config_.connections), &uring_->ring, setup.flags);
    if (rc != -EINVAL) {
      setup_ = setup.name;
      break;
    }
  }
  if (rc < 0) {
    *error = std::string("io_uring_queue_init: ") + std::strerror(-rc) +
             " (the io_uring engine needs io_uring; use --engine epoll)";
    return false;
  }
  uring_->initialized = true;
  return true;
}

void LoadClient::queue_send(Conn& c) {
  io_uring_sqe* sqe = next_sqe(&uring_->ring);
  io_uring_prep_send(sqe, c.fd, c.message + c.sent, config_.size - c.sent, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, (static_cast<uint64_t>(c.id) << 1) | 1);
}

void LoadClient::queue_receive(Conn& c) {
  io_uring_sqe* sqe = next_sqe(&uring_->ring);
  io_uring_prep_recv(sqe, c.fd, c.receive, receive_size_, 0);
  io_uring_sqe_set_data64(sqe, static_cast<uint64_t>(c.id) << 1);
}

void LoadClient::run_uring_until(int64_t deadline_ns) {
  io_uring* ring = &uring_->ring;
  for (;;) {
    int64_t left = deadline_ns - monotonic_ns();
    if (left <= 0 || open_ == 0) return;
    int64_t wait = std::min(left, kMaxWaitNs);
    __kernel_timespec ts{wait / 1'000'000'000, wait % 1'000'000'000};
    io_uring_cqe* first = nullptr;
    int rc = io_uring_submit_and_wait_timeout(ring, &first, 1, &ts, nullptr);
    if (rc < 0 && rc != -ETIME && rc != -EINTR) {
      errno = -rc;
      for (Conn& c : conns_) {
        if (c.fd >= 0) fail(c, std::string("io_uring_submit_and_wait: ") + std::strerror(-rc));
      }
      return;
    }
    unsigned head, seen = 0;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(ring, head, cqe) {
      ++seen;
      uint64_t data = io_uring_cqe_get_data64(cqe);
      Conn& c = conns_[data >> 1];
      if (c.fd < 0) continue;  // failed meanwhile: its last operations end here
      int res = cqe->res;
      bool again = res == -EINTR || res == -EAGAIN;
      if (data & 1) {  // a send
        if (again) {
          queue_send(c);
        } else if (res < 0) {
          errno = -res;
          fail(c, std::string("send: ") + std::strerror(-res));
        } else {
          c.sent += static_cast<size_t>(res);
          if (c.sent < config_.size) queue_send(c);  // a short send goes on
        }
      } else if (again || on_received(c, c.receive, res)) {
        if (c.fd >= 0) queue_receive(c);
      }
    }
    io_uring_cq_advance(ring, seen);
  }
}

}  // namespace eddy::echo
