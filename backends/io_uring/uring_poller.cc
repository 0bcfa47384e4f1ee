#include "uring_poller.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace eddy::backends::io_uring {
namespace {

constexpr unsigned kRingEntries = 1024;
constexpr uint64_t kWakeTag = UINT64_MAX;
constexpr uint64_t kCancelTag = UINT64_MAX - 1;

uint64_t tag(int32_t fd, uint32_t generation) {
  return (static_cast<uint64_t>(generation) << 32) | static_cast<uint32_t>(fd);
}

unsigned to_poll(uint32_t events) {
  return ((events & EDDY_READABLE) ? POLLIN | POLLRDHUP : 0u) |
         ((events & EDDY_WRITABLE) ? POLLOUT : 0u);
}

uint32_t from_poll(unsigned revents) {
  uint32_t out = 0;
  if (revents & (POLLIN | POLLPRI)) out |= EDDY_READABLE;
  if (revents & POLLOUT) out |= EDDY_WRITABLE;
  if (revents & POLLERR) out |= EDDY_ERROR;
  if (revents & (POLLHUP | POLLRDHUP)) out |= EDDY_HANGUP;
  return out;
}

}  // namespace

UringPoller::~UringPoller() {
  if (ring_ready_) io_uring_queue_exit(&ring_);
  if (wakefd_ >= 0) ::close(wakefd_);
}

int32_t UringPoller::init() {
  int rc = io_uring_queue_init(kRingEntries, &ring_, 0);
  if (rc < 0) return rc;
  ring_ready_ = true;
  wakefd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wakefd_ < 0) return -errno;
  arm_wakeup();
  rc = io_uring_submit(&ring_);
  return rc < 0 ? rc : 0;
}

io_uring_sqe* UringPoller::get_sqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (!sqe) {
    // The submission queue is full: hand what is there to the kernel.
    io_uring_submit(&ring_);
    sqe = io_uring_get_sqe(&ring_);
  }
  return sqe;
}

void UringPoller::arm_wakeup() {
  io_uring_sqe* sqe = get_sqe();
  if (!sqe) return;
  io_uring_prep_poll_add(sqe, wakefd_, POLLIN);
  io_uring_sqe_set_data64(sqe, kWakeTag);
  wake_armed_ = true;
}

void UringPoller::arm(int32_t fd, Slot& s) {
  io_uring_sqe* sqe = get_sqe();
  if (!sqe) return;  // retried at the next poll(): the fd stays queued
  io_uring_prep_poll_add(sqe, fd, to_poll(s.interest));
  io_uring_sqe_set_data64(sqe, tag(fd, s.generation));
  s.armed = true;
}

void UringPoller::cancel(int32_t fd, Slot& s) {
  if (!s.armed) return;
  io_uring_sqe* sqe = get_sqe();
  if (!sqe) return;
  io_uring_prep_poll_remove(sqe, tag(fd, s.generation));
  io_uring_sqe_set_data64(sqe, kCancelTag);
  s.armed = false;
}

int32_t UringPoller::watch(int32_t fd, uint32_t events, uint64_t token) {
  if (fd < 0) return -EBADF;
  if (events != 0 && fcntl(fd, F_GETFD) < 0) return -errno;  // fail now, as epoll_ctl would
  if (static_cast<size_t>(fd) >= slots_.size()) slots_.resize(static_cast<size_t>(fd) + 1);
  Slot& s = slots_[fd];
  bool was_armed = s.armed;
  cancel(fd, s);
  // A removal is submitted now, not at the next poll: an armed POLL_ADD holds
  // a reference on the file, so a socket closed right after (a transport's
  // close) would otherwise stay open -- its port or unix name still bound --
  // until the loop polls again, which may be never. epoll's EPOLL_CTL_DEL is
  // a syscall per removal too.
  if (events == 0 && was_armed) io_uring_submit(&ring_);
  ++s.generation;
  s.interest = events;
  s.token = token;
  s.broken = false;
  if (events != 0 && !s.queued) {
    s.queued = true;
    to_arm_.push_back(fd);
  }
  return 0;
}

