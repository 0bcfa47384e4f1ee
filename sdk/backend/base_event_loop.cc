#include "eddy/backend/base_event_loop.h"

#include <time.h>

#include <cerrno>
#include <cinttypes>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <utility>

namespace eddy::backend {
namespace {

// loop_state values of a handle.
constexpr uint32_t kIdle = 0;
constexpr uint32_t kReady = 1;       // on ready_ or running_
constexpr uint32_t kTimer = 2;       // in the timer heap
constexpr uint32_t kThreadsafe = 3;  // on ts_queue_

constexpr int32_t kEventCapacity = 1024;
constexpr uint32_t kNoIndex = UINT32_MAX;

int64_t monotonic_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

template <class T, class M>
T* container_of(M* member, M T::*field) {
  return reinterpret_cast<T*>(reinterpret_cast<char*>(member) -
                              reinterpret_cast<size_t>(&(static_cast<T*>(nullptr)->*field)));
}

eddy_timer* timer_of(eddy_handle* h) {
  return reinterpret_cast<eddy_timer*>(reinterpret_cast<char*>(h) - offsetof(eddy_timer, handle));
}

}  // namespace

// ---- List ----

BaseEventLoop::List::List() {
  eddy_handle_init(&head, nullptr);
  head.loop_next = head.loop_prev = &head;
}

void BaseEventLoop::List::push_back(eddy_handle* h) {
  h->loop_prev = head.loop_prev;
  h->loop_next = &head;
  head.loop_prev->loop_next = h;
  head.loop_prev = h;
}

eddy_handle* BaseEventLoop::List::pop_front() {
  eddy_handle* h = head.loop_next;
  unlink(h);
  return h;
}

void BaseEventLoop::List::splice_back(List& from) {
  if (from.empty()) return;
  eddy_handle* first = from.head.loop_next;
  eddy_handle* last = from.head.loop_prev;
  first->loop_prev = head.loop_prev;
  head.loop_prev->loop_next = first;
  last->loop_next = &head;
  head.loop_prev = last;
  from.head.loop_next = from.head.loop_prev = &from.head;
}

void BaseEventLoop::unlink(eddy_handle* h) {
  h->loop_prev->loop_next = h->loop_next;
  h->loop_next->loop_prev = h->loop_prev;
  h->loop_next = h->loop_prev = nullptr;
}

// ---- Life cycle ----

BaseEventLoop::BaseEventLoop(std::unique_ptr<Poller> poller, const eddy_loop_config& config)
    : poller_(std::move(poller)), config_{}, host_{} {
  // Copy only what the host's struct holds; zero the rest.
  size_t n = config.struct_size < sizeof(config_) ? config.struct_size : sizeof(config_);
  std::memcpy(&config_, &config, n);
  config_.struct_size = sizeof(config_);
  if (config_.host) {
    size_t hn = config_.host->struct_size < sizeof(host_) ? config_.host->struct_size
                                                          : sizeof(host_);
    std::memcpy(&host_, config_.host, hn);
  }
  debug_ = (config_.flags & EDDY_LOOP_FLAG_DEBUG) != 0;
  if (config_.slow_callback_ns > 0) slow_callback_ns_ = config_.slow_callback_ns;
  events_.resize(kEventCapacity);
}

BaseEventLoop::~BaseEventLoop() {
  if (!closed_) {
    run_depth_ = 0;
    close();
  }
}

int32_t BaseEventLoop::init() {
  now_ = monotonic_ns();
  return poller_->init();
}

int32_t BaseEventLoop::close() {
  if (closed_) return 0;
  if (run_depth_ > 0) return EDDY_ERR_CLOSE_RUNNING;
  closed_ = true;
  {
    std::lock_guard<std::mutex> lock(ts_mutex_);
    ts_closed_ = true;
  }
  for (size_t fd = 0; fd < fds_.size(); ++fd) {
    FdState* st = fds_[fd].get();
    if (st && st->interest) poller_->forget(static_cast<int32_t>(fd));
  }
  fds_.clear();
  hand_back_all();
  return 0;
}

void BaseEventLoop::hand_back_all() {
  // Everything still queued goes back to its owner unrun. A callback may
  // free its record, so take each off its queue first.
  List pending;
  {
    std::lock_guard<std::mutex> lock(ts_mutex_);
    pending.splice_back(ts_queue_);
    ts_nonempty_.store(false, std::memory_order_relaxed);
  }
  List all;
  all.splice_back(running_);
  all.splice_back(ready_);
  all.splice_back(pending);
  while (!heap_.empty()) {
    eddy_timer* t = heap_.back();
    heap_.pop_back();
    t->loop_index = kNoIndex;
    all.push_back(&t->handle);
  }
  while (!all.empty()) {
    eddy_handle* h = all.pop_front();
    h->loop_state = kIdle;
    if (h->callback) h->callback(h, EDDY_ERR_CANCELLED);
  }
}

// ---- Scheduling ----

int32_t BaseEventLoop::call_soon(eddy_handle* h) {
  if (closed_) return EDDY_ERR_CLOSED;
  if (h->loop_state != kIdle) return EDDY_ERR_BUSY;
  h->loop_state = kReady;
  ready_.push_back(h);
  return 0;
}

int32_t BaseEventLoop::call_soon_threadsafe(eddy_handle* h) {
  {
    std::lock_guard<std::mutex> lock(ts_mutex_);
    if (ts_closed_) return EDDY_ERR_CLOSED;
    if (h->loop_state != kIdle) return EDDY_ERR_BUSY;
    h->loop_state = kThreadsafe;
    ts_queue_.push_back(h);
    ts_nonempty_.store(true, std::memory_order_release);
  }
  // One wakeup per iteration is enough; the loop clears the flag after it
  // wakes and before it drains the queue, so no push is ever missed.
  if (!wakeup_pending_.exchange(true, std::memory_order_acq_rel)) poller_->wakeup();
  return 0;
}

int32_t BaseEventLoop::cancel(eddy_handle* h) {
  switch (h->loop_state) {
    case kReady:
      unlink(h);
      break;
    case kTimer:
      heap_remove(timer_of(h));
      break;
    case kThreadsafe: {
      std::lock_guard<std::mutex> lock(ts_mutex_);
      if (h->loop_state != kThreadsafe) return EDDY_ERR_NOT_QUEUED;
      unlink(h);
      break;
    }
    default:
      return EDDY_ERR_NOT_QUEUED;
  }
  h->loop_state = kIdle;
  return 0;
}

int32_t BaseEventLoop::call_at(eddy_timer* t, int64_t when) {
  if (closed_) return EDDY_ERR_CLOSED;
  if (t->handle.loop_state != kIdle) return EDDY_ERR_BUSY;
  t->when = when;
  t->loop_seq = timer_seq_++;
  t->handle.loop_state = kTimer;
  heap_.push_back(t);
  t->loop_index = static_cast<uint32_t>(heap_.size() - 1);
  heap_sift_up(heap_.size() - 1);
  return 0;
}

int64_t BaseEventLoop::time() const { return monotonic_ns(); }

// ---- Timer heap ----

bool BaseEventLoop::heap_less(const eddy_timer* a, const eddy_timer* b) const {
  return a->when < b->when || (a->when == b->when && a->loop_seq < b->loop_seq);
}

void BaseEventLoop::heap_place(size_t i, eddy_timer* t) {
  heap_[i] = t;
  t->loop_index = static_cast<uint32_t>(i);
}

void BaseEventLoop::heap_sift_up(size_t i) {
  eddy_timer* t = heap_[i];
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!heap_less(t, heap_[parent])) break;
    heap_place(i, heap_[parent]);
    i = parent;
  }
  heap_place(i, t);
}

