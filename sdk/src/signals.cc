// EventLoop::add_signal_handler / remove_signal_handler.
//
// One process-wide sigaction handler per signal, shared by every loop. Each
// loop that handles a signal owns a non-blocking self-pipe and puts its write
// end into a fixed table slot for that signal; the C handler writes the
// signal number, as one byte, into every pipe of its row (write(2) and
// atomic loads only: async-signal-safe). Each loop watches its read end with
// add_reader and calls its callbacks on its own thread, from the loop.
//
// A slot is cleared before its pipe may close, and the closer then waits
// until no handler is running (g_in_handler), so a handler never writes to a
// descriptor that was closed and perhaps reused. Registration and the
// sigaction calls themselves are serialized by g_mu, which the handler never
// takes.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/strings/str_format.h"
#include "eddy/event_loop.h"
#include "eddy/exceptions.h"

namespace eddy {
namespace detail {
namespace {

// How many loops may handle one signal at the same time.
constexpr int kSlotsPerSignal = 32;

// Write end + 1 of each registered loop's pipe; 0 = free. Zero-initialized,
// so the table needs no constructor and is usable from the first signal.
std::atomic<int> g_slots[NSIG][kSlotsPerSignal];
// Handlers running right now, on any thread.
std::atomic<int> g_in_handler{0};

// Serializes registration; never taken by the signal handler.
std::mutex g_mu;
struct Installed {
  int loops = 0;                 // slots in use for this signal
  struct sigaction previous {};  // restored when `loops` drops to 0
};
Installed g_installed[NSIG];  // guarded by g_mu

extern "C" void on_signal(int sig) {
  int saved_errno = errno;
  g_in_handler.fetch_add(1);
  unsigned char byte = static_cast<unsigned char>(sig);
  if (sig > 0 && sig < NSIG) {
    for (std::atomic<int>& slot : g_slots[sig]) {
      int v = slot.load();
      // A full pipe drops the byte; the loop is woken by the bytes already
      // there, as with Python's wakeup fd.
      if (v > 0) (void)!::write(v - 1, &byte, 1);
    }
  }
  g_in_handler.fetch_sub(1);
  errno = saved_errno;
}

void check_signal(int sig) {
  if (sig <= 0 || sig >= NSIG) throw ValueError(absl::StrFormat("invalid signal number %d", sig));
}

}  // namespace

// A loop's handlers.
struct SignalState {
  struct Entry {
    std::function<void()> callback;
    bool removed = false;  // a delivery queued before removal does not run
  };
  int read_fd = -1;
  int write_fd = -1;
  // sig -> (slot index in g_slots[sig], handler).
  std::map<int, std::pair<int, std::shared_ptr<Entry>>> handlers;
};

namespace {

// Puts `write_fd` into a free slot of `sig` and installs the C handler if
// this is the first loop for the signal. Returns the slot.
int register_signal(int sig, int write_fd) {
  std::lock_guard<std::mutex> lock(g_mu);
  int slot = -1;
  for (int i = 0; i < kSlotsPerSignal; ++i) {
    if (g_slots[sig][i].load() == 0) {
      slot = i;
      break;
    }
  }
  if (slot < 0) {
    throw RuntimeError(absl::StrFormat("too many event loops handle signal %d", sig));
  }
  Installed& in = g_installed[sig];
  if (in.loops == 0) {
    struct sigaction sa {};
    sa.sa_handler = &on_signal;
    sigemptyset(&sa.sa_mask);
    // asyncio turns syscall interruption off (siginterrupt(sig, False)).
    sa.sa_flags = SA_RESTART;
    if (::sigaction(sig, &sa, &in.previous) < 0) {
      if (errno == EINVAL) throw RuntimeError(absl::StrFormat("sig %d cannot be caught", sig));
      raise_os_error(errno);
    }
  }
  ++in.loops;
  g_slots[sig][slot].store(write_fd + 1);
  return slot;
}

void unregister_signal(int sig, int slot) {
  std::lock_guard<std::mutex> lock(g_mu);
  g_slots[sig][slot].store(0);
  Installed& in = g_installed[sig];
  if (--in.loops == 0) ::sigaction(sig, &in.previous, nullptr);
}

// Called on the loop thread when the self-pipe is readable.
void dispatch(EventLoop& loop, SignalState& st) {
  unsigned char buf[256];
  while (true) {
    ssize_t n = ::read(st.read_fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i) {
      auto it = st.handlers.find(buf[i]);
      if (it == st.handlers.end()) continue;  // removed since delivery
      // asyncio schedules the handler as a callback (_add_callback_signalsafe).
      loop.call_soon([e = it->second.second] {
        if (!e->removed) e->callback();
      });
    }
    if (n < static_cast<ssize_t>(sizeof(buf))) break;
  }
}

}  // namespace
}  // namespace detail

void EventLoop::add_signal_handler(int sig, std::function<void()> callback) {
  detail::check_signal(sig);
  if (sig == SIGKILL || sig == SIGSTOP) {
    throw RuntimeError(absl::StrFormat("sig %d cannot be caught", sig));
  }
  if (!callback) throw ValueError("callback must be callable");
  check_not_closed("add_signal_handler");
  if (!signals_) {
    auto st = std::make_unique<detail::SignalState>();
    int p[2];
    if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) raise_os_error(errno);
    st->read_fd = p[0];
    st->write_fd = p[1];
    try {
      detail::SignalState* raw = st.get();
      add_reader(raw->read_fd, [this, raw] { detail::dispatch(*this, *raw); });
    } catch (...) {
      ::close(p[0]);
      ::close(p[1]);
      throw;
    }
    signals_ = st.release();
  }
  auto it = signals_->handlers.find(sig);
  if (it != signals_->handlers.end()) {
    // Replacing: keep the slot, retire the old callback.
    it->second.second->removed = true;
    it->second.second = std::make_shared<detail::SignalState::Entry>();
    it->second.second->callback = std::move(callback);
    return;
  }
  auto entry = std::make_shared<detail::SignalState::Entry>();
  entry->callback = std::move(callback);
  int slot = detail::register_signal(sig, signals_->write_fd);
  signals_->handlers.emplace(sig, std::make_pair(slot, std::move(entry)));
}

bool EventLoop::remove_signal_handler(int sig) {
  detail::check_signal(sig);
  if (!signals_) return false;
  auto it = signals_->handlers.find(sig);
  if (it == signals_->handlers.end()) return false;
  it->second.second->removed = true;
  detail::unregister_signal(sig, it->second.first);
  signals_->handlers.erase(it);
  return true;
}

void EventLoop::close_signal_handlers() {
  detail::SignalState* st = std::exchange(signals_, nullptr);
  if (!st) return;
  for (auto& [sig, h] : st->handlers) {
    h.second->removed = true;
    detail::unregister_signal(sig, h.first);
  }
  if (!is_closed()) remove_reader(st->read_fd);
  // No handler may still hold the write end we are about to close.
  while (detail::g_in_handler.load() != 0) std::this_thread::yield();
  ::close(st->read_fd);
  ::close(st->write_fd);
  delete st;
}

}  // namespace eddy
