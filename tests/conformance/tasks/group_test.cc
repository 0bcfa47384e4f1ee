// TaskGroup, AsyncGenerator, executors.
#include <atomic>
#include <stdexcept>
#include <thread>

#include "task_fixture.h"

namespace eddy {
namespace {

using namespace std::chrono_literals;

class GroupTest : public testing::TaskTest {};

Coro<int> value_after(int v, std::chrono::milliseconds d) {
  co_await sleep(d);
  co_return v;
}
Coro<> fail_after(std::chrono::milliseconds d, std::string what) {
  co_await sleep(d);
  throw std::runtime_error(what);
}
Coro<> sleeper(bool* cancelled) {
  try {
    auto d = 1h;
    co_await sleep(d);
  } catch (const CancelledError&) {
    *cancelled = true;
    throw;
  }
}

Coro<int> group_ok() {
  int sum = 0;
  co_await task_group([&sum](TaskGroup& tg) -> Coro<> {
    Task<int> a = tg.create_task(value_after(1, 2ms));
    Task<int> b = tg.create_task(value_after(2, 1ms));
    co_await sleep(0ms);
    (void)a;
    (void)b;
    sum = 3;
  });
  co_return sum;
}

TEST_P(GroupTest, ATaskGroupWaitsForItsTasks) { EXPECT_EQ(run_coro(group_ok()), 3); }

Coro<bool> group_failure(bool* sibling_cancelled) {
  try {
    co_await task_group([sibling_cancelled](TaskGroup& tg) -> Coro<> {
      tg.create_task(sleeper(sibling_cancelled));
      tg.create_task(fail_after(1ms, "first"));
      tg.create_task(fail_after(1ms, "second"));
      auto d = 1h;
      co_await sleep(d);  // the body is cancelled too
    });
  } catch (const ExceptionGroup& eg) {
    EXPECT_EQ(eg.exceptions().size(), 2u);
    co_return current_task().cancelling() == 0;
  }
  co_return false;
}

TEST_P(GroupTest, TheFirstFailureCancelsTheRestAndErrorsAreGrouped) {
  bool sibling = false;
  EXPECT_TRUE(run_coro(group_failure(&sibling)));
  EXPECT_TRUE(sibling);
}

Coro<> nested_groups(bool* inner_cancelled) {
  co_await task_group([inner_cancelled](TaskGroup& outer) -> Coro<> {
    outer.create_task(task_group([inner_cancelled](TaskGroup& inner) -> Coro<> {
      inner.create_task(sleeper(inner_cancelled));
      co_return;
    }));
    co_return;
  });
}

Coro<bool> cancel_outer_group(bool* inner_cancelled) {
  Task<> t = create_task(nested_groups(inner_cancelled));
  co_await sleep(0ms);
  co_await sleep(0ms);
  t.cancel();
  try {
    co_await t;
  } catch (const CancelledError&) {
    co_return t.cancelled();  // the parent's cancel survives both groups
  }
  co_return false;
}

TEST_P(GroupTest, NestedGroupsKeepTheParentsCancel) {
  bool inner = false;
  EXPECT_TRUE(run_coro(cancel_outer_group(&inner)));
  EXPECT_TRUE(inner);
}

AsyncGenerator<int> ticks(int n) {
  for (int i = 0; i < n; ++i) {
    auto d = 1ms;
    co_await sleep(d);
    co_yield i * i;
  }
}

AsyncGenerator<int> broken() {
  co_yield 1;
  throw std::runtime_error("generator broke");
}

Coro<int> consume() {
  int sum = 0;
  auto gen = ticks(4);
  while (auto v = co_await gen.next()) sum += *v;
  EXPECT_FALSE(co_await gen.next());  // stays finished
  auto b = broken();
  EXPECT_EQ(*(co_await b.next()), 1);
  bool raised = false;
  try {
    co_await b.next();
  } catch (const std::runtime_error&) {
    raised = true;
  }
  EXPECT_TRUE(raised);
  co_return sum;
}

TEST_P(GroupTest, AsyncGeneratorsYieldAcrossAwaits) { EXPECT_EQ(run_coro(consume()), 0 + 1 + 4 + 9); }

int blocking_square(int x) {
  std::this_thread::sleep_for(5ms);
  return x * x;
}

Coro<int> executor_round_trip() {
  Future<int> f = get_running_loop().run_in_executor(nullptr, blocking_square, 7);
  EXPECT_EQ(all_tasks().size(), 1u);  // a Future, not a Task
  int a = co_await f;
  int b = co_await to_thread([] { return 5; });
  try {
    co_await to_thread([]() -> int { throw std::runtime_error("in thread"); });
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "in thread");
  }
  co_return a + b;
}

TEST_P(GroupTest, RunInExecutorAndToThread) { EXPECT_EQ(run_coro(executor_round_trip()), 54); }

Coro<int> cancel_while_in_executor(std::atomic<int>* finished) {
  Task<int> t = create_task([](std::atomic<int>* f) -> Coro<int> {
    co_return co_await to_thread([f] {
      std::this_thread::sleep_for(20ms);
      ++*f;
      return 1;
    });
  }(finished));
  co_await sleep(1ms);
  t.cancel();
  try {
    co_await t;
  } catch (const CancelledError&) {
  }
  // The pool is still fine.
  co_return co_await to_thread([] { return 2; });
}

TEST_P(GroupTest, CancellingTheAwaiterDoesNotCorruptThePool) {
  std::atomic<int> finished{0};
  EXPECT_EQ(run_coro(cancel_while_in_executor(&finished)), 2);
  EXPECT_EQ(finished.load(), 1);  // run() waited for the job at shutdown
}

EDDY_INSTANTIATE_TASK_SUITE(GroupTest);

}  // namespace
}  // namespace eddy
