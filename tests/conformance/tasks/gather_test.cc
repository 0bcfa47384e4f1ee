// gather: tuples, vectors, return_exceptions, cancellation both ways.
#include <stdexcept>

#include "task_fixture.h"

namespace eddy {
namespace {

using namespace std::chrono_literals;

class GatherTest : public testing::TaskTest {};

Coro<int> value_after(int v, std::chrono::milliseconds d) {
  co_await sleep(d);
  co_return v;
}
Coro<> nothing() { co_return; }
Coro<int> fail_after(std::chrono::milliseconds d) {
  co_await sleep(d);
  throw std::runtime_error("child failed");
}

Coro<int> gather_tuple() {
  auto [a, b, c] = co_await gather(value_after(1, 3ms), value_after(2, 1ms), nothing());
  static_assert(std::is_same_v<decltype(c), std::monostate>);
  co_return a * 10 + b;
}

TEST_P(GatherTest, VariadicGivesATupleInArgumentOrder) { EXPECT_EQ(run_coro(gather_tuple()), 12); }

Coro<int> gather_vector() {
  std::vector<Coro<int>> cs;
  for (int i = 0; i < 100; ++i) cs.push_back(value_after(i, std::chrono::milliseconds(i % 5)));
  std::vector<int> r = co_await gather(std::move(cs));
  int sum = 0;
  for (size_t i = 0; i < r.size(); ++i) {
    EXPECT_EQ(r[i], static_cast<int>(i));
    sum += r[i];
  }
  co_return sum;
}

TEST_P(GatherTest, ARangeGivesAVector) { EXPECT_EQ(run_coro(gather_vector()), 4950); }

Coro<int> gather_return_exceptions() {
  auto [a, b] = co_await gather(return_exceptions, value_after(3, 1ms), fail_after(1ms));
  EXPECT_TRUE(a.has_value());
  EXPECT_FALSE(b.has_value());
  EXPECT_THROW(std::rethrow_exception(b.exception()), std::runtime_error);
  co_return a.value();
}

TEST_P(GatherTest, ReturnExceptionsGivesOutcomes) {
  EXPECT_EQ(run_coro(gather_return_exceptions()), 3);
}

Coro<bool> failure_leaves_others_running() {
  Task<int> slow = create_task(value_after(9, 20ms));
  try {
    co_await gather(fail_after(1ms), slow);
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error&) {
  }
  bool running = !slow.done();
  int v = co_await slow;  // it finishes normally
  co_return running && v == 9;
}

TEST_P(GatherTest, AChildFailureLeavesTheOthersRunning) {
  EXPECT_TRUE(run_coro(failure_leaves_others_running()));
}

Coro<bool> cancelling_the_gather() {
  Task<int> a = create_task(value_after(1, 1h));
  Task<int> b = create_task(value_after(2, 1h));
  auto g = gather(a, b);
  co_await sleep(0ms);
  EXPECT_TRUE(g.cancel());
  try {
    co_await g;
    ADD_FAILURE() << "no exception";
  } catch (const CancelledError&) {
  }
  co_return a.cancelled() && b.cancelled() && g.cancelled();
}

TEST_P(GatherTest, CancellingTheGatherCancelsTheChildren) {
  EXPECT_TRUE(run_coro(cancelling_the_gather()));
}

Coro<> await_gather(Task<int> a, Task<int> b) { co_await gather(a, b); }

Coro<bool> cancel_task_in_gather() {
  Task<int> a = create_task(value_after(1, 1h));
  Task<int> b = create_task(value_after(2, 1h));
  Task<> waiter = create_task(await_gather(a, b));
  co_await sleep(0ms);
  waiter.cancel();
  try {
    co_await waiter;
  } catch (const CancelledError&) {
  }
  co_return waiter.cancelled() && a.cancelled() && b.cancelled();
}

TEST_P(GatherTest, CancellingATaskInTheMiddleOfAGatherCancelsTheChildren) {
  EXPECT_TRUE(run_coro(cancel_task_in_gather()));
}

Coro<size_t> empty_gather() {
  std::vector<Coro<int>> none;
  auto r = co_await gather(std::move(none));
  co_return r.size();
}

TEST_P(GatherTest, AnEmptyGatherIsDoneAtOnce) { EXPECT_EQ(run_coro(empty_gather()), 0u); }

EDDY_INSTANTIATE_TASK_SUITE(GatherTest);

}  // namespace
}  // namespace eddy
