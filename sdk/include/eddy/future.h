// eddy/future.h -- asyncio.Future in C++: a loop-aware result slot.
//
// A Future<T> is a cheap, copyable handle to shared state (like a Python
// reference): copies see the same result. Its state goes pending -> finished
// (a value or an exception) or pending -> cancelled, once. Done callbacks run
// from the loop (scheduled with call_soon when the future completes), never
// synchronously from set_result, exactly as asyncio. `co_await future` inside
// a task suspends the task until the future is done and yields the value or
// rethrows; a task cancelled while it awaits a future cancels that future.
//
// An exception that nobody retrieved (result(), exception(), or an await) is
// reported to the loop's exception handler when the last handle goes away:
// "Future exception was never retrieved" / "Task exception was never
// retrieved".
//
// Thread-safety: a future belongs to its loop's thread. To complete one from
// another thread, post the completion with EventLoop::call_soon_threadsafe.
#ifndef EDDY_FUTURE_H_
#define EDDY_FUTURE_H_

#include <coroutine>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "absl/container/inlined_vector.h"
#include "eddy/event_loop.h"
#include "eddy/exceptions.h"

namespace eddy {

// A value or an exception: what gather(return_exceptions, ...) yields per child.
template <class T>
class Outcome {
 public:
  using value_type = std::conditional_t<std::is_void_v<T>, std::monostate, T>;
  Outcome() = default;
  explicit Outcome(value_type v) : v_(std::move(v)) {}
  explicit Outcome(std::exception_ptr e) : v_(std::move(e)) {}
  bool has_value() const { return v_.index() == 0; }
  // The value; rethrows the exception if there is one.
  value_type& value() {
    if (!has_value()) std::rethrow_exception(std::get<1>(v_));
    return std::get<0>(v_);
  }
  // The exception, or null.
  std::exception_ptr exception() const { return has_value() ? nullptr : std::get<1>(v_); }

 private:
  std::variant<value_type, std::exception_ptr> v_;
};

namespace detail {

class TaskCore;
class FutureBase;

class ManualDriver;

// What runs a coroutine now: a task, manual stepping (Coro::send), or
// nothing. A tagged pointer rather than a base class, so that a task carries
// no driver state of its own beyond its resume point (see task_core.h).
// Awaiters record where to resume and take exceptions to throw in at the
// await point through it.
class Driver {
 public:
  Driver() = default;
  explicit Driver(TaskCore* t) : bits_(reinterpret_cast<uintptr_t>(t)) {}
  explicit Driver(ManualDriver* m) : bits_(reinterpret_cast<uintptr_t>(m) | kManual) {}
  explicit operator bool() const { return bits_ != 0; }
  TaskCore* as_task() const {
    return (bits_ & kManual) ? nullptr : reinterpret_cast<TaskCore*>(bits_);
  }
  ManualDriver* as_manual() const {
    return (bits_ & kManual) ? reinterpret_cast<ManualDriver*>(bits_ & ~kManual) : nullptr;
  }
  // Where the driver resumes the chain next (defined in task_core.h).
  inline void set_resume_point(std::coroutine_handle<> h) const;
  // Throws what is pending for the await point: a task's cancellation, or
  // the exception given to Coro::throw_(). No-op without a driver.
  inline void rethrow_injected() const;

 private:
  static constexpr uintptr_t kManual = 1;
  uintptr_t bits_ = 0;
};

// The driver running on this thread now (empty outside any).
Driver current_driver();
void set_current_driver(Driver d);

// Internal done callback: ops->fn(ctx, future, tag) runs once the future is
// done; ops->destroy, if set, frees ctx when the callback is removed or its
// future dies without completing. The two functions sit in a static table so
// that an entry is 24 bytes: a task carries one inline. Tags are small
// integers (a child's index); ids only need to be unique among one future's
// callbacks.
struct DoneCallbackOps {
  void (*fn)(void* ctx, FutureBase& f, uintptr_t tag);
  void (*destroy)(void* ctx);
};
struct DoneCallback {
  const DoneCallbackOps* ops;
  void* ctx;
  uint32_t tag;
  uint32_t id;
};

// Whether a loop is alive (for reports from futures that outlive theirs).
bool loop_alive(const EventLoop* loop);

class FutureBase {
 public:
  explicit FutureBase(EventLoop* loop);
  virtual ~FutureBase();
  FutureBase(const FutureBase&) = delete;
  FutureBase& operator=(const FutureBase&) = delete;

