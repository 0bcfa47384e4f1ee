// eddy/task.h -- asyncio.Task: a Future that drives a coroutine.
//
// create_task(coro) schedules the coroutine on the running loop and returns a
// Task<T>, a copyable handle that is also a Future<T>: await it (any number of
// times), cancel it, ask its result. A task resumes without allocating: its
// shared state embeds the ABI timer whose handle also schedules its steps, so
// a wake-up is one intrusive call_soon and sleep() one intrusive call_at.
//
// Cancellation is asyncio's: cancel(msg) throws CancelledError(msg) into the
// coroutine at its await point (or cancels the future it awaits, which has
// the same effect and propagates down a chain of tasks); the coroutine may
// catch it and return, or even keep going. cancelling() counts the pending
// requests; uncancel() takes one back (Python 3.11+).
//
// Thread-safety: tasks belong to their loop's thread.
#ifndef EDDY_TASK_H_
#define EDDY_TASK_H_

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <string>
#include <vector>

#include "eddy/coro.h"
#include "eddy/future.h"

namespace eddy {

namespace detail {

// The ABI timer a task uses for its steps and sleeps, as a standard-layout
// base: the thunk gets from the timer to its task with a base-to-derived
// cast instead of a stored back pointer.
struct TaskStepTimer {
  eddy_timer step_timer_;
};

// The non-template part of a task: scheduling, sleeping, cancellation.
//
// Every byte here is paid by each suspended task, so what most tasks never
// use (a custom name, a cancel message) lives behind a pointer.
class TaskCore : public TaskStepTimer, public Driver {
 public:
  TaskCore(EventLoop* loop, FutureBase* future, std::string name);
  ~TaskCore() override;
  TaskCore* as_task() override { return this; }

  // Schedules the next step (no-op if one is scheduled already).
  void schedule();
  // Suspends until the loop time `when` (ns); <= now: one loop iteration.
  void sleep_until(int64_t when);
  bool cancel_task(const std::string& msg);
  int cancelling() const { return num_cancels_requested_; }
  int uncancel() {
    if (num_cancels_requested_ > 0) --num_cancels_requested_;
    return num_cancels_requested_;
  }
  const std::string& name() const;
  void set_name(std::string name) { name_ = std::make_unique<std::string>(std::move(name)); }
  FutureBase* future() const { return future_; }
  EventLoop* loop() const { return &future_->loop(); }

  // What the task awaits now (for cancel propagation), set by awaiters.
  FutureBase* fut_waiter_ = nullptr;
  // Every task of a loop that is not done, for all_tasks().
  TaskCore* next_ = nullptr;
  TaskCore* prev_ = nullptr;

  // Destroys the coroutine of a task that can never finish (its loop is
  // going away) and marks it cancelled.
  virtual void abandon() = 0;

 protected:
  // Resumes the coroutine; when it has finished, completes the future.
  void step();
  virtual bool coroutine_done() const = 0;
  virtual void complete() = 0;  // takes the coroutine's outcome
  void unlink();

  // The message of a pending cancel (null: none or empty).
  std::string cancel_msg() const { return cancel_msg_ ? *cancel_msg_ : std::string(); }

  FutureBase* future_;
  std::unique_ptr<std::string> cancel_msg_;
  bool must_cancel_ = false;

 private:
  static void step_thunk(eddy_handle* h, int32_t status);
  bool scheduled_ = false;
  bool sleeping_ = false;
  bool linked_ = false;  // on the loop's list of unfinished tasks
  int num_cancels_requested_ = 0;
  mutable std::unique_ptr<std::string> name_;  // null until named or asked
  uint64_t id_;
};

template <class T>
class TaskState final : public FutureState<T>, public TaskCore {
 public:
  TaskState(EventLoop* loop, Coro<T> coro, std::string name)
      : FutureState<T>(loop), TaskCore(loop, this, std::move(name)) {
    coro.mark_started();
    resume_point_ = coro.resume_point();  // deeper if it was stepped by hand
    coro_ = coro.release();
  }
  ~TaskState() override {
    this->report_unretrieved();
    destroy_coro();
  }
  bool cancel(std::string msg = {}) override { return cancel_task(msg); }
  bool is_task() const override { return true; }
  std::string describe() const override;
  void abandon() override {
    // Leave the future we wait on first: it must not wake (or keep) us.
    if (fut_waiter_) {
      fut_waiter_->remove_task_waiter(this);
      fut_waiter_ = nullptr;
    }
    destroy_coro();
    unlink();
    if (!this->done()) FutureBase::cancel("task abandoned: its loop was closed");
  }

