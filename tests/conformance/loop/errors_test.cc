// Errors and diagnostics: a callback that throws reaches the exception
// handler with asyncio's context and the loop keeps running; the default
// handler logs; debug mode reports slow callbacks.
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../backend_fixture.h"
#include "eddy/log.h"

namespace eddy {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

class ErrorsTest : public testing::BackendTest {
 protected:
  void SetUp() override {
    set_log_sink([this](int32_t level, std::string_view msg) {
      logs_.emplace_back(level, std::string(msg));
    });
  }
  void TearDown() override { set_log_sink(nullptr); }
  std::vector<std::pair<int32_t, std::string>> logs_;
};

TEST_P(ErrorsTest, ACallbackExceptionGoesToTheHandlerAndTheLoopGoesOn) {
  auto loop = make_loop();
  std::vector<ExceptionContext> contexts;
  loop->set_exception_handler(
      [&](EventLoop&, const ExceptionContext& ctx) { contexts.push_back(ctx); });
  int after = 0;
  loop->call_soon([] { throw std::runtime_error("boom"); });
  loop->call_soon([&] { ++after; });
  loop->call_later(1ms, [&] { loop->stop(); });
  loop->run_forever();
  ASSERT_EQ(contexts.size(), 1u);
  EXPECT_THAT(contexts[0].message, HasSubstr("Exception in callback"));
  EXPECT_FALSE(contexts[0].handle.empty()) << "asyncio's context names the handle";
  ASSERT_TRUE(contexts[0].exception);
  try {
    std::rethrow_exception(contexts[0].exception);
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "boom");
  }
  EXPECT_EQ(after, 1);
}

TEST_P(ErrorsTest, TheDefaultHandlerLogsAnError) {
  auto loop = make_loop();
  loop->call_soon([] { throw std::runtime_error("unhandled-boom"); });
  loop->run_once(0ns);
  ASSERT_FALSE(logs_.empty());
  EXPECT_EQ(logs_.back().first, EDDY_LOG_ERROR);
  EXPECT_THAT(logs_.back().second, HasSubstr("Exception in callback"));
  EXPECT_THAT(logs_.back().second, HasSubstr("unhandled-boom"));
}

TEST_P(ErrorsTest, AThrowingHandlerFallsBackToTheDefault) {
  auto loop = make_loop();
  loop->set_exception_handler(
      [](EventLoop&, const ExceptionContext&) { throw std::logic_error("handler broke"); });
  loop->call_soon([] { throw std::runtime_error("first"); });
  loop->run_once(0ns);
  bool saw = false;
  for (auto& [level, msg] : logs_) saw |= msg.find("Unhandled error in exception handler") != std::string::npos;
  EXPECT_TRUE(saw);
}

TEST_P(ErrorsTest, ExceptionsInWatcherCallbacksAreHandledToo) {
  auto loop = make_loop();
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  int handled = 0;
  loop->set_exception_handler([&](EventLoop&, const ExceptionContext&) { ++handled; });
  loop->add_writer(fds[1], [&] {
    loop->remove_writer(fds[1]);
    throw std::runtime_error("writer boom");
  });
  for (int i = 0; i < 3 && handled == 0; ++i) loop->run_once(100ms);
  EXPECT_EQ(handled, 1);
  close(fds[0]);
  close(fds[1]);
}

TEST_P(ErrorsTest, DebugModeReportsSlowCallbacks) {
  LoopOptions o = options();
  o.debug = true;
  o.slow_callback_duration = 20ms;
  EventLoop loop(o);
  EXPECT_TRUE(loop.get_debug());
  loop.call_soon([] { std::this_thread::sleep_for(40ms); });
  loop.call_soon([] {});  // fast: not reported
  loop.run_once(0ns);
  int slow = 0;
  for (auto& [level, msg] : logs_) {
    if (msg.find("Executing") != std::string::npos && msg.find("took") != std::string::npos) {
      ++slow;
      EXPECT_EQ(level, EDDY_LOG_WARNING);
    }
  }
  EXPECT_EQ(slow, 1);
  // Off again: nothing reported.
  loop.set_debug(false);
  loop.call_soon([] { std::this_thread::sleep_for(40ms); });
  loop.run_once(0ns);
  int after = 0;
  for (auto& [level, msg] : logs_) after += msg.find("Executing") != std::string::npos;
  EXPECT_EQ(after, 1);
}

EDDY_INSTANTIATE_BACKEND_SUITE(ErrorsTest);

}  // namespace
}  // namespace eddy
