// A loop blocked in poll with nothing to do must wake promptly when another
// thread calls call_soon_threadsafe (contract rule 11). A watchdog timer
// bounds the test, so a backend that loses the wakeup fails with a clear
// message instead of hanging the suite.
#include <atomic>
#include <chrono>
#include <thread>

#include "backend_fixture.h"

namespace eddy {
namespace {

using namespace std::chrono_literals;

class ThreadsafeWakeupTest : public testing::BackendTest {};

TEST_P(ThreadsafeWakeupTest, WakesASleepingLoopFromAnotherThread) {
  auto loop = make_loop();
  std::atomic<bool> woke{false};
  bool watchdog_fired = false;
  loop->call_later(3s, [&] {
    watchdog_fired = true;
    loop->stop();
  });
  auto start = std::chrono::steady_clock::now();
  std::thread poker([&] {
    std::this_thread::sleep_for(50ms);  // let the loop block in poll first
    loop->call_soon_threadsafe([&] {
      woke = true;
      loop->stop();
    });
  });
  loop->run_forever();
  poker.join();
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(woke.load()) << "call_soon_threadsafe did not wake the blocked poll";
  EXPECT_FALSE(watchdog_fired) << "the loop slept until the 3 s watchdog: lost wakeup";
  EXPECT_LT(took, 1s) << "waking took "
                      << std::chrono::duration<double>(took).count() << " s";
}

TEST_P(ThreadsafeWakeupTest, RepeatedWakeupsAreNeverLost) {
  auto loop = make_loop();
  constexpr int kRounds = 200;
  std::atomic<int> ran{0};
  std::atomic<bool> done{false};
  bool watchdog_fired = false;
  loop->call_later(10s, [&] {
    watchdog_fired = true;
    loop->stop();
  });
  std::thread poker([&] {
    for (int i = 0; i < kRounds; ++i) {
      // Wait until the previous callback ran, so each wakeup finds the loop
      // asleep (or about to sleep) again.
      while (ran.load() < i && !done.load()) std::this_thread::yield();
      if (done.load()) return;
      loop->call_soon_threadsafe([&] {
        if (++ran == kRounds) loop->stop();
      });
    }
  });
  loop->run_forever();
  done = true;
  poker.join();
  EXPECT_EQ(ran.load(), kRounds);
  EXPECT_FALSE(watchdog_fired) << "a wakeup was lost: only " << ran.load() << " of " << kRounds
                               << " callbacks ran before the watchdog";
}

EDDY_INSTANTIATE_BACKEND_SUITE(ThreadsafeWakeupTest);

}  // namespace
}  // namespace eddy
