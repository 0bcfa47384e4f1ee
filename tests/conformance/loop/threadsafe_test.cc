// call_soon_threadsafe under contention: every call from every thread runs
// exactly once, on the loop thread. Named *Thread* so CI also runs it under
// TSan.
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "../backend_fixture.h"

namespace eddy {
namespace {

using namespace std::chrono_literals;

class ThreadsafeTest : public testing::BackendTest {};

TEST_P(ThreadsafeTest, FourThreadsTimesTenThousandCallsRunExactlyOnce) {
  constexpr int kThreads = 4;
  constexpr int kCalls = 10'000;
  auto loop = make_loop();
  std::vector<std::vector<int>> seen(kThreads, std::vector<int>(kCalls, 0));
  int total = 0;
  bool watchdog = false;
  const std::thread::id loop_thread = std::this_thread::get_id();
  bool wrong_thread = false;
  loop->call_later(30s, [&] {
    watchdog = true;
    loop->stop();
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        loop->call_soon_threadsafe([&, t, i] {
          if (std::this_thread::get_id() != loop_thread) wrong_thread = true;
          ++seen[t][i];
          if (++total == kThreads * kCalls) loop->stop();
        });
      }
    });
  }
  loop->run_forever();
  for (auto& th : threads) th.join();
  EXPECT_FALSE(watchdog) << "only " << total << " callbacks ran";
  EXPECT_FALSE(wrong_thread);
  int wrong = 0;
  for (auto& v : seen) {
    for (int c : v) wrong += (c != 1);
  }
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(total, kThreads * kCalls);
}

TEST_P(ThreadsafeTest, CallsFromAThreadRunInTheOrderMade) {
  auto loop = make_loop();
  std::vector<int> order;
  std::thread th([&] {
    for (int i = 0; i < 1000; ++i) loop->call_soon_threadsafe([&order, i] { order.push_back(i); });
    loop->call_soon_threadsafe([&] { loop->stop(); });
  });
  loop->run_forever();
  th.join();
  ASSERT_EQ(order.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(order[i], i);
}

TEST_P(ThreadsafeTest, AThreadsafeHandleCancelledOnTheLoopThreadNeverRuns) {
  auto loop = make_loop();
  int ran = 0;
  Handle h;
  std::thread th([&] { h = loop->call_soon_threadsafe([&] { ++ran; }); });
  th.join();
  h.cancel();
  loop->run_once(0ns);
  EXPECT_EQ(ran, 0);
}

TEST_P(ThreadsafeTest, CancellingAThreadsafeHandleAfterItRanIsANoOp) {
  // asyncio: Handle.cancel() after the callback ran does nothing. Under ASan
  // this also proves the handle never points at freed memory.
  auto loop = make_loop();
  int ran = 0;
  std::vector<Handle> handles;
  std::thread th([&] {
    for (int i = 0; i < 100; ++i) handles.push_back(loop->call_soon_threadsafe([&] { ++ran; }));
  });
  th.join();
  loop->run_once(0ns);
  EXPECT_EQ(ran, 100);
  for (Handle& h : handles) h.cancel();
  // Later callbacks reuse whatever memory the loop recycles; a stale
  // cancel must not have hit them.
  for (int i = 0; i < 100; ++i) loop->call_soon([&] { ++ran; });
  std::thread th2([&] {
    for (int i = 0; i < 100; ++i) loop->call_soon_threadsafe([&] { ++ran; });
  });
  th2.join();
  for (Handle& h : handles) h.cancel();
  loop->run_once(0ns);
  EXPECT_EQ(ran, 300);
}

EDDY_INSTANTIATE_BACKEND_SUITE(ThreadsafeTest);

}  // namespace
}  // namespace eddy
