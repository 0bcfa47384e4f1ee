// poll_backend.cc -- a complete eddy backend over poll(2), built outside the
// eddy tree with nothing but the installed SDK (pkg-config eddy-backend-sdk).
//
// It is the walk-through of docs/writing-a-backend.md: a Poller keeps the
// interest set in a pollfd array, poll() waits on it (rounding the timeout
// up to whole milliseconds, so BaseEventLoop never sees a timer fire early),
// and a pipe carries wakeups from other threads. BaseEventLoop supplies the
// rest of the loop ABI.
//
// Two deliberately broken variants, which eddy-conformance must reject:
// -DEDDY_TOY_BROKEN makes wakeup() do nothing (a lost wakeup), and
// -DEDDY_TOY_EARLY_TIMERS arms every timer 2 ms before its deadline.
//
// Thread-safety: as eddy::backend::Poller.
#include <eddy/backend/export.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <vector>

namespace {

class PollPoller final : public eddy::backend::Poller {
 public:
  ~PollPoller() override {
    if (wake_[0] >= 0) close(wake_[0]);
    if (wake_[1] >= 0) close(wake_[1]);
  }

  int32_t init() override {
    if (pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) return -errno;
    pfds_.push_back({wake_[0], POLLIN, 0});  // slot 0 is always the wakeup pipe
    tokens_.push_back(0);
    return 0;
  }

  int32_t watch(int32_t fd, uint32_t events, uint64_t token) override {
    if (events != 0 && fcntl(fd, F_GETFD) < 0) return -errno;
    short want = static_cast<short>(((events & EDDY_READABLE) ? POLLIN : 0) |
                                    ((events & EDDY_WRITABLE) ? POLLOUT : 0));
    for (size_t i = 1; i < pfds_.size(); ++i) {
      if (pfds_[i].fd != fd) continue;
      if (want == 0) {  // swap-remove
        pfds_[i] = pfds_.back();
        tokens_[i] = tokens_.back();
        pfds_.pop_back();
        tokens_.pop_back();
      } else {
        pfds_[i].events = want;
        tokens_[i] = token;
      }
      return 0;
    }
    if (want != 0) {
      pfds_.push_back({fd, want, 0});
      tokens_.push_back(token);
    }
    return 0;
  }

  int32_t poll(int64_t timeout_ns, eddy_event* out, int32_t capacity) override {
    int ms = timeout_ns < 0 ? -1 : static_cast<int>((timeout_ns + 999'999) / 1'000'000);
    int n = ::poll(pfds_.data(), pfds_.size(), ms);
    if (n < 0) return errno == EINTR ? 0 : -errno;
    int32_t count = 0;
    if (pfds_[0].revents) {
      char buf[64];
      while (read(wake_[0], buf, sizeof buf) > 0) {
      }
    }
    for (size_t i = 1; i < pfds_.size() && count < capacity; ++i) {
      short r = pfds_[i].revents;
      if (!r) continue;
      if (r & POLLNVAL) continue;  // closed behind our back; the owner will unwatch
      out[count].token = tokens_[i];
      out[count].kind = EDDY_EVENT_READINESS;
      out[count].events = ((r & POLLIN) ? EDDY_READABLE : 0u) |
                          ((r & POLLOUT) ? EDDY_WRITABLE : 0u) |
                          ((r & POLLERR) ? EDDY_ERROR : 0u) | ((r & POLLHUP) ? EDDY_HANGUP : 0u);
      out[count].result = 0;
      ++count;
    }
    return count;
  }

  void wakeup() override {
#ifndef EDDY_TOY_BROKEN
    char c = 1;
    ssize_t r = write(wake_[1], &c, 1);  // EAGAIN: a wakeup is already pending
    (void)r;
#endif
  }

 private:
  int wake_[2] = {-1, -1};
  std::vector<pollfd> pfds_;
  std::vector<uint64_t> tokens_;
};

int32_t probe_poll(const eddy_host*, char*, size_t) { return 0; }

std::unique_ptr<eddy::backend::Poller> make_poll_poller() { return std::make_unique<PollPoller>(); }

const eddy::backend::PluginSpec kPollSpec = {
    "poll", "0.1.0", "poll(2) toy backend built from the installed eddy SDK",
    EDDY_CAP_THREADSAFE_WAKEUP, 1, &probe_poll, &make_poll_poller,
};

}  // namespace

#ifndef EDDY_TOY_EARLY_TIMERS
EDDY_BACKEND_PLUGIN(poll, kPollSpec)
#else
// The broken variant wraps the SDK's vtable: its call_at moves each deadline
// 2 ms earlier, the kind of bug a hand-written backend that rounds a timeout
// down would have.
namespace {
int32_t (*sdk_call_at)(eddy_loop*, eddy_timer*, int64_t) = nullptr;
int32_t early_call_at(eddy_loop* loop, eddy_timer* timer, int64_t when) {
  return sdk_call_at(loop, timer, when - 2'000'000);
}
int32_t early_loop_create(const eddy_loop_config* config, eddy_loop** out) {
  return eddy::backend::create_loop(kPollSpec, config, out);
}
eddy_loop_vtable make_early_vtable() {
  eddy_loop_vtable vt = eddy::backend::make_vtable(&early_loop_create);
  sdk_call_at = vt.call_at;
  vt.call_at = &early_call_at;
  return vt;
}
const eddy_loop_vtable kEarlyVtable = make_early_vtable();
}  // namespace

extern "C" EDDY_EXPORT int32_t eddy_backend_negotiate(const eddy_negotiate_in* in,
                                                      eddy_backend_desc* out) {
  return eddy::backend::negotiate(kPollSpec, &kEarlyVtable, in, out);
}
#endif
