// Queue, PriorityQueue, LifoQueue: asyncio's semantics (CPython 3.13) on
// every backend -- order, maxsize, FIFO waiters, cancelled waiters that do
// not strand an item, task_done/join, shutdown.
#include <string>
#include <vector>

#include "task_fixture.h"

namespace eddy {
namespace {

using namespace std::chrono_literals;

class QueueTest : public testing::TaskTest {};

using testing::settle;

Coro<> nowait_basics() {
  Queue<int> q(2);
  EXPECT_EQ(q.maxsize(), 2);
  EXPECT_TRUE(q.empty());
  EXPECT_FALSE(q.full());
  EXPECT_THROW(q.get_nowait(), QueueEmpty);
  q.put_nowait(1);
  q.put_nowait(2);
  EXPECT_EQ(q.qsize(), 2u);
  EXPECT_TRUE(q.full());
  EXPECT_THROW(q.put_nowait(3), QueueFull);
  EXPECT_EQ(q.get_nowait(), 1);
  EXPECT_EQ(q.get_nowait(), 2);
  EXPECT_TRUE(q.empty());
  Queue<int> unbounded;
  EXPECT_EQ(unbounded.maxsize(), 0);
  for (int i = 0; i < 1000; ++i) unbounded.put_nowait(i);
  EXPECT_FALSE(unbounded.full());
  int x = co_await unbounded.get();
  EXPECT_EQ(x, 0);
  int v = 5;
  co_await unbounded.put(v);
  EXPECT_EQ(unbounded.qsize(), 1000u);
  co_return;
}

TEST_P(QueueTest, NowaitMethodsSizesAndErrors) { run_coro(nowait_basics()); }

Coro<> orders() {
  Queue<std::string> fifo;
  LifoQueue<std::string> lifo;
  PriorityQueue<int> prio;
  PriorityQueue<int, std::greater<int>> largest_first;
  std::vector<std::string> words = {"a", "b", "c"};
  for (const auto& w : words) {
    fifo.put_nowait(w);
    lifo.put_nowait(w);
  }
  std::vector<int> nums = {5, 1, 4, 2, 3};
  for (int n : nums) {
    prio.put_nowait(n);
    largest_first.put_nowait(n);
  }
  std::string f, l;
  for (int i = 0; i < 3; ++i) {
    f += co_await fifo.get();
    l += co_await lifo.get();
  }
  EXPECT_EQ(f, "abc");
  EXPECT_EQ(l, "cba");
  std::vector<int> p, g;
  for (int i = 0; i < 5; ++i) {
    p.push_back(co_await prio.get());
    g.push_back(largest_first.get_nowait());
  }
  EXPECT_EQ(p, (std::vector<int>{1, 2, 3, 4, 5}));
  EXPECT_EQ(g, (std::vector<int>{5, 4, 3, 2, 1}));
}

TEST_P(QueueTest, FifoLifoAndPriorityOrder) { run_coro(orders()); }

Coro<> ring_wraps_and_grows() {
  // Interleaved puts and gets move the ring's head around its buffer while
  // it grows; order must hold throughout.
  Queue<int> q;
  int next_in = 0, next_out = 0;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < round + 3; ++i) q.put_nowait(next_in++);
    for (int i = 0; i < round + 1; ++i) EXPECT_EQ(q.get_nowait(), next_out++);
  }
  while (!q.empty()) EXPECT_EQ(co_await q.get(), next_out++);
  EXPECT_EQ(next_in, next_out);
}

TEST_P(QueueTest, RingBufferKeepsOrderAcrossGrowth) { run_coro(ring_wraps_and_grows()); }

Coro<> getter(Queue<int>* q, std::vector<std::string>* log, std::string name) {
  int v = co_await q->get();
  log->push_back(name + std::to_string(v));
}

Coro<> getters_fifo() {
  Queue<int> q;
  std::vector<std::string> log;
  std::vector<Task<>> ts;
  std::vector<std::string> names = {"a", "b", "c"};
  for (const auto& n : names) {
    ts.push_back(create_task(getter(&q, &log, n)));
    co_await settle();  // each parks before the next arrives
  }
  for (int i = 1; i <= 3; ++i) q.put_nowait(i);
  EXPECT_EQ(q.qsize(), 3u);  // woken, but nobody took an item yet
  co_await gather(ts);
  EXPECT_EQ(log, (std::vector<std::string>{"a1", "b2", "c3"}));
}

TEST_P(QueueTest, BlockedGettersAreServedInArrivalOrder) { run_coro(getters_fifo()); }

Coro<> putter(Queue<int>* q, int v, std::vector<int>* done) {
  co_await q->put(v);
  done->push_back(v);
}

