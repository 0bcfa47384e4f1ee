// 10,000 concurrent connections to a streams echo server, every byte checked,
// on every backend (issue 6). The server runs in a forked child: one process
// cannot hold both ends under the 20,000-descriptor limit.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "net_fixture.h"

namespace eddy {
namespace {

using namespace std::chrono_literals;
using testing::kHost;
using testing::pattern;
using testing::port_of;

class StreamsScaleTest : public testing::TaskTest {};

// ---- 10,000 concurrent connections ----

constexpr int kConnections = 10000;

// The server, in a child process (one process cannot hold both ends of
// 10,000 connections under a 20,000-descriptor limit).
struct ChildServer {
  int target = 0;
  int active = 0;
  int peak = 0;
  int served = 0;
  int bad = 0;
  Event done;
};

Coro<> counting_echo(StreamReader r, StreamWriter w, ChildServer* s) {
  s->peak = std::max(s->peak, ++s->active);
  try {
    for (;;) {
      std::string data = co_await r.read(65536);
      if (data.empty()) break;
      w.write(data);
      co_await w.drain();
    }
  } catch (...) {
    ++s->bad;
  }
  w.close();
  --s->active;
  if (++s->served == s->target) s->done.set();
}

void on_parent_gone(ChildServer* s) { s->done.set(); }

Coro<int> child_server_main(int report_fd, int control_fd, int target) {
  ChildServer s;
  s.target = target;
  ServerOptions o;
  o.backlog = 4096;
  auto cb = [&s](StreamReader r, StreamWriter w) { return counting_echo(r, w, &s); };
  Server server = co_await start_server(cb, kHost, 0, o);
  std::string port = std::to_string(port_of(server)) + "\n";
  if (::write(report_fd, port.data(), port.size()) < 0) co_return 2;
  EventLoop& loop = get_running_loop();
  loop.add_reader(control_fd, [&s] { on_parent_gone(&s); });  // EOF: the parent gave up
  try {
    co_await wait_for(s.done.wait(), 120s);
  } catch (const TimeoutError&) {
  }
  loop.remove_reader(control_fd);
  server.close();
  std::string stats =
      std::to_string(s.served) + " " + std::to_string(s.peak) + " " + std::to_string(s.bad) + "\n";
  if (::write(report_fd, stats.data(), stats.size()) < 0) co_return 2;
  co_return 0;
}

struct Fleet {
  uint16_t port = 0;
  int n = 0;
  int settled = 0;  // connected or failed
  int connected = 0;
  int ok = 0;
  std::vector<std::string> errors;
  Semaphore connecting{512};
  Event all_connected;
};

std::string message_for(int i) {
  return "connection " + std::to_string(i) + " " + pattern(64 + static_cast<size_t>(i % 200), i);
}

void settle_one(Fleet* f) {
  if (++f->settled == f->n) f->all_connected.set();
}

Coro<> fleet_client(Fleet* f, int i) {
  StreamReader r;
  StreamWriter w;
  try {
    auto slot = co_await f->connecting.scoped();
    auto made = co_await open_connection(kHost, f->port);
    r = made.first;
    w = made.second;
  } catch (const std::exception& e) {
    if (f->errors.size() < 10) f->errors.push_back(std::string("connect: ") + e.what());
    settle_one(f);
    co_return;
  }
  ++f->connected;
  settle_one(f);
  // Every connection is open at once before any of them talks.
  co_await f->all_connected.wait();
  try {
    std::string msg = message_for(i);
    w.write(msg);
    co_await w.drain();
    w.write_eof();
    std::string back = co_await r.read();
    if (back == msg) {
      ++f->ok;
    } else if (f->errors.size() < 10) {
      f->errors.push_back("connection " + std::to_string(i) + ": wrong echo");
    }
  } catch (const std::exception& e) {
    if (f->errors.size() < 10) f->errors.push_back(std::string("echo: ") + e.what());
  }
  w.close();
  co_await w.wait_closed();
}

Coro<> run_fleet(Fleet* f) {
  std::vector<Task<>> clients;
  clients.reserve(static_cast<size_t>(f->n));
  for (int i = 0; i < f->n; ++i) clients.push_back(create_task(fleet_client(f, i)));
  for (auto& c : clients) co_await c;
}

std::string read_line_blocking(int fd) {
  std::string line;
  char c;
  while (::read(fd, &c, 1) == 1 && c != '\n') line += c;
  return line;
}

TEST_P(StreamsScaleTest, TenThousandConcurrentConnectionsEchoEveryByte) {
  rlimit rl;
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &rl), 0);
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &rl), 0);
  }
  if (rl.rlim_cur < static_cast<rlim_t>(kConnections) + 100) {
    GTEST_SKIP() << "RLIMIT_NOFILE " << rl.rlim_cur << " is too low for " << kConnections;
  }
  int report[2], control[2];
  ASSERT_EQ(::pipe2(report, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(control, O_CLOEXEC), 0);
  auto start = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(report[0]);
    ::close(control[1]);
    int rc = 3;
    try {
      rc = eddy::run(child_server_main(report[1], control[0], kConnections), run_options());
    } catch (...) {
    }
    ::_exit(rc);
  }
  ::close(report[1]);
  ::close(control[0]);
  Fleet f;
  f.n = kConnections;
  std::string port = read_line_blocking(report[0]);
  if (!port.empty()) {
    f.port = static_cast<uint16_t>(std::stoi(port));
    run_coro(run_fleet(&f));
  }
  ::close(control[1]);  // the child stops waiting if it has not yet
  std::string stats = read_line_blocking(report[0]);
  ::close(report[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "server child status " << status;
  ASSERT_FALSE(port.empty()) << "the server child did not start";
  EXPECT_EQ(f.connected, kConnections);
  EXPECT_EQ(f.ok, kConnections);
  EXPECT_TRUE(f.errors.empty()) << f.errors.at(0);
  int served = -1, peak = -1, bad = -1;
  std::sscanf(stats.c_str(), "%d %d %d", &served, &peak, &bad);
  EXPECT_EQ(served, kConnections);
  EXPECT_EQ(peak, kConnections) << "every connection must be open at once";
  EXPECT_EQ(bad, 0);
  RecordProperty("seconds", std::to_string(seconds));
  std::printf("[   INFO   ] %d concurrent connections on %s: %.2f s\n", kConnections,
              GetParam().c_str(), seconds);
}

EDDY_INSTANTIATE_TASK_SUITE(StreamsScaleTest);

}  // namespace
}  // namespace eddy
