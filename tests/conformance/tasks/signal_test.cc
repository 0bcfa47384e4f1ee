// Unix signals (loop.add_signal_handler) and run()'s Ctrl-C handling, on
// every backend. The tests use SIGUSR1/SIGUSR2/SIGINT: a handler that failed
// to install would end the test binary, which is loud enough.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "task_fixture.h"

namespace eddy {
namespace {

using namespace std::chrono_literals;

class SignalTest : public testing::TaskTest {};

// The current handler of `sig` (SIG_DFL, SIG_IGN or a function).
void (*disposition(int sig))(int) {
  struct sigaction sa {};
  ::sigaction(sig, nullptr, &sa);
  return sa.sa_handler;
}

// Runs `loop` until stop(), at most 30 s (a guard against a lost signal).
void run_with_guard(EventLoop& loop) {
  TimerHandle guard = loop.call_later(30s, [&loop] { loop.stop(); });
  loop.run_forever();
  guard.cancel();
}

TEST_P(SignalTest, HandlerRunsFromTheLoop) {
  auto loop = make_loop();
  int calls = 0;
  loop->add_signal_handler(SIGUSR1, [&] {
    ++calls;
    loop->stop();
  });
  EXPECT_NE(disposition(SIGUSR1), SIG_DFL);
  loop->call_soon([] { ::raise(SIGUSR1); });
  run_with_guard(*loop);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(loop->remove_signal_handler(SIGUSR1));
  EXPECT_FALSE(loop->remove_signal_handler(SIGUSR1));
  EXPECT_EQ(disposition(SIGUSR1), SIG_DFL);
}

TEST_P(SignalTest, AddingAgainReplacesTheCallback) {
  auto loop = make_loop();
  std::string got;
  loop->add_signal_handler(SIGUSR2, [&] { got += "old"; });
  loop->add_signal_handler(SIGUSR2, [&] {
    got += "new";
    loop->stop();
  });
  loop->call_soon([] { ::kill(::getpid(), SIGUSR2); });
  run_with_guard(*loop);
  EXPECT_EQ(got, "new");
  EXPECT_TRUE(loop->remove_signal_handler(SIGUSR2));
}

TEST_P(SignalTest, TwoLoopsOnTwoThreadsAreBothCalled) {
  std::atomic<int> registered{0};
  struct Seen {
    std::thread::id loop_thread;
    std::thread::id callback_thread;
    int calls = 0;
  } seen[2];
  auto body = [&](int i) {
    auto loop = make_loop();
    seen[i].loop_thread = std::this_thread::get_id();
    loop->add_signal_handler(SIGUSR1, [&, i] {
      seen[i].callback_thread = std::this_thread::get_id();
      ++seen[i].calls;
      loop->stop();
    });
    ++registered;
    run_with_guard(*loop);
    loop->close();  // removes the handler
  };
  std::thread a(body, 0), b(body, 1);
  while (registered.load() < 2) std::this_thread::sleep_for(1ms);
  ::kill(::getpid(), SIGUSR1);  // to the process: any thread may take it
  a.join();
  b.join();
  for (const Seen& s : seen) {
    EXPECT_EQ(s.calls, 1);
    EXPECT_EQ(s.callback_thread, s.loop_thread);
  }
  EXPECT_NE(seen[0].loop_thread, seen[1].loop_thread);
  EXPECT_EQ(disposition(SIGUSR1), SIG_DFL);
}

std::atomic<int> g_custom_calls{0};
void custom_handler(int) { ++g_custom_calls; }

TEST_P(SignalTest, RemovingTheLastHandlerRestoresThePreviousOne) {
  struct sigaction custom {}, old {};
  custom.sa_handler = &custom_handler;
  sigemptyset(&custom.sa_mask);
  ASSERT_EQ(::sigaction(SIGUSR2, &custom, &old), 0);
  g_custom_calls = 0;
  {
    auto one = make_loop();
    auto two = make_loop();
    int calls = 0;
    one->add_signal_handler(SIGUSR2, [&] {
      ++calls;
      one->stop();
    });
    two->add_signal_handler(SIGUSR2, [] {});
    one->call_soon([] { ::raise(SIGUSR2); });
    run_with_guard(*one);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(g_custom_calls.load(), 0);
    EXPECT_TRUE(two->remove_signal_handler(SIGUSR2));
    EXPECT_NE(disposition(SIGUSR2), &custom_handler);  // `one` still handles it
    EXPECT_TRUE(one->remove_signal_handler(SIGUSR2));
    EXPECT_EQ(disposition(SIGUSR2), &custom_handler);
  }
  ::raise(SIGUSR2);
  EXPECT_EQ(g_custom_calls.load(), 1);
  ::sigaction(SIGUSR2, &old, nullptr);
}

TEST_P(SignalTest, ClosingTheLoopRemovesItsHandlers) {
  auto loop = make_loop();
  loop->add_signal_handler(SIGUSR1, [] {});
  loop->add_signal_handler(SIGUSR2, [] {});
  loop->close();
  EXPECT_EQ(disposition(SIGUSR1), SIG_DFL);
  EXPECT_EQ(disposition(SIGUSR2), SIG_DFL);
  EXPECT_THROW(loop->add_signal_handler(SIGUSR1, [] {}), RuntimeError);
  EXPECT_FALSE(loop->remove_signal_handler(SIGUSR1));
  // Destroying an open loop does the same.
  auto other = make_loop();
  other->add_signal_handler(SIGUSR1, [] {});
  other.reset();
  EXPECT_EQ(disposition(SIGUSR1), SIG_DFL);
}

TEST_P(SignalTest, InvalidSignals) {
  auto loop = make_loop();
  EXPECT_THROW(loop->add_signal_handler(0, [] {}), ValueError);
  EXPECT_THROW(loop->add_signal_handler(-1, [] {}), ValueError);
  EXPECT_THROW(loop->add_signal_handler(NSIG, [] {}), ValueError);
  EXPECT_THROW(loop->add_signal_handler(SIGKILL, [] {}), RuntimeError);
  EXPECT_THROW(loop->add_signal_handler(SIGSTOP, [] {}), RuntimeError);
  EXPECT_THROW(loop->remove_signal_handler(0), ValueError);
  EXPECT_THROW(loop->remove_signal_handler(NSIG + 5), ValueError);
  EXPECT_FALSE(loop->remove_signal_handler(SIGUSR1));
  EXPECT_EQ(disposition(SIGKILL), SIG_DFL);
}

Coro<int> await_a_signal() {
  EventLoop& loop = get_running_loop();
  Future<int> got = loop.create_future<int>();
  loop.add_signal_handler(SIGUSR1, [got] {
    if (!got.done()) got.set_result(SIGUSR1);
  });
  auto delay = 20ms;
  loop.call_later(delay, [] { ::kill(::getpid(), SIGUSR1); });
  int sig = co_await got;
  loop.remove_signal_handler(SIGUSR1);
  co_return sig;
}

TEST_P(SignalTest, AwaitingASignalInsideRun) { EXPECT_EQ(run_coro(await_a_signal()), SIGUSR1); }

// ---- run() and SIGINT ----

Coro<int> interrupted_main(bool* saw_cancel, bool swallow) {
  auto delay = 20ms;
  get_running_loop().call_later(delay, [] { ::raise(SIGINT); });
  try {
    auto long_time = 30s;
    co_await sleep(long_time);
  } catch (const CancelledError&) {
    *saw_cancel = true;
    if (!swallow) throw;
  }
  co_return 7;
}

TEST_P(SignalTest, SigintCancelsTheMainTaskAndRunRaisesKeyboardInterrupt) {
  ASSERT_EQ(disposition(SIGINT), SIG_DFL);
  bool saw_cancel = false;
  EXPECT_THROW(run_coro(interrupted_main(&saw_cancel, false)), KeyboardInterrupt);
  EXPECT_TRUE(saw_cancel);
  EXPECT_EQ(disposition(SIGINT), SIG_DFL);
}

TEST_P(SignalTest, AMainTaskThatSwallowsSigintReturnsNormally) {
  bool saw_cancel = false;
  EXPECT_EQ(run_coro(interrupted_main(&saw_cancel, true)), 7);
  EXPECT_TRUE(saw_cancel);
  EXPECT_EQ(disposition(SIGINT), SIG_DFL);
}

Coro<int> ignores_first_sigint(int* cancels) {
  auto delay = 20ms;
  EventLoop& loop = get_running_loop();
  loop.call_later(delay, [] { ::raise(SIGINT); });
  auto long_time = 30s;
  try {
    co_await sleep(long_time);
  } catch (const CancelledError&) {
    ++*cancels;
  }
  // Still running after the first Ctrl-C: the second one ends run().
  loop.call_later(delay, [] { ::raise(SIGINT); });
  co_await sleep(long_time);
  co_return 0;
}

TEST_P(SignalTest, ASecondSigintRaisesKeyboardInterrupt) {
  int cancels = 0;
  EXPECT_THROW(run_coro(ignores_first_sigint(&cancels)), KeyboardInterrupt);
  EXPECT_EQ(cancels, 1);
  EXPECT_EQ(disposition(SIGINT), SIG_DFL);
}

void custom_int_handler(int) {}

// Who holds SIGINT, seen from inside run(): 0 the default, 1 the test's own
// handler, 2 run() (the loop's signal handler).
Coro<int> sigint_holder() {
  void (*h)(int) = disposition(SIGINT);
  co_return h == SIG_DFL ? 0 : h == &custom_int_handler ? 1 : 2;
}

TEST_P(SignalTest, RunTakesSigintOnlyOnTheMainThreadAndUnlessOptedOut) {
  EXPECT_EQ(run_coro(sigint_holder()), 2);
  RunOptions o = run_options();
  o.handle_sigint = false;
  EXPECT_EQ(eddy::run(sigint_holder(), o), 0);
  int on_thread = -1;
  std::thread t([&] { on_thread = eddy::run(sigint_holder(), run_options()); });
  t.join();
  EXPECT_EQ(on_thread, 0);
  // Someone else's SIGINT handler is left alone.
  struct sigaction custom {}, old {};
  custom.sa_handler = &custom_int_handler;
  sigemptyset(&custom.sa_mask);
  ASSERT_EQ(::sigaction(SIGINT, &custom, &old), 0);
  EXPECT_EQ(run_coro(sigint_holder()), 1);
  EXPECT_EQ(disposition(SIGINT), &custom_int_handler);
  ::sigaction(SIGINT, &old, nullptr);
  EXPECT_EQ(disposition(SIGINT), SIG_DFL);
}

EDDY_INSTANTIATE_TASK_SUITE(SignalTest);

}  // namespace
}  // namespace eddy
