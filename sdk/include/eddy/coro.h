// eddy/coro.h -- Coro<T>: what an async function returns.
//
// `eddy::Coro<int> f()` is `async def f() -> int`. A Coro is lazy: calling f()
// runs nothing; `co_await f()` runs it (by symmetric transfer, so a chain of a
// million nested awaits that complete at once does not grow the stack) and
// yields its value or rethrows its exception. Wrapping it in a task
// (create_task) schedules it on the loop instead. A Coro is move-only and
// can be awaited once.
//
// Manual stepping, the way the loop itself drives a coroutine (seed examples
// 3-6 to 3-10): send() runs it to its next suspension point; throw_(e) raises
// e inside it at that point; done() and result() tell how it ended. No loop
// is needed: awaiting sleep() just suspends.
//
// A Coro destroyed without ever having been started logs a warning ("coroutine
// ... was never awaited"), as Python does.
//
// Thread-safety: a Coro is used by one thread at a time.
#ifndef EDDY_CORO_H_
#define EDDY_CORO_H_

#include <coroutine>
#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "eddy/block_pool.h"
#include "eddy/future.h"

namespace eddy {

template <class T = void>
class Coro;

namespace detail {

void warn_never_awaited();

// Resumes after initial_suspend: throws in what throw_() or a cancellation
// injected before the coroutine first ran.
struct InitialAwaiter {
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<>) const noexcept {}
  void await_resume() const { current_driver().rethrow_injected(); }
};

class PromiseBase {
 public:
  // Frames come from the per-thread block pool: a task's frame is made and
  // freed as often as tasks are.
  static void* operator new(size_t n) { return pool_alloc(n); }
  static void operator delete(void* p, size_t n) noexcept { pool_free(p, n); }
  InitialAwaiter initial_suspend() noexcept { return {}; }
  struct FinalAwaiter {
    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) const noexcept {
      std::coroutine_handle<> c = h.promise().continuation_;
      return c ? c : std::noop_coroutine();
    }
    void await_resume() const noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() { exception_ = std::current_exception(); }

  // Who resumes when it finishes. Null until the coroutine is started
  // (awaited, made a task, or stepped by hand): "never awaited" is told by
  // that, so a frame carries no separate flag.
  std::coroutine_handle<> continuation_;
  std::exception_ptr exception_;
  void mark_started() {
    if (!continuation_) continuation_ = std::noop_coroutine();
  }
  bool started() const { return static_cast<bool>(continuation_); }
};

template <class T>
class Promise : public PromiseBase {
 public:
  Coro<T> get_return_object();
  template <class U>
  void return_value(U&& v) {
    value_.emplace(std::forward<U>(v));
  }
  T take() {
    if (exception_) std::rethrow_exception(exception_);
    return std::move(*value_);
  }
  std::optional<T> value_;
};

template <>
class Promise<void> : public PromiseBase {
 public:
  Coro<void> get_return_object();
  void return_void() {}
  void take() {
    if (exception_) std::rethrow_exception(exception_);
  }
};

}  // namespace detail

template <class T>
class [[nodiscard]] Coro {
 public:
  using promise_type = detail::Promise<T>;
  using value_type = T;
  using handle_type = std::coroutine_handle<promise_type>;

  Coro() = default;
  explicit Coro(handle_type h) : h_(h) {}
  Coro(Coro&& o) noexcept : h_(std::exchange(o.h_, {})), manual_(std::move(o.manual_)) {}
  Coro& operator=(Coro&& o) noexcept {
    if (this != &o) {
      destroy();
      h_ = std::exchange(o.h_, {});
      manual_ = std::move(o.manual_);
    }
    return *this;
  }
  ~Coro() { destroy(); }

  explicit operator bool() const { return static_cast<bool>(h_); }
  bool done() const { return h_ && h_.done(); }

  // co_await: runs the coroutine, yields its value or rethrows.
  auto operator co_await() && noexcept {
    struct Awaiter {
      handle_type h;
      bool await_ready() const noexcept { return !h || h.done(); }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) noexcept {
        h.promise().continuation_ = caller;
        return h;
      }
      T await_resume() {
        if (!h) throw InvalidStateError("awaiting an empty Coro");
        return h.promise().take();
      }
    };
    return Awaiter{h_};
  }
  auto operator co_await() & noexcept { return std::move(*this).operator co_await(); }

  // ---- Manual stepping ----
  // Runs until the next suspension point or the end. InvalidStateError if
  // already done.
  void send() { step(nullptr); }
  // Raises e inside the coroutine at its suspension point (at its start if
  // it has not run), then runs on as send() does.
  void throw_(std::exception_ptr e) { step(std::move(e)); }
  // The value it returned; rethrows what escaped it; InvalidStateError while
  // it is not done.
  T result() {
    if (!done()) throw InvalidStateError("coroutine is not done");
    return h_.promise().take();
  }

  // For the task layer: the raw handle (ownership stays with the Coro).
  handle_type handle() const { return h_; }
  // Where to resume: the innermost coroutine it awaits if stepped by hand.
  std::coroutine_handle<> resume_point() const {
    return manual_ && manual_->resume_point_ ? manual_->resume_point_ : std::coroutine_handle<>(h_);
  }
  // Gives up ownership of the frame (the task layer takes it over).
  handle_type release() {
    manual_.reset();
    return std::exchange(h_, {});
  }
  void mark_started() {
    if (h_) h_.promise().mark_started();
  }

 private:
  void step(std::exception_ptr e) {
    if (!h_ || h_.done()) throw InvalidStateError("cannot send to a finished coroutine");
    if (!manual_) {
      manual_ = std::make_unique<detail::ManualDriver>();
      manual_->resume_point_ = h_;
    }
    h_.promise().mark_started();
    manual_->injected_ = std::move(e);
    detail::Driver prev = detail::current_driver();
    detail::set_current_driver(detail::Driver(manual_.get()));
    std::coroutine_handle<> where = manual_->resume_point_;
    where.resume();
    detail::set_current_driver(prev);
  }
  void destroy() {
    if (!h_) return;
    if (!h_.promise().started()) detail::warn_never_awaited();
    h_.destroy();
    h_ = {};
  }

  handle_type h_;
  std::unique_ptr<detail::ManualDriver> manual_;
};

namespace detail {
template <class T>
Coro<T> Promise<T>::get_return_object() {
  return Coro<T>(std::coroutine_handle<Promise<T>>::from_promise(*this));
}
inline Coro<void> Promise<void>::get_return_object() {
  return Coro<void>(std::coroutine_handle<Promise<void>>::from_promise(*this));
}
}  // namespace detail

// Traits: eddy::is_coro_v<T> (asyncio.iscoroutine) and the awaitable concept.
template <class T>
inline constexpr bool is_coro_v = false;
template <class T>
inline constexpr bool is_coro_v<Coro<T>> = true;

template <class A>
concept awaitable = requires(A a) { a.operator co_await(); } ||
                    requires(A a) { operator co_await(a); } ||
                    requires(A a) {
                      a.await_ready();
                      a.await_resume();
                    };

}  // namespace eddy

#endif  // EDDY_CORO_H_
