// Executors (issue 5): run_in_executor, to_thread, ThreadPoolExecutor limits
// and names, set_default_executor, shutdown_default_executor with a timeout.
// "Executor" is in every test name so the TSan configuration runs them all.
#include <pthread.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "eddy/log.h"
#include "task_fixture.h"

namespace eddy {
namespace {

using namespace std::chrono_literals;
using testing::TaskTest;

class ExecutorTest : public TaskTest {};

std::string thread_name() {
  char buf[32] = {};
  pthread_getname_np(pthread_self(), buf, sizeof buf);
  return buf;
}

struct Concurrency {
  std::atomic<int> now{0};
  std::atomic<int> peak{0};
};

int busy_job(Concurrency* c, int x) {
  int n = ++c->now;
  int p = c->peak.load();
  while (n > p && !c->peak.compare_exchange_weak(p, n)) {
  }
  std::this_thread::sleep_for(20ms);
  --c->now;
  return x;
}

Coro<int> six_jobs_on_two_workers(ThreadPoolExecutor* ex, Concurrency* c) {
  EventLoop& loop = get_running_loop();
  std::vector<Future<int>> fs;
  for (int i = 0; i < 6; ++i) fs.push_back(loop.run_in_executor(ex, busy_job, c, i));
  std::vector<int> rs = co_await gather(fs);
  int sum = 0;
  for (int r : rs) sum += r;
  co_return sum;
}

TEST_P(ExecutorTest, ExecutorNeverRunsMoreThanMaxWorkers) {
  ThreadPoolExecutor ex(2);
  Concurrency c;
  EXPECT_EQ(run_coro(six_jobs_on_two_workers(&ex, &c)), 0 + 1 + 2 + 3 + 4 + 5);
  EXPECT_LE(c.peak.load(), 2);
  EXPECT_GE(c.peak.load(), 1);
  EXPECT_EQ(ex.max_workers(), 2u);
}

TEST_P(ExecutorTest, ExecutorDefaultSizeIsPythons) {
  ThreadPoolExecutor ex;
  size_t cores = std::thread::hardware_concurrency();
  EXPECT_EQ(ex.max_workers(), std::min<size_t>(32, cores + 4));
}

Coro<std::string> name_in(ThreadPoolExecutor* ex) {
  co_return co_await get_running_loop().run_in_executor(ex, thread_name);
}

TEST_P(ExecutorTest, ExecutorThreadsAreNamed) {
  ThreadPoolExecutor ex(1, "dbpool");
  EXPECT_EQ(run_coro(name_in(&ex)), "dbpool_0");
}

Coro<std::string> name_via_to_thread() {
  get_running_loop().set_default_executor(std::make_unique<ThreadPoolExecutor>(1, "mine"));
  co_return co_await to_thread(thread_name);
}

TEST_P(ExecutorTest, SetDefaultExecutorIsUsedByToThread) {
  EXPECT_EQ(run_coro(name_via_to_thread()), "mine_0");
}

TEST_P(ExecutorTest, ExecutorSubmitAfterShutdownRaisesRuntimeError) {
  ThreadPoolExecutor ex(1);
  EXPECT_TRUE(ex.shutdown());
  EXPECT_THROW(ex.submit([] {}), RuntimeError);
  EventLoop loop(options());
  EXPECT_THROW(loop.run_in_executor(&ex, [] { return 1; }), RuntimeError);
  loop.close();
}

TEST_P(ExecutorTest, ExecutorRunInExecutorOnClosedLoopRaises) {
  EventLoop loop(options());
  loop.close();
  EXPECT_THROW(loop.run_in_executor(nullptr, [] { return 1; }), RuntimeError);
}

// A job blocked past the shutdown timeout is reported, not waited on
// silently; the loop and the job both finish cleanly afterwards.
TEST_P(ExecutorTest, ExecutorShutdownTimeoutReportsABlockedJob) {
  // The job outlives this test's stack frame, so what it touches is shared.
  struct Gate {
    std::atomic<bool> release{false};
    std::atomic<bool> started{false};
    std::atomic<bool> finished{false};
  };
  auto gate = std::make_shared<Gate>();
  std::vector<std::string> warnings;
  std::mutex mu;
  LogSink old = set_log_sink([&](int32_t level, std::string_view m) {
    std::lock_guard<std::mutex> lock(mu);
    if (level >= EDDY_LOG_WARNING) warnings.emplace_back(m);
  });
  {
    EventLoop loop(options());
    Future<int> f = loop.run_in_executor(nullptr, [gate] {
      gate->started = true;
      while (!gate->release.load()) std::this_thread::sleep_for(1ms);
      gate->finished = true;
      return 7;
    });
    while (!gate->started.load()) std::this_thread::sleep_for(1ms);
    EXPECT_FALSE(loop.shutdown_default_executor(50ms));
    EXPECT_FALSE(f.done());
    loop.close();
  }
  // The loop is gone; the detached worker finishes, and its result has
  // nowhere to go (nothing leaks: the loop dropped the future's reference).
  gate->release = true;
  while (!gate->finished.load()) std::this_thread::sleep_for(1ms);
  set_log_sink(old);
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("still blocked"), std::string::npos) << warnings[0];
}

TEST_P(ExecutorTest, ExecutorShutdownWaitsForRunningJobs) {
  std::atomic<int> done{0};
  EventLoop loop(options());
  for (int i = 0; i < 4; ++i) {
    loop.run_in_executor(nullptr, [&] {
      std::this_thread::sleep_for(10ms);
      ++done;
    });
  }
  EXPECT_TRUE(loop.shutdown_default_executor(10s));
  EXPECT_EQ(done.load(), 4);
  loop.close();
}

EDDY_INSTANTIATE_TASK_SUITE(ExecutorTest);

}  // namespace
}  // namespace eddy
