#include "epoll_poller.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>

namespace eddy::backends::epoll {
namespace {

// The wakeup eventfd's token: no fd token can be this large.
constexpr uint64_t kWakeToken = UINT64_MAX;
constexpr int kMaxBatch = 1024;

uint32_t to_epoll(uint32_t events) {
  return ((events & EDDY_READABLE) ? EPOLLIN | EPOLLRDHUP : 0u) |
         ((events & EDDY_WRITABLE) ? EPOLLOUT : 0u);
}

uint32_t from_epoll(uint32_t ev) {
  uint32_t out = 0;
  if (ev & (EPOLLIN | EPOLLPRI)) out |= EDDY_READABLE;
  if (ev & EPOLLOUT) out |= EDDY_WRITABLE;
  if (ev & EPOLLERR) out |= EDDY_ERROR;
  // A full hang-up (EPOLLHUP) ends both directions: both sides are woken, as
  // asyncio's EpollSelector does. EPOLLRDHUP (the peer shut down its writing)
  // only makes the fd readable (EOF); the writer is not concerned.
  if (ev & EPOLLHUP) out |= EDDY_HANGUP | EDDY_READABLE | EDDY_WRITABLE;
  if (ev & EPOLLRDHUP) out |= EDDY_HANGUP | EDDY_READABLE;
  return out;
}

}  // namespace

EpollPoller::~EpollPoller() {
  if (wakefd_ >= 0) ::close(wakefd_);
  if (epfd_ >= 0) ::close(epfd_);
}

int32_t EpollPoller::init() {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) return -errno;
  wakefd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wakefd_ < 0) return -errno;
  struct epoll_event ev {};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeToken;
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, wakefd_, &ev) < 0) return -errno;
  return 0;
}

int32_t EpollPoller::watch(int32_t fd, uint32_t events, uint64_t token) {
  if (fd < 0) return -EBADF;
  size_t index = static_cast<size_t>(fd);
  if (events == 0) {
    if (index < in_set_.size()) in_set_[index] = 0;
    // The fd may be closed already (the kernel then dropped it): not an error.
    if (epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr) < 0 && errno != ENOENT && errno != EBADF) {
      return -errno;
    }
    return 0;
  }
  struct epoll_event ev {};
  ev.events = to_epoll(events);
  ev.data.u64 = token;
  // One epoll_ctl per change: MOD for an fd this poller added, ADD for a new
  // one. Each falls back to the other when the kernel disagrees: an fd closed
  // and its number reused since it was added is no longer in the set (MOD
  // gives ENOENT), and EEXIST cannot happen unless the set was changed behind
  // our back, but is handled as a change all the same.
  bool known = index < in_set_.size() && in_set_[index] != 0;
  if (epoll_ctl(epfd_, known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) < 0) {
    if (errno != (known ? ENOENT : EEXIST)) return -errno;
    if (epoll_ctl(epfd_, known ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev) < 0) return -errno;
  }
  // Only a real fd gets here (the kernel refused the others), so the table
  // never grows past the process's fd limit.
  if (index >= in_set_.size()) in_set_.resize(index + 1, 0);
  in_set_[index] = 1;
  return 0;
}

int32_t EpollPoller::poll(int64_t timeout_ns, eddy_event* out, int32_t capacity) {
  struct epoll_event evs[kMaxBatch];
  int max = capacity < kMaxBatch ? capacity : kMaxBatch;
  int n;
  if (have_pwait2_) {
    struct timespec ts;
    struct timespec* tsp = nullptr;
    if (timeout_ns >= 0) {
      ts.tv_sec = static_cast<time_t>(timeout_ns / 1'000'000'000);
      ts.tv_nsec = static_cast<long>(timeout_ns % 1'000'000'000);
      tsp = &ts;
    }
    n = epoll_pwait2(epfd_, evs, max, tsp, nullptr);
    if (n < 0 && errno == ENOSYS) {
      have_pwait2_ = false;
      return poll(timeout_ns, out, capacity);
    }
  } else {
    int ms = -1;
    if (timeout_ns >= 0) {
      int64_t rounded = (timeout_ns + 999'999) / 1'000'000;  // up, never early
      ms = rounded > INT32_MAX ? INT32_MAX : static_cast<int>(rounded);
    }
    n = epoll_wait(epfd_, evs, max, ms);
  }
  if (n < 0) return errno == EINTR ? 0 : -errno;
  int32_t count = 0;
  for (int i = 0; i < n; ++i) {
    if (evs[i].data.u64 == kWakeToken) {
      uint64_t value;
      while (::read(wakefd_, &value, sizeof value) > 0) {
      }
      continue;
    }
    out[count].token = evs[i].data.u64;
    out[count].kind = EDDY_EVENT_READINESS;
    out[count].events = from_epoll(evs[i].events);
    out[count].result = 0;
    ++count;
  }
  return count;
}

void EpollPoller::wakeup() {
  uint64_t one = 1;
  // EAGAIN means the counter is saturated: the loop is awake anyway.
  ssize_t r = ::write(wakefd_, &one, sizeof one);
  (void)r;
}

int32_t EpollPoller::native_handle(const char** kind, void** out) {
  *kind = "epoll_fd";
  *out = &epfd_;
  return 0;
}

int32_t probe(const eddy_host*, char* reason, size_t reason_size) {
  int fd = epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    std::snprintf(reason, reason_size, "epoll_create1 failed: %s", eddy_strerror(-err));
    return -err;
  }
  ::close(fd);
  return 0;
}

}  // namespace eddy::backends::epoll
