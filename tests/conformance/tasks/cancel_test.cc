// Cancellation, asyncio's way: CancelledError(msg) at the await point,
// caught or ignored by the coroutine, propagated down a chain of awaits,
// racing completion, and counted by cancelling()/uncancel().
#include "task_fixture.h"

namespace eddy {
namespace {

using namespace std::chrono_literals;

class CancelTest : public testing::TaskTest {};

Coro<> sleeper(std::string* seen) {
  try {
    auto d = 1h;
    co_await sleep(d);
  } catch (const CancelledError& e) {
    *seen = "cancelled: " + e.message();
    throw;
  }
}

Coro<> cancel_with_message(std::string* seen, bool* outer_saw_cancel) {
  Task<> t = create_task(sleeper(seen));
  co_await sleep(0ms);
  EXPECT_TRUE(t.cancel("stop now"));
  EXPECT_EQ(t.cancelling(), 1);
  try {
    co_await t;
  } catch (const CancelledError& e) {
    *outer_saw_cancel = e.message() == "stop now";
  }
  EXPECT_TRUE(t.cancelled());
  EXPECT_FALSE(t.cancel());  // already done
}

TEST_P(CancelTest, CancelThrowsCancelledErrorWithTheMessageAtTheAwait) {
  std::string seen;
  bool outer = false;
  run_coro(cancel_with_message(&seen, &outer));
  EXPECT_EQ(seen, "cancelled: stop now");
  EXPECT_TRUE(outer);
}

Coro<int> catches_and_returns() {
  try {
    for (;;) co_await sleep(0ms);
  } catch (const CancelledError&) {
    co_return 7;  // Example 3-9
  }
}

Coro<int> ignores_then_returns() {
  try {
    for (;;) co_await sleep(0ms);
  } catch (const CancelledError&) {
  }
  auto d = 2ms;
  co_await sleep(d);  // Example 3-10: keeps going
  co_return 8;
}

Coro<int> cancel_then_result() {
  Task<int> a = create_task(catches_and_returns());
  Task<int> b = create_task(ignores_then_returns());
  co_await sleep(0ms);
  a.cancel();
  b.cancel();
  int ra = co_await a;
  int rb = co_await b;
  EXPECT_FALSE(a.cancelled());
  EXPECT_FALSE(b.cancelled());
  co_return ra * 10 + rb;
}

TEST_P(CancelTest, ACoroutineMayCatchCancellationAndReturnOrKeepGoing) {
  EXPECT_EQ(run_coro(cancel_then_result()), 78);
}

// A pending cancel's message waits in the task's exception slot; a coroutine
// that catches the cancellation and then returns or fails must not see it
// leak into its outcome.
Coro<int> catches(std::string msg_expected, bool fail_after) {
  try {
    auto d = 1h;
    co_await sleep(d);
  } catch (const CancelledError& e) {
    EXPECT_EQ(e.message(), msg_expected);
  }
  if (fail_after) throw ValueError("after the cancel");
  co_return 7;
}

Coro<> caught_cancel_outcomes() {
  std::string second = "second";
  Task<int> ok = create_task(catches(second, false));
  Task<int> bad = create_task(catches(second, true));
  co_await sleep(0ms);
  // Two cancels before the task runs again: the last message wins (asyncio's
  // Task.cancel stores the message each time).
  ok.cancel("first");
  ok.cancel("second");
  bad.cancel("second");
  EXPECT_EQ(co_await ok, 7);
  EXPECT_FALSE(ok.cancelled());
  EXPECT_EQ(ok.exception(), nullptr);
  EXPECT_EQ(ok.uncancel(), 1);
  try {
    co_await bad;
    ADD_FAILURE() << "no exception";
  } catch (const ValueError& e) {
    EXPECT_STREQ(e.what(), "after the cancel");
  }
  EXPECT_FALSE(bad.cancelled());
}

TEST_P(CancelTest, ACaughtCancelLeavesNoTraceInTheOutcome) { run_coro(caught_cancel_outcomes()); }

Coro<int> value_after(int v) {
  co_await sleep(0ms);
  co_return v;
}

Coro<> task_refuses_set_result() {
  Task<int> t = create_task(value_after(3));
  Future<int> f = t.as_future();
  // asyncio: "Task does not support set_result operation".
  EXPECT_THROW(f.set_result(4), RuntimeError);
  EXPECT_THROW(f.set_exception(ValueError("x")), RuntimeError);
  EXPECT_EQ(co_await t, 3);
  EXPECT_EQ(f.result(), 3);
}

TEST_P(CancelTest, ATaskRefusesSetResultAndSetException) { run_coro(task_refuses_set_result()); }

Coro<> leaf_wait(Future<int> f, bool* leaf_cancelled) {
  try {
    co_await f;
  } catch (const CancelledError&) {
    *leaf_cancelled = true;
    throw;
  }
}
Coro<> middle(Future<int> f, bool* leaf_cancelled) {
  Task<> t = create_task(leaf_wait(f, leaf_cancelled));
  co_await t;
}

Coro<bool> chain(bool* leaf_cancelled) {
  Future<int> f = get_running_loop().create_future<int>();
  Task<> top = create_task(middle(f, leaf_cancelled));
  co_await sleep(0ms);
  co_await sleep(0ms);
  top.cancel("down the chain");
  try {
    co_await top;
  } catch (const CancelledError&) {
  }
  co_return f.cancelled() && top.cancelled();
}

TEST_P(CancelTest, CancelPropagatesDownAChainOfTasksToTheFuture) {
  bool leaf = false;
  EXPECT_TRUE(run_coro(chain(&leaf)));
  EXPECT_TRUE(leaf);
}

Coro<int> quick() { co_return 5; }

Coro<int> cancel_racing_completion() {
  // The task finishes in the same iteration its cancel arrives: whichever
  // happens first wins, and the outcome is consistent.
  Task<int> t = create_task(quick());
  co_await sleep(0ms);  // t has run to completion already
  bool cancelled = t.cancel();
  EXPECT_FALSE(cancelled);
  int v = co_await t;
  // Cancelled before it ever ran: the coroutine body never runs.
  Task<int> u = create_task(quick());
  EXPECT_TRUE(u.cancel());
  try {
    co_await u;
    ADD_FAILURE() << "u ran";
  } catch (const CancelledError&) {
  }
  co_return v;
}

TEST_P(CancelTest, CancelRacingCompletion) { EXPECT_EQ(run_coro(cancel_racing_completion()), 5); }

Coro<int> cancelling_counts() {
  Task<int> t = create_task(ignores_then_returns());
  co_await sleep(0ms);
  t.cancel();
  t.cancel();
  int n = t.cancelling();
  int after = t.uncancel();
  co_await t;
  co_return n * 10 + after;
}

TEST_P(CancelTest, CancellingAndUncancelCount) { EXPECT_EQ(run_coro(cancelling_counts()), 21); }

Coro<> forever() {
  auto d = 1h;
  co_await sleep(d);
}

Coro<int> main_leaves_tasks_behind(int* cleaned) {
  for (int i = 0; i < 5; ++i) {
    create_task([](int* c) -> Coro<> {
      try {
        auto d = 1h;
        co_await sleep(d);
      } catch (const CancelledError&) {
        ++*c;
        throw;
      }
    }(cleaned));
  }
  co_await sleep(0ms);
  co_return 1;
}

TEST_P(CancelTest, RunCancelsTheTasksLeftBehindAtShutdown) {
  int cleaned = 0;
  EXPECT_EQ(run_coro(main_leaves_tasks_behind(&cleaned)), 1);
  EXPECT_EQ(cleaned, 5);
}

TEST_P(CancelTest, DestroyingALoopWithPendingTasksFreesThem) {
  // No run(): the loop is destroyed with tasks suspended on futures and
  // timers; ASan checks that nothing leaks.
  auto loop = make_loop();
  Future<int> never = loop->create_future<int>();
  Task<> a = loop->create_task(forever());
  bool leaf = false;
  Task<> b = loop->create_task(leaf_wait(never, &leaf));
  loop->run_once(0ns);
  EXPECT_FALSE(a.done());
  loop.reset();
  EXPECT_TRUE(a.cancelled());
}

EDDY_INSTANTIATE_TASK_SUITE(CancelTest);

}  // namespace
}  // namespace eddy
