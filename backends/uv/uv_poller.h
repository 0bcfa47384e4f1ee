// uv_poller.h -- the libuv backend's Poller.
//
// Each watched fd gets one uv_poll_t (libuv allows only one per fd), the poll
// timeout is one one-shot uv_timer_t (libuv counts milliseconds: the timeout
// is rounded up), and wakeup() writes an eventfd watched by one more
// uv_poll_t (not uv_async_send: see README.md). poll() is one
// uv_run(UV_RUN_ONCE) (UV_RUN_NOWAIT for a zero timeout); the uv_poll_t
// callbacks collect readiness into the caller's event array.
//
// libuv aborts the process when epoll refuses an fd, so watch() checks the fd
// first (closed: -EBADF; regular file or directory: -EPERM, as epoll says) and
// re-registers it on every call, so a closed fd whose number was reused is
// watched again. The uv_loop_t is reachable through native_handle() for
// embedding: plain libuv handles on it run beside eddy callbacks.
//
// Thread-safety: as Poller -- wakeup() from any thread, the rest on the loop
// thread.
#ifndef EDDY_BACKENDS_UV_UV_POLLER_H_
#define EDDY_BACKENDS_UV_UV_POLLER_H_

#include <uv.h>

#include <cstdint>
#include <vector>

#include "eddy/backend/poller.h"

namespace eddy::backends::uv {

class UvPoller final : public backend::Poller {
 public:
  UvPoller() = default;
  ~UvPoller() override;

  int32_t init() override;
  int32_t watch(int32_t fd, uint32_t events, uint64_t token) override;
  int32_t poll(int64_t timeout_ns, eddy_event* out, int32_t capacity) override;
  void wakeup() override;
  int32_t native_handle(const char** kind, void** out) override;

  // One uv_poll_t per fd; freed in its close callback, as libuv requires.
  struct Watch {
    uv_poll_t handle;
    UvPoller* owner;
    uint64_t token;
  };

 private:
  static void on_poll(uv_poll_t* h, int status, int events);

  uv_loop_t loop_{};
  // The wakeup: an eventfd and its uv_poll_t. Referenced, so uv_run(ONCE)
  // blocks even when no fd is watched.
  int wake_fd_ = -1;
  uv_poll_t wake_poll_{};
  uv_timer_t timer_{};
  bool initialised_ = false;
  std::vector<Watch*> watches_;  // indexed by fd
  // Where the current poll() collects events.
  eddy_event* out_ = nullptr;
  int32_t capacity_ = 0;
  int32_t count_ = 0;
};

int32_t probe(const eddy_host* host, char* reason, size_t reason_size);

}  // namespace eddy::backends::uv

#endif  // EDDY_BACKENDS_UV_UV_POLLER_H_
