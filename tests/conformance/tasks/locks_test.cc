// Lock, Event, Condition, Semaphore, BoundedSemaphore, Barrier: asyncio's
// semantics (CPython 3.13) on every backend -- FIFO fairness, and
// cancellation at every wait leaving the primitive consistent.
#include <set>
#include <string>
#include <vector>

#include "task_fixture.h"

namespace eddy {
namespace {

using namespace std::chrono_literals;

class LockTest : public testing::TaskTest {};
class EventTest : public testing::TaskTest {};
class ConditionTest : public testing::TaskTest {};
class SemaphoreTest : public testing::TaskTest {};
class BarrierTest : public testing::TaskTest {};

using Log = std::vector<std::string>;

using testing::settle;

// ---- Lock ----

Coro<> lock_basics() {
  Lock lock;
  EXPECT_FALSE(lock.locked());
  EXPECT_THROW(lock.release(), RuntimeError);
  co_await lock.acquire();
  EXPECT_TRUE(lock.locked());
  lock.release();
  EXPECT_FALSE(lock.locked());
  {
    auto held = co_await lock.scoped();
    EXPECT_TRUE(lock.locked());
  }
  EXPECT_FALSE(lock.locked());
  // Lambdas bound to locals first: g++ 12 mishandles some temporaries
  // inside co_await expressions.
  auto body = [&]() -> Coro<int> {
    EXPECT_TRUE(lock.locked());
    co_return 42;
  };
  int v = co_await lock.scoped(body);
  EXPECT_EQ(v, 42);
  EXPECT_FALSE(lock.locked());
  bool threw = false;
  try {
    auto failing = [&]() -> Coro<> {
      throw ValueError("in the body");
      co_return;
    };
    co_await lock.scoped(failing);
  } catch (const ValueError&) {
    threw = true;
  }
  EXPECT_TRUE(threw);
  EXPECT_FALSE(lock.locked());  // released on the way out
}

TEST_P(LockTest, AcquireReleaseLockedAndScopes) { run_coro(lock_basics()); }

Coro<> take_lock(Lock* lock, Log* log, std::string name) {
  co_await lock->acquire();
  log->push_back(name);
  co_await settle();
  lock->release();
}

Coro<> lock_fifo() {
  Lock lock;
  Log log;
  co_await lock.acquire();
  std::vector<Task<>> ts;
  std::vector<std::string> names = {"a", "b", "c"};
  for (const auto& n : names) {
    ts.push_back(create_task(take_lock(&lock, &log, n)));
    co_await settle();
  }
  lock.release();
  // Free, but the woken first waiter has not run yet: a newcomer queues.
  EXPECT_FALSE(lock.locked());
  ts.push_back(create_task(take_lock(&lock, &log, "late")));
  co_await gather(ts);
  EXPECT_EQ(log, (Log{"a", "b", "c", "late"}));
  EXPECT_FALSE(lock.locked());
}

TEST_P(LockTest, WaitersGetTheLockInArrivalOrder) { run_coro(lock_fifo()); }

Coro<> lock_cancel_waiting() {
  Lock lock;
  Log log;
  co_await lock.acquire();
  Task<> a = create_task(take_lock(&lock, &log, "a"));
  Task<> b = create_task(take_lock(&lock, &log, "b"));
  Task<> c = create_task(take_lock(&lock, &log, "c"));
  co_await settle();
  b.cancel();
  co_await settle();
  EXPECT_TRUE(b.cancelled());
  lock.release();
  co_await gather(return_exceptions, a, b, c);
  EXPECT_EQ(log, (Log{"a", "c"}));
  EXPECT_FALSE(lock.locked());
}

TEST_P(LockTest, ACancelledWaiterLeavesTheQueue) { run_coro(lock_cancel_waiting()); }

Coro<> lock_cancel_woken() {
  Lock lock;
  Log log;
  co_await lock.acquire();
  Task<> a = create_task(take_lock(&lock, &log, "a"));
  Task<> b = create_task(take_lock(&lock, &log, "b"));
  co_await settle();
  lock.release();  // wakes a ...
  a.cancel();      // ... which is cancelled before it runs
  co_await settle();
  EXPECT_TRUE(a.cancelled());
  co_await b;  // the wake-up passed to b: no task waits forever
  EXPECT_EQ(log, (Log{"b"}));
  EXPECT_FALSE(lock.locked());
  co_await lock.acquire();  // and the lock is whole
  lock.release();
}

TEST_P(LockTest, AWokenWaiterThatIsCancelledPassesTheLockOn) { run_coro(lock_cancel_woken()); }

Coro<> lock_wait_for_timeout() {
  Lock lock;
  co_await lock.acquire();
  bool timed_out = false;
  try {
    auto d = 5ms;
    co_await wait_for(lock.acquire(), d);
  } catch (const TimeoutError&) {
    timed_out = true;
  }
  EXPECT_TRUE(timed_out);
  lock.release();
  EXPECT_FALSE(lock.locked());
  co_await lock.acquire();  // the timed-out waiter left no trace
  Task<> t = create_task(lock.acquire());
  co_await settle();
  EXPECT_FALSE(t.done());
  lock.release();
  co_await t;
  EXPECT_TRUE(lock.locked());  // the task took it
  lock.release();
}

TEST_P(LockTest, WaitForOnAcquireTimesOutCleanly) { run_coro(lock_wait_for_timeout()); }

// ---- Event ----

Coro<> wait_event(Event* e, Log* log, std::string name) {
  co_await e->wait();
  log->push_back(name);
}

Coro<> event_basics() {
  Event e;
  EXPECT_FALSE(e.is_set());
  Log log;
  Task<> a = create_task(wait_event(&e, &log, "a"));
  Task<> b = create_task(wait_event(&e, &log, "b"));
  Task<> c = create_task(wait_event(&e, &log, "c"));
  co_await settle();
  EXPECT_TRUE(log.empty());
  b.cancel();
  co_await settle();
  e.set();
  EXPECT_TRUE(e.is_set());
  co_await gather(return_exceptions, a, b, c);
  EXPECT_EQ(log, (Log{"a", "c"}));
  EXPECT_TRUE(b.cancelled());
  co_await e.wait();  // set: returns at once
  e.clear();
  EXPECT_FALSE(e.is_set());
  Task<> d = create_task(wait_event(&e, &log, "d"));
  co_await settle();
  EXPECT_FALSE(d.done());
  e.set();
  e.clear();  // waiters woken by set() still return
  co_await d;
  EXPECT_EQ(log.back(), "d");
}

TEST_P(EventTest, SetWakesEveryWaiterClearResets) { run_coro(event_basics()); }

Coro<> event_wait_for() {
  Event e;
  bool timed_out = false;
  try {
    auto d = 5ms;
    co_await wait_for(e.wait(), d);
  } catch (const TimeoutError&) {
    timed_out = true;
  }
  EXPECT_TRUE(timed_out);
  e.set();
  auto d = 1s;
  co_await wait_for(e.wait(), d);
}

TEST_P(EventTest, WaitForOnWait) { run_coro(event_wait_for()); }

// ---- Condition ----

Coro<> cond_waiter(Condition* c, Log* log, std::string name) {
  auto held = co_await c->scoped();
  co_await c->wait();
  EXPECT_TRUE(c->locked());
  log->push_back(name);
}

Coro<> condition_notify() {
  Condition c;
  EXPECT_THROW(c.notify(), RuntimeError);
  bool raised = false;
  try {
    co_await c.wait();
  } catch (const RuntimeError&) {
    raised = true;
  }
  EXPECT_TRUE(raised);
  Log log;
  std::vector<Task<>> ts;
  std::vector<std::string> names = {"a", "b", "c", "d"};
  for (const auto& n : names) {
    ts.push_back(create_task(cond_waiter(&c, &log, n)));
    co_await settle();
  }
  EXPECT_FALSE(c.locked());  // waiters released it
  co_await c.acquire();
  c.notify();
  c.release();
  co_await settle();
  EXPECT_EQ(log, (Log{"a"}));
  {
    auto held = co_await c.scoped();
    c.notify(2);
  }
  co_await settle();
  EXPECT_EQ(log, (Log{"a", "b", "c"}));
  {
    auto held = co_await c.scoped();
    c.notify_all();
  }
  co_await gather(ts);
  EXPECT_EQ(log, (Log{"a", "b", "c", "d"}));
  EXPECT_FALSE(c.locked());
}

TEST_P(ConditionTest, NotifyWakesWaitersInOrder) { run_coro(condition_notify()); }

Coro<int> wait_for_value(Condition* c, int* value) {
  auto held = co_await c->scoped();
  auto ready = [value] { return *value >= 3 ? *value : 0; };
  int got = co_await c->wait_for(ready);
  co_return got;
}

Coro<> condition_wait_for() {
  Lock shared;
  Condition c(shared);
  int value = 0;
  Task<int> t = create_task(wait_for_value(&c, &value));
  for (int i = 1; i <= 4; ++i) {
    co_await settle();
    auto held = co_await shared.scoped();  // the shared lock is the condition's
    EXPECT_TRUE(c.locked());
    value = i;
    c.notify_all();
  }
  EXPECT_EQ(co_await t, 3);
}

TEST_P(ConditionTest, WaitForAPredicateWithASharedLock) { run_coro(condition_wait_for()); }

Coro<> cond_waiter_cancel_checked(Condition* c, bool* held_on_cancel) {
  co_await c->acquire();
  try {
    co_await c->wait();
  } catch (const CancelledError&) {
    *held_on_cancel = c->locked();
    c->release();
    throw;
  }
  c->release();
}

Coro<> condition_cancel() {
  Condition c;
  bool held_on_cancel = false;
  Task<> a = create_task(cond_waiter_cancel_checked(&c, &held_on_cancel));
  co_await settle();
  co_await c.acquire();  // a waits; we hold the lock
  a.cancel();
  co_await settle();
  EXPECT_FALSE(a.done());  // cancelled, but must re-acquire the lock first
  c.release();
  co_await gather(return_exceptions, a);
  EXPECT_TRUE(a.cancelled());
  EXPECT_TRUE(held_on_cancel);
  EXPECT_FALSE(c.locked());

  // Notified, then cancelled before running: the notification goes on to b.
  Log log;
  Task<> n1 = create_task(cond_waiter(&c, &log, "n1"));
  Task<> n2 = create_task(cond_waiter(&c, &log, "n2"));
  co_await settle();
  {
    auto held = co_await c.scoped();
    c.notify(1);
    n1.cancel();
  }
  co_await gather(return_exceptions, n1, n2);
  EXPECT_TRUE(n1.cancelled());
  EXPECT_EQ(log, (Log{"n2"}));
  EXPECT_FALSE(c.locked());
}

TEST_P(ConditionTest, CancelledWaitReacquiresAndPassesNotificationsOn) {
  run_coro(condition_cancel());
}

// ---- Semaphore ----

Coro<> take_sem(Semaphore* s, Log* log, std::string name) {
  co_await s->acquire();
  log->push_back(name);
}

Coro<> semaphore_basics() {
  EXPECT_THROW(Semaphore(-1), ValueError);
  Semaphore s(2);
  EXPECT_FALSE(s.locked());
  co_await s.acquire();
  co_await s.acquire();
  EXPECT_TRUE(s.locked());
  Log log;
  Task<> a = create_task(take_sem(&s, &log, "a"));
  Task<> b = create_task(take_sem(&s, &log, "b"));
  Task<> c = create_task(take_sem(&s, &log, "c"));
  co_await settle();
  b.cancel();
  co_await settle();
  s.release();
  s.release();
  co_await gather(return_exceptions, a, b, c);
  EXPECT_EQ(log, (Log{"a", "c"}));
  EXPECT_TRUE(s.locked());
  // A woken waiter cancelled before it runs gives its unit back.
  Task<> d = create_task(take_sem(&s, &log, "d"));
  Task<> e = create_task(take_sem(&s, &log, "e"));
  co_await settle();
  s.release();
  d.cancel();
  co_await gather(return_exceptions, d, e);
  EXPECT_TRUE(d.cancelled());
  EXPECT_EQ(log.back(), "e");
  EXPECT_TRUE(s.locked());
  s.release();
  EXPECT_FALSE(s.locked());
  auto one = []() -> Coro<int> { co_return 1; };
  int v = co_await s.scoped(one);
  EXPECT_EQ(v, 1);
  EXPECT_FALSE(s.locked());
}

TEST_P(SemaphoreTest, CountsFifoAndCancellation) { run_coro(semaphore_basics()); }

Coro<> bounded() {
  BoundedSemaphore s(1);
  EXPECT_THROW(s.release(), ValueError);
  co_await s.acquire();
  s.release();
  EXPECT_THROW(s.release(), ValueError);
  {
    auto held = co_await s.scoped();
    EXPECT_TRUE(s.locked());
  }
  EXPECT_FALSE(s.locked());
  Semaphore& base = s;
  co_await base.acquire();
  base.release();
  EXPECT_THROW(base.release(), ValueError);  // virtual: still bounded
}

TEST_P(SemaphoreTest, BoundedSemaphoreOverReleaseIsAValueError) { run_coro(bounded()); }

// ---- Barrier ----

Coro<size_t> at_barrier(Barrier* b) { co_return co_await b->wait(); }

Coro<> barrier_basics() {
  EXPECT_THROW(Barrier(0), ValueError);
  Barrier b(3);
  EXPECT_EQ(b.parties(), 3u);
  for (int round = 0; round < 2; ++round) {
    Task<size_t> t1 = create_task(at_barrier(&b));
    Task<size_t> t2 = create_task(at_barrier(&b));
    co_await settle();
    EXPECT_EQ(b.n_waiting(), 2u);
    size_t mine = co_await b.wait();
    size_t i1 = co_await t1;
    size_t i2 = co_await t2;
    EXPECT_EQ((std::set<size_t>{mine, i1, i2}), (std::set<size_t>{0, 1, 2}));
    EXPECT_EQ(b.n_waiting(), 0u);
    EXPECT_FALSE(b.broken());
  }
}

TEST_P(BarrierTest, PartiesMeetAndGetDistinctIndices) { run_coro(barrier_basics()); }

Coro<> barrier_broken(Barrier* b, bool* raised) {
  try {
    co_await b->wait();
  } catch (const BrokenBarrierError&) {
    *raised = true;
  }
}

Coro<> barrier_abort() {
  Barrier b(3);
  bool r1 = false, r2 = false, r3 = false;
  Task<> t1 = create_task(barrier_broken(&b, &r1));
  Task<> t2 = create_task(barrier_broken(&b, &r2));
  co_await settle();
  co_await b.abort();
  co_await gather(t1, t2);
  EXPECT_TRUE(r1 && r2);
  EXPECT_TRUE(b.broken());
  co_await barrier_broken(&b, &r3);
  EXPECT_TRUE(r3);
  co_await b.reset();  // usable again
  EXPECT_FALSE(b.broken());
}

TEST_P(BarrierTest, AbortBreaksCurrentAndFutureWaiters) { run_coro(barrier_abort()); }

Coro<> barrier_reset() {
  Barrier b(2);
  bool raised = false;
  Task<> t = create_task(barrier_broken(&b, &raised));
  co_await settle();
  EXPECT_EQ(b.n_waiting(), 1u);
  co_await b.reset();
  co_await t;
  EXPECT_TRUE(raised);
  EXPECT_FALSE(b.broken());
  Task<size_t> other = create_task(at_barrier(&b));
  size_t mine = co_await b.wait();
  EXPECT_EQ(mine + co_await other, 1u);
}

TEST_P(BarrierTest, ResetRaisesInWaitersAndRearms) { run_coro(barrier_reset()); }

Coro<> barrier_cancel() {
  Barrier b(2);
  Task<size_t> t = create_task(at_barrier(&b));
  co_await settle();
  EXPECT_EQ(b.n_waiting(), 1u);
  t.cancel();
  co_await gather(return_exceptions, t);
  EXPECT_TRUE(t.cancelled());
  EXPECT_EQ(b.n_waiting(), 0u);  // the cancelled task left
  Task<size_t> u = create_task(at_barrier(&b));
  size_t mine = co_await b.wait();
  EXPECT_EQ(mine + co_await u, 1u);
}

TEST_P(BarrierTest, ACancelledWaiterLeavesTheBarrier) { run_coro(barrier_cancel()); }

EDDY_INSTANTIATE_TASK_SUITE(LockTest);
EDDY_INSTANTIATE_TASK_SUITE(EventTest);
EDDY_INSTANTIATE_TASK_SUITE(ConditionTest);
EDDY_INSTANTIATE_TASK_SUITE(SemaphoreTest);
EDDY_INSTANTIATE_TASK_SUITE(BarrierTest);

}  // namespace
}  // namespace eddy