int32_t UringPoller::poll(int64_t timeout_ns, eddy_event* out, int32_t capacity) {
  for (int32_t fd : to_arm_) {
    Slot& s = slots_[fd];
    s.queued = false;
    if (s.interest != 0 && !s.armed && !s.broken) arm(fd, s);
  }
  to_arm_.clear();
  if (!wake_armed_) arm_wakeup();

  io_uring_cqe* cqe = nullptr;
  int rc;
  if (timeout_ns < 0) {
    rc = io_uring_submit_and_wait(&ring_, 1);
  } else if (timeout_ns == 0) {
    rc = io_uring_submit(&ring_);
  } else {
    struct __kernel_timespec ts;
    ts.tv_sec = timeout_ns / 1'000'000'000;
    ts.tv_nsec = timeout_ns % 1'000'000'000;
    rc = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
  }
  if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) return rc;

  int32_t count = 0;
  unsigned seen = 0;
  unsigned head;
  io_uring_for_each_cqe(&ring_, head, cqe) {
    uint64_t data = io_uring_cqe_get_data64(cqe);
    if (data == kWakeTag) {
      uint64_t value;
      while (::read(wakefd_, &value, sizeof value) > 0) {
      }
      wake_armed_ = false;
      ++seen;
      continue;
    }
    if (data == kCancelTag) {
      ++seen;
      continue;
    }
    if (count >= capacity) break;  // the rest stay in the queue for next time
    ++seen;
    int32_t fd = static_cast<int32_t>(data & 0xffffffffu);
    uint32_t generation = static_cast<uint32_t>(data >> 32);
    if (fd < 0 || static_cast<size_t>(fd) >= slots_.size()) continue;
    Slot& s = slots_[fd];
    if (s.generation != generation) continue;  // superseded by a later watch()
    s.armed = false;
    if (cqe->res < 0) {
      // -ECANCELED after a remove we raced, or -EBADF for an fd closed while
      // watched: do not spin re-arming it; a new watch() clears this.
      if (cqe->res != -ECANCELED) s.broken = true;
      continue;
    }
    if (s.interest != 0 && !s.queued) {
      s.queued = true;
      to_arm_.push_back(fd);
    }
    out[count].token = s.token;
    out[count].kind = EDDY_EVENT_READINESS;
    out[count].events = from_poll(static_cast<unsigned>(cqe->res));
    out[count].result = 0;
    ++count;
  }
  io_uring_cq_advance(&ring_, seen);
  return count;
}

void UringPoller::wakeup() {
  uint64_t one = 1;
  ssize_t r = ::write(wakefd_, &one, sizeof one);
  (void)r;
}

int32_t UringPoller::native_handle(const char** kind, void** out) {
  *kind = "io_uring";
  *out = &ring_;
  return 0;
}

int32_t probe(const eddy_host*, char* reason, size_t reason_size) {
  // Test hook: pretend io_uring_setup failed with this errno (documented in
  // README.md) so the fallback path can be tested on any kernel.
  int err = 0;
  if (const char* fake = std::getenv("EDDY_IO_URING_FAKE_ERRNO"); fake && *fake) {
    err = std::atoi(fake);
  } else {
    struct io_uring ring;
    int rc = io_uring_queue_init(2, &ring, 0);
    if (rc == 0) {
      io_uring_queue_exit(&ring);
      return 0;
    }
    err = -rc;
  }
  const char* why;
  switch (err) {
    case ENOSYS:
      why = "the kernel has no io_uring (Linux 5.1+ needed, or CONFIG_IO_URING is off)";
      break;
    case EPERM:
    case EACCES:
      why = "io_uring_setup was refused: blocked by seccomp, or kernel.io_uring_disabled is set";
      break;
    case ENOMEM:
      why = "io_uring_setup ran out of memory: raise RLIMIT_MEMLOCK (ulimit -l)";
      break;
    default:
      why = "io_uring_setup failed";
      break;
  }
  std::snprintf(reason, reason_size, "%s (%s)", why, std::strerror(err));
  return -err;
}

}  // namespace eddy::backends::io_uring