  void add_ref() { ++refs_; }
  void release() {
    if (--refs_ == 0) delete this;
  }

  bool done() const { return state_ != State::kPending; }
  bool cancelled() const { return state_ == State::kCancelled; }
  EventLoop& loop() const { return *loop_; }

  // asyncio's Future.cancel: false if already done.
  virtual bool cancel(std::string msg = {});
  // Throws like result() would, without producing a value: InvalidStateError
  // if pending, CancelledError if cancelled, the exception if one is set.
  void check_result();
  // The value of a future of T (a reference into this state); throws as
  // check_result() does. T must be the type the future was made with.
  template <class T>
  decltype(auto) result_ref() {
    check_result();
    if constexpr (!std::is_void_v<T>) return **static_cast<std::optional<T>*>(value_slot());
  }
  // asyncio's Future.exception(): null if finished with a value.
  std::exception_ptr exception();
  // asyncio's set_result / set_exception: InvalidStateError unless pending;
  // RuntimeError on a task (its coroutine sets them), as asyncio.
  template <class T, class U>
  void set_result(U&& v) {
    check_settable("set_result");
    static_cast<std::optional<T>*>(value_slot())->emplace(std::forward<U>(v));
    finish(State::kFinished);
  }
  void set_result() {
    check_settable("set_result");
    finish(State::kFinished);
  }
  void set_exception(std::exception_ptr e);

  // Registers an internal callback, scheduled when the future is done (at
  // once if it already is). Returns an id for remove_callback.
  uint64_t add_callback(const DoneCallbackOps* ops, void* ctx, uintptr_t tag);
  // Removes callbacks by id; returns how many were removed.
  size_t remove_callback(uint64_t id);
  // Wakes `task` when done (the task's resume is scheduled directly).
  void add_task_waiter(TaskCore* task);
  void remove_task_waiter(TaskCore* task);

  // The message of a cancelled future ("" if none).
  std::string cancel_message() const;
  // The CancelledError a cancelled future raises.
  std::exception_ptr cancelled_error() const;
  // A description for diagnostics: "<Task 'name' ...>" or "<Future ...>".
  virtual std::string describe() const;
  bool is_task() const { return is_task_; }

 protected:
  enum class State : uint8_t { kPending, kFinished, kCancelled };
  void check_pending(const char* what) const;
  void check_settable(const char* what) const;
  // Where a future of T keeps its std::optional<T> (null for void).
  virtual void* value_slot() { return nullptr; }
  // Marks the state and schedules every callback.
  void finish(State s);
  // Cancels with `error` (a CancelledError, or null for one without a message).
  void finish_cancelled(std::exception_ptr error);
  void mark_retrieved() { retrieved_ = true; }
  // Reports an exception nobody retrieved (once). Derived classes call it
  // from their destructor, while describe() still knows what they are.
  void report_unretrieved() {
    if (state_ == State::kFinished && exception_ && !retrieved_) report_unretrieved_now();
  }

  EventLoop* loop_;
  // Finished: the exception, if any. Cancelled: the CancelledError to raise
  // when it has a message (null: none), so that no future pays a separate
  // field for a message most never get. A pending task keeps the
  // CancelledError of its pending cancel() here (see task_core.h).
  std::exception_ptr exception_;

 private:
  static void run_callback(FutureBase* f, DoneCallback cb);
  void report_unretrieved_now();
  absl::InlinedVector<DoneCallback, 1> callbacks_;
  uint32_t next_callback_id_ = 1;
  uint32_t refs_ = 0;
  State state_ = State::kPending;
  bool retrieved_ = false;

 protected:
  // Set by TaskCore. The last field: a derived class's small fields fill the
  // tail padding after it (Itanium C++ ABI), which a task relies on.
  bool is_task_ = false;
};

template <class T>
class FutureState : public FutureBase {
 public:
  using FutureBase::FutureBase;
  void set_result(T v) { FutureBase::set_result<T>(std::move(v)); }
  T& result_ref() { return FutureBase::result_ref<T>(); }

 protected:
  void* value_slot() override { return &value_; }

