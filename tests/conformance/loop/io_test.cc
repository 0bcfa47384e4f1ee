// File-descriptor watchers: readiness on socketpairs and pipes, replacing and
// removing watchers (including from inside callbacks), fd reuse, bad fds and
// many fds.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <vector>

#include "../backend_fixture.h"

namespace eddy {
namespace {

using namespace std::chrono_literals;

struct Pair {
  explicit Pair(bool pipe_pair) {
    int rc = pipe_pair ? pipe2(fd, O_NONBLOCK | O_CLOEXEC)
                       : socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd);
    EXPECT_EQ(rc, 0);
  }
  ~Pair() {
    if (fd[0] >= 0) close(fd[0]);
    if (fd[1] >= 0) close(fd[1]);
  }
  int fd[2] = {-1, -1};  // for a pipe: [0] reads, [1] writes
};

class IoTest : public testing::BackendTest {
 protected:
  // Runs the loop until stop() or a 3 s watchdog; returns false on watchdog.
  bool run_bounded(EventLoop& loop) {
    bool timed_out = false;
    TimerHandle dog = loop.call_later(3s, [&] {
      timed_out = true;
      loop.stop();
    });
    loop.run_forever();
    dog.cancel();
    return !timed_out;
  }
};

TEST_P(IoTest, ReaderAndWriterOnASocketpair) {
  auto loop = make_loop();
  Pair p(false);
  int writable = 0;
  std::string got;
  loop->add_writer(p.fd[0], [&] {
    ++writable;
    loop->remove_writer(p.fd[0]);
    ASSERT_EQ(write(p.fd[0], "ping", 4), 4);
  });
  loop->add_reader(p.fd[1], [&] {
    char buf[16];
    ssize_t n = read(p.fd[1], buf, sizeof buf);
    if (n > 0) got.append(buf, static_cast<size_t>(n));
    if (got.size() >= 4) loop->stop();
  });
  ASSERT_TRUE(run_bounded(*loop));
  EXPECT_EQ(writable, 1);
  EXPECT_EQ(got, "ping");
  EXPECT_TRUE(loop->remove_reader(p.fd[1]));
  EXPECT_FALSE(loop->remove_reader(p.fd[1]));
  EXPECT_FALSE(loop->remove_writer(p.fd[0]));
}

TEST_P(IoTest, ReaderOnAPipeSeesDataAndEof) {
  auto loop = make_loop();
  Pair p(true);
  std::string got;
  bool eof = false;
  loop->add_reader(p.fd[0], [&] {
    char buf[16];
    ssize_t n = read(p.fd[0], buf, sizeof buf);
    if (n > 0) got.append(buf, static_cast<size_t>(n));
    if (n == 0) {
      eof = true;
      loop->remove_reader(p.fd[0]);
      loop->stop();
    }
  });
  ASSERT_EQ(write(p.fd[1], "abc", 3), 3);
  loop->call_later(5ms, [&] {
    close(p.fd[1]);
    p.fd[1] = -1;
  });
  ASSERT_TRUE(run_bounded(*loop));
  EXPECT_EQ(got, "abc");
  EXPECT_TRUE(eof);
}

TEST_P(IoTest, ReadinessIsLevelTriggered) {
  auto loop = make_loop();
  Pair p(false);
  ASSERT_EQ(write(p.fd[0], "x", 1), 1);
  int calls = 0;
  // The callback never reads: the fd stays readable and must be reported in
  // every iteration.
  loop->add_reader(p.fd[1], [&] { ++calls; });
  for (int i = 0; i < 5; ++i) loop->run_once(100ms);
  EXPECT_EQ(calls, 5);
  loop->remove_reader(p.fd[1]);
}

TEST_P(IoTest, AddReaderReplacesThePreviousCallback) {
  auto loop = make_loop();
  Pair p(false);
  int first = 0, second = 0;
  loop->add_reader(p.fd[1], [&] { ++first; });
  loop->add_reader(p.fd[1], [&] {
    ++second;
    loop->stop();
  });
  ASSERT_EQ(write(p.fd[0], "x", 1), 1);
  ASSERT_TRUE(run_bounded(*loop));
  EXPECT_EQ(first, 0);
  EXPECT_EQ(second, 1);
  loop->remove_reader(p.fd[1]);
}

TEST_P(IoTest, RemovingAWatcherInsideItsOwnCallback) {
  auto loop = make_loop();
  Pair p(false);
  int calls = 0;
  loop->add_reader(p.fd[1], [&] {
    ++calls;
    EXPECT_TRUE(loop->remove_reader(p.fd[1]));
    loop->call_later(20ms, [&] { loop->stop(); });
  });
  ASSERT_EQ(write(p.fd[0], "x", 1), 1);  // stays readable: never read
  ASSERT_TRUE(run_bounded(*loop));
  EXPECT_EQ(calls, 1);
}

TEST_P(IoTest, ARemovedWatcherWhoseCallIsPendingDoesNotRun) {
  auto loop = make_loop();
  Pair a(false), b(false);
  int a_calls = 0, b_calls = 0;
  // Both become readable in the same iteration; whichever runs first removes
  // the other, whose already-queued call must then not happen.
  loop->add_reader(a.fd[1], [&] {
    ++a_calls;
    loop->remove_reader(b.fd[1]);
    loop->remove_reader(a.fd[1]);
  });
  loop->add_reader(b.fd[1], [&] {
    ++b_calls;
    loop->remove_reader(a.fd[1]);
    loop->remove_reader(b.fd[1]);
  });
  ASSERT_EQ(write(a.fd[0], "x", 1), 1);
  ASSERT_EQ(write(b.fd[0], "x", 1), 1);
  for (int i = 0; i < 3; ++i) loop->run_once(50ms);
  EXPECT_EQ(a_calls + b_calls, 1);
}

TEST_P(IoTest, AnFdClosedAndItsNumberReusedCanBeWatchedAgain) {
  auto loop = make_loop();
  auto p1 = std::make_unique<Pair>(false);
  int reused = p1->fd[1];
  loop->add_reader(reused, [] {});
  // Close without removing first (asyncio says not to, but it happens).
  p1.reset();
  Pair p2(false);
  ASSERT_TRUE(p2.fd[0] == reused || p2.fd[1] == reused);
  int other = p2.fd[0] == reused ? p2.fd[1] : p2.fd[0];
  int calls = 0;
  loop->add_reader(reused, [&] {
    ++calls;
    loop->stop();
  });
  ASSERT_EQ(write(other, "x", 1), 1);
  ASSERT_TRUE(run_bounded(*loop));
  EXPECT_EQ(calls, 1);
  loop->remove_reader(reused);
}

TEST_P(IoTest, BadFdsRaiseClearErrors) {
  auto loop = make_loop();
  EXPECT_THROW(loop->add_reader(-1, [] {}), ValueError);
  int fd;
  {
    Pair p(false);
    fd = p.fd[0];
  }
  EXPECT_THROW(loop->add_reader(fd, [] {}), OSError);  // closed
  EXPECT_FALSE(loop->remove_reader(fd));
  EXPECT_FALSE(loop->remove_reader(123456));
  // The loop is still fine.
  int ran = 0;
  loop->call_soon([&] { ++ran; });
  loop->run_once(0ns);
  EXPECT_EQ(ran, 1);
}

TEST_P(IoTest, ARegularFileIsRefusedOrAlwaysReady) {
  // epoll refuses regular files (EPERM); poll-style backends report them as
  // always ready. Either is fine; a crash or a hang is not.
  auto loop = make_loop();
  FILE* f = tmpfile();
  ASSERT_NE(f, nullptr);
  int fd = fileno(f);
  bool accepted = true;
  try {
    loop->add_reader(fd, [&] { loop->stop(); });
  } catch (const OSError& e) {
    accepted = false;
    EXPECT_EQ(e.error_code(), EPERM);
  }
  if (accepted) {
    EXPECT_TRUE(run_bounded(*loop));
    loop->remove_reader(fd);
  }
  fclose(f);
}

TEST_P(IoTest, TenThousandWatchedFds) {
  constexpr int kPairs = 5000;  // 10,000 fds
  struct rlimit rl;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
  if (rl.rlim_cur < 2 * kPairs + 100) {
    rlim_t want = 2 * kPairs + 200;
    if (rl.rlim_max < want) GTEST_SKIP() << "RLIMIT_NOFILE hard limit " << rl.rlim_max << " < " << want;
    rl.rlim_cur = want;
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0);
  }
  auto loop = make_loop();
  std::vector<std::unique_ptr<Pair>> pairs;
  pairs.reserve(kPairs);
  int fired = 0;
  for (int i = 0; i < kPairs; ++i) {
    pairs.push_back(std::make_unique<Pair>(false));
    Pair* p = pairs.back().get();
    loop->add_reader(p->fd[1], [&, p] {
      char c;
      EXPECT_EQ(read(p->fd[1], &c, 1), 1);
      loop->remove_reader(p->fd[1]);
      if (++fired == kPairs) loop->stop();
    });
    loop->add_reader(p->fd[0], [] {});  // watched, never ready
    loop->remove_reader(p->fd[0]);
    loop->add_reader(p->fd[0], [] { ADD_FAILURE() << "idle fd reported ready"; });
  }
  for (auto& p : pairs) ASSERT_EQ(write(p->fd[0], "x", 1), 1);
  ASSERT_TRUE(run_bounded(*loop));
  EXPECT_EQ(fired, kPairs);
  for (auto& p : pairs) loop->remove_reader(p->fd[0]);
}

EDDY_INSTANTIATE_BACKEND_SUITE(IoTest);

}  // namespace
}  // namespace eddy