void BaseEventLoop::heap_sift_down(size_t i) {
  eddy_timer* t = heap_[i];
  size_t n = heap_.size();
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && heap_less(heap_[child + 1], heap_[child])) ++child;
    if (!heap_less(heap_[child], t)) break;
    heap_place(i, heap_[child]);
    i = child;
  }
  heap_place(i, t);
}

void BaseEventLoop::heap_remove(eddy_timer* t) {
  size_t i = t->loop_index;
  eddy_timer* last = heap_.back();
  heap_.pop_back();
  t->loop_index = kNoIndex;
  if (last == t) return;
  heap_place(i, last);
  if (i > 0 && heap_less(last, heap_[(i - 1) / 2])) {
    heap_sift_up(i);
  } else {
    heap_sift_down(i);
  }
}

// ---- File descriptors ----

int32_t BaseEventLoop::add_reader(int32_t fd, eddy_io_fn fn, void* arg) {
  return add_watch(fd, false, fn, arg);
}
int32_t BaseEventLoop::add_writer(int32_t fd, eddy_io_fn fn, void* arg) {
  return add_watch(fd, true, fn, arg);
}
int32_t BaseEventLoop::remove_reader(int32_t fd) { return remove_watch(fd, false); }
int32_t BaseEventLoop::remove_writer(int32_t fd) { return remove_watch(fd, true); }

