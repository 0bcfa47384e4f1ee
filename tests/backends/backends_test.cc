// Backend selection end to end, several backends in one process, and the
// native handles that let plain libuv/libevent code share an eddy loop.
#include <event2/event.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <uv.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "eddy/backends.h"
#include "eddy/event_loop.h"

namespace eddy {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

std::vector<std::string> names() {
  std::vector<std::string> out;
  for (const auto& b : available_backends()) {
    if (b.available && (out.empty() || std::find(out.begin(), out.end(), b.name) == out.end())) {
      out.push_back(b.name);
    }
  }
  return out;
}

bool have(const std::string& name) {
  auto n = names();
  return std::find(n.begin(), n.end(), name) != n.end();
}

std::string run(const std::string& cmd) {
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[256];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  pclose(p);
  return out;
}

TEST(BackendsTest, TheSameBinaryRunsOnEveryBackendChosenByEnvironment) {
  for (const std::string& b : names()) {
    std::string out = run("EDDY_BACKEND=" + b + " " + WHICH_BACKEND_PATH + " 2>&1");
    EXPECT_EQ(out, b + " 2\n") << "EDDY_BACKEND=" << b;
  }
  // And an unknown one fails with the list of what is installed.
  std::string out = run(std::string("EDDY_BACKEND=nosuch ") + WHICH_BACKEND_PATH + " 2>&1");
  EXPECT_THAT(out, HasSubstr("no eddy backend named 'nosuch'"));
  EXPECT_THAT(out, HasSubstr("available: epoll"));
}

TEST(BackendsTest, LoopOptionsChooseTheBackend) {
  for (const std::string& b : names()) {
    LoopOptions o;
    o.backend = b;
    EventLoop loop(o);
    EXPECT_EQ(loop.backend(), b);
  }
}

TEST(BackendsTest, LoopsOfDifferentBackendsRunOnThreadsAtOnce) {
  std::vector<std::string> bs = names();
  ASSERT_GE(bs.size(), 1u);
  std::vector<std::thread> threads;
  std::vector<int> counts(bs.size(), 0);
  std::vector<std::string> seen(bs.size());
  for (size_t i = 0; i < bs.size(); ++i) {
    threads.emplace_back([&, i] {
      LoopOptions o;
      o.backend = bs[i];
      EventLoop loop(o);
      seen[i] = loop.backend();
      int fds[2];
      ASSERT_EQ(pipe(fds), 0);
      // A reader, timers and callbacks at once, for a while.
      loop.add_reader(fds[0], [&] {
        char c;
        (void)!read(fds[0], &c, 1);
        ++counts[i];
      });
      for (int k = 0; k < 50; ++k) {
        loop.call_later(std::chrono::milliseconds(k), [&, fds] { (void)!write(fds[1], "x", 1); });
      }
      loop.call_later(200ms, [&] { loop.stop(); });
      loop.run_forever();
      loop.remove_reader(fds[0]);
      close(fds[0]);
      close(fds[1]);
    });
  }
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < bs.size(); ++i) {
    EXPECT_EQ(seen[i], bs[i]);
    EXPECT_EQ(counts[i], 50) << bs[i];
  }
}

TEST(BackendsTest, APlainLibuvTimerRunsBesideEddyCallbacks) {
  if (!have("uv")) GTEST_SKIP() << "the uv backend is not available";
  LoopOptions o;
  o.backend = "uv";
  EventLoop loop(o);
  auto* uvl = static_cast<uv_loop_t*>(loop.native_handle("uv_loop_t"));
  ASSERT_NE(uvl, nullptr);
  EXPECT_EQ(loop.native_handle("event_base"), nullptr);  // wrong kind: nullptr
  struct State {
    int uv_ticks = 0;
    int eddy_ticks = 0;
  } st;
  uv_timer_t timer;
  uv_timer_init(uvl, &timer);
  timer.data = &st;
  uv_timer_start(&timer, [](uv_timer_t* t) { ++static_cast<State*>(t->data)->uv_ticks; }, 1, 1);
  for (int k = 1; k <= 20; ++k) loop.call_later(std::chrono::milliseconds(k), [&] { ++st.eddy_ticks; });
  loop.call_later(60ms, [&] { loop.stop(); });
  loop.run_forever();
  uv_timer_stop(&timer);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer), nullptr);
  loop.run_once(0ns);  // lets libuv run the close callback
  EXPECT_EQ(st.eddy_ticks, 20);
  EXPECT_GE(st.uv_ticks, 5);
}

TEST(BackendsTest, APlainLibeventEventRunsBesideEddyCallbacks) {
  if (!have("event")) GTEST_SKIP() << "the event backend is not available";
  LoopOptions o;
  o.backend = "event";
  EventLoop loop(o);
  auto* base = static_cast<event_base*>(loop.native_handle("event_base"));
  ASSERT_NE(base, nullptr);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  int ev_reads = 0, eddy_ticks = 0;
  event* ev = event_new(
      base, fds[0], EV_READ | EV_PERSIST,
      [](evutil_socket_t fd, short, void* arg) {
        char c;
        if (read(fd, &c, 1) == 1) ++*static_cast<int*>(arg);
      },
      &ev_reads);
  event_add(ev, nullptr);
  for (int k = 1; k <= 10; ++k) {
    loop.call_later(std::chrono::milliseconds(k), [&] {
      ++eddy_ticks;
      (void)!write(fds[1], "x", 1);
    });
  }
  loop.call_later(50ms, [&] { loop.stop(); });
  loop.run_forever();
  event_free(ev);
  close(fds[0]);
  close(fds[1]);
  EXPECT_EQ(eddy_ticks, 10);
  EXPECT_EQ(ev_reads, 10);
}

TEST(BackendsTest, EddyInfoShowsLibraryVersions) {
  std::string out = run(std::string(EDDY_INFO_PATH));
  if (have("uv")) {
    EXPECT_THAT(out, HasSubstr(std::string("libuv ") + uv_version_string()));
  }
  if (have("event")) {
    EXPECT_THAT(out, HasSubstr(std::string("libevent ") + event_get_version()));
  }
}

TEST(BackendsTest, AnUnavailableIoUringFallsBackToEpollAndSaysWhy) {
  // EDDY_IO_URING_FAKE_ERRNO makes the io_uring probe fail as if seccomp
  // refused io_uring_setup (EPERM = 1); see backends/io_uring/README.md.
  std::string info = run(std::string("EDDY_IO_URING_FAKE_ERRNO=1 ") + EDDY_INFO_PATH + " 2>&1");
  EXPECT_THAT(info, HasSubstr("selected: epoll"));
  EXPECT_THAT(info, HasSubstr("unavailable: io_uring_setup was refused"));
  std::string out =
      run(std::string("EDDY_IO_URING_FAKE_ERRNO=1 EDDY_BACKEND=io_uring ") + WHICH_BACKEND_PATH + " 2>&1");
  EXPECT_THAT(out, HasSubstr("backend 'io_uring'"));
  EXPECT_THAT(out, HasSubstr("seccomp"));
  // Without the hook, io_uring works on this kernel.
  if (have("io_uring")) {
    EXPECT_EQ(run(std::string("EDDY_BACKEND=io_uring ") + WHICH_BACKEND_PATH), "io_uring 2\n");
  }
}

}  // namespace
}  // namespace eddy
