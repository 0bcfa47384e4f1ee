#include <chrono>

#include "../backend_fixture.h"

namespace eddy {
namespace {

class SmokeTest : public testing::BackendTest {};

TEST_P(SmokeTest, CallSoonAndCallLaterRun) {
  auto loop = make_loop();
  EXPECT_FALSE(loop->backend().empty());
  int n = 0;
  loop->call_soon([&] { ++n; });
  loop->call_later(std::chrono::milliseconds(5), [&] {
    ++n;
    loop->stop();
  });
  loop->run_forever();
  EXPECT_EQ(n, 2);
}

EDDY_INSTANTIATE_BACKEND_SUITE(SmokeTest);

}  // namespace
}  // namespace eddy