void BaseEventLoop::io_thunk(eddy_handle* h, int32_t status) {
  if (status != 0) return;  // the loop is closing; the watcher owns nothing
  FdWatch* w = container_of(h, &FdWatch::handle);
  if (w->fn) w->fn(w->arg, w->fd, w->events);
}

int32_t BaseEventLoop::add_watch(int32_t fd, bool writer, eddy_io_fn fn, void* arg) {
  if (closed_) return EDDY_ERR_CLOSED;
  if (fd < 0 || fn == nullptr) return -EINVAL;
  if (static_cast<size_t>(fd) >= fds_.size()) fds_.resize(static_cast<size_t>(fd) + 1);
  std::unique_ptr<FdState>& slot = fds_[fd];
  if (!slot) {
    slot = std::make_unique<FdState>();
    eddy_handle_init(&slot->reader.handle, &io_thunk);
    eddy_handle_init(&slot->writer.handle, &io_thunk);
    slot->reader.fd = slot->writer.fd = fd;
  }
  FdWatch& w = writer ? slot->writer : slot->reader;
  eddy_io_fn old_fn = w.fn;
  void* old_arg = w.arg;
  w.fn = fn;
  w.arg = arg;
  // Always re-assert the interest on add, even when the mask is unchanged:
  // the fd may have been closed and its number reused since the poller last
  // heard of it (epoll forgets closed fds by itself).
  int32_t rc = update_interest(fd, *slot, /*force=*/true);
  if (rc != 0) {
    w.fn = old_fn;
    w.arg = old_arg;
    return rc;
  }
  // asyncio cancels the replaced callback's handle: a call already queued in
  // this iteration is dropped, and the new callback waits for the next poll.
  if (w.handle.loop_state == kReady) {
    unlink(&w.handle);
    w.handle.loop_state = kIdle;
  }
  return 0;
}

int32_t BaseEventLoop::remove_watch(int32_t fd, bool writer) {
  if (closed_) return EDDY_ERR_CLOSED;
  if (fd < 0 || static_cast<size_t>(fd) >= fds_.size() || !fds_[fd]) return 0;
  FdState& st = *fds_[fd];
  FdWatch& w = writer ? st.writer : st.reader;
  if (!w.fn) return 0;
  w.fn = nullptr;
  w.arg = nullptr;
  if (w.handle.loop_state == kReady) {
    unlink(&w.handle);
    w.handle.loop_state = kIdle;
  }
  // The fd may already be closed; the kernel then forgot it by itself.
  (void)update_interest(fd, st);
  return 1;
}

