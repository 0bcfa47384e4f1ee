// eddy/event_loop.h -- the application's event loop (asyncio's loop object).
//
// An EventLoop owns one loop created by a backend plugin and talks to it only
// through the loop ABI (eddy/loop_abi.h). It adds what C++ code needs on top:
// callbacks that are any callable, asyncio's Handle/TimerHandle, the exception
// handler, debug mode, and per-thread "current loop" bookkeeping
// (get_running_loop, get_event_loop, set_event_loop).
//
// Callbacks scheduled with call_soon/call_later/call_at are stored in pooled
// nodes with inline storage: scheduling a small lambda allocates nothing once
// the pool is warm. A callback that throws does not stop the loop: the
// exception goes to the exception handler, as in asyncio.
//
// Thread-safety: an EventLoop is used on one thread (the one that created
// it), except call_soon_threadsafe(), which any thread may call while the
// loop exists. Handles must be used on the loop thread and not after the loop
// is destroyed.
#ifndef EDDY_EVENT_LOOP_H_
#define EDDY_EVENT_LOOP_H_

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "eddy/backends.h"
#include "eddy/exceptions.h"
#include "eddy/inline_function.h"
#include "eddy/loop_abi.h"

namespace eddy {

class EventLoop;
template <class T>
class Coro;
template <class T>
class Task;
template <class T>
class Future;
class ThreadPoolExecutor;
namespace detail {
struct LoopGuard;
struct SignalState;

// Something holding an fd watcher or other loop resource that must let go
// when the loop is closed (an open transport or server): close() and the
// destructor call loop_closed() on each one still attached. Intrusive, so
// attaching allocates nothing.
class LoopResource {
 public:
  virtual void loop_closed() = 0;

 protected:
  ~LoopResource() = default;

 private:
  friend class eddy::EventLoop;
  LoopResource* prev_ = nullptr;
  LoopResource* next_ = nullptr;
};
}  // namespace detail

namespace detail {
class TaskCore;
// A pooled callback record: the ABI timer (whose handle also serves
// call_soon) plus the callable. `generation` changes each time the node is
// recycled, so a stale Handle cannot cancel a later callback.
struct CallbackNode {
  eddy_timer timer;
  InlineFunction fn;
  EventLoop* loop = nullptr;
  uint64_t generation = 0;
  bool cancelled = false;
  bool pooled = true;  // false for nodes made on another thread
  CallbackNode* next_free = nullptr;
};
}  // namespace detail

// asyncio.Handle: what call_soon returns.
class Handle {
 public:
  Handle() = default;
  // Prevents the callback from running if it has not run yet. Idempotent.
  void cancel();
  bool cancelled() const { return cancelled_; }

 protected:
  friend class EventLoop;
  Handle(detail::CallbackNode* node, uint64_t gen) : node_(node), gen_(gen) {}
  detail::CallbackNode* node_ = nullptr;
  uint64_t gen_ = 0;
  bool cancelled_ = false;
};

// asyncio.TimerHandle: what call_later / call_at return.
class TimerHandle : public Handle {
 public:
  TimerHandle() = default;
  // The scheduled time, in loop-time seconds.
  double when() const { return static_cast<double>(when_ns_) * 1e-9; }
  int64_t when_ns() const { return when_ns_; }

 private:
  friend class EventLoop;
  TimerHandle(detail::CallbackNode* node, uint64_t gen, int64_t when)
      : Handle(node, gen), when_ns_(when) {}
  int64_t when_ns_ = 0;
};

// The context passed to an exception handler (asyncio's dict, as a struct).
struct ExceptionContext {
  std::string message;
  std::exception_ptr exception;  // may be null
  std::string handle;            // a description of the callback, may be empty
  std::string task;              // the task's name, when a task is involved
  std::string future;            // a description of a future, when one is involved
};

using ExceptionHandler = std::function<void(EventLoop&, const ExceptionContext&)>;

class EventLoop {
 public:
  using Clock = std::chrono::steady_clock;

  // Creates a loop on the backend LoopOptions selects. Throws BackendError.
  explicit EventLoop(const LoopOptions& options = {});
  // Closes the loop if it is not closed (pending callbacks are dropped) and
  // releases it.
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // ---- Running and stopping ----
  // Runs until stop(). Throws RuntimeError if closed or already running, or
  // if another loop is running on this thread.
  void run_forever();
  // Runs one iteration (asyncio's _run_once), polling for at most `timeout`.
  void run_once(std::chrono::nanoseconds timeout = std::chrono::nanoseconds(-1));
  void stop();
  // Throws RuntimeError if running. Idempotent.
  void close();
  bool is_running() const;
  bool is_closed() const;

  // ---- Time ----
  // Loop time in seconds (monotonic), as asyncio's loop.time().
  double time() const { return static_cast<double>(time_ns()) * 1e-9; }
  int64_t time_ns() const { return vt_->time(loop_); }

