#include "eddy/locks.h"

#include <exception>

#include "absl/strings/str_format.h"

namespace eddy {
namespace detail {

// ---- Waiters ----

Waiter::~Waiter() {
  if (list_) list_->remove(this);
}

WaiterList::~WaiterList() {
  for (Waiter* w = head_; w;) {
    Waiter* next = w->next_;
    w->prev_ = w->next_ = nullptr;
    w->list_ = nullptr;
    w = next;
  }
}

void WaiterList::push_back(Waiter* w) {
  w->list_ = this;
  w->prev_ = tail_;
  w->next_ = nullptr;
  if (tail_) {
    tail_->next_ = w;
  } else {
    head_ = w;
  }
  tail_ = w;
  ++size_;
}

void WaiterList::remove(Waiter* w) {
  if (w->list_ != this) return;
  if (w->prev_) {
    w->prev_->next_ = w->next_;
  } else {
    head_ = w->next_;
  }
  if (w->next_) {
    w->next_->prev_ = w->prev_;
  } else {
    tail_ = w->prev_;
  }
  w->prev_ = w->next_ = nullptr;
  w->list_ = nullptr;
  --size_;
}

Waiter* WaiterList::pop_front() {
  Waiter* w = head_;
  if (w) remove(w);
  return w;
}

bool WaiterList::wake_next() {
  while (Waiter* w = pop_front()) {
    if (!w->done()) {
      w->set_result();
      return true;
    }
  }
  return false;
}

bool WaiterList::any_live() const {
  for (Waiter* w = head_; w; w = w->next_) {
    if (!w->cancelled()) return true;
  }
  return false;
}

EventLoop* waiting_loop(EventLoop*& bound, const char* what) {
  TaskCore* t = current_driver().as_task();
  if (!t) return bound;
  EventLoop* loop = &t->loop();
  if (!bound) {
    bound = loop;
  } else if (bound != loop) {
    throw RuntimeError(absl::StrFormat("<%s> is bound to a different event loop", what));
  }
  return loop;
}

namespace {

// Parks `park` on `list` and suspends; undone if the await cannot start
// (outside a task), so no waiter stays linked.
void park_on(WaiterList& list, std::optional<Park>& park, EventLoop* loop,
             std::coroutine_handle<> h) {
  park.emplace(loop);
  list.push_back(&park->waiter);
  try {
    park->awaiter.await_suspend(h);
  } catch (...) {
    park.reset();
    throw;
  }
}

Coro<void> lock_acquire_coro(Lock* lock) { co_await lock->acquire(); }
Coro<void> event_wait_coro(Event* event) { co_await event->wait(); }
Coro<void> semaphore_acquire_coro(Semaphore* sem) { co_await sem->acquire(); }

}  // namespace

// ---- Lock::acquire() ----

bool LockAcquire::await_ready() { return lock_->try_take(); }

void LockAcquire::await_suspend(std::coroutine_handle<> h) {
  park_on(lock_->waiters_, park_, waiting_loop(lock_->loop_, "Lock"), h);
}

void LockAcquire::await_resume() {
  if (!park_) return;  // taken on the fast path
  lock_->waiters_.remove(&park_->waiter);
  try {
    park_->awaiter.await_resume();
  } catch (...) {
    // Cancelled (maybe after release() chose us): if the lock is still
    // free, the next waiter must get its chance, or nobody would wake.
    if (!lock_->locked_) lock_->wake_up_first();
    throw;
  }
  // release() left the lock free for us, and newcomers queued behind us.
  lock_->locked_ = true;
}

Coro<void> LockAcquire::as_coro() && { return lock_acquire_coro(lock_); }

// ---- Event::wait() ----

bool EventWait::await_ready() const { return event_->value_; }

void EventWait::await_suspend(std::coroutine_handle<> h) {
  park_on(event_->waiters_, park_, waiting_loop(event_->loop_, "Event"), h);
}

void EventWait::await_resume() {
  if (!park_) return;
  event_->waiters_.remove(&park_->waiter);
  park_->awaiter.await_resume();
}

Coro<void> EventWait::as_coro() && { return event_wait_coro(event_); }

// ---- Semaphore::acquire() ----

bool SemaphoreAcquire::await_ready() {
  if (sem_->locked()) return false;
  --sem_->value_;
  return true;
}

void SemaphoreAcquire::await_suspend(std::coroutine_handle<> h) {
  park_on(sem_->waiters_, park_, waiting_loop(sem_->loop_, "Semaphore"), h);
}

void SemaphoreAcquire::await_resume() {
  if (!park_) return;
  Waiter& w = park_->waiter;
  sem_->waiters_.remove(&w);
  std::exception_ptr error;
  try {
    park_->awaiter.await_resume();
  } catch (...) {
    // Woken (the unit was counted out for us) and then cancelled: give the
    // unit back so that someone else gets it.
    if (w.done() && !w.cancelled()) ++sem_->value_;
    error = std::current_exception();
  }
  // Newcomers may have queued behind us for FIFO's sake: wake as many as
  // the count allows.
  while (sem_->value_ > 0) {
    if (!sem_->wake_up_next()) break;
  }
  if (error) std::rethrow_exception(error);
}

Coro<void> SemaphoreAcquire::as_coro() && { return semaphore_acquire_coro(sem_); }

}  // namespace detail

// ---- Lock ----

bool Lock::try_take() {
  // Fair: a free lock is taken at once only if nobody (not cancelled) waits.
  if (locked_ || waiters_.any_live()) return false;
  locked_ = true;
  return true;
}

void Lock::release() {
  if (!locked_) throw RuntimeError("Lock is not acquired.");
  locked_ = false;
  wake_up_first();
}

void Lock::wake_up_first() {
  // A done head is already on its way to take the lock.
  detail::Waiter* first = waiters_.front();
  if (first && !first->done()) first->set_result();
}

// ---- Event ----

void Event::set() {
  if (value_) return;
  value_ = true;
  // Waiters unlink themselves when they run.
  for (detail::Waiter* w = waiters_.front(); w; w = w->next_) {
    if (!w->done()) w->set_result();
  }
}

// ---- Condition ----

Coro<void> Condition::wait() {
  if (!locked()) throw RuntimeError("cannot wait on un-acquired lock");
  EventLoop* loop = detail::waiting_loop(loop_, "Condition");
  std::exception_ptr error;
  {
    detail::Park park(loop);
    release();
    waiters_.push_back(&park.waiter);
    try {
      co_await park.awaiter;
    } catch (...) {
      error = std::current_exception();
    }
    waiters_.remove(&park.waiter);
  }
  // The lock must be held again on the way out, even when cancelled; only
  // cancellation is retried (asyncio does not spin on other errors).
  std::exception_ptr cancelled;
  for (;;) {
    try {
      co_await acquire();
      break;
    } catch (const CancelledError&) {
      cancelled = std::current_exception();
    } catch (...) {
      notify_waiters(1);
      throw;
    }
  }
  if (cancelled) error = cancelled;  // the latest cancellation wins
  if (error) {
    // We may have been notified before the error: pass the notification on
    // (a spurious wake-up is allowed; a lost one is not).
    notify_waiters(1);
    std::rethrow_exception(error);
  }
}

void Condition::notify(size_t n) {
  if (!locked()) throw RuntimeError("cannot notify on un-acquired lock");
  notify_waiters(n);
}

void Condition::notify_waiters(size_t n) {
  size_t woken = 0;
  for (detail::Waiter* w = waiters_.front(); w && woken < n; w = w->next_) {
    if (!w->done()) {
      ++woken;
      w->set_result();
    }
  }
}

// ---- Semaphore ----

Semaphore::Semaphore(int64_t value) : value_(value) {
  if (value < 0) throw ValueError("Semaphore initial value must be >= 0");
}

void Semaphore::release() {
  ++value_;
  wake_up_next();
}

bool Semaphore::wake_up_next() {
  for (detail::Waiter* w = waiters_.front(); w; w = w->next_) {
    if (!w->done()) {
      --value_;  // counted out now, so newcomers cannot take it first
      w->set_result();
      return true;
    }
  }
  return false;
}

void BoundedSemaphore::release() {
  if (value_ >= bound_) throw ValueError("BoundedSemaphore released too many times");
  Semaphore::release();
}

// ---- Barrier ----

Barrier::Barrier(size_t parties) : parties_(parties) {
  if (parties < 1) throw ValueError("parties must be >= 1");
}

Coro<size_t> Barrier::wait() {
  Held<Condition> held = co_await cond_.scoped();
  co_await block();
  size_t index = count_++;
  std::exception_ptr error;
  try {
    if (index + 1 == parties_) {
      // The last one in releases everybody.
      state_ = State::kDraining;
      cond_.notify_all();
    } else {
      co_await wait_released();
    }
  } catch (...) {
    error = std::current_exception();
  }
  --count_;
  exit();
  if (error) std::rethrow_exception(error);
  co_return index;
}

Coro<void> Barrier::block() {
  // Wait while the barrier drains or resets.
  auto ready = [this] { return state_ != State::kDraining && state_ != State::kResetting; };
  co_await cond_.wait_for(ready);
  if (state_ == State::kBroken) throw BrokenBarrierError("Barrier aborted");
}

Coro<void> Barrier::wait_released() {
  auto filled = [this] { return state_ != State::kFilling; };
  co_await cond_.wait_for(filled);
  if (state_ == State::kBroken || state_ == State::kResetting) {
    throw BrokenBarrierError("Abort or reset of barrier");
  }
}

void Barrier::exit() {
  // The last task out ends the draining (or resetting) and lets the tasks
  // blocked at the entrance in.
  if (count_ == 0) {
    if (state_ == State::kResetting || state_ == State::kDraining) state_ = State::kFilling;
    cond_.notify_all();
  }
}

Coro<void> Barrier::reset() {
  Held<Condition> held = co_await cond_.scoped();
  if (count_ > 0) {
    state_ = State::kResetting;  // waiters see it and raise
  } else {
    state_ = State::kFilling;
  }
  cond_.notify_all();
}

Coro<void> Barrier::abort() {
  Held<Condition> held = co_await cond_.scoped();
  state_ = State::kBroken;
  cond_.notify_all();
}

}  // namespace eddy