int32_t BaseEventLoop::update_interest(int32_t fd, FdState& st, bool force) {
  uint32_t want = (st.reader.fn ? EDDY_READABLE : 0u) | (st.writer.fn ? EDDY_WRITABLE : 0u);
  if (want == st.interest && !(force && want != 0)) return 0;
  int32_t rc = poller_->watch(fd, want, static_cast<uint64_t>(fd));
  if (rc == 0 || want == 0) st.interest = want;
  return want == 0 ? 0 : rc;
}

// ---- Running ----

void BaseEventLoop::drain_threadsafe() {
  if (!ts_nonempty_.load(std::memory_order_acquire)) return;
  std::lock_guard<std::mutex> lock(ts_mutex_);
  for (eddy_handle* h = ts_queue_.head.loop_next; h != &ts_queue_.head; h = h->loop_next) {
    h->loop_state = kReady;
  }
  ready_.splice_back(ts_queue_);
  ts_nonempty_.store(false, std::memory_order_relaxed);
}

int32_t BaseEventLoop::run_once(int64_t timeout_ns) {
  if (closed_) return EDDY_ERR_CLOSED;
  if (run_depth_ > 0 && !in_run_forever_) return EDDY_ERR_RUNNING;
  if (in_run_forever_ && run_depth_ > 1) return EDDY_ERR_RUNNING;
  ++run_depth_;

  drain_threadsafe();
  int64_t timeout = -1;
  if (!ready_.empty() || stopping_) {
    timeout = 0;
  } else if (!heap_.empty()) {
    int64_t now = monotonic_ns();
    timeout = heap_.front()->when > now ? heap_.front()->when - now : 0;
  }
  if (timeout_ns >= 0 && (timeout < 0 || timeout_ns < timeout)) timeout = timeout_ns;

  // While callbacks keep the loop busy, a zero-timeout poll is a syscall per
  // iteration that usually finds nothing: task-to-task hand-offs (a queue
  // ping-pong, a chain of sleep(0)) cost one iteration each, and the poll was
  // most of it. So it is skipped for up to kMaxSkippedPolls iterations in a
  // row (tokio polls I/O every 61 task polls, for the same reason), and
  // never once kMaxPollGapNs have passed since the last one: I/O
  // readiness is seen at most that late, and timers and the cross-thread
  // queue are still checked every iteration.
  constexpr int32_t kMaxSkippedPolls = 64;
  constexpr int64_t kMaxPollGapNs = 50'000;
  int32_t n = 0;
  if (timeout == 0 && !ready_.empty() && !stopping_ && skipped_polls_ < kMaxSkippedPolls &&
      now_ - last_poll_ns_ < kMaxPollGapNs) {
    ++skipped_polls_;
  } else {
    skipped_polls_ = 0;
    n = poller_->poll(timeout, events_.data(), static_cast<int32_t>(events_.size()));
    // Clear before draining: a producer that pushes after this point wakes
    // us again, one that pushed before is drained below. (A skipped poll
    // leaves the flag set: producers need not wake a loop that is not
    // waiting, and the next poll sees their wakeup and clears it.)
    wakeup_pending_.store(false, std::memory_order_release);
  }
  if (n < 0) {
    if (n != -EINTR) report(n, "poller failed", nullptr);
    n = 0;
  }
  // The clock is read only when something needs it (a poll, which may have
  // blocked, or a timer to check): on this VM a read is ~35 ns, a fifth of a
  // task-to-task hand-off. Without timers, a skipped poll keeps the last
  // reading, and then only kMaxSkippedPolls bounds the gap.
  if (skipped_polls_ == 0 || !heap_.empty()) now_ = monotonic_ns();
  if (skipped_polls_ == 0) last_poll_ns_ = now_;
  drain_threadsafe();

  for (int32_t i = 0; i < n; ++i) {
    const eddy_event& ev = events_[i];
    if (ev.kind != EDDY_EVENT_READINESS) continue;
    size_t fd = static_cast<size_t>(ev.token);
    if (fd >= fds_.size() || !fds_[fd]) continue;
    FdState& st = *fds_[fd];
    // An error wakes both sides, as asyncio's selectors do. A hang-up wakes
    // the reader (it reads EOF); it wakes the writer only if the poller also
    // says writable: a peer's shutdown(SHUT_WR) (EPOLLRDHUP) leaves a full
    // send buffer full, and a woken writer would spin while the fd stays
    // half-closed.
    bool err = (ev.events & EDDY_ERROR) != 0;
    bool hup = (ev.events & EDDY_HANGUP) != 0;
    if (st.reader.fn && ((ev.events & EDDY_READABLE) || err || hup) &&
        st.reader.handle.loop_state == kIdle) {
      st.reader.events = ev.events;
      st.reader.handle.loop_state = kReady;
      ready_.push_back(&st.reader.handle);
    }
    if (st.writer.fn && ((ev.events & EDDY_WRITABLE) || err) && st.writer.handle.loop_state == kIdle) {
      st.writer.events = ev.events;
      st.writer.handle.loop_state = kReady;
      ready_.push_back(&st.writer.handle);
    }
  }

  // Due timers: deadline <= now, never earlier.
  while (!heap_.empty() && heap_.front()->when <= now_) {
    eddy_timer* t = heap_.front();
    heap_remove(t);
    t->handle.loop_state = kReady;
    ready_.push_back(&t->handle);
  }

  run_ready();
  --run_depth_;
  return 0;
}