  // ---- Callbacks ----
  template <class F>
  Handle call_soon(F&& fn) {
    detail::CallbackNode* n = acquire_node();
    n->fn.emplace(std::forward<F>(fn));
    return schedule_soon(n);
  }
  template <class F>
  Handle call_soon_threadsafe(F&& fn) {
    detail::CallbackNode* n = acquire_threadsafe_node();
    n->fn.emplace(std::forward<F>(fn));
    return schedule_threadsafe(n);
  }
  template <class F>
  TimerHandle call_at(int64_t when_ns, F&& fn) {
    detail::CallbackNode* n = acquire_node();
    n->fn.emplace(std::forward<F>(fn));
    return schedule_at(n, when_ns);
  }
  // when is loop time in seconds, as asyncio.
  template <class F>
  TimerHandle call_at(double when, F&& fn) {
    return call_at(static_cast<int64_t>(when * 1e9), std::forward<F>(fn));
  }
  template <class Rep, class Period, class F>
  TimerHandle call_later(std::chrono::duration<Rep, Period> delay, F&& fn) {
    return call_at(time_ns() + to_ns(delay), std::forward<F>(fn));
  }
  template <class F>
  TimerHandle call_later(double seconds, F&& fn) {
    return call_at(time_ns() + static_cast<int64_t>(seconds * 1e9), std::forward<F>(fn));
  }

  // ---- Tasks and futures (defined in eddy/task.h) ----
  // asyncio's loop.create_task / create_future / run_until_complete. The
  // latter runs the loop until the awaitable (a Coro, Task or Future) is done
  // and returns its value or rethrows; RuntimeError("Event loop stopped
  // before Future completed.") if stop() ended the loop first.
  template <class T>
  Task<T> create_task(Coro<T> coro, std::string name = {});
  template <class T = void>
  Future<T> create_future();
  template <class A>
  decltype(auto) run_until_complete(A&& awaitable);

  // ---- Executors (defined in eddy/executor.h) ----
  // Runs fn(args...) on `executor` (nullptr: the default one) and returns a
  // Future of its result.
  template <class F, class... Args>
  auto run_in_executor(ThreadPoolExecutor* executor, F fn, Args... args)
      -> Future<std::invoke_result_t<F, Args...>>;
  // Replaces the default executor (the loop takes ownership).
  void set_default_executor(std::unique_ptr<ThreadPoolExecutor> executor);
  // Shuts the default executor down, waiting at most `timeout` for running
  // jobs; a job still blocked then is reported (not waited on). Returns false
  // on timeout.
  bool shutdown_default_executor(std::chrono::nanoseconds timeout = std::chrono::seconds(300));
  // The default executor, made on first use.
  ThreadPoolExecutor& default_executor();
  // Shared with worker threads: lets them post results only while the loop
  // exists.
  const std::shared_ptr<detail::LoopGuard>& loop_guard() const { return guard_; }

  // ---- File descriptors ----
  // The callback runs while fd is readable (writable); replaces a previous one.
  // Throws ValueError for a negative fd, OSError if the fd cannot be watched.
  void add_reader(int fd, std::function<void()> callback);
  void add_writer(int fd, std::function<void()> callback);
  // True if a callback was registered.
  bool remove_reader(int fd);
  bool remove_writer(int fd);
  // The same with a C callback and no std::function (the transports' path:
  // nothing is allocated). Replaces a previous callback of either kind;
  // remove_reader / remove_writer remove it.
  void add_reader_raw(int fd, eddy_io_fn fn, void* arg) { add_raw_watcher(fd, false, fn, arg); }
  void add_writer_raw(int fd, eddy_io_fn fn, void* arg) { add_raw_watcher(fd, true, fn, arg); }

  // Transports and servers register here to be told when the loop closes.
  void attach_resource(detail::LoopResource* r);
  void detach_resource(detail::LoopResource* r);

  // ---- Unix signals (defined in signals.cc) ----
  // The callback runs on this loop's thread, from the loop, after `sig` is
  // delivered to the process; replaces a previous one. Several loops (on
  // several threads) may handle the same signal: each gets called. Throws
  // ValueError for an invalid signal number, RuntimeError for SIGKILL/SIGSTOP
  // or a closed loop.
  void add_signal_handler(int sig, std::function<void()> callback);
  // True if a handler was removed. The signal's previous disposition comes
  // back when the last loop handling it lets go; close() removes them all.
  bool remove_signal_handler(int sig);

  // ---- Errors and debug ----
  void set_exception_handler(ExceptionHandler handler);
  const ExceptionHandler& get_exception_handler() const { return handler_; }
  void call_exception_handler(const ExceptionContext& context);
  void default_exception_handler(const ExceptionContext& context);
  void set_debug(bool enabled);
  bool get_debug() const { return debug_; }
  std::chrono::nanoseconds slow_callback_duration() const { return slow_callback_; }
  void set_slow_callback_duration(std::chrono::nanoseconds d);

