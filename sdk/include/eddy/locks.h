// eddy/locks.h -- asyncio's synchronization primitives: Lock, Event,
// Condition, Semaphore, BoundedSemaphore, Barrier.
//
//   eddy::Lock lock;
//   co_await lock.acquire();  ...  lock.release();
//   { auto held = co_await lock.scoped(); ... }        // `async with lock:`
//   co_await lock.scoped([&]() -> eddy::Coro<> { ... });  // the same, as a scope
//   co_await event.wait();  co_await cond.wait_for(pred);  co_await sem.acquire();
//   size_t index = co_await barrier.wait();
//
// The semantics are CPython 3.13's (Lib/asyncio/locks.py). Waiters are
// served first come, first served: a Lock released while tasks wait goes to
// the first of them (a newcomer queues behind even if the lock looks free),
// and a Semaphore hands its count out in arrival order. A waiter cancelled
// while it waits leaves the primitive consistent: if it had already been
// woken, the wake-up passes to the next waiter (no lost wake-up), and it
// never ends up owning the lock. As in asyncio, a primitive binds to the
// loop of the first task that waits on it (RuntimeError from another loop).
//
// acquire() and wait() return small awaitables rather than Coros: awaited
// directly they allocate nothing (the waiter is a future embedded in the
// awaitable, which lives in the awaiting coroutine's frame). Where a Coro is
// needed (create_task, wait_for, gather) they convert to one.
//
// Thread-safety: a primitive belongs to one loop's thread.
#ifndef EDDY_LOCKS_H_
#define EDDY_LOCKS_H_

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "eddy/coro.h"
#include "eddy/gather.h"
#include "eddy/task.h"

namespace eddy {

namespace detail {

class WaiterList;

// A pending future that lives inside an awaiter (so in the waiting
// coroutine's frame) and is linked into a primitive's FIFO list. It is a
// real future so that cancelling the waiting task cancels it, exactly as
// asyncio cancels the future a task awaits.
class Waiter final : public FutureState<void> {
 public:
  explicit Waiter(EventLoop* loop) : FutureState<void>(loop) {
    // The frame owns the waiter; this reference is never dropped, so the
    // transient references taken while it completes never delete it.
    add_ref();
  }
  ~Waiter() override;

  Waiter* prev_ = nullptr;
  Waiter* next_ = nullptr;
  WaiterList* list_ = nullptr;  // the list it is on, if any
};

// An intrusive FIFO of waiters; it allocates nothing.
class WaiterList {
 public:
  WaiterList() = default;
  WaiterList(const WaiterList&) = delete;
  WaiterList& operator=(const WaiterList&) = delete;
  // Waiters still linked (their tasks outlive the primitive) are detached.
  ~WaiterList();

  bool empty() const { return head_ == nullptr; }
  size_t size() const { return size_; }
  Waiter* front() const { return head_; }
  void push_back(Waiter* w);
  // Unlinks `w` if it is on this list (asyncio's "remove, ignore ValueError").
  void remove(Waiter* w);
  Waiter* pop_front();
  // Pops waiters until one is not done and completes it (asyncio's
  // Queue._wakeup_next). Returns whether one was woken.
  bool wake_next();
  // Whether some waiter is not cancelled.
  bool any_live() const;

 private:
  Waiter* head_ = nullptr;
  Waiter* tail_ = nullptr;
  size_t size_ = 0;
};

// A waiter and the await on it.
struct Park {
  explicit Park(EventLoop* loop) : waiter(loop), awaiter(&waiter) {}
  Waiter waiter;
  FutureAwaiter<void> awaiter;
};

// The loop a new waiter belongs to: the current task's. Binds `bound` on
// first use; RuntimeError if a task of another loop waits later. Under
// manual stepping (no task) returns whatever is bound (maybe null).
EventLoop* waiting_loop(EventLoop*& bound, const char* what);

}  // namespace detail

// An acquired primitive, released when the guard is destroyed (the end of
// `async with`). Move-only.
template <class P>
class [[nodiscard]] Held {
 public:
  explicit Held(P* p) : p_(p) {}
  Held(Held&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  Held& operator=(Held&&) = delete;
  ~Held() {
    if (p_) p_->release();
  }
  // Releases now instead of at the end of the scope.
  void release() {
    if (P* p = std::exchange(p_, nullptr)) p->release();
  }

 private:
  P* p_;
};

namespace detail {

// co_await p.scoped(): acquires, then yields a Held<P>.
template <class P>
class ScopedAcquire {
 public:
  explicit ScopedAcquire(P* p) : p_(p), op_(p->acquire()) {}
  bool await_ready() { return op_.await_ready(); }
  void await_suspend(std::coroutine_handle<> h) { op_.await_suspend(h); }
  Held<P> await_resume() {
    op_.await_resume();
    return Held<P>(p_);
  }