void BaseEventLoop::run_ready() {
  running_.splice_back(ready_);
  if (!debug_) {
    while (!running_.empty()) {
      eddy_handle* h = running_.pop_front();
      h->loop_state = kIdle;
      h->callback(h, 0);
    }
    return;
  }
  while (!running_.empty()) {
    eddy_handle* h = running_.pop_front();
    h->loop_state = kIdle;
    run_callback(h);
  }
}

void BaseEventLoop::run_callback(eddy_handle* h) {
  int64_t start = monotonic_ns();
  h->callback(h, 0);
  int64_t took = monotonic_ns() - start;
  if (took < slow_callback_ns_) return;
  // The handle may have been freed by its own callback; it is passed only as
  // an identity for the host to look up, never dereferenced here.
  if (config_.slow_callback) {
    config_.slow_callback(config_.hook_arg, h, took);
  } else if (host_.log) {
    char msg[128];
    std::snprintf(msg, sizeof msg, "Executing <Handle %p> took %.3f seconds",
                  static_cast<void*>(h), static_cast<double>(took) * 1e-9);
    host_.log(host_.arg, EDDY_LOG_WARNING, msg);
  }
}

int32_t BaseEventLoop::run_forever() {
  if (closed_) return EDDY_ERR_CLOSED;
  if (run_depth_ > 0) return EDDY_ERR_RUNNING;
  in_run_forever_ = true;
  ++run_depth_;
  int32_t rc = 0;
  for (;;) {
    rc = run_once(-1);
    if (rc != 0 || stopping_) break;
  }
  stopping_ = false;
  --run_depth_;
  in_run_forever_ = false;
  return rc;
}

int32_t BaseEventLoop::stop() {
  if (closed_) return EDDY_ERR_CLOSED;
  stopping_ = true;
  return 0;
}

int32_t BaseEventLoop::set_debug(bool enabled, int64_t slow_callback_ns) {
  if (closed_) return EDDY_ERR_CLOSED;
  debug_ = enabled;
  if (slow_callback_ns > 0) slow_callback_ns_ = slow_callback_ns;
  return 0;
}

void BaseEventLoop::report(int32_t code, const char* message, eddy_handle* handle) {
  if (config_.exception_handler) {
    eddy_error_context ctx{sizeof(eddy_error_context), code, message, handle};
    config_.exception_handler(config_.hook_arg, &ctx);
  } else if (host_.log) {
    char msg[256];
    std::snprintf(msg, sizeof msg, "%s: %s", message, eddy_strerror(code));
    host_.log(host_.arg, EDDY_LOG_ERROR, msg);
  }
}

}  // namespace eddy::backend
