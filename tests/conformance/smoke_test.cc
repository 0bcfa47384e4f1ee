#include <gtest/gtest.h>

#include "eddy/event_loop.h"

TEST(Smoke, CallSoonRuns) {
  eddy::EventLoop loop;
  int n = 0;
  loop.call_soon([&] { ++n; });
  loop.call_later(std::chrono::milliseconds(5), [&] {
    ++n;
    loop.stop();
  });
  loop.run_forever();
  EXPECT_EQ(n, 2);
}