 private:
  std::optional<T> value_;
};

template <>
class FutureState<void> : public FutureBase {
 public:
  using FutureBase::FutureBase;
  using FutureBase::set_result;
  void result_ref() { check_result(); }
};

// An intrusive reference to shared state.
template <class S>
class Ref {
 public:
  Ref() = default;
  explicit Ref(S* s) : s_(s) {
    if (s_) s_->add_ref();
  }
  // Takes over a reference already counted (no add_ref).
  static Ref adopt(S* s) {
    Ref r;
    r.s_ = s;
    return r;
  }
  Ref(const Ref& o) : Ref(o.s_) {}
  Ref(Ref&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  Ref& operator=(Ref o) noexcept {
    std::swap(s_, o.s_);
    return *this;
  }
  ~Ref() {
    if (s_) s_->release();
  }
  S* get() const { return s_; }
  S* operator->() const { return s_; }
  explicit operator bool() const { return s_ != nullptr; }

 private:
  S* s_ = nullptr;
};

// Awaits any FutureBase from a task (or manual stepping).
class FutureAwaiterBase {
 public:
  explicit FutureAwaiterBase(FutureBase* f) : f_(f) {}
  bool await_ready() const noexcept { return f_->done(); }
  void await_suspend(std::coroutine_handle<> h);
  // Rethrows an injected exception (cancellation), then checks the future.
  void resume_checks();

 protected:
  FutureBase* f_;
  TaskCore* waiting_task_ = nullptr;
};

template <class T>
class FutureAwaiter : public FutureAwaiterBase {
 public:
  using FutureAwaiterBase::FutureAwaiterBase;
  decltype(auto) await_resume() {
    resume_checks();
    if constexpr (std::is_void_v<T>) {
      f_->check_result();  // also serves BasicTask, whatever its value type
    } else {
      return f_->template result_ref<T>();
    }
  }
};

}  // namespace detail

template <class T = void>
class Future {
 public:
  using value_type = T;
  Future() = default;
  // A new pending future on `loop`.
  explicit Future(EventLoop& loop) : s_(new detail::FutureState<T>(&loop)) {}
  // A handle to existing state of a future of T (a task's, too).
  explicit Future(detail::FutureBase* s) : s_(s) {}

  bool done() const { return s_->done(); }
  bool cancelled() const { return s_->cancelled(); }
  bool cancel(std::string msg = {}) { return s_->cancel(std::move(msg)); }
  // The value (a reference into the shared state); rethrows the exception;
  // CancelledError if cancelled; InvalidStateError if pending.
  decltype(auto) result() const { return s_->template result_ref<T>(); }
  std::exception_ptr exception() const { return s_->exception(); }
  template <class U = T, class = std::enable_if_t<!std::is_void_v<U>>>
  void set_result(U v) const {
    s_->template set_result<T>(std::move(v));
  }
  template <class U = T, class = std::enable_if_t<std::is_void_v<U>>>
  void set_result() const {
    s_->set_result();
  }
  void set_exception(std::exception_ptr e) const { s_->set_exception(std::move(e)); }
  template <class E>
  void set_exception(E e) const {
    s_->set_exception(std::make_exception_ptr(std::move(e)));
  }
  // fn(Future<T>) runs from the loop once the future is done. Returns an id
  // for remove_done_callback.
  template <class F>
  uint64_t add_done_callback(F fn) const {
    using Box = std::function<void(Future<T>)>;
    static constexpr detail::DoneCallbackOps kOps{
        [](void* ctx, detail::FutureBase& f, uintptr_t) {
          std::unique_ptr<Box> cb(static_cast<Box*>(ctx));
          (*cb)(Future<T>(&f));
        },
        [](void* ctx) { delete static_cast<Box*>(ctx); }};
    return s_->add_callback(&kOps, new Box(std::move(fn)), 0);
  }
  size_t remove_done_callback(uint64_t id) const { return s_->remove_callback(id); }
  EventLoop& get_loop() const { return s_->loop(); }

  auto operator co_await() const { return detail::FutureAwaiter<T>(s_.get()); }
  // The shared state (null for a default-constructed handle).
  detail::FutureBase* state() const { return s_.get(); }
  detail::FutureBase* future() const { return s_.get(); }

 private:
  detail::Ref<detail::FutureBase> s_;
};

}  // namespace eddy

// Driver's inline members need TaskCore, which needs FutureBase.
#include "eddy/task_core.h"

#endif  // EDDY_FUTURE_H_
