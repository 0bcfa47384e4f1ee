// eddy/gather.h -- asyncio.gather.
//
//   auto [a, b] = co_await eddy::gather(f(), g());          // tuple; void -> std::monostate
//   std::vector<int> v = co_await eddy::gather(std::move(coros));  // any range
//   auto [x, y] = co_await eddy::gather(eddy::return_exceptions, f(), g());  // Outcome<T>s
//
// Coros are wrapped in tasks (they start at once, concurrently); tasks and
// futures are awaited as they are. gather() returns the gathering Future
// itself, so it can be kept, cancelled or awaited later. As in asyncio:
// without return_exceptions the first failure (or cancellation) of a child
// completes the gather with that error while the other children keep
// running; cancelling the gather cancels every child that is not done, and
// the gather then ends cancelled.
//
// Thread-safety: loop thread only.
#ifndef EDDY_GATHER_H_
#define EDDY_GATHER_H_

#include <cstddef>
#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "eddy/task.h"

namespace eddy {

// Tag: gather(return_exceptions, ...) yields Outcome<T> per child.
struct ReturnExceptions {};
inline constexpr ReturnExceptions return_exceptions{};

namespace detail {

// The value type of what a child awaitable yields.
template <class A>
struct AwaitValue;
template <class T>
struct AwaitValue<Coro<T>> {
  using type = T;
};
template <class T>
struct AwaitValue<Task<T>> {
  using type = T;
};
template <class T>
struct AwaitValue<Future<T>> {
  using type = T;
};
template <>
struct AwaitValue<BasicTask> {
  using type = void;
};
template <class A>
using await_value_t = typename AwaitValue<std::decay_t<A>>::type;
// Whether A is something gather/wait accept as one child.
// An awaitable that becomes a Coro on demand (Queue::get(), Lock::acquire()
// and the like: awaited directly they allocate nothing). As a child it is
// that Coro.
template <class A>
concept coro_convertible = requires(A a) { std::move(a).as_coro(); };
template <class A>
  requires coro_convertible<A>
struct AwaitValue<A> {
  using type = typename decltype(std::declval<A>().as_coro())::value_type;
};
template <class A>
concept child_awaitable = requires { typename AwaitValue<std::decay_t<A>>::type; };

template <class T>
using value_or_monostate = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

// Turns any awaitable child into the future state it completes.
template <class T>
Ref<FutureBase> child_state(Coro<T>&& c) {
  return Ref<FutureBase>(create_task(std::move(c)).future());
}
template <class T>
Ref<FutureBase> child_state(const Task<T>& t) {
  return Ref<FutureBase>(t.future());
}
template <class T>
Ref<FutureBase> child_state(const Future<T>& f) {
  return Ref<FutureBase>(f.future());
}
inline Ref<FutureBase> child_state(const BasicTask& t) { return Ref<FutureBase>(t.future()); }
template <class A>
  requires coro_convertible<std::decay_t<A>>
Ref<FutureBase> child_state(A&& a) {
  return child_state(std::move(a).as_coro());
}

// A child's outcome (marks its exception retrieved).
template <class T>
Outcome<T> child_outcome(FutureBase* f) {
  if (f->cancelled()) return Outcome<T>(f->cancelled_error());
  if (std::exception_ptr e = f->exception()) return Outcome<T>(e);
  if constexpr (std::is_void_v<T>) {
    return Outcome<T>(std::monostate{});
  } else {
    return Outcome<T>(f->template result_ref<T>());
  }
}

template <class T>
value_or_monostate<T> child_value(FutureBase* f) {
  if constexpr (std::is_void_v<T>) {
    f->check_result();
    return {};
  } else {
    return f->template result_ref<T>();
  }
}

// The non-template bookkeeping of a gathering future.
class GatherCore {
 public:
  GatherCore(std::vector<Ref<FutureBase>> children, bool return_exceptions)
      : children_(std::move(children)), return_exceptions_(return_exceptions) {}
  virtual ~GatherCore() = default;

 protected:
  void start(FutureBase* self);
  bool cancel_children(const std::string& msg);
  virtual void finish_all() = 0;

  std::vector<Ref<FutureBase>> children_;
  bool return_exceptions_;
  bool cancel_requested_ = false;
  std::string cancel_msg_;
  FutureBase* self_ = nullptr;