Coro<> maxsize_blocks() {
  Queue<int> q(1);
  std::vector<int> done;
  Task<> p1 = create_task(putter(&q, 1, &done));
  Task<> p2 = create_task(putter(&q, 2, &done));
  Task<> p3 = create_task(putter(&q, 3, &done));
  co_await settle();
  EXPECT_EQ(done, (std::vector<int>{1}));  // 2 and 3 wait for a slot
  EXPECT_TRUE(q.full());
  EXPECT_EQ(co_await q.get(), 1);
  co_await settle();
  EXPECT_EQ(done, (std::vector<int>{1, 2}));
  EXPECT_EQ(co_await q.get(), 2);
  EXPECT_EQ(co_await q.get(), 3);
  co_await gather(p1, p2, p3);
  EXPECT_EQ(done, (std::vector<int>{1, 2, 3}));
}

TEST_P(QueueTest, PutWaitsWhileFullAndPuttersAreFifo) { run_coro(maxsize_blocks()); }

Coro<> woken_getter_cancelled() {
  Queue<int> q;
  std::vector<std::string> log;
  Task<> a = create_task(getter(&q, &log, "a"));
  co_await settle();
  Task<> b = create_task(getter(&q, &log, "b"));
  co_await settle();
  q.put_nowait(7);  // wakes a ...
  a.cancel();       // ... which is cancelled before it runs
  co_await settle();
  EXPECT_TRUE(a.cancelled());
  EXPECT_TRUE(b.done());
  EXPECT_EQ(log, (std::vector<std::string>{"b7"}));  // the item went to b
  EXPECT_TRUE(q.empty());
}

TEST_P(QueueTest, AWokenGetterThatIsCancelledDoesNotLoseTheItem) {
  run_coro(woken_getter_cancelled());
}

Coro<> waiting_getter_cancelled() {
  Queue<int> q;
  std::vector<std::string> log;
  Task<> a = create_task(getter(&q, &log, "a"));
  Task<> b = create_task(getter(&q, &log, "b"));
  co_await settle();
  a.cancel("bye");
  co_await settle();
  EXPECT_TRUE(a.cancelled());
  q.put_nowait(1);
  q.put_nowait(2);
  co_await settle();
  EXPECT_EQ(log, (std::vector<std::string>{"b1"}));
  EXPECT_EQ(q.qsize(), 1u);  // nobody else waited
  // wait_for on a get: the timeout cancels the getter, nothing is consumed.
  Queue<int> empty;
  bool timed_out = false;
  try {
    auto d = 5ms;
    co_await wait_for(empty.get(), d);
  } catch (const TimeoutError&) {
    timed_out = true;
  }
  EXPECT_TRUE(timed_out);
  empty.put_nowait(3);
  co_await settle();
  EXPECT_EQ(empty.qsize(), 1u);
  EXPECT_EQ(co_await empty.get(), 3);
}

TEST_P(QueueTest, ACancelledWaitingGetterLeavesTheQueueConsistent) {
  run_coro(waiting_getter_cancelled());
}

Coro<> stolen_item() {
  Queue<int> q;
  std::vector<std::string> log;
  Task<> a = create_task(getter(&q, &log, "a"));
  co_await settle();
  q.put_nowait(1);
  EXPECT_EQ(q.get_nowait(), 1);  // taken before the woken getter runs
  co_await settle();
  EXPECT_FALSE(a.done());  // it waits again
  q.put_nowait(2);
  co_await a;
  EXPECT_EQ(log, (std::vector<std::string>{"a2"}));
}

TEST_P(QueueTest, AGetterWhoseItemWasTakenWaitsAgain) { run_coro(stolen_item()); }

Coro<> woken_putter_cancelled() {
  Queue<int> q(1);
  q.put_nowait(0);
  std::vector<int> done;
  Task<> p1 = create_task(putter(&q, 1, &done));
  co_await settle();
  Task<> p2 = create_task(putter(&q, 2, &done));
  co_await settle();
  EXPECT_EQ(q.get_nowait(), 0);  // wakes p1 ...
  p1.cancel();                   // ... cancelled before it puts
  co_await settle();
  EXPECT_TRUE(p1.cancelled());
  EXPECT_EQ(done, (std::vector<int>{2}));  // the slot went to p2
  EXPECT_EQ(q.get_nowait(), 2);
}

TEST_P(QueueTest, AWokenPutterThatIsCancelledPassesTheSlotOn) {
  run_coro(woken_putter_cancelled());
}

Coro<> worker(Queue<int>* q, int* sum) {
  for (;;) {
    int v = co_await q->get();
    auto d = 1ms;
    co_await sleep(d);
    *sum += v;
    q->task_done();
  }
}

Coro<> join_waits_for_task_done() {
  Queue<int> q;
  co_await q.join();  // nothing unfinished: returns at once
  EXPECT_THROW(q.task_done(), ValueError);
  int sum = 0;
  Task<> w1 = create_task(worker(&q, &sum));
  Task<> w2 = create_task(worker(&q, &sum));
  for (int i = 1; i <= 10; ++i) co_await q.put(i);
  co_await q.join();
  EXPECT_EQ(sum, 55);
  EXPECT_TRUE(q.empty());
  EXPECT_THROW(q.task_done(), ValueError);
  w1.cancel();
  w2.cancel();
  co_await gather(return_exceptions, w1, w2);
  EXPECT_TRUE(w1.cancelled());
}

