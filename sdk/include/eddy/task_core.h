// eddy/task_core.h -- the non-template part of a task (internal).
//
// TaskCore is a FutureBase that drives a coroutine: it schedules the
// coroutine's steps, sleeps, and cancels, for every TaskState<T> (task.h).
// Everything in it is paid by each suspended task, so it is laid out for
// size: the flags sit in FutureBase's tail padding, a custom name and the
// task id share one word, a pending cancel's message waits in the future's
// exception slot, and the one ABI timer both schedules steps (call_soon of
// its handle) and sleeps (call_at). BENCHMARKS.md lists the bytes.
//
// ManualDriver is what Coro::send()/throw_() use instead of a task.
//
// Thread-safety: tasks belong to their loop's thread.
#ifndef EDDY_TASK_CORE_H_
#define EDDY_TASK_CORE_H_

#include <coroutine>
#include <cstdint>
#include <exception>
#include <new>
#include <string>

#include "eddy/block_pool.h"
#include "eddy/future.h"

namespace eddy::detail {

// Drives a Coro by hand (send / throw_).
class ManualDriver {
 public:
  std::coroutine_handle<> resume_point_;
  std::exception_ptr injected_;  // thrown at the next await point
};

class TaskCore : public FutureBase {
  // Declared first: the flags fill FutureBase's tail padding (Itanium C++
  // ABI), which is what keeps a suspended task within 256 bytes.
  bool scheduled_ : 1 = false;
  bool sleeping_ : 1 = false;
  bool linked_ : 1 = false;         // on the loop's list of unfinished tasks
  bool must_cancel_ : 1 = false;    // cancel() before the next step
  bool inject_cancel_ : 1 = false;  // throw CancelledError at the await point
  // asyncio's _num_cancels_requested (saturates at 65535).
  uint16_t num_cancels_requested_ = 0;

 public:
  TaskCore(EventLoop* loop, std::coroutine_handle<> coro, std::coroutine_handle<> resume_point,
           std::string name);
  ~TaskCore() override;
  // Task states come from the per-thread block pool (block_pool.h). The
  // sized delete gets the dynamic type's size: the destructor is virtual.
  static void* operator new(size_t n) { return pool_alloc(n); }
  static void operator delete(void* p, size_t n) noexcept { pool_free(p, n); }
  // A task of an over-aligned T is not pooled (pool blocks have operator
  // new's default alignment).
  static void* operator new(size_t n, std::align_val_t a) { return ::operator new(n, a); }
  // Unsized: clang does not declare the sized global forms by default.
  static void operator delete(void* p, size_t, std::align_val_t a) noexcept {
    ::operator delete(p, a);
  }

  // Schedules the next step (no-op if one is scheduled already).
  void schedule();
  // schedule() for a wake-up from a done future: a loop that is closed
  // rejects it quietly (the task is abandoned with the loop instead).
  void wake();
  // Suspends until the loop time `when` (ns); <= now: one loop iteration.
  void sleep_until(int64_t when);
  bool cancel(std::string msg = {}) override;
  int cancelling() const { return num_cancels_requested_; }
  int uncancel() {
    if (num_cancels_requested_ > 0) --num_cancels_requested_;
    return num_cancels_requested_;
  }
  const std::string& name() const;
  void set_name(std::string name);
  FutureBase* future() { return this; }
  std::string describe() const override;

  // Destroys the coroutine of a task that can never finish (its loop is
  // going away) and marks it cancelled.
  void abandon();

  // Throws the pending cancellation into the coroutine (at an await point).
  void rethrow_injected() {
    if (inject_cancel_) throw_injected();
  }

  // Where the task resumes next: the innermost coroutine of its chain.
  std::coroutine_handle<> resume_point_;
  // What the task awaits now (for cancel propagation), set by awaiters.
  FutureBase* fut_waiter_ = nullptr;
  // Every task of a loop that is not done, for all_tasks().
  TaskCore* next_ = nullptr;
  TaskCore* prev_ = nullptr;

 protected:
  // The finished coroutine's exception (null if it returned) ...
  virtual std::exception_ptr promise_exception() = 0;
  // ... and its value, moved into the task (TaskState<T>).
  virtual void take_value() = 0;
  void destroy_coro();
  std::coroutine_handle<> coro_;  // the task's own coroutine (type-erased)

 private:
  void step();
  // Completes the future from the finished coroutine (asyncio's __step end).
  void complete();
  void unlink();
  static TaskCore* from_step_handle(eddy_handle* h);
  [[noreturn]] void throw_injected();
  static void step_thunk(eddy_handle* h, int32_t status);

  eddy_timer step_timer_;
  // The name if one was given or asked for (a std::string*), else the task
  // id shifted left with the low bit set: "Task-<id>" is made only if asked.
  mutable uintptr_t name_;
};

inline void Driver::set_resume_point(std::coroutine_handle<> h) const {
  if (TaskCore* t = as_task()) {
    t->resume_point_ = h;
  } else {
    as_manual()->resume_point_ = h;
  }
}

inline void Driver::rethrow_injected() const {
  if (TaskCore* t = as_task()) {
    t->rethrow_injected();
  } else if (ManualDriver* m = as_manual()) {
    if (m->injected_) std::rethrow_exception(std::exchange(m->injected_, nullptr));
  }
}

}  // namespace eddy::detail

#endif  // EDDY_TASK_CORE_H_
