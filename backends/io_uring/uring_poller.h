// uring_poller.h -- the io_uring backend's Poller.
//
// Readiness comes from one-shot IORING_OP_POLL_ADD requests. The loop
// contract is level-triggered (a still-readable fd is reported in every
// iteration), and a one-shot poll gives exactly that: after a completion the
// fd is re-armed at the next poll(), and the kernel checks readiness when the
// request is armed, so a still-ready fd completes at once. Multishot polls
// (Linux 5.13+) report edges, not levels, and would need a readiness re-check
// per iteration anyway; see README.md.
//
// Waiting uses io_uring_submit_and_wait_timeout(), so the arming of this
// iteration's polls and the wait are one io_uring_enter() call, with a
// __kernel_timespec timeout (ns precision). Wakeup is an eventfd with its own
// one-shot poll request.
//
// Thread-safety: as Poller -- wakeup() from any thread, the rest on the loop
// thread.
#ifndef EDDY_BACKENDS_IO_URING_URING_POLLER_H_
#define EDDY_BACKENDS_IO_URING_URING_POLLER_H_

#include <liburing.h>

#include <cstdint>
#include <vector>

#include "eddy/backend/poller.h"

namespace eddy::backends::io_uring {

class UringPoller final : public backend::Poller {
 public:
  UringPoller() = default;
  ~UringPoller() override;

  int32_t init() override;
  int32_t watch(int32_t fd, uint32_t events, uint64_t token) override;
  int32_t poll(int64_t timeout_ns, eddy_event* out, int32_t capacity) override;
  void wakeup() override;
  int32_t native_handle(const char** kind, void** out) override;

 private:
  struct Slot {
    uint32_t interest = 0;   // EDDY_READABLE | EDDY_WRITABLE
    uint32_t generation = 0; // bumps on every change; stale completions are dropped
    bool armed = false;      // a poll request is in flight
    bool queued = false;     // on to_arm_
    bool broken = false;     // the kernel refused the fd (closed); re-armed only on change
    uint64_t token = 0;
  };

  io_uring_sqe* get_sqe();
  void arm(int32_t fd, Slot& s);
  void arm_wakeup();
  void cancel(int32_t fd, Slot& s);

  struct io_uring ring_ {};
  bool ring_ready_ = false;
  int wakefd_ = -1;
  bool wake_armed_ = false;
  std::vector<Slot> slots_;
  std::vector<int32_t> to_arm_;
};

// Whether io_uring can run here; fills `reason` with why not.
int32_t probe(const eddy_host* host, char* reason, size_t reason_size);

}  // namespace eddy::backends::io_uring

#endif  // EDDY_BACKENDS_IO_URING_URING_POLLER_H_