 private:
  bool coroutine_done() const override { return coro_ && coro_.done(); }
  void complete() override;
  void destroy_coro() {
    if (coro_) std::exchange(coro_, nullptr).destroy();
  }
  // The handle alone (a Coro would add its manual-stepping driver).
  typename Coro<T>::handle_type coro_;
};

// Sets the future from a finished coroutine's outcome (asyncio's __step end).
std::exception_ptr take_cancelled(std::exception_ptr e, std::string* msg);

template <class T>
void TaskState<T>::complete() {
  auto& p = coro_.promise();
  std::exception_ptr e = p.exception_;
  std::string msg;
  if (e) {
    if (take_cancelled(e, &msg)) {
      FutureBase::cancel(msg);
    } else {
      this->set_exception(e);
    }
  } else if (must_cancel_) {
    // Cancelled right before the coroutine returned.
    must_cancel_ = false;
    FutureBase::cancel(cancel_msg());
  } else if constexpr (std::is_void_v<T>) {
    this->set_result();
  } else {
    this->set_result(std::move(*p.value_));
  }
  destroy_coro();  // free the frame now
  unlink();
}

template <class T>
std::string TaskState<T>::describe() const {
  return "<Task '" + name() + "'>";
}

}  // namespace detail

// A type-erased task handle: what all_tasks() and current_task() return.
class BasicTask {
 public:
  BasicTask() = default;
  explicit BasicTask(detail::TaskCore* t) : core_(t), ref_(t ? t->future() : nullptr) {}
  explicit operator bool() const { return core_ != nullptr; }
  bool done() const { return ref_->done(); }
  bool cancelled() const { return ref_->cancelled(); }
  bool cancel(std::string msg = {}) const { return ref_->cancel(std::move(msg)); }
  int cancelling() const { return core_->cancelling(); }
  int uncancel() const { return core_->uncancel(); }
  std::string get_name() const { return core_->name(); }
  void set_name(std::string n) const { core_->set_name(std::move(n)); }
  std::exception_ptr exception() const { return ref_->exception(); }
  EventLoop& get_loop() const { return ref_->loop(); }
  bool operator==(const BasicTask& o) const { return core_ == o.core_; }
  // Awaiting a BasicTask yields nothing (or rethrows).
  auto operator co_await() const { return detail::FutureAwaiter<void>(ref_.get()); }
  detail::FutureBase* future() const { return ref_.get(); }
  detail::TaskCore* core() const { return core_; }

 private:
  detail::TaskCore* core_ = nullptr;
  detail::Ref<detail::FutureBase> ref_;
};

template <class T = void>
class Task : public BasicTask {
 public:
  using value_type = T;
  Task() = default;
  explicit Task(detail::TaskState<T>* s) : BasicTask(static_cast<detail::TaskCore*>(s)), s_(s) {}

  decltype(auto) result() const { return s_->result_ref(); }
  auto operator co_await() const { return detail::FutureAwaiter<T>(s_); }
  // The task as a Future<T> (the same shared state).
  Future<T> as_future() const { return Future<T>(static_cast<detail::FutureState<T>*>(s_)); }
  template <class F>
  uint64_t add_done_callback(F fn) const {
    return as_future().add_done_callback(std::move(fn));
  }
  size_t remove_done_callback(uint64_t id) const { return s_->remove_callback(id); }

 private:
  detail::TaskState<T>* s_ = nullptr;  // kept alive by BasicTask's reference
};

// Schedules `coro` as a task on `loop` (asyncio's loop.create_task).
template <class T>
Task<T> create_task(EventLoop& loop, Coro<T> coro, std::string name = {}) {
  auto* s = new detail::TaskState<T>(&loop, std::move(coro), std::move(name));
  Task<T> t(s);
  s->schedule();
  return t;
}

// Schedules `coro` on the running loop (RuntimeError outside one).
template <class T>
Task<T> create_task(Coro<T> coro, std::string name = {}) {
  return create_task(get_running_loop(), std::move(coro), std::move(name));
}

// asyncio.ensure_future: a Coro becomes a task; a Task or Future is returned as is.
template <class T>
Task<T> ensure_future(Coro<T> coro) {
  return create_task(std::move(coro));
}
template <class T>
Task<T> ensure_future(Task<T> t) {
  return t;
}
template <class T>
Future<T> ensure_future(Future<T> f) {
  return f;
}

// The task running now, or an empty handle outside any task.
BasicTask current_task();
// Every task of `loop` (default: the running loop) that is not done.
std::vector<BasicTask> all_tasks(EventLoop* loop = nullptr);

// ---- EventLoop members that belong to the task layer ----

template <class T>
Task<T> EventLoop::create_task(Coro<T> coro, std::string name) {
  return eddy::create_task(*this, std::move(coro), std::move(name));
}

template <class T>
Future<T> EventLoop::create_future() {
  return Future<T>(*this);
}

namespace detail {
// Runs the loop until `f` is done (asyncio's run_until_complete core).
void run_until_done(EventLoop& loop, FutureBase* f);
}  // namespace detail

template <class A>
decltype(auto) EventLoop::run_until_complete(A&& aw) {
  if constexpr (is_coro_v<std::decay_t<A>>) {
    using V = typename std::decay_t<A>::value_type;
    auto task = eddy::create_task(*this, std::forward<A>(aw));
    detail::run_until_done(*this, task.future());
    if constexpr (std::is_void_v<V>) {
      task.future()->check_result();
    } else {
      return V(std::move(task.result()));
    }
  } else {
    detail::run_until_done(*this, aw.future());
    using V = typename std::decay_t<A>::value_type;
    if constexpr (std::is_void_v<V>) {
      aw.future()->check_result();
    } else {
      return V(aw.result());
    }
  }
}

}  // namespace eddy

#endif  // EDDY_TASK_H_
