// wait, wait_for, timeout, shield, as_completed.
#include <stdexcept>

#include "task_fixture.h"

namespace eddy {
namespace {

using namespace std::chrono_literals;

class WaitTest : public testing::TaskTest {};

Coro<int> value_after(int v, std::chrono::milliseconds d) {
  co_await sleep(d);
  co_return v;
}
Coro<int> fail_after(std::chrono::milliseconds d) {
  co_await sleep(d);
  throw std::runtime_error("failed");
}

Coro<int> wait_modes() {
  // Deadlines far apart, so a loaded machine cannot reorder them.
  std::vector<Task<int>> ts = {create_task(value_after(1, 1ms)), create_task(value_after(2, 150ms)),
                               create_task(fail_after(40ms))};
  auto [done1, pending1] = co_await wait(ts, FIRST_COMPLETED);
  EXPECT_EQ(done1.size(), 1u);
  EXPECT_EQ(done1.empty() ? 0 : done1[0].result(), 1);
  auto [done2, pending2] = co_await wait(ts, FIRST_EXCEPTION);
  EXPECT_EQ(done2.size(), 2u);  // the value and the failure
  EXPECT_EQ(pending2.size(), 1u);
  auto [done3, pending3] = co_await wait(ts, ALL_COMPLETED, 1ms);  // times out: no exception
  EXPECT_EQ(pending3.size(), 1u);
  auto [done4, pending4] = co_await wait(ts);
  EXPECT_EQ(done4.size(), 3u);
  EXPECT_THROW(ts[2].result(), std::runtime_error);
  co_return static_cast<int>(pending4.size());
}

TEST_P(WaitTest, WaitReturnsDoneAndPending) { EXPECT_EQ(run_coro(wait_modes()), 0); }

Coro<> wait_empty() {
  std::vector<Task<int>> none;
  bool raised = false;
  try {
    co_await wait(none);
  } catch (const ValueError&) {
    raised = true;
  }
  EXPECT_TRUE(raised);
}

TEST_P(WaitTest, WaitOnNothingIsAValueError) { run_coro(wait_empty()); }

Coro<> slow_cleanup(bool* finished_cleanup) {
  std::exception_ptr cancelled;
  try {
    auto d = 1h;
    co_await sleep(d);
  } catch (const CancelledError&) {
    cancelled = std::current_exception();
  }
  // Cleanup that itself takes time (C++ allows no co_await in a handler):
  // wait_for must wait for it.
  auto d = 5ms;
  co_await sleep(d);
  *finished_cleanup = true;
  if (cancelled) std::rethrow_exception(cancelled);
}

Coro<bool> wait_for_times_out(bool* cleanup) {
  Task<> inner = create_task(slow_cleanup(cleanup));
  try {
    co_await wait_for(inner, 10ms);
    ADD_FAILURE() << "no timeout";
  } catch (const TimeoutError&) {
  }
  // The inner task was cancelled and awaited before TimeoutError was raised.
  co_return inner.cancelled() && *cleanup && current_task().cancelling() == 0;
}

TEST_P(WaitTest, WaitForCancelsTheInnerTaskAndWaitsForIt) {
  bool cleanup = false;
  EXPECT_TRUE(run_coro(wait_for_times_out(&cleanup)));
}

Coro<int> wait_for_in_time() { co_return co_await wait_for(value_after(4, 1ms), 1s); }

TEST_P(WaitTest, WaitForReturnsTheValueInTime) { EXPECT_EQ(run_coro(wait_for_in_time()), 4); }

Coro<int> wait_for_zero() {
  try {
    co_await wait_for(value_after(4, 10ms), 0ms);
  } catch (const TimeoutError&) {
    co_return 1;
  }
  co_return 0;
}

TEST_P(WaitTest, WaitForWithZeroTimeout) { EXPECT_EQ(run_coro(wait_for_zero()), 1); }

Coro<> outer_waits(Task<int> inner) { co_await wait_for(inner, 1h); }

Coro<bool> wait_for_outer_cancel() {
  Task<int> inner = create_task(value_after(1, 1h));
  Task<> outer = create_task(outer_waits(inner));
  co_await sleep(0ms);
  co_await sleep(0ms);
  outer.cancel();
  try {
    co_await outer;
  } catch (const CancelledError&) {
    co_return inner.cancelled();  // a CancelledError, not a TimeoutError
  } catch (const TimeoutError&) {
    ADD_FAILURE() << "an outer cancel became a TimeoutError";
  }
  co_return false;
}

TEST_P(WaitTest, WaitForNeverSwallowsAnOuterCancel) { EXPECT_TRUE(run_coro(wait_for_outer_cancel())); }

Coro<int> timeout_reschedule() {
  int v = co_await timeout(5ms, [](Timeout& t) -> Coro<int> {
    t.reschedule(get_running_loop().time_ns() + 1'000'000'000);  // push it out
    co_return co_await value_after(6, 20ms);
  });
  try {
    co_await timeout(5ms, value_after(1, 1h));
  } catch (const TimeoutError&) {
    co_return v;
  }
  co_return -1;
}

TEST_P(WaitTest, TimeoutIsReschedulable) { EXPECT_EQ(run_coro(timeout_reschedule()), 6); }

Coro<> shielded_waiter(Task<int> inner) { co_await shield(inner); }

Coro<int> shield_protects() {
  Task<int> inner = create_task(value_after(3, 10ms));
  Task<> waiter = create_task(shielded_waiter(inner));
  co_await sleep(0ms);
  co_await sleep(0ms);
  waiter.cancel();
  try {
    co_await waiter;
  } catch (const CancelledError&) {
  }
  EXPECT_TRUE(waiter.cancelled());
  EXPECT_FALSE(inner.cancelled());
  co_return co_await inner;  // still runs to completion
}

TEST_P(WaitTest, ShieldKeepsTheInnerTaskRunning) { EXPECT_EQ(run_coro(shield_protects()), 3); }

Coro<std::vector<int>> completion_order() {
  std::vector<Coro<int>> cs;
  cs.push_back(value_after(3, 15ms));
  cs.push_back(value_after(1, 1ms));
  cs.push_back(value_after(2, 8ms));
  std::vector<int> order;
  for (auto& next : as_completed(std::move(cs))) order.push_back(co_await next);
  co_return order;
}

TEST_P(WaitTest, AsCompletedYieldsInCompletionOrder) {
  EXPECT_EQ(run_coro(completion_order()), (std::vector<int>{1, 2, 3}));
}

Coro<int> as_completed_timeout() {
  std::vector<Coro<int>> cs;
  cs.push_back(value_after(1, 1ms));
  cs.push_back(value_after(2, 1h));
  // Generous: the 1 ms child must finish first even on a loaded machine
  // (20 ms once failed under a load of 6 on 2 cores).
  auto nexts = as_completed(std::move(cs), 200ms);
  int first = co_await nexts[0];
  try {
    co_await nexts[1];
  } catch (const TimeoutError&) {
    co_return first;
  }
  co_return -1;
}

TEST_P(WaitTest, AsCompletedTimesOut) { EXPECT_EQ(run_coro(as_completed_timeout()), 1); }

EDDY_INSTANTIATE_TASK_SUITE(WaitTest);

}  // namespace
}  // namespace eddy
