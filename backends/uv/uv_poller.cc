#include "uv_poller.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace eddy::backends::uv {
namespace {

// epoll (which libuv uses) refuses regular files and directories with EPERM;
// libuv would abort() on that, so refuse them here first.
int32_t check_fd(int32_t fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return -errno;
  if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) return -EPERM;
  return 0;
}

int to_uv(uint32_t events) {
  return ((events & EDDY_READABLE) ? UV_READABLE | UV_DISCONNECT : 0) |
         ((events & EDDY_WRITABLE) ? UV_WRITABLE : 0);
}

void close_and_free(uv_handle_t* h) {
  uv_close(h, [](uv_handle_t* closed) { delete static_cast<UvPoller::Watch*>(closed->data); });
}

}  // namespace

UvPoller::~UvPoller() {
  if (!initialised_) return;
  for (Watch* w : watches_) {
    if (w) close_and_free(reinterpret_cast<uv_handle_t*>(&w->handle));
  }
  if (wake_fd_ >= 0) uv_close(reinterpret_cast<uv_handle_t*>(&wake_poll_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
  // Let the close callbacks run, then free the loop. Handles an embedder left
  // open keep uv_loop_close busy; the loop's memory is ours, so that is safe.
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_loop_close(&loop_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

int32_t UvPoller::init() {
  int rc = uv_loop_init(&loop_);
  if (rc != 0) return rc;
  initialised_ = true;
  // An eventfd rather than uv_async_t: libuv 1.44's loop thread spins (with
  // sched_yield) until the sending thread finishes uv_async_send, and when
  // the scheduler runs the woken loop on the sender's core that spin cost
  // ~30 us of CPU per wakeup here. Writing an eventfd has no such handshake.
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) return -errno;
  if ((rc = uv_poll_init(&loop_, &wake_poll_, wake_fd_)) != 0) {
    ::close(wake_fd_);
    wake_fd_ = -1;
    return rc;
  }
  wake_poll_.data = this;
  rc = uv_poll_start(&wake_poll_, UV_READABLE, [](uv_poll_t* h, int, int) {
    uint64_t n;
    (void)!::read(static_cast<UvPoller*>(h->data)->wake_fd_, &n, sizeof n);  // drain
  });
  if (rc != 0) return rc;
  if ((rc = uv_timer_init(&loop_, &timer_)) != 0) return rc;
  // The timer only bounds the wait; it must not keep uv_run alive by itself.
  uv_unref(reinterpret_cast<uv_handle_t*>(&timer_));
  return 0;
}

void UvPoller::on_poll(uv_poll_t* h, int status, int events) {
  auto* w = static_cast<Watch*>(h->data);
  UvPoller* self = w->owner;
  if (self->count_ >= self->capacity_) return;  // level-triggered: reported again next time
  uint32_t ev = 0;
  if (status < 0) {
    ev = EDDY_ERROR | EDDY_READABLE | EDDY_WRITABLE;
  } else {
    if (events & UV_READABLE) ev |= EDDY_READABLE;
    if (events & UV_WRITABLE) ev |= EDDY_WRITABLE;
    if (events & UV_DISCONNECT) ev |= EDDY_HANGUP;
  }
  eddy_event& e = self->out_[self->count_++];
  e.token = w->token;
  e.kind = EDDY_EVENT_READINESS;
  e.events = ev;
  e.result = 0;
}

int32_t UvPoller::watch(int32_t fd, uint32_t events, uint64_t token) {
  if (fd < 0) return -EBADF;
  if (static_cast<size_t>(fd) >= watches_.size()) watches_.resize(static_cast<size_t>(fd) + 1);
  Watch*& w = watches_[fd];
  if (events == 0) {
    if (w) {
      uv_poll_stop(&w->handle);
      close_and_free(reinterpret_cast<uv_handle_t*>(&w->handle));
      w = nullptr;
    }
    return 0;
  }
  if (int32_t rc = check_fd(fd); rc != 0) return rc;
  if (!w) {
    w = new Watch{{}, this, token};
    w->handle.data = w;
    int rc = uv_poll_init(&loop_, &w->handle, fd);
    if (rc != 0) {
      delete w;
      w = nullptr;
      return rc;
    }
  } else {
    // Stop first: libuv then forgets the fd and registers it afresh, which a
    // reused fd number needs (the kernel dropped the closed file).
    uv_poll_stop(&w->handle);
  }
  w->token = token;
  return uv_poll_start(&w->handle, to_uv(events), &UvPoller::on_poll);
}

int32_t UvPoller::poll(int64_t timeout_ns, eddy_event* out, int32_t capacity) {
  out_ = out;
  capacity_ = capacity;
  count_ = 0;
  if (timeout_ns == 0) {
    uv_run(&loop_, UV_RUN_NOWAIT);
  } else {
    if (timeout_ns > 0) {
      uint64_t ms = static_cast<uint64_t>((timeout_ns + 999'999) / 1'000'000);  // up, never early
      uv_update_time(&loop_);
      // The callback stops the loop. uv_run(UV_RUN_ONCE) runs due timers
      // *before* it polls: when this thread is preempted past the deadline
      // between here and uv_run, the timer fires first, libuv's timer heap is
      // then empty and the poll would block with no timeout at all (seen as a
      // hang under load). uv_stop makes that poll return at once.
      uv_timer_start(&timer_, [](uv_timer_t* t) { uv_stop(t->loop); }, ms, 0);
    }
    uv_run(&loop_, UV_RUN_ONCE);
    uv_timer_stop(&timer_);
  }
  out_ = nullptr;
  return count_;
}

void UvPoller::wakeup() {
  uint64_t one = 1;
  // EAGAIN only when the counter is saturated, and then a wakeup is pending.
  (void)!::write(wake_fd_, &one, sizeof one);
}

int32_t UvPoller::native_handle(const char** kind, void** out) {
  *kind = "uv_loop_t";
  *out = &loop_;
  return 0;
}

int32_t probe(const eddy_host*, char* reason, size_t reason_size) {
  uv_loop_t loop;
  int rc = uv_loop_init(&loop);
  if (rc != 0) {
    std::snprintf(reason, reason_size, "uv_loop_init failed: %s", uv_strerror(rc));
    return rc;
  }
  uv_loop_close(&loop);
  return 0;
}

}  // namespace eddy::backends::uv
