// eddy/backend/poller.h -- the small interface a backend implements.
//
// BaseEventLoop (base_event_loop.h) implements the whole loop ABI once: the
// ready queue, the timer heap, the clock, the cross-thread queue, stop/close,
// debug reports. What differs between epoll, libuv, libevent or io_uring is
// only how the loop waits for file descriptors and how another thread wakes
// it. That is this interface; a backend author writes a Poller subclass and a
// plugin entry (export.h) -- about two hundred lines.
//
// Interest is level-triggered: once watch(fd, EDDY_READABLE, token) is set, every
// poll() reports the fd for as long as it stays readable.
//
// Thread-safety: every method is called on the loop thread, except wakeup(),
// which may be called from any thread at any time between init() and the
// destructor, concurrently with poll().
#ifndef EDDY_BACKEND_POLLER_H_
#define EDDY_BACKEND_POLLER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "eddy/loop_abi.h"

namespace eddy::backend {

class Poller {
 public:
  virtual ~Poller() = default;

  // Acquires OS resources (the epoll fd, the uv loop, the wakeup channel).
  // Returns 0 or an error code; the loop fails to be created on error.
  virtual int32_t init() = 0;

  // Sets the interest set of fd to `events` (EDDY_READABLE | EDDY_WRITABLE),
  // replacing the previous one; events == 0 stops watching fd. `token` is
  // reported back in eddy_event.token. Called when the interest changes, and
  // again with an unchanged mask whenever a watcher is added (the fd may be a
  // new file under a reused number that the kernel has never seen), never per
  // readiness event. Returns 0 or -errno (-EBADF, -EPERM for regular files
  // under epoll).
  virtual int32_t watch(int32_t fd, uint32_t events, uint64_t token) = 0;

  // Called once when an fd's interest drops to zero because the fd is being
  // forgotten (close of the loop); default: watch(fd, 0, 0).
  virtual void forget(int32_t fd) { watch(fd, 0, 0); }

  // Waits until at least one watched fd is ready, wakeup() is called, or
  // timeout_ns elapses (-1: no limit, 0: do not block). Never returns before
  // the timeout unless something happened, except that an interrupted wait
  // (EINTR) may return early with no events. A backend whose clock is coarser
  // than ns rounds the timeout up. Writes at most `capacity` events into
  // `out`; returns how many (>= 0) or an error code.
  virtual int32_t poll(int64_t timeout_ns, eddy_event* out, int32_t capacity) = 0;

  // Makes a concurrent or the next poll() return promptly. Thread-safe,
  // async-signal-safe where possible; BaseEventLoop already coalesces calls,
  // so a wakeup is rarely sent twice per iteration.
  virtual void wakeup() = 0;

  // The native loop object for embedding; kind names its type. Optional.
  virtual int32_t native_handle(const char** kind, void** out) {
    (void)kind;
    (void)out;
    return EDDY_ERR_NOT_SUPPORTED;
  }
};

}  // namespace eddy::backend

#endif  // EDDY_BACKEND_POLLER_H_
