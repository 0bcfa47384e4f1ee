// event_poller.h -- the libevent backend's Poller.
//
// Each watched fd gets one persistent `event` (EV_PERSIST, level-triggered),
// the poll timeout is one evtimer (libevent counts microseconds and its epoll
// method rounds up to milliseconds, so it never wakes early), and wakeup() is
// an eventfd watched by a persistent event. poll() is one
// event_base_loop(EVLOOP_ONCE) (EVLOOP_NONBLOCK for a zero timeout). No
// evthread locking is needed: other threads only ever write the eventfd.
//
// The event_base is reachable through native_handle() for embedding.
//
// Thread-safety: as Poller -- wakeup() from any thread, the rest on the loop
// thread.
#ifndef EDDY_BACKENDS_EVENT_EVENT_POLLER_H_
#define EDDY_BACKENDS_EVENT_EVENT_POLLER_H_

#include <event2/event.h>

#include <cstdint>
#include <vector>

#include "eddy/backend/poller.h"

namespace eddy::backends::event {

class EventPoller final : public backend::Poller {
 public:
  EventPoller() = default;
  ~EventPoller() override;

  int32_t init() override;
  int32_t watch(int32_t fd, uint32_t events, uint64_t token) override;
  int32_t poll(int64_t timeout_ns, eddy_event* out, int32_t capacity) override;
  void wakeup() override;
  int32_t native_handle(const char** kind, void** out) override;

 private:
  struct Watch {
    ::event* ev = nullptr;
    EventPoller* owner = nullptr;
    uint64_t token = 0;
  };
  static void on_event(evutil_socket_t fd, short what, void* arg);

  event_base* base_ = nullptr;
  ::event* wake_ev_ = nullptr;
  ::event* timer_ev_ = nullptr;
  int wakefd_ = -1;
  std::vector<Watch*> watches_;  // indexed by fd
  eddy_event* out_ = nullptr;
  int32_t capacity_ = 0;
  int32_t count_ = 0;
};

int32_t probe(const eddy_host* host, char* reason, size_t reason_size);

}  // namespace eddy::backends::event

#endif  // EDDY_BACKENDS_EVENT_EVENT_POLLER_H_
