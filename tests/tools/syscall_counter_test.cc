// syscall_counter_test.cc -- the echo load generator's syscall counter
// counts another process's system calls by name, over the window it opens.
#include "syscall_counter.h"

#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>

namespace eddy::echo {
namespace {

constexpr int kCalls = 1000;

// A child that waits for a byte on `go`, makes kCalls getpid calls (counted
// by name) and kCalls getppid calls (not: they count as "other"), through
// syscall(2) so that nothing caches them, and exits.
pid_t start_child(int go) {
  pid_t pid = fork();
  if (pid == 0) {
    char c;
    if (read(go, &c, 1) != 1) _exit(1);
    for (int i = 0; i < kCalls; ++i) syscall(SYS_getpid);
    for (int i = 0; i < kCalls; ++i) syscall(SYS_getppid);
    _exit(0);
  }
  return pid;
}

TEST(SyscallCounterTest, CountsAnotherProcessesCallsByNameInTheWindow) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t child = start_child(fds[0]);
  ASSERT_GT(child, 0);
  SyscallCounter counter;
  std::string error;
  if (!counter.open(child, &error)) {
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    GTEST_SKIP() << "syscall counting unavailable here: " << error;
  }
  // Nothing counted before the window opens.
  EXPECT_TRUE(counter.counts().empty());
  counter.enable();
  ASSERT_EQ(write(fds[1], "x", 1), 1);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  counter.disable();
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  std::map<std::string, uint64_t> by_name;
  for (const auto& [name, n] : counter.counts()) by_name[name] = n;
  EXPECT_EQ(by_name["getpid"], static_cast<uint64_t>(kCalls));
  // getppid, the write of its exit and exit_group itself (a few calls).
  EXPECT_GE(by_name["other"], static_cast<uint64_t>(kCalls));
  EXPECT_LE(by_name["other"], static_cast<uint64_t>(kCalls) + 10);
  // The read of `go`: entered before the window when the child was quick
  // enough to block in it first (the usual case), inside it otherwise.
  EXPECT_LE(by_name["read"], 1u);
  std::string first = counter.counts().front().first;  // largest first
  EXPECT_TRUE(first == "getpid" || first == "other") << first;
  close(fds[0]);
  close(fds[1]);
}

TEST(SyscallCounterTest, AMissingProcessIsAClearError) {
  SyscallCounter counter;
  std::string error;
  EXPECT_FALSE(counter.open(999999999, &error));
  EXPECT_FALSE(error.empty());
}

TEST(SyscallCounterTest, JsonShape) {
  // The names keep the order given (largest first), not sorted.
  EXPECT_EQ(syscall_counts_json({{"sendto", 5}, {"recvfrom", 3}}).dump(),
            R"({"total":8,"by_name":{"sendto":5,"recvfrom":3}})");
  EXPECT_EQ(syscall_counts_json({}).dump(), R"({"total":0,"by_name":{}})");
}

}  // namespace
}  // namespace eddy::echo
