// Coro, Task, Future and run(): the basics, on every backend.
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "task_fixture.h"

namespace eddy {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

class TaskBasicTest : public testing::TaskTest {};

Coro<int> answer() { co_return 42; }

Coro<int> sleepy(int v, std::chrono::milliseconds d) {
  co_await sleep(d);
  co_return v;
}

TEST_P(TaskBasicTest, RunReturnsTheValue) { EXPECT_EQ(run_coro(answer()), 42); }

Coro<> thrower() {
  co_await sleep(0ms);
  throw std::runtime_error("deep");
}
Coro<> level2() { co_await thrower(); }
Coro<> level1() { co_await level2(); }

TEST_P(TaskBasicTest, ExceptionsTravelThroughThreeLevelsOfAwaits) {
  try {
    run_coro(level1());
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "deep");
  }
}

Coro<int> await_twice() {
  Task<int> t = create_task(sleepy(7, 1ms));
  int a = co_await t;
  int b = co_await t;  // a finished task can be awaited again
  co_return a + b + t.result();
}

TEST_P(TaskBasicTest, ATaskCanBeAwaitedManyTimes) { EXPECT_EQ(run_coro(await_twice()), 21); }

// A task's value lives in its state: an over-aligned value gets its
// alignment (such a task bypasses the block pool), a large one its bytes.
struct alignas(64) Wide {
  int v[20];
};

Coro<Wide> wide(int seed) {
  co_await sleep(0ms);
  Wide w{};
  for (int i = 0; i < 20; ++i) w.v[i] = seed + i;
  co_return w;
}

Coro<int> wide_values() {
  std::vector<Task<Wide>> ts;
  for (int k = 0; k < 8; ++k) ts.push_back(create_task(wide(k * 100)));
  int sum = 0;
  for (auto& t : ts) {
    const Wide& w = co_await t;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(&w) % alignof(Wide), 0u);
    sum += w.v[19];
  }
  co_return sum;
}

TEST_P(TaskBasicTest, OverAlignedValuesAreAligned) {
  EXPECT_EQ(run_coro(wide_values()), 8 * 19 + 100 * (0 + 1 + 2 + 3 + 4 + 5 + 6 + 7));
}

Coro<std::string> names() {
  Task<int> t = create_task(sleepy(1, 1ms), "fetcher");
  std::string out = t.get_name();
  t.set_name("renamed");
  out += "," + t.get_name();
  co_await t;
  BasicTask me = current_task();
  out += "," + std::string(me ? "in-task" : "none");
  co_return out;
}

TEST_P(TaskBasicTest, TasksHaveNames) {
  EXPECT_EQ(run_coro(names()), "fetcher,renamed,in-task");
  EXPECT_FALSE(current_task());
}

Coro<size_t> count_tasks() {
  Task<int> a = create_task(sleepy(1, 5ms));
  Task<int> b = create_task(sleepy(2, 5ms));
  size_t n = all_tasks().size();  // main + a + b
  co_await a;
  co_await b;
  co_return n * 10 + all_tasks().size();  // only main is left
}

TEST_P(TaskBasicTest, AllTasksListsThePendingOnes) { EXPECT_EQ(run_coro(count_tasks()), 31u); }

Coro<std::vector<int>> sleep_zero_yields_once(std::vector<int>* order) {
  Task<> other = create_task([](std::vector<int>* o) -> Coro<> {
    o->push_back(1);
    co_return;
  }(order));
  order->push_back(0);
  co_await sleep(0ms);  // exactly one loop iteration: `other` runs now
  order->push_back(2);
  co_await other;
  co_return *order;
}

TEST_P(TaskBasicTest, SleepZeroYieldsExactlyOnce) {
  std::vector<int> order;
  EXPECT_EQ(run_coro(sleep_zero_yields_once(&order)), (std::vector<int>{0, 1, 2}));
}

Coro<std::vector<int>> sleep_order() {
  std::vector<int> order;
  auto rec = [](std::vector<int>* o, int v, std::chrono::milliseconds d) -> Coro<> {
    co_await sleep(d);
    o->push_back(v);
  };
  auto t3 = create_task(rec(&order, 3, 30ms));
  auto t1 = create_task(rec(&order, 1, 10ms));
  auto t2 = create_task(rec(&order, 2, 20ms));
  co_await t3;
  co_await t1;
  co_await t2;
  co_return order;
}

TEST_P(TaskBasicTest, SleepersWakeInDeadlineOrder) {
  EXPECT_EQ(run_coro(sleep_order()), (std::vector<int>{1, 2, 3}));
}