 private:
  P* p_;
  decltype(std::declval<P&>().acquire()) op_;
};

// co_await p.scoped(body): `async with p: return await body()`.
template <class P, class F>
auto scoped_call(P* p, F body) -> Coro<await_value_t<decltype(body())>> {
  Held<P> held = co_await ScopedAcquire<P>(p);
  if constexpr (std::is_void_v<await_value_t<decltype(body())>>) {
    co_await body();
  } else {
    co_return co_await body();
  }
}

// The `async with` surface of Lock, Condition and Semaphore (CRTP).
template <class P>
class AsyncWith {
 public:
  // co_await p.scoped() acquires and yields a guard that releases.
  ScopedAcquire<P> scoped() { return ScopedAcquire<P>(static_cast<P*>(this)); }
  // co_await p.scoped(body): acquires, awaits body() (a Coro), releases
  // however it ends, and yields its value.
  template <class F>
  auto scoped(F body) {
    return scoped_call(static_cast<P*>(this), std::move(body));
  }
};

}  // namespace detail

class Lock;
class Event;
class Semaphore;

namespace detail {

// Awaitable of Lock::acquire().
class LockAcquire {
 public:
  explicit LockAcquire(Lock* lock) : lock_(lock) {}
  // Movable until awaited (a parked waiter is linked by address).
  LockAcquire(LockAcquire&& o) noexcept : lock_(o.lock_) {}
  bool await_ready();
  void await_suspend(std::coroutine_handle<> h);
  void await_resume();
  Coro<void> as_coro() &&;
  operator Coro<void>() && { return std::move(*this).as_coro(); }

 private:
  Lock* lock_;
  std::optional<Park> park_;
};

// Awaitable of Event::wait().
class EventWait {
 public:
  explicit EventWait(Event* event) : event_(event) {}
  EventWait(EventWait&& o) noexcept : event_(o.event_) {}
  bool await_ready() const;
  void await_suspend(std::coroutine_handle<> h);
  void await_resume();
  Coro<void> as_coro() &&;
  operator Coro<void>() && { return std::move(*this).as_coro(); }

 private:
  Event* event_;
  std::optional<Park> park_;
};

// Awaitable of Semaphore::acquire().
class SemaphoreAcquire {
 public:
  explicit SemaphoreAcquire(Semaphore* sem) : sem_(sem) {}
  SemaphoreAcquire(SemaphoreAcquire&& o) noexcept : sem_(o.sem_) {}
  bool await_ready();
  void await_suspend(std::coroutine_handle<> h);
  void await_resume();
  Coro<void> as_coro() &&;
  operator Coro<void>() && { return std::move(*this).as_coro(); }

 private:
  Semaphore* sem_;
  std::optional<Park> park_;
};

}  // namespace detail

// asyncio.Lock. Not owned by a task: any task may release it.
class Lock : public detail::AsyncWith<Lock> {
 public:
  Lock() = default;
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

  bool locked() const { return locked_; }
  // Waits until the lock is free and it is this waiter's turn, then takes it.
  detail::LockAcquire acquire() { return detail::LockAcquire(this); }
  // Frees the lock and wakes the first waiter. RuntimeError if not locked.
  void release();

 private:
  friend class detail::LockAcquire;
  // The fast path: free and nobody (not cancelled) ahead of us.
  bool try_take();
  void wake_up_first();

  detail::WaiterList waiters_;
  EventLoop* loop_ = nullptr;
  bool locked_ = false;
};

// asyncio.Event.
class Event {
 public:
  Event() = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  bool is_set() const { return value_; }
  // Sets the flag and wakes every waiter.
  void set();
  void clear() { value_ = false; }
  // Returns at once if set, else when set() is called.
  detail::EventWait wait() { return detail::EventWait(this); }