TEST_P(QueueTest, JoinWaitsUntilEveryItemIsDone) { run_coro(join_waits_for_task_done()); }

Coro<> expect_get_shutdown(Queue<int>* q, bool* raised) {
  try {
    co_await q->get();
  } catch (const QueueShutDown&) {
    *raised = true;
  }
}

Coro<> expect_put_shutdown(Queue<int>* q, int v, bool* raised) {
  try {
    co_await q->put(v);
  } catch (const QueueShutDown&) {
    *raised = true;
  }
}

Coro<> shutdown_graceful() {
  Queue<int> q;
  bool getter_raised = false;
  Task<> g = create_task(expect_get_shutdown(&q, &getter_raised));
  co_await settle();
  q.shutdown();
  co_await g;
  EXPECT_TRUE(getter_raised);  // woken, and the queue is empty

  Queue<int> r(2);
  r.put_nowait(1);
  r.put_nowait(2);
  bool putter_raised = false;
  Task<> p = create_task(expect_put_shutdown(&r, 3, &putter_raised));
  co_await settle();
  r.shutdown();
  co_await p;
  EXPECT_TRUE(putter_raised);
  EXPECT_THROW(r.put_nowait(4), QueueShutDown);
  bool put_raised = false;
  co_await expect_put_shutdown(&r, 5, &put_raised);  // put on a non-full queue too
  EXPECT_TRUE(put_raised);
  // Items left are still handed out, then gets raise.
  EXPECT_EQ(co_await r.get(), 1);
  EXPECT_EQ(r.get_nowait(), 2);
  EXPECT_THROW(r.get_nowait(), QueueShutDown);
  bool get_raised = false;
  co_await expect_get_shutdown(&r, &get_raised);
  EXPECT_TRUE(get_raised);
}

TEST_P(QueueTest, ShutdownStopsPutsAndGetsDrainFirst) { run_coro(shutdown_graceful()); }

Coro<> join_task(Queue<int>* q, bool* joined) {
  co_await q->join();
  *joined = true;
}

Coro<> shutdown_immediate() {
  Queue<int> q(3);
  for (int i = 0; i < 3; ++i) q.put_nowait(i);
  bool joined = false;
  Task<> j = create_task(join_task(&q, &joined));
  bool putter_raised = false;
  Task<> p = create_task(expect_put_shutdown(&q, 9, &putter_raised));
  co_await settle();
  EXPECT_FALSE(joined);
  q.shutdown(true);
  EXPECT_TRUE(q.empty());
  EXPECT_THROW(q.get_nowait(), QueueShutDown);
  co_await gather(j, p);
  EXPECT_TRUE(joined);  // dropped items count as done
  EXPECT_TRUE(putter_raised);
  bool get_raised = false;
  co_await expect_get_shutdown(&q, &get_raised);
  EXPECT_TRUE(get_raised);
}

TEST_P(QueueTest, ShutdownImmediateDrainsAndReleasesJoin) { run_coro(shutdown_immediate()); }

Coro<> as_coro_interop() {
  Queue<int> q;
  Task<int> t = create_task(q.get());
  auto both = gather(q.get(), q.get());
  co_await settle();
  for (int i = 1; i <= 3; ++i) co_await q.put(i);
  EXPECT_EQ(co_await t, 1);
  auto [a, b] = co_await both;
  EXPECT_EQ(a + b, 5);
  Coro<int> c = q.get();  // a Coro, awaited later
  int v = 4;
  co_await q.put(v);
  EXPECT_EQ(co_await std::move(c), 4);
  Task<> put_task = create_task(q.put(v));
  co_await put_task;
  EXPECT_EQ(q.get_nowait(), 4);
}

TEST_P(QueueTest, GetAndPutBecomeCorosForTasksAndGather) { run_coro(as_coro_interop()); }

Coro<> move_only_items() {
  Queue<std::unique_ptr<int>> q(1);
  co_await q.put(std::make_unique<int>(1));
  Task<> t = create_task(q.put(std::make_unique<int>(2)));  // waits for a slot
  co_await settle();
  std::unique_ptr<int> a = co_await q.get();
  std::unique_ptr<int> b = co_await q.get();
  EXPECT_EQ(*a + *b, 3);
  co_await t;
}

TEST_P(QueueTest, MoveOnlyItems) { run_coro(move_only_items()); }

// Tasks still blocked on a queue when the loop closes are destroyed with it:
// nothing leaks (checked under ASan) and nothing touches freed waiters.
Coro<> leave_blocked(Queue<int>* q) {
  create_task(q->get());
  int v = 1;
  co_await q->put(v);  // the getter takes it...
  create_task(q->get());  // ...this one stays blocked
  co_await settle();
}

TEST_P(QueueTest, BlockedWaitersAtLoopTeardownAreReleased) {
  Queue<int> q(1);
  run_coro(leave_blocked(&q));
  EXPECT_TRUE(q.empty());
}

EDDY_INSTANTIATE_TASK_SUITE(QueueTest);

}  // namespace
}  // namespace eddy
