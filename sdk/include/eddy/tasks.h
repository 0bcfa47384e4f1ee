// eddy/tasks.h -- sleep, wait_for, wait, shield, as_completed, timeout.
//
// asyncio's task helpers, with its semantics (CPython 3.12):
//   co_await sleep(100ms);            // sleep(0ms) yields to the loop exactly once
//   co_await wait_for(f(), 2s);       // TimeoutError; the inner task is cancelled
//                                     // and awaited first; an outer cancel wins
//   co_await timeout(2s, f());        // the same as a scope around an awaitable
//   co_await timeout(2s, [](Timeout& t) -> Coro<int> { t.reschedule(...); ... });
//   auto [done, pending] = co_await wait(tasks, FIRST_COMPLETED, 1s);
//   co_await shield(task);            // cancelling the awaiter leaves task running
//   for (auto& next : as_completed(tasks)) co_await next;  // in completion order
//
// Thread-safety: loop thread only.
#ifndef EDDY_TASKS_H_
#define EDDY_TASKS_H_

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "eddy/gather.h"
#include "eddy/task.h"

namespace eddy {

namespace detail {

template <class Rep, class Period>
int64_t to_ns(std::chrono::duration<Rep, Period> d) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

struct SleepAwaiter {
  int64_t delay_ns;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h);
  void await_resume() {
    current_driver().rethrow_injected();
  }
};

}  // namespace detail

// Suspends the current task for at least `delay` (asyncio.sleep). With a
// zero or negative delay it yields to the loop once.
template <class Rep, class Period>
detail::SleepAwaiter sleep(std::chrono::duration<Rep, Period> delay) {
  return detail::SleepAwaiter{detail::to_ns(delay)};
}
inline detail::SleepAwaiter sleep(double seconds) {
  return detail::SleepAwaiter{static_cast<int64_t>(seconds * 1e9)};
}

// ---- timeout / timeout_at ----

// asyncio.Timeout: cancels the current task at its deadline; the scope turns
// that cancellation into TimeoutError. Reschedulable while it runs.
class Timeout {
 public:
  // `when_ns` on the loop clock; a negative value means no deadline.
  explicit Timeout(int64_t when_ns);
  ~Timeout();
  Timeout(const Timeout&) = delete;
  Timeout& operator=(const Timeout&) = delete;

  int64_t when() const { return when_; }
  // Moves the deadline (loop time, ns); a negative value removes it.
  void reschedule(int64_t when_ns);
  bool expired() const { return state_ != State::kActive; }
  // Called when CancelledError escapes the scope: true if the cancellation
  // was this timeout's (the caller then raises TimeoutError).
  bool on_cancelled();

 private:
  enum class State { kActive, kExpiring, kExpired };
  BasicTask task_;
  EventLoop* loop_;
  int64_t when_ = -1;
  int cancelling_ = 0;
  TimerHandle handle_;
  State state_ = State::kActive;
};

namespace detail {
template <class A>
Coro<await_value_t<A>> timeout_scope(int64_t when_ns, A aw) {
  Timeout scope(when_ns);
  try {
    co_return co_await std::move(aw);
  } catch (const CancelledError&) {
    if (scope.on_cancelled()) throw TimeoutError("timed out");
    throw;
  }
}

template <class F>
auto timeout_scope_fn(int64_t when_ns, F body) -> Coro<await_value_t<decltype(body(std::declval<Timeout&>()))>> {
  Timeout scope(when_ns);
  try {
    co_return co_await body(scope);
  } catch (const CancelledError&) {
    if (scope.on_cancelled()) throw TimeoutError("timed out");
    throw;
  }
}
}  // namespace detail

// Awaits `aw` with a deadline at loop time `when_ns` (asyncio.timeout_at).
template <class A>
  requires detail::child_awaitable<A>
auto timeout_at(int64_t when_ns, A aw) {
  return detail::timeout_scope(when_ns, std::move(aw));
}
// Awaits `aw` for at most `delay` (asyncio.timeout); TimeoutError after.
template <class Rep, class Period, class A>
  requires detail::child_awaitable<A>
auto timeout(std::chrono::duration<Rep, Period> delay, A aw) {
  return detail::timeout_scope(get_running_loop().time_ns() + detail::to_ns(delay), std::move(aw));
}
// The scope form: body(Timeout&) -> Coro<T>; the body may reschedule.
template <class Rep, class Period, class F>
  requires(!detail::child_awaitable<F>)
auto timeout(std::chrono::duration<Rep, Period> delay, F body) {
  return detail::timeout_scope_fn(get_running_loop().time_ns() + detail::to_ns(delay),
                                  std::move(body));
}

// ---- wait_for ----

namespace detail {
// Cancels `f` and waits until it is done, whatever it does with the cancel.
Coro<> cancel_and_wait(Ref<FutureBase> f);

template <class T>
Coro<T> wait_for_impl(Ref<FutureBase> fut, int64_t timeout_ns) {
  if (timeout_ns <= 0) {
    if (!fut->done()) co_await cancel_and_wait(fut);
    if (fut->cancelled()) throw TimeoutError("timed out");
    if constexpr (std::is_void_v<T>) {
      fut->check_result();
      co_return;
    } else {
      co_return fut->template result_ref<T>();
    }
  }
  Timeout scope(get_running_loop().time_ns() + timeout_ns);
  try {
    if constexpr (std::is_void_v<T>) {
      co_await FutureAwaiter<void>(fut.get());
    } else {
      co_return co_await FutureAwaiter<T>(fut.get());
    }
  } catch (const CancelledError&) {
    if (scope.on_cancelled()) throw TimeoutError("timed out");
    throw;
  }
}
}  // namespace detail

