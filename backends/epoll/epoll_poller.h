// epoll_poller.h -- the epoll backend's Poller: epoll + an eventfd wakeup.
//
// Interest is level-triggered (no EPOLLET), so BaseEventLoop's semantics hold
// without re-arming. poll() sleeps with ns precision through epoll_pwait2()
// when the kernel has it (Linux 5.11+); otherwise the timeout is rounded up
// to whole milliseconds, so a timer never fires early.
//
// Thread-safety: as Poller -- wakeup() from any thread, the rest on the loop
// thread.
#ifndef EDDY_BACKENDS_EPOLL_EPOLL_POLLER_H_
#define EDDY_BACKENDS_EPOLL_EPOLL_POLLER_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "eddy/backend/poller.h"

namespace eddy::backends::epoll {

class EpollPoller final : public backend::Poller {
 public:
  EpollPoller() = default;
  ~EpollPoller() override;

  int32_t init() override;
  int32_t watch(int32_t fd, uint32_t events, uint64_t token) override;
  int32_t poll(int64_t timeout_ns, eddy_event* out, int32_t capacity) override;
  void wakeup() override;
  int32_t native_handle(const char** kind, void** out) override;

 private:
  int epfd_ = -1;
  int wakefd_ = -1;
  bool have_pwait2_ = true;  // cleared on ENOSYS
  // Which fds this poller has added to the epoll set, indexed by fd, so that
  // a change costs one epoll_ctl (a fresh add used to try MOD first and then
  // ADD). Grows to the highest fd watched; nothing is allocated after that.
  std::vector<uint8_t> in_set_;
};

// Whether epoll can run here (it always can on Linux; the probe checks anyway).
int32_t probe(const eddy_host* host, char* reason, size_t reason_size);

}  // namespace eddy::backends::epoll

#endif  // EDDY_BACKENDS_EPOLL_EPOLL_POLLER_H_
