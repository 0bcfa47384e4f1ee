// eddy/backend/base_event_loop.h -- the loop ABI implemented once, over a Poller.
//
// BaseEventLoop is asyncio's BaseEventLoop for eddy backends. It owns
//   - the ready queue: an intrusive circular list of caller-owned handles; each
//     iteration runs exactly the callbacks that were ready when its run phase
//     began (later ones wait for the next iteration);
//   - the timer heap: a binary heap of caller-owned timers ordered by
//     (deadline, sequence), so equal deadlines run FIFO; cancel removes a timer
//     from the heap at once (O(log n)), leaving nothing behind to compact;
//   - the clock: CLOCK_MONOTONIC in ns, read once per iteration for expiry; a
//     timer is due only when its deadline <= the clock, never earlier;
//   - the cross-thread queue: a mutex-guarded list fed by call_soon_threadsafe,
//     drained into the ready queue each iteration, with one coalesced wakeup;
//   - per-fd reader/writer watchers whose callbacks run from the ready queue;
//   - run_once / run_forever / stop / close and debug-mode slow-callback reports.
// Nothing here allocates per operation: the heap and the fd table grow to
// their high-water mark and stay there.
//
// Thread-safety: a BaseEventLoop is used from its loop thread only, except
// call_soon_threadsafe(), which any thread may call until the loop is destroyed.
#ifndef EDDY_BACKEND_BASE_EVENT_LOOP_H_
#define EDDY_BACKEND_BASE_EVENT_LOOP_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "eddy/backend/poller.h"
#include "eddy/loop_abi.h"

namespace eddy::backend {

class BaseEventLoop {
 public:
  BaseEventLoop(std::unique_ptr<Poller> poller, const eddy_loop_config& config);
  ~BaseEventLoop();
  BaseEventLoop(const BaseEventLoop&) = delete;
  BaseEventLoop& operator=(const BaseEventLoop&) = delete;

  // Initialises the poller. Returns 0 or an error code.
  int32_t init();

  int32_t call_soon(eddy_handle* handle);
  int32_t call_soon_threadsafe(eddy_handle* handle);
  int32_t cancel(eddy_handle* handle);
  int32_t call_at(eddy_timer* timer, int64_t when);
  int64_t time() const;

  int32_t add_reader(int32_t fd, eddy_io_fn fn, void* arg);
  int32_t add_writer(int32_t fd, eddy_io_fn fn, void* arg);
  int32_t remove_reader(int32_t fd);
  int32_t remove_writer(int32_t fd);

  int32_t run_once(int64_t timeout_ns);
  int32_t run_forever();
  int32_t stop();
  int32_t close();
  bool is_running() const { return run_depth_ > 0; }
  bool is_closed() const { return closed_; }
  int32_t set_debug(bool enabled, int64_t slow_callback_ns);
  int32_t native_handle(const char** kind, void** out) { return poller_->native_handle(kind, out); }

  Poller& poller() { return *poller_; }

 private:
  // Intrusive circular list of handles with a sentinel.
  struct List {
    eddy_handle head;
    List();
    bool empty() const { return head.loop_next == &head; }
    void push_back(eddy_handle* h);
    eddy_handle* pop_front();
    void splice_back(List& from);  // moves every node of `from` to the end
  };
  static void unlink(eddy_handle* h);

  // One fd's watchers. Lives as long as the loop (addresses are stable), so a
  // callback may remove its own watcher while it runs.
  struct FdWatch {
    eddy_handle handle;  // queued when the poller reports readiness
    eddy_io_fn fn = nullptr;
    void* arg = nullptr;
    uint32_t events = 0;  // what the poller reported
    int32_t fd = -1;
  };
  struct FdState {
    FdWatch reader;
    FdWatch writer;
    uint32_t interest = 0;  // what the poller was last told
  };

  int32_t add_watch(int32_t fd, bool writer, eddy_io_fn fn, void* arg);
  int32_t remove_watch(int32_t fd, bool writer);
  int32_t update_interest(int32_t fd, FdState& st, bool force = false);
  static void io_thunk(eddy_handle* h, int32_t status);

  // Timer heap.
  bool heap_less(const eddy_timer* a, const eddy_timer* b) const;
  void heap_place(size_t i, eddy_timer* t);
  void heap_sift_up(size_t i);
  void heap_sift_down(size_t i);
  void heap_remove(eddy_timer* t);

  void drain_threadsafe();
  void run_ready();
  void run_callback(eddy_handle* h);
  void report(int32_t code, const char* message, eddy_handle* handle);
  void hand_back_all();

  std::unique_ptr<Poller> poller_;
  eddy_loop_config config_;
  eddy_host host_;

  List ready_;    // scheduled for the next run phase
  List running_;  // the current run phase's snapshot
  std::vector<eddy_timer*> heap_;
  uint64_t timer_seq_ = 0;
  std::vector<std::unique_ptr<FdState>> fds_;
  std::vector<eddy_event> events_;

  int run_depth_ = 0;  // run_once nesting guard / run_forever depth
  bool in_run_forever_ = false;
  bool stopping_ = false;
  bool closed_ = false;
  bool debug_ = false;
  int64_t slow_callback_ns_ = 100'000'000;
  int64_t now_ = 0;
  // Zero-timeout polls skipped in a row while callbacks stayed ready, and
  // when the poller last ran (see run_once).
  int32_t skipped_polls_ = 0;
  int64_t last_poll_ns_ = 0;

  // Cross-thread queue. ts_closed_ mirrors closed_ under the lock.
  std::mutex ts_mutex_;
  List ts_queue_;
  bool ts_closed_ = false;
  std::atomic<bool> ts_nonempty_{false};
  std::atomic<bool> wakeup_pending_{false};
};

}  // namespace eddy::backend

#endif  // EDDY_BACKEND_BASE_EVENT_LOOP_H_
