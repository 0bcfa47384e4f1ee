// eddy/async_generator.h -- AsyncGenerator<T>: the `async for` analog.
//
//   eddy::AsyncGenerator<int> ticks(int n) {
//     for (int i = 0; i < n; ++i) {
//       co_await eddy::sleep(10ms);
//       co_yield i;
//     }
//   }
//   auto gen = ticks(3);
//   while (auto v = co_await gen.next()) use(*v);   // std::optional<T>
//
// The generator runs inside the task that consumes it (it may await
// anything); next() yields std::nullopt once it has returned, or rethrows
// what escaped it. Destroying an unfinished generator destroys its frame,
// running its destructors: the aclose() of asyncio.
//
// Thread-safety: used by one task at a time.
#ifndef EDDY_ASYNC_GENERATOR_H_
#define EDDY_ASYNC_GENERATOR_H_

#include <coroutine>
#include <exception>
#include <optional>
#include <utility>

#include "eddy/coro.h"

namespace eddy {

template <class T>
class [[nodiscard]] AsyncGenerator {
 public:
  struct promise_type {
    std::optional<T> current_;
    std::coroutine_handle<> consumer_ = std::noop_coroutine();
    std::exception_ptr exception_;

    AsyncGenerator get_return_object() {
      return AsyncGenerator(std::coroutine_handle<promise_type>::from_promise(*this));
    }
    detail::InitialAwaiter initial_suspend() noexcept { return {}; }
    struct Yield {
      bool await_ready() const noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) noexcept {
        return h.promise().consumer_;
      }
      void await_resume() const {
        detail::current_driver().rethrow_injected();
      }
    };
    struct Final {
      bool await_ready() const noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) noexcept {
        return h.promise().consumer_;
      }
      void await_resume() const noexcept {}
    };
    Final final_suspend() noexcept { return {}; }
    template <class U>
    Yield yield_value(U&& v) {
      current_.emplace(std::forward<U>(v));
      return {};
    }
    void return_void() {}
    void unhandled_exception() { exception_ = std::current_exception(); }
  };
  using handle_type = std::coroutine_handle<promise_type>;

  AsyncGenerator(AsyncGenerator&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  AsyncGenerator& operator=(AsyncGenerator&& o) noexcept {
    if (this != &o) {
      if (h_) h_.destroy();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  ~AsyncGenerator() {
    if (h_) h_.destroy();
  }

  // Runs the generator to its next co_yield: the value, or nullopt at the end.
  auto next() {
    struct Awaiter {
      handle_type h;
      bool await_ready() const noexcept { return !h || h.done(); }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<> consumer) noexcept {
        h.promise().current_.reset();
        h.promise().consumer_ = consumer;
        return h;
      }
      std::optional<T> await_resume() {
        if (!h) return std::nullopt;
        if (h.promise().exception_) std::rethrow_exception(std::exchange(h.promise().exception_, nullptr));
        if (h.done()) return std::nullopt;
        return std::move(h.promise().current_);
      }
    };
    return Awaiter{h_};
  }

 private:
  explicit AsyncGenerator(handle_type h) : h_(h) {}
  handle_type h_;
};

}  // namespace eddy

#endif  // EDDY_ASYNC_GENERATOR_H_