  // ---- Introspection and the raw ABI ----
  // The backend's name ("epoll", "uv", ...).
  const std::string& backend() const { return backend_.name; }
  const BackendInfo& backend_info() const { return backend_; }
  // The native loop object ("uv_loop_t" -> uv_loop_t*); nullptr if the
  // backend has none or `kind` does not match.
  void* native_handle(std::string_view kind) const;
  const eddy_loop_vtable* vtable() const { return vt_; }
  eddy_loop* abi_loop() const { return loop_; }
  // Schedules a caller-owned ABI handle (the task layer resumes coroutines
  // this way, without allocating). Throws RuntimeError if the loop is closed.
  void call_soon_raw(eddy_handle* h) {
    int32_t rc = vt_->call_soon(loop_, h);
    if (rc != 0) raise_for_code(rc, "call_soon");
  }

  // The first task of the loop's list of unfinished tasks (all_tasks()).
  detail::TaskCore* first_task() const { return tasks_; }

  // Names what runs now, for debug-mode slow-callback reports ("Executing
  // <Task 'fetch'> took 0.2 seconds"). Kept until the next callback sets it;
  // a no-op outside debug mode.
  void set_current_description(std::string_view d);

 private:
  friend class Handle;
  template <class Rep, class Period>
  static int64_t to_ns(std::chrono::duration<Rep, Period> d) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  }
  detail::CallbackNode* acquire_node();
  // Any thread: a node from the cross-thread pool (below).
  detail::CallbackNode* acquire_threadsafe_node();
  void release_node(detail::CallbackNode* n);
  Handle schedule_soon(detail::CallbackNode* n);
  Handle schedule_threadsafe(detail::CallbackNode* n);
  TimerHandle schedule_at(detail::CallbackNode* n, int64_t when);
  void cancel_node(detail::CallbackNode* n);
  static void node_thunk(eddy_handle* h, int32_t status);
  void run_guarded(detail::InlineFunction& fn, const char* what);
  void check_not_closed(const char* what) const;
  void add_watcher(int fd, bool writer, std::function<void()> callback);
  void add_raw_watcher(int fd, bool writer, eddy_io_fn fn, void* arg);
  // Tells every attached resource that the loop is gone.
  void release_resources();
  detail::LoopResource* resources_ = nullptr;
  bool remove_watcher(int fd, bool writer);

  // ABI hooks.
  static void on_backend_error(void* arg, const eddy_error_context* ctx);
  static void on_slow_callback(void* arg, eddy_handle* h, int64_t ns);

  BackendInfo backend_;
  const eddy_loop_vtable* vt_ = nullptr;
  eddy_loop* loop_ = nullptr;
  ExceptionHandler handler_;
  bool debug_ = false;
  std::chrono::nanoseconds slow_callback_{std::chrono::milliseconds(100)};
  std::string last_description_;

  detail::CallbackNode* free_nodes_ = nullptr;
  size_t free_count_ = 0;
  std::vector<std::unique_ptr<detail::CallbackNode[]>> node_blocks_;
  // Nodes for call_soon_threadsafe, taken on any thread and returned on the
  // loop thread, under ts_nodes_mutex_. Like pooled nodes they live as long
  // as the loop, so a Handle that outlives its callback never points at
  // freed memory (its cancel() sees a newer generation and does nothing);
  // their number is the peak of callbacks in flight, not the total.
  std::mutex ts_nodes_mutex_;
  detail::CallbackNode* ts_free_ = nullptr;
  std::vector<std::unique_ptr<detail::CallbackNode>> ts_nodes_;

  // The task layer's list of tasks that are not done (all_tasks()).
  friend class detail::TaskCore;
  detail::TaskCore* tasks_ = nullptr;
  std::unique_ptr<ThreadPoolExecutor> default_executor_;
  std::shared_ptr<detail::LoopGuard> guard_;
  uint64_t task_counter_ = 0;
  // Cancels and frees every task that can no longer finish (close/destroy).
  void abandon_tasks();

  // This loop's signal handlers and self-pipe (signals.cc); null until the
  // first add_signal_handler. Freed by close_signal_handlers().
  detail::SignalState* signals_ = nullptr;
  void close_signal_handlers();

  // fd -> the watcher record given to the backend (owned; see event_loop.cc).
  absl::flat_hash_map<int, void*> readers_, writers_;
};

// ---- The current loop (per thread) ----

// The loop running on this thread. Throws RuntimeError("no running event
// loop") outside a running loop.
EventLoop& get_running_loop();
// The running loop, else the loop set for this thread; in the main thread
// one is created on first use (asyncio's legacy behaviour); in another thread
// throws RuntimeError until set_event_loop() is called.
EventLoop& get_event_loop();
// Sets (or with nullptr clears) this thread's loop. Does not take ownership.
void set_event_loop(EventLoop* loop);
// A new loop; the caller owns it.
std::unique_ptr<EventLoop> new_event_loop(const LoopOptions& options = {});

namespace detail {
// The running loop of this thread or nullptr (asyncio's _get_running_loop).
EventLoop* running_loop();
// Records that a loop exists (or no longer does), for late diagnostics.
void register_loop(const EventLoop* loop, bool alive);
}  // namespace detail

}  // namespace eddy

#endif  // EDDY_EVENT_LOOP_H_
