// Ordering: the ready queue is FIFO, an iteration runs only what was ready
// when it began, timers run in (deadline, scheduling) order and never early.
#include <chrono>
#include <vector>

#include "../backend_fixture.h"

namespace eddy {
namespace {

using namespace std::chrono_literals;

class OrderingTest : public testing::BackendTest {};

TEST_P(OrderingTest, CallSoonIsFifo) {
  auto loop = make_loop();
  std::vector<int> order;
  for (int i = 0; i < 100; ++i) loop->call_soon([&order, i] { order.push_back(i); });
  loop->call_soon([&] { loop->stop(); });
  loop->run_forever();
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[i], i);
}

TEST_P(OrderingTest, CallbacksScheduledDuringAnIterationRunInTheNext) {
  auto loop = make_loop();
  std::vector<std::string> log;
  loop->call_soon([&] {
    log.push_back("a");
    loop->call_soon([&] { log.push_back("c"); });
  });
  loop->call_soon([&] { log.push_back("b"); });
  loop->run_once(0ns);
  EXPECT_EQ(log, (std::vector<std::string>{"a", "b"}));
  loop->run_once(0ns);
  EXPECT_EQ(log, (std::vector<std::string>{"a", "b", "c"}));
}

TEST_P(OrderingTest, RawRunOnceRunsOnlyTheSnapshot) {
  auto loop = make_loop();
  struct Rec {
    eddy_handle h;
    EventLoop* loop;
    int runs = 0;
  } rec{};
  rec.loop = loop.get();
  // The callback reschedules its own handle: it must run once per iteration,
  // never twice in one (which would spin forever).
  eddy_handle_init(&rec.h, [](eddy_handle* h, int32_t status) {
    auto* r = reinterpret_cast<Rec*>(h);
    if (status != 0) return;
    ++r->runs;
    r->loop->call_soon_raw(h);
  });
  const eddy_loop_vtable* vt = loop->vtable();
  ASSERT_EQ(vt->call_soon(loop->abi_loop(), &rec.h), 0);
  for (int i = 1; i <= 5; ++i) {
    ASSERT_EQ(vt->run_once(loop->abi_loop(), 0), 0);
    EXPECT_EQ(rec.runs, i);
  }
  EXPECT_EQ(vt->cancel(loop->abi_loop(), &rec.h), 0);
}

TEST_P(OrderingTest, TimersRunInDeadlineOrderAndFifoOnTies) {
  auto loop = make_loop();
  std::vector<int> order;
  int64_t base = loop->time_ns() + 5'000'000;
  // Deadlines: 3, 1, 2, 1, 3 (ms after base) -> 1a 1b 2 3a 3b.
  const int offsets[] = {3, 1, 2, 1, 3};
  for (int i = 0; i < 5; ++i) {
    loop->call_at(base + offsets[i] * 1'000'000, [&order, i] { order.push_back(i); });
  }
  loop->call_at(base + 10'000'000, [&] { loop->stop(); });
  loop->run_forever();
  EXPECT_EQ(order, (std::vector<int>{1, 3, 2, 0, 4}));
}

TEST_P(OrderingTest, CancelledTimersAndHandlesNeverRun) {
  auto loop = make_loop();
  int ran = 0;
  TimerHandle t1 = loop->call_later(1ms, [&] { ++ran; });
  TimerHandle t2 = loop->call_later(0ms, [&] { ++ran; });
  Handle h = loop->call_soon([&] { ++ran; });
  int kept = 0;
  loop->call_later(2ms, [&] { ++kept; });
  t1.cancel();
  t2.cancel();
  h.cancel();
  EXPECT_TRUE(t1.cancelled());
  EXPECT_TRUE(h.cancelled());
  loop->call_later(20ms, [&] { loop->stop(); });
  loop->run_forever();
  EXPECT_EQ(ran, 0);
  EXPECT_EQ(kept, 1);
}

TEST_P(OrderingTest, TimerCancelledByAnEarlierCallbackInTheSameIteration) {
  auto loop = make_loop();
  int ran = 0;
  int64_t when = loop->time_ns() + 2'000'000;
  TimerHandle second;
  loop->call_at(when, [&] { second.cancel(); });
  second = loop->call_at(when, [&] { ++ran; });
  loop->call_at(when + 10'000'000, [&] { loop->stop(); });
  loop->run_forever();
  EXPECT_EQ(ran, 0);
}

TEST_P(OrderingTest, CallSoonRunsBeforeCallLaterZero) {
  auto loop = make_loop();
  std::vector<std::string> order;
  loop->call_later(0ms, [&] { order.push_back("later0"); });
  loop->call_soon([&] { order.push_back("soon"); });
  loop->call_later(5ms, [&] { loop->stop(); });
  loop->run_forever();
  EXPECT_EQ(order, (std::vector<std::string>{"soon", "later0"}));
}

TEST_P(OrderingTest, NoTimerEverFiresBeforeItsDeadline) {
  auto loop = make_loop();
  constexpr int kTimers = 300;
  int fired = 0, early = 0;
  int64_t start = loop->time_ns();
  for (int i = 0; i < kTimers; ++i) {
    // Odd nanosecond delays from 0 to ~30 ms, so every rounding path is hit.
    int64_t when = start + (static_cast<int64_t>(i) * 99'991) % 30'000'000 + (i % 7);
    loop->call_at(when, [&, when] {
      if (loop->time_ns() < when) ++early;
      if (++fired == kTimers) loop->stop();
    });
  }
  loop->call_later(5s, [&] { loop->stop(); });  // watchdog
  loop->run_forever();
  EXPECT_EQ(fired, kTimers);
  EXPECT_EQ(early, 0) << early << " of " << kTimers << " timers fired before their deadline";
}

TEST_P(OrderingTest, CallLaterSleepsAtLeastItsDelay) {
  auto loop = make_loop();
  auto start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::duration took{};
  loop->call_later(15ms, [&] {
    took = std::chrono::steady_clock::now() - start;
    loop->stop();
  });
  loop->run_forever();
  EXPECT_GE(took, 15ms);
  EXPECT_LT(took, 2s);
}

EDDY_INSTANTIATE_BACKEND_SUITE(OrderingTest);

}  // namespace
}  // namespace eddy