 private:
  static void on_child_done(void* ctx, FutureBase& child, uintptr_t index);
  size_t finished_ = 0;
};

template <class R>
class GatherState : public FutureState<R>, public GatherCore {
 public:
  template <class Build>
  GatherState(EventLoop* loop, std::vector<Ref<FutureBase>> children, bool return_exceptions,
              Build build)
      : FutureState<R>(loop), GatherCore(std::move(children), return_exceptions),
        build_(std::move(build)) {}
  bool cancel(std::string msg = {}) override {
    if (this->done()) return false;
    return cancel_children(msg);
  }
  void begin() { start(this); }

 private:
  void finish_all() override {
    if (cancel_requested_) {
      FutureBase::cancel(cancel_msg_);
      return;
    }
    this->set_result(build_(children_));
  }
  std::function<R(std::vector<Ref<FutureBase>>&)> build_;
};

template <class R, class Build>
Future<R> make_gather(std::vector<Ref<FutureBase>> children, bool return_exceptions, Build build) {
  EventLoop& loop = children.empty() ? get_event_loop() : children.front()->loop();
  auto* s = new GatherState<R>(&loop, std::move(children), return_exceptions, std::move(build));
  Future<R> f(s);
  s->begin();
  return f;
}

template <bool kOutcomes, class... T, size_t... I>
auto build_tuple(std::vector<Ref<FutureBase>>& c, std::index_sequence<I...>) {
  if constexpr (kOutcomes) {
    return std::tuple<Outcome<T>...>(child_outcome<T>(c[I].get())...);
  } else {
    return std::tuple<value_or_monostate<T>...>(child_value<T>(c[I].get())...);
  }
}

}  // namespace detail

// gather(a, b, ...) -> Future<std::tuple<A, B, ...>>.
template <class... A>
  requires(detail::child_awaitable<A> && ...)
auto gather(A&&... aws) {
  using R = std::tuple<detail::value_or_monostate<detail::await_value_t<A>>...>;
  std::vector<detail::Ref<detail::FutureBase>> children;
  (children.push_back(detail::child_state(std::forward<A>(aws))), ...);
  return detail::make_gather<R>(std::move(children), false, [](auto& c) {
    return detail::build_tuple<false, detail::await_value_t<A>...>(
        c, std::index_sequence_for<A...>{});
  });
}

// gather(return_exceptions, a, b, ...) -> Future<std::tuple<Outcome<A>, ...>>.
template <class... A>
  requires(detail::child_awaitable<A> && ...)
auto gather(ReturnExceptions, A&&... aws) {
  using R = std::tuple<Outcome<detail::await_value_t<A>>...>;
  std::vector<detail::Ref<detail::FutureBase>> children;
  (children.push_back(detail::child_state(std::forward<A>(aws))), ...);
  return detail::make_gather<R>(std::move(children), true, [](auto& c) {
    return detail::build_tuple<true, detail::await_value_t<A>...>(
        c, std::index_sequence_for<A...>{});
  });
}

// gather(range) -> Future<std::vector<T>>; a range of BasicTask gives
// std::vector<std::monostate>.
template <class Range>
  requires(!detail::child_awaitable<Range>) && requires(Range r) { r.begin(); }
auto gather(Range&& range) {
  using A = std::decay_t<decltype(*range.begin())>;
  using T = detail::await_value_t<A>;
  using R = std::vector<detail::value_or_monostate<T>>;
  std::vector<detail::Ref<detail::FutureBase>> children;
  for (auto&& a : range) children.push_back(detail::child_state(std::move(a)));
  return detail::make_gather<R>(std::move(children), false, [](auto& c) {
    R out;
    out.reserve(c.size());
    for (auto& f : c) out.push_back(detail::child_value<T>(f.get()));
    return out;
  });
}

// gather(return_exceptions, range) -> Future<std::vector<Outcome<T>>>.
template <class Range>
  requires(!detail::child_awaitable<Range>) && requires(Range r) { r.begin(); }
auto gather(ReturnExceptions, Range&& range) {
  using A = std::decay_t<decltype(*range.begin())>;
  using T = detail::await_value_t<A>;
  using R = std::vector<Outcome<T>>;
  std::vector<detail::Ref<detail::FutureBase>> children;
  for (auto&& a : range) children.push_back(detail::child_state(std::move(a)));
  return detail::make_gather<R>(std::move(children), true, [](auto& c) {
    R out;
    out.reserve(c.size());
    for (auto& f : c) out.push_back(detail::child_outcome<T>(f.get()));
    return out;
  });
}

}  // namespace eddy

#endif  // EDDY_GATHER_H_