 private:
  friend class detail::EventWait;
  detail::WaiterList waiters_;
  EventLoop* loop_ = nullptr;
  bool value_ = false;
};

// asyncio.Condition, over its own Lock or a shared one.
class Condition : public detail::AsyncWith<Condition> {
 public:
  Condition() : lock_(&own_lock_) {}
  // Uses `lock` (which must outlive the condition) as the underlying lock.
  explicit Condition(Lock& lock) : lock_(&lock) {}
  Condition(const Condition&) = delete;
  Condition& operator=(const Condition&) = delete;

  bool locked() const { return lock_->locked(); }
  detail::LockAcquire acquire() { return lock_->acquire(); }
  void release() { lock_->release(); }

  // Releases the lock, waits for a notify, re-acquires the lock (even when
  // cancelled) and returns. RuntimeError if the lock is not held. May wake
  // spuriously, as asyncio allows.
  Coro<void> wait();
  // Waits until pred() is truthy; returns its last value.
  template <class Pred>
  auto wait_for(Pred pred) -> Coro<std::decay_t<decltype(pred())>> {
    auto result = pred();
    while (!result) {
      co_await wait();
      result = pred();
    }
    co_return result;
  }
  // Wakes up to n waiters. RuntimeError if the lock is not held.
  void notify(size_t n = 1);
  void notify_all() { notify(waiters_.size()); }

 private:
  void notify_waiters(size_t n);

  Lock own_lock_;
  Lock* lock_;
  detail::WaiterList waiters_;
  EventLoop* loop_ = nullptr;
};

// asyncio.Semaphore. ValueError for a negative initial value.
class Semaphore : public detail::AsyncWith<Semaphore> {
 public:
  explicit Semaphore(int64_t value = 1);
  virtual ~Semaphore() = default;
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;

  // Whether acquire() would wait: no count left, or waiters ahead (FIFO).
  bool locked() const { return value_ == 0 || waiters_.any_live(); }
  detail::SemaphoreAcquire acquire() { return detail::SemaphoreAcquire(this); }
  virtual void release();

 protected:
  int64_t value_;

 private:
  friend class detail::SemaphoreAcquire;
  // Hands one unit to the first waiter not done; false if there is none.
  bool wake_up_next();

  detail::WaiterList waiters_;
  EventLoop* loop_ = nullptr;
};

// asyncio.BoundedSemaphore: release() above the initial value is a
// ValueError.
class BoundedSemaphore : public Semaphore {
 public:
  explicit BoundedSemaphore(int64_t value = 1) : Semaphore(value), bound_(value) {}
  void release() override;

 private:
  int64_t bound_;
};

// asyncio.Barrier (3.11+): `parties` tasks meet; wait() returns each a
// distinct index in 0..parties-1. reset() and abort() raise
// BrokenBarrierError in the waiters. ValueError if parties < 1.
class Barrier {
 public:
  explicit Barrier(size_t parties);
  Barrier(const Barrier&) = delete;
  Barrier& operator=(const Barrier&) = delete;

  Coro<size_t> wait();
  // Back to the initial state; current waiters get BrokenBarrierError.
  Coro<void> reset();
  // Breaks the barrier: waiters, current and future, get BrokenBarrierError.
  Coro<void> abort();
  size_t parties() const { return parties_; }
  // Tasks waiting for the barrier to fill (0 while it drains or resets).
  size_t n_waiting() const { return state_ == State::kFilling ? count_ : 0; }
  bool broken() const { return state_ == State::kBroken; }

 private:
  enum class State { kFilling, kDraining, kResetting, kBroken };
  Coro<void> block();
  Coro<void> wait_released();
  void exit();

  Condition cond_;
  size_t parties_;
  size_t count_ = 0;
  State state_ = State::kFilling;
};

// create_task / ensure_future of an acquire() or wait() (or a queue's get()
// or put()): the task runs it as a Coro.
template <class Op>
  requires detail::coro_convertible<Op>
auto create_task(Op op, std::string name = {}) {
  return create_task(std::move(op).as_coro(), std::move(name));
}
template <class Op>
  requires detail::coro_convertible<Op>
auto ensure_future(Op op) {
  return create_task(std::move(op).as_coro());
}

}  // namespace eddy

#endif  // EDDY_LOCKS_H_