// Awaits `aw` (a Coro, Task or Future) for at most `timeout`; on timeout the
// inner task is cancelled and awaited, then TimeoutError is raised.
template <class A, class Rep, class Period>
  requires detail::child_awaitable<A>
Coro<detail::await_value_t<A>> wait_for(A aw, std::chrono::duration<Rep, Period> timeout) {
  return detail::wait_for_impl<detail::await_value_t<A>>(detail::child_state(std::move(aw)),
                                                         detail::to_ns(timeout));
}
template <class A>
  requires detail::child_awaitable<A>
Coro<detail::await_value_t<A>> wait_for(A aw, double seconds) {
  return detail::wait_for_impl<detail::await_value_t<A>>(detail::child_state(std::move(aw)),
                                                         static_cast<int64_t>(seconds * 1e9));
}

// ---- shield ----

// A future that follows `aw` but whose cancellation does not reach it: a task
// awaiting shield(t) that is cancelled gets CancelledError while t runs on.
template <class A>
  requires detail::child_awaitable<A>
Future<detail::await_value_t<A>> shield(A aw) {
  using T = detail::await_value_t<A>;
  detail::Ref<detail::FutureBase> inner = detail::child_state(std::move(aw));
  if (inner->done()) return Future<T>(inner.get());
  Future<T> outer(inner->loop());
  struct Ctx {
    detail::Ref<detail::FutureBase> inner;
    Future<T> outer;
  };
  static constexpr detail::DoneCallbackOps kOps{
      [](void* c, detail::FutureBase& in, uintptr_t) {
        std::unique_ptr<Ctx> ctx(static_cast<Ctx*>(c));
        if (ctx->outer.cancelled()) {
          if (!in.cancelled()) (void)in.exception();  // retrieved
          return;
        }
        if (in.cancelled()) {
          ctx->outer.cancel(in.cancel_message());
        } else if (std::exception_ptr e = in.exception()) {
          ctx->outer.set_exception(e);
        } else if constexpr (std::is_void_v<T>) {
          ctx->outer.set_result();
        } else {
          ctx->outer.set_result(in.template result_ref<T>());
        }
      },
      [](void* c) { delete static_cast<Ctx*>(c); }};
  uint64_t id = inner->add_callback(&kOps, new Ctx{inner, outer}, 0);
  outer.add_done_callback([inner, id](Future<T>) {
    if (!inner->done()) inner->remove_callback(id);
  });
  return outer;
}

// ---- wait ----

enum class ReturnWhen { kFirstCompleted, kFirstException, kAllCompleted };
inline constexpr ReturnWhen FIRST_COMPLETED = ReturnWhen::kFirstCompleted;
inline constexpr ReturnWhen FIRST_EXCEPTION = ReturnWhen::kFirstException;
inline constexpr ReturnWhen ALL_COMPLETED = ReturnWhen::kAllCompleted;

namespace detail {
// Waits on the futures' states; returns the indices of the done ones.
Coro<std::vector<bool>> wait_impl(std::vector<Ref<FutureBase>> fs, ReturnWhen when,
                                  int64_t timeout_ns);
}  // namespace detail

// asyncio.wait: (done, pending), each a vector of the given tasks/futures.
// Does not raise TimeoutError; ValueError for an empty range.
template <class Range>
auto wait(Range tasks, ReturnWhen when = ALL_COMPLETED,
          std::chrono::nanoseconds timeout = std::chrono::nanoseconds(-1))
    -> Coro<std::pair<std::vector<std::decay_t<decltype(*tasks.begin())>>,
                      std::vector<std::decay_t<decltype(*tasks.begin())>>>> {
  using E = std::decay_t<decltype(*tasks.begin())>;
  std::vector<E> items(tasks.begin(), tasks.end());
  std::vector<detail::Ref<detail::FutureBase>> fs;
  for (auto& t : items) fs.push_back(detail::child_state(t));
  std::vector<bool> done = co_await detail::wait_impl(std::move(fs), when, timeout.count());
  std::pair<std::vector<E>, std::vector<E>> out;
  for (size_t i = 0; i < items.size(); ++i) (done[i] ? out.first : out.second).push_back(items[i]);
  co_return out;
}

// ---- as_completed ----

namespace detail {
class AsCompletedState;
Coro<Ref<FutureBase>> as_completed_next(std::shared_ptr<AsCompletedState> s);
std::shared_ptr<AsCompletedState> as_completed_start(std::vector<Ref<FutureBase>> fs,
                                                     int64_t timeout_ns);
}  // namespace detail

// asyncio.as_completed: one Coro per input; awaiting the k-th yields the
// k-th result to complete (or rethrows its error; TimeoutError for those
// still pending at the timeout).
template <class Range>
auto as_completed(Range tasks, std::chrono::nanoseconds timeout = std::chrono::nanoseconds(-1)) {
  using E = std::decay_t<decltype(*tasks.begin())>;
  using T = detail::await_value_t<E>;
  std::vector<detail::Ref<detail::FutureBase>> fs;
  for (auto&& t : tasks) fs.push_back(detail::child_state(std::move(t)));
  size_t n = fs.size();
  auto state = detail::as_completed_start(std::move(fs), timeout.count());
  std::vector<Coro<T>> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    out.push_back([](std::shared_ptr<detail::AsCompletedState> s) -> Coro<T> {
      detail::Ref<detail::FutureBase> f = co_await detail::as_completed_next(s);
      if constexpr (std::is_void_v<T>) {
        f->check_result();
      } else {
        co_return f->template result_ref<T>();
      }
    }(state));
  }
  return out;
}

}  // namespace eddy

#endif  // EDDY_TASKS_H_
