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
#include "eddy/task_core.h"

namespace eddy {

namespace detail {

// A task of T: its TaskCore and, once done, the coroutine's value.
template <class T>
class TaskState final : public TaskCore {
 public:
  TaskState(EventLoop* loop, Coro<T> coro, std::string name)
      : TaskCore(loop, coro.handle(), coro.resume_point(), std::move(name)) {
    coro.mark_started();
    (void)coro.release();  // the frame is the task's now
  }

 private:
  auto& promise() { return Coro<T>::handle_type::from_address(coro_.address()).promise(); }
  std::exception_ptr promise_exception() override { return promise().exception_; }
  void* value_slot() override { return &value_; }
  void take_value() override { value_.emplace(std::move(*promise().value_)); }
  std::optional<T> value_;
};

template <>
class TaskState<void> final : public TaskCore {
 public:
  TaskState(EventLoop* loop, Coro<void> coro, std::string name)
      : TaskCore(loop, coro.handle(), coro.resume_point(), std::move(name)) {
    coro.mark_started();
    (void)coro.release();
  }

 private:
  std::exception_ptr promise_exception() override {
    return Coro<void>::handle_type::from_address(coro_.address()).promise().exception_;
  }
  void take_value() override {}
};

}  // namespace detail

// A type-erased task handle: what all_tasks() and current_task() return.
class BasicTask {
 public:
  BasicTask() = default;
  explicit BasicTask(detail::TaskCore* t) : t_(t) {}
  explicit operator bool() const { return static_cast<bool>(t_); }
  bool done() const { return t_->done(); }
  bool cancelled() const { return t_->cancelled(); }
  bool cancel(std::string msg = {}) const { return t_->cancel(std::move(msg)); }
  int cancelling() const { return t_->cancelling(); }
  int uncancel() const { return t_->uncancel(); }
  std::string get_name() const { return t_->name(); }
  void set_name(std::string n) const { t_->set_name(std::move(n)); }
  std::exception_ptr exception() const { return t_->exception(); }
  EventLoop& get_loop() const { return t_->loop(); }
  bool operator==(const BasicTask& o) const { return t_.get() == o.t_.get(); }
  // Awaiting a BasicTask yields nothing (or rethrows).
  auto operator co_await() const { return detail::FutureAwaiter<void>(t_.get()); }
  detail::FutureBase* future() const { return t_.get(); }
  detail::TaskCore* core() const { return t_.get(); }

 private:
  detail::Ref<detail::TaskCore> t_;
};

template <class T = void>
class Task : public BasicTask {
 public:
  using value_type = T;
  Task() = default;
  explicit Task(detail::TaskState<T>* s) : BasicTask(s) {}

  decltype(auto) result() const { return core()->template result_ref<T>(); }
  auto operator co_await() const { return detail::FutureAwaiter<T>(core()); }
  // The task as a Future<T> (the same shared state).
  Future<T> as_future() const { return Future<T>(core()); }
  template <class F>
  uint64_t add_done_callback(F fn) const {
    return as_future().add_done_callback(std::move(fn));
  }
  size_t remove_done_callback(uint64_t id) const { return core()->remove_callback(id); }
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
