#include "event_poller.h"

#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace eddy::backends::event {
namespace {

// epoll refuses regular files and directories with EPERM, and libevent would
// log a warning to stderr for it; refuse them here first, quietly.
int32_t check_fd(int32_t fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return -errno;
  if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) return -EPERM;
  return 0;
}

}  // namespace

EventPoller::~EventPoller() {
  for (Watch* w : watches_) {
    if (w) {
      event_free(w->ev);
      delete w;
    }
  }
  if (wake_ev_) event_free(wake_ev_);
  if (timer_ev_) event_free(timer_ev_);
  if (base_) event_base_free(base_);
  if (wakefd_ >= 0) ::close(wakefd_);
}

int32_t EventPoller::init() {
  base_ = event_base_new();
  if (!base_) return -ENOMEM;
  wakefd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wakefd_ < 0) return -errno;
  wake_ev_ = event_new(
      base_, wakefd_, EV_READ | EV_PERSIST,
      [](evutil_socket_t fd, short, void*) {
        uint64_t value;
        while (::read(fd, &value, sizeof value) > 0) {
        }
      },
      nullptr);
  timer_ev_ = evtimer_new(base_, [](evutil_socket_t, short, void*) {}, nullptr);
  if (!wake_ev_ || !timer_ev_ || event_add(wake_ev_, nullptr) != 0) return -ENOMEM;
  return 0;
}

void EventPoller::on_event(evutil_socket_t, short what, void* arg) {
  auto* w = static_cast<Watch*>(arg);
  EventPoller* self = w->owner;
  if (self->count_ >= self->capacity_) return;  // level-triggered: reported again next time
  eddy_event& e = self->out_[self->count_++];
  e.token = w->token;
  e.kind = EDDY_EVENT_READINESS;
  e.events = ((what & EV_READ) ? EDDY_READABLE : 0u) | ((what & EV_WRITE) ? EDDY_WRITABLE : 0u);
  e.result = 0;
}

int32_t EventPoller::watch(int32_t fd, uint32_t events, uint64_t token) {
  if (fd < 0) return -EBADF;
  if (static_cast<size_t>(fd) >= watches_.size()) watches_.resize(static_cast<size_t>(fd) + 1);
  Watch*& w = watches_[fd];
  if (w) {
    // Deleting and re-adding makes libevent register the fd afresh, which a
    // reused fd number needs (the kernel dropped the closed file).
    event_free(w->ev);
    delete w;
    w = nullptr;
  }
  if (events == 0) return 0;
  if (int32_t rc = check_fd(fd); rc != 0) return rc;
  short what = static_cast<short>(EV_PERSIST | ((events & EDDY_READABLE) ? EV_READ : 0) |
                                  ((events & EDDY_WRITABLE) ? EV_WRITE : 0));
  auto* nw = new Watch;
  nw->owner = this;
  nw->token = token;
  nw->ev = event_new(base_, fd, what, &EventPoller::on_event, nw);
  if (!nw->ev) {
    delete nw;
    return -ENOMEM;
  }
  if (event_add(nw->ev, nullptr) != 0) {
    int err = errno ? errno : EINVAL;
    event_free(nw->ev);
    delete nw;
    return -err;
  }
  w = nw;
  return 0;
}

int32_t EventPoller::poll(int64_t timeout_ns, eddy_event* out, int32_t capacity) {
  out_ = out;
  capacity_ = capacity;
  count_ = 0;
  int rc;
  if (timeout_ns == 0) {
    // NONBLOCK alone keeps looping while any event is active, which a
    // level-triggered readable fd (whose data only the loop's callback will
    // read) always is: ONCE makes it one pass.
    rc = event_base_loop(base_, EVLOOP_NONBLOCK | EVLOOP_ONCE);
  } else {
    if (timeout_ns > 0) {
      int64_t us = (timeout_ns + 999) / 1000;  // up, never early
      struct timeval tv;
      tv.tv_sec = static_cast<time_t>(us / 1'000'000);
      tv.tv_usec = static_cast<suseconds_t>(us % 1'000'000);
      evtimer_add(timer_ev_, &tv);
    }
    rc = event_base_loop(base_, EVLOOP_ONCE);
    evtimer_del(timer_ev_);
  }
  out_ = nullptr;
  if (rc < 0) return errno == EINTR ? 0 : -(errno ? errno : EIO);
  return count_;
}

void EventPoller::wakeup() {
  uint64_t one = 1;
  ssize_t r = ::write(wakefd_, &one, sizeof one);  // EAGAIN: already awake
  (void)r;
}

int32_t EventPoller::native_handle(const char** kind, void** out) {
  *kind = "event_base";
  *out = base_;
  return 0;
}

int32_t probe(const eddy_host*, char* reason, size_t reason_size) {
  event_base* b = event_base_new();
  if (!b) {
    std::snprintf(reason, reason_size, "event_base_new failed");
    return -ENOMEM;
  }
  event_base_free(b);
  return 0;
}

}  // namespace eddy::backends::event
