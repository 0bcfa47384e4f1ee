// Every example of the chapter runs, on every backend, and prints what the
// Python original prints (times aside).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "../conformance/backend_fixture.h"

namespace eddy {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;

struct ExampleRun {
  std::string out;
  int status = -1;
  double seconds = 0;
};

ExampleRun run_example(const std::string& name, const std::string& backend) {
  std::string cmd = "EDDY_BACKEND='" + backend + "' " + EXAMPLES_DIR + "/" + name + " 2>&1";
  auto start = std::chrono::steady_clock::now();
  FILE* p = popen(cmd.c_str(), "r");
  ExampleRun r;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof buf, p)) r.out.append(buf, n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

class ExamplesTest : public testing::BackendTest {
 protected:
  ExampleRun run(const std::string& name) {
    ExampleRun r = run_example(name, GetParam());
    EXPECT_EQ(r.status, 0) << name << " printed:\n" << r.out;
    return r;
  }
};

TEST_P(ExamplesTest, Ex3_01_HelloTakesAboutOneSecond) {
  ExampleRun r = run("ex3_01_hello");
  EXPECT_THAT(r.out, ContainsRegex("Hello!\n.*Goodbye!\n"));
  EXPECT_GE(r.seconds, 0.9);
  EXPECT_LT(r.seconds, 1.5);
}

TEST_P(ExamplesTest, Ex3_02_ShutdownByHand) {
  ExampleRun r = run("ex3_02_by_hand");
  EXPECT_THAT(r.out, ContainsRegex("Hello!\n.*Goodbye!\n1 pending task\\(s\\) at shutdown\n"
                                   "straggler cancelled\ncancelled\n"));
}

TEST_P(ExamplesTest, Ex3_03_ExecutorOutputOrder) {
  ExampleRun r = run("ex3_03_executor");
  EXPECT_THAT(r.out, ContainsRegex("Hello!\n.*Hello from a thread!\n.*Goodbye!\n"));
  EXPECT_THAT(r.out, HasSubstr("pending tasks: 0 (the executor job is a Future)"));
}

TEST_P(ExamplesTest, Ex3_04_05_FunctionVersusCoroutine) {
  ExampleRun r = run("ex3_04_async_function");
  EXPECT_THAT(r.out, HasSubstr("iscoroutinefunction(f): true"));
  EXPECT_THAT(r.out, HasSubstr("iscoroutine(coro): true"));
  EXPECT_THAT(r.out, HasSubstr("coro.done(): false"));
  EXPECT_THAT(r.out, HasSubstr("result: 123"));
}

TEST_P(ExamplesTest, Ex3_06_Send) {
  EXPECT_THAT(run("ex3_06_send").out, HasSubstr("The answer was: 123"));
}

TEST_P(ExamplesTest, Ex3_07_Await) { EXPECT_EQ(run("ex3_07_await").out, "result: 123\n"); }

TEST_P(ExamplesTest, Ex3_08_Throw) { EXPECT_EQ(run("ex3_08_throw").out, "Exception: blah\n"); }

TEST_P(ExamplesTest, Ex3_09_CatchCancellation) {
  EXPECT_EQ(run("ex3_09_cancel").out, "I was cancelled!\ndone: true, returned 0\n");
}

TEST_P(ExamplesTest, Ex3_10_IgnoreCancellation) {
  EXPECT_EQ(run("ex3_10_ignore_cancel").out, "Nope!\nstill running after the cancel: true\n");
}

TEST_P(ExamplesTest, Ex3_11_RunUntilComplete) {
  EXPECT_EQ(run("ex3_11_run_until_complete").out, "111\n");
}

TEST_P(ExamplesTest, Ex3_12_SameLoop) {
  ExampleRun r = run("ex3_12_same_loop");
  EXPECT_THAT(r.out, HasSubstr("loop is loop2: true"));
  EXPECT_THAT(r.out, HasSubstr("a new thread has no loop until set_event_loop()"));
  EXPECT_THAT(r.out, HasSubstr("after set_event_loop: true"));
}

TEST_P(ExamplesTest, Ex3_13_CreateTask) {
  EXPECT_EQ(run("ex3_13_create_task").out,
            "f() returns before its tasks finish\nensure_future(task) is task: true\n"
            "task 0 done\ntask 1 done\ntask 2 done\ntask 3 done\n");
}

TEST_P(ExamplesTest, ProducerConsumerQueueWithWorkersInThreads) {
  std::string expected =
      "queueing 10 orders for 3 workers (at most 4 waiting)\n"
      "queue.join() returned: 0 left, all done\n";
  for (int i = 1; i <= 10; ++i) {
    char line[64];
    std::snprintf(line, sizeof line, "order %d: total %.2f\n", i, i * 1.5);
    expected += line;
  }
  expected += "3 workers cancelled; 10 database calls ran off the loop thread\n";
  EXPECT_EQ(run("ex_producer_consumer").out, expected);
}

EDDY_INSTANTIATE_BACKEND_SUITE(ExamplesTest);

}  // namespace
}  // namespace eddy