Coro<int> nested(int depth) {
  if (depth == 0) co_return 0;
  co_return 1 + co_await nested(depth - 1);
}

// Symmetric transfer is a tail call; sanitizer builds disable tail calls in
// g++, and their frames are large, so there the depth is a thousand.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr int kNestedDepth = 1'000;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr int kNestedDepth = 1'000;
#else
constexpr int kNestedDepth = 1'000'000;
#endif
#else
constexpr int kNestedDepth = 1'000'000;
#endif

TEST_P(TaskBasicTest, AMillionNestedSynchronousAwaitsDoNotOverflowTheStack) {
  EXPECT_EQ(run_coro(nested(kNestedDepth)), kNestedDepth);
}

TEST_P(TaskBasicTest, RunUntilCompleteReturnsOrRethrows) {
  auto loop = make_loop();
  EXPECT_EQ(loop->run_until_complete(sleepy(5, 1ms)), 5);
  EXPECT_THROW(loop->run_until_complete(thrower()), std::runtime_error);
  Task<int> t = loop->create_task(sleepy(9, 1ms));
  EXPECT_EQ(loop->run_until_complete(t), 9);
  Future<int> f = loop->create_future<int>();
  loop->call_soon([f] { f.set_result(11); });
  EXPECT_EQ(loop->run_until_complete(f), 11);
}

TEST_P(TaskBasicTest, RunUntilCompleteStoppedEarlyIsARuntimeError) {
  auto loop = make_loop();
  loop->call_later(5ms, [&] { loop->stop(); });
  try {
    loop->run_until_complete(sleepy(1, 1h));
    FAIL() << "no exception";
  } catch (const RuntimeError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("Event loop stopped before Future completed."));
  }
}

Coro<> nested_run() {
  Coro<int> inner = answer();
  try {
    eddy::run(std::move(inner));
  } catch (const RuntimeError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("running event loop"));
    co_return;
  }
  ADD_FAILURE() << "run() inside a running loop did not throw";
}

TEST_P(TaskBasicTest, RunInsideARunningLoopIsRefused) { run_coro(nested_run()); }

TEST_P(TaskBasicTest, GetRunningLoopOutsideALoopThrows) {
  EXPECT_THROW(get_running_loop(), RuntimeError);
  EXPECT_THROW(create_task(answer()), RuntimeError);
}

Coro<bool> running_loop_is(EventLoop* expected) { co_return &get_running_loop() == expected; }

TEST_P(TaskBasicTest, GetRunningLoopInsideATask) {
  auto loop = make_loop();
  EXPECT_TRUE(loop->run_until_complete(running_loop_is(loop.get())));
}

TEST_P(TaskBasicTest, FutureApi) {
  auto loop = make_loop();
  Future<int> f = loop->create_future<int>();
  EXPECT_FALSE(f.done());
  EXPECT_THROW(f.result(), InvalidStateError);
  EXPECT_THROW(f.exception(), InvalidStateError);
  int called = 0;
  f.add_done_callback([&](Future<int> g) { called += g.result(); });
  uint64_t removed = f.add_done_callback([&](Future<int>) { called += 1000; });
  EXPECT_EQ(f.remove_done_callback(removed), 1u);
  f.set_result(5);
  EXPECT_THROW(f.set_result(6), InvalidStateError);
  EXPECT_FALSE(f.cancel());
  EXPECT_EQ(called, 0);  // callbacks run from the loop, not synchronously
  loop->run_once(0ns);
  EXPECT_EQ(called, 5);
  EXPECT_EQ(f.result(), 5);
  EXPECT_EQ(f.exception(), nullptr);

  Future<void> g = loop->create_future();
  EXPECT_TRUE(g.cancel("why"));
  EXPECT_TRUE(g.cancelled());
  try {
    g.result();
  } catch (const CancelledError& e) {
    EXPECT_EQ(e.message(), "why");
  }
}

TEST_P(TaskBasicTest, AnUnretrievedTaskExceptionIsReported) {
  std::vector<std::string> messages;
  {
    auto loop = make_loop();
    loop->set_exception_handler(
        [&](EventLoop&, const ExceptionContext& c) { messages.push_back(c.message); });
    {
      Task<> t = loop->create_task(thrower());
      loop->run_until_complete(sleepy(0, 5ms));
    }
  }
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0], "Task exception was never retrieved");
}

EDDY_INSTANTIATE_TASK_SUITE(TaskBasicTest);

}  // namespace
}  // namespace eddy
