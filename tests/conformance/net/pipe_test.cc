// Pipe transports (connect_read_pipe / connect_write_pipe, eddy/pipes.h) on
// every backend: asyncio's callback order, EOF, write buffering and the
// water marks, broken pipes (BrokenPipeError, never a SIGPIPE death), what a
// one-way transport refuses, the descriptor checks, and loop teardown.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "net_fixture.h"

namespace eddy {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::is;
using testing::raised;
using testing::spin;
using testing::wait_until;
using testing::what;

// Runs with SIGPIPE at its default (fatal) disposition, so a SIGPIPE the
// transports let through would kill the test binary.
class PipeTest : public testing::TaskTest {
 protected:
  void SetUp() override {
    struct sigaction dfl = {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    ::sigaction(SIGPIPE, &dfl, &old_pipe_);
  }
  void TearDown() override { ::sigaction(SIGPIPE, &old_pipe_, nullptr); }

 private:
  struct sigaction old_pipe_ = {};
};

bool fd_open(int fd) { return ::fcntl(fd, F_GETFD) >= 0; }

struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) std::abort();
    r = p[0];
    w = p[1];
  }
};

// Records every callback.
struct Recorder : Protocol {
  std::vector<std::string> events;
  std::string data;
  Transport* transport = nullptr;
  std::exception_ptr lost_with;
  bool lost = false;
  int pauses = 0, resumes = 0;
  bool throw_in_data = false;
  bool eof_answer = true;  // ignored by a read pipe

  void connection_made(Transport& t) override {
    transport = &t;
    events.push_back("made");
  }
  void data_received(std::string_view d) override {
    if (throw_in_data) throw ValueError("bad data");
    if (events.empty() || events.back() != "data") events.push_back("data");
    data.append(d);
  }
  bool eof_received() override {
    events.push_back("eof");
    return eof_answer;
  }
  void connection_lost(std::exception_ptr e) override {
    events.push_back("lost");
    lost = true;
    lost_with = e;
  }
  void pause_writing() override {
    ++pauses;
    events.push_back("pause");
  }
  void resume_writing() override {
    ++resumes;
    events.push_back("resume");
  }
};

std::shared_ptr<Recorder> recorder() { return std::make_shared<Recorder>(); }

// ---- Read pipes ----

Coro<> read_pipe_order(Pipe p) {
  auto [t, r] = co_await connect_read_pipe(recorder, p.r);
  EXPECT_THAT(r->events, ElementsAre("made"));  // before the call returns
  EXPECT_EQ(r->transport, t.get());
  EXPECT_EQ(std::get<int>(t->get_extra_info("pipe")), p.r);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(t->get_extra_info("socket")));
  EXPECT_TRUE(t->is_reading());
  EXPECT_FALSE(t->is_closing());
  EXPECT_NE(::fcntl(p.r, F_GETFL) & O_NONBLOCK, 0);  // made non-blocking
  std::string hello = "hello";
  EXPECT_EQ(::write(p.w, hello.data(), hello.size()), 5);
  Recorder* rr = r.get();
  EXPECT_TRUE(co_await wait_until([&] { return rr->data == "hello"; }));

  // Paused: nothing is delivered until resumed.
  t->pause_reading();
  t->pause_reading();  // idempotent
  EXPECT_FALSE(t->is_reading());
  std::string more = " world";
  EXPECT_EQ(::write(p.w, more.data(), more.size()), 6);
  co_await sleep(20ms);
  EXPECT_EQ(r->data, "hello");
  t->resume_reading();
  EXPECT_TRUE(t->is_reading());
  EXPECT_TRUE(co_await wait_until([&] { return rr->data == "hello world"; }));

  // EOF: closing at once, then eof_received, then connection_lost(nullptr),
  // whatever eof_received answers.
  ::close(p.w);
  EXPECT_TRUE(co_await wait_until([&] { return rr->lost; }));
  EXPECT_THAT(r->events, ElementsAre("made", "data", "eof", "lost"));
  EXPECT_EQ(r->lost_with, nullptr);
  EXPECT_TRUE(t->is_closing());
  EXPECT_FALSE(t->is_reading());
  EXPECT_FALSE(fd_open(p.r));
  EXPECT_TRUE(std::holds_alternative<std::monostate>(t->get_extra_info("pipe")));
  // The transport let go of its protocol after connection_lost.
  EXPECT_EQ(t->get_protocol(), nullptr);
}

TEST_P(PipeTest, ReadPipeDataPauseEofAndCallbackOrder) { run_coro(read_pipe_order(Pipe())); }

Coro<> read_pipe_close(Pipe p) {
  auto [t, r] = co_await connect_read_pipe(recorder, p.r);
  t->close();
  t->close();  // idempotent
  EXPECT_TRUE(t->is_closing());
  EXPECT_FALSE(t->is_reading());
  Recorder* rr = r.get();
  EXPECT_TRUE(co_await wait_until([&] { return rr->lost; }));
  // close() is not EOF: no eof_received.
  EXPECT_THAT(r->events, ElementsAre("made", "lost"));
  EXPECT_FALSE(fd_open(p.r));
  ::close(p.w);
}

TEST_P(PipeTest, ReadPipeCloseCallsConnectionLostOnly) { run_coro(read_pipe_close(Pipe())); }

Coro<> read_pipe_refuses_writes(Pipe p) {
  auto [t, r] = co_await connect_read_pipe(recorder, p.r);
  std::string x = "x";
  try {
    t->write(x);
    ADD_FAILURE() << "write() did not throw";
  } catch (const RuntimeError& e) {
    EXPECT_THAT(e.what(), HasSubstr("read pipe"));
  }
  std::vector<std::string_view> parts = {x, x};
  EXPECT_THROW(t->writelines(parts), RuntimeError);
  EXPECT_THROW(t->write_eof(), RuntimeError);
  EXPECT_THROW(t->set_write_buffer_limits(10, 1), RuntimeError);
  EXPECT_FALSE(t->can_write_eof());
  EXPECT_EQ(t->get_write_buffer_size(), 0u);
  t->abort();  // close() for a read pipe
  Recorder* rr = r.get();
  EXPECT_TRUE(co_await wait_until([&] { return rr->lost; }));
  EXPECT_EQ(r->lost_with, nullptr);
  ::close(p.w);
}

TEST_P(PipeTest, ReadPipeRefusesWriteMethods) { run_coro(read_pipe_refuses_writes(Pipe())); }

struct Buffered : BufferedProtocol {
  std::array<char, 7> buf;  // small, so reads come in pieces
  std::string data;
  bool eof = false, lost = false;
  std::span<char> get_buffer(std::ptrdiff_t) override { return buf; }
  void buffer_updated(size_t n) override { data.append(buf.data(), n); }
  bool eof_received() override {
    eof = true;
    return false;
  }
  void connection_lost(std::exception_ptr) override { lost = true; }
};

Coro<> read_pipe_buffered(Pipe p) {
  auto [t, b] = co_await connect_read_pipe([] { return std::make_shared<Buffered>(); }, p.r);
  std::string msg = "a message longer than seven bytes";
  EXPECT_EQ(::write(p.w, msg.data(), msg.size()), static_cast<ssize_t>(msg.size()));
  ::close(p.w);
  Buffered* bb = b.get();
  EXPECT_TRUE(co_await wait_until([&] { return bb->lost; }));
  EXPECT_EQ(b->data, msg);
  EXPECT_TRUE(b->eof);
}

TEST_P(PipeTest, ReadPipeWithBufferedProtocol) { run_coro(read_pipe_buffered(Pipe())); }

Coro<std::vector<std::string>> read_pipe_protocol_throws(Pipe p) {
  std::vector<std::string> reported;
  get_running_loop().set_exception_handler(
      [&reported](EventLoop&, const ExceptionContext& c) { reported.push_back(c.message); });
  auto [t, r] = co_await connect_read_pipe(recorder, p.r);
  r->throw_in_data = true;
  std::string x = "x";
  EXPECT_EQ(::write(p.w, x.data(), 1), 1);
  Recorder* rr = r.get();
  EXPECT_TRUE(co_await wait_until([&] { return rr->lost; }));
  EXPECT_TRUE(is<ValueError>(r->lost_with));
  ::close(p.w);
  get_running_loop().set_exception_handler(nullptr);
  co_return reported;
}

TEST_P(PipeTest, ReadPipeProtocolErrorIsReportedAndCloses) {
  EXPECT_THAT(run_coro(read_pipe_protocol_throws(Pipe())),
              ElementsAre(HasSubstr("protocol.data_received() call failed")));
}

// ---- Write pipes ----

Coro<> write_pipe_round_trip(Pipe p) {
  auto [wt, w] = co_await connect_write_pipe(recorder, p.w);
  auto [rt, r] = co_await connect_read_pipe(recorder, p.r);
  EXPECT_THAT(w->events, ElementsAre("made"));
  EXPECT_FALSE(wt->is_reading());
  wt->pause_reading();  // no-ops on a write pipe
  wt->resume_reading();
  EXPECT_FALSE(wt->is_reading());
  EXPECT_TRUE(wt->can_write_eof());
  EXPECT_EQ(wt->get_write_buffer_limits(), (std::pair<size_t, size_t>(16 * 1024, 64 * 1024)));

  // 1 MiB at once: the pipe takes 64 KiB, the rest is buffered and the
  // protocol paused; it resumes as the reader drains the pipe.
  std::string big(1 << 20, 0);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  std::string small = "tail";
  wt->write(big);
  EXPECT_GT(wt->get_write_buffer_size(), 64u * 1024);
  EXPECT_EQ(w->pauses, 1);
  std::vector<std::string_view> parts = {small, small};
  wt->writelines(parts);  // queued behind
  wt->close();            // flush first, then close
  EXPECT_TRUE(wt->is_closing());
  wt->write(small);  // dropped: the transport is closing
  Recorder* ww = w.get();
  Recorder* rr = r.get();
  EXPECT_TRUE(co_await wait_until([&] { return ww->lost && rr->lost; }));
  EXPECT_EQ(r->data, big + "tailtail");
  EXPECT_EQ(w->pauses, 1);
  EXPECT_EQ(w->resumes, 1);
  EXPECT_THAT(w->events, ElementsAre("made", "pause", "resume", "lost"));
  EXPECT_EQ(w->lost_with, nullptr);
  EXPECT_THAT(r->events, ElementsAre("made", "data", "eof", "lost"));
  EXPECT_EQ(wt->get_write_buffer_size(), 0u);
  EXPECT_FALSE(fd_open(p.w));
  EXPECT_FALSE(fd_open(p.r));
}

TEST_P(PipeTest, WritePipeBuffersPausesResumesAndFlushesOnClose) {
  run_coro(write_pipe_round_trip(Pipe()));
}

Coro<> write_pipe_water_marks(Pipe p) {
  auto [wt, w] = co_await connect_write_pipe(recorder, p.w);
  EXPECT_THROW(wt->set_write_buffer_limits(1, 2), ValueError);
  wt->set_write_buffer_limits(100);  // low = 25
  EXPECT_EQ(wt->get_write_buffer_limits(), (std::pair<size_t, size_t>(25, 100)));
  wt->set_write_buffer_limits(-1, 10);  // high = 40
  EXPECT_EQ(wt->get_write_buffer_limits(), (std::pair<size_t, size_t>(10, 40)));
  // Fill the pipe so that every later byte is buffered.
  std::string fill(1 << 20, 'f');
  wt->write(fill);
  size_t queued = wt->get_write_buffer_size();
  EXPECT_GT(queued, 0u);
  EXPECT_EQ(w->pauses, 1);
  // Lowering the high-water mark below the buffer pauses (once).
  wt->set_write_buffer_limits(0);
  EXPECT_EQ(w->pauses, 1);
  // Drain the pipe by hand until the transport resumes the protocol.
  std::vector<char> sink(1 << 16);
  Recorder* ww = w.get();
  int fd = p.r;
  ::fcntl(fd, F_SETFL, O_NONBLOCK);
  EXPECT_TRUE(co_await wait_until([&] {
    while (::read(fd, sink.data(), sink.size()) > 0) {
    }
    return ww->resumes == 1;
  }));
  EXPECT_EQ(wt->get_write_buffer_size(), 0u);  // low = 0: resumed when empty
  wt->abort();
  EXPECT_TRUE(co_await wait_until([&] { return ww->lost; }));
  ::close(p.r);
}

TEST_P(PipeTest, WritePipeWaterMarks) { run_coro(write_pipe_water_marks(Pipe())); }

Coro<> write_pipe_abort(Pipe p) {
  auto [wt, w] = co_await connect_write_pipe(recorder, p.w);
  std::string big(1 << 20, 'x');
  wt->write(big);
  EXPECT_GT(wt->get_write_buffer_size(), 0u);
  wt->abort();  // drops the buffer
  EXPECT_EQ(wt->get_write_buffer_size(), 0u);
  EXPECT_TRUE(wt->is_closing());
  wt->abort();
  wt->close();
  Recorder* ww = w.get();
  EXPECT_TRUE(co_await wait_until([&] { return ww->lost; }));
  EXPECT_THAT(w->events, ElementsAre("made", "pause", "lost"));  // connection_lost once
  EXPECT_EQ(w->lost_with, nullptr);
  EXPECT_FALSE(fd_open(p.w));
  ::close(p.r);
}

TEST_P(PipeTest, WritePipeAbortDropsTheBuffer) { run_coro(write_pipe_abort(Pipe())); }

// The reader end is closed before a write: the write fails with EPIPE.
Coro<std::vector<std::string>> broken_on_write(Pipe p) {
  std::vector<std::string> reported;
  get_running_loop().set_exception_handler(
      [&reported](EventLoop&, const ExceptionContext& c) { reported.push_back(c.message); });
  auto [wt, w] = co_await connect_write_pipe(recorder, p.w);
  ::close(p.r);
  std::string data = "nobody reads this";
  wt->write(data);  // at once: EPIPE, never SIGPIPE
  EXPECT_TRUE(wt->is_closing());
  Recorder* ww = w.get();
  EXPECT_TRUE(co_await wait_until([&] { return ww->lost; }));
  EXPECT_TRUE(is<BrokenPipeError>(w->lost_with));
  for (int i = 0; i < 3; ++i) wt->write(data);  // dropped
  // No SIGPIPE is left pending on this thread either.
  sigset_t pending;
  sigpending(&pending);
  EXPECT_EQ(sigismember(&pending, SIGPIPE), 0);
  get_running_loop().set_exception_handler(nullptr);
  co_return reported;
}

TEST_P(PipeTest, BrokenPipeOnWriteIsBrokenPipeErrorNotSigpipe) {
  // A broken pipe is the peer's doing: not reported to the handler.
  EXPECT_TRUE(run_coro(broken_on_write(Pipe())).empty());
}

// The reader goes away while data is buffered: the transport notices
// through its read watch (or its write attempt) and closes with
// BrokenPipeError.
Coro<> broken_while_buffered(Pipe p) {
  auto [wt, w] = co_await connect_write_pipe(recorder, p.w);
  std::string big(1 << 20, 'x');
  wt->write(big);
  EXPECT_GT(wt->get_write_buffer_size(), 0u);
  co_await sleep(5ms);
  ::close(p.r);
  Recorder* ww = w.get();
  EXPECT_TRUE(co_await wait_until([&] { return ww->lost; }));
  EXPECT_TRUE(is<BrokenPipeError>(w->lost_with));
  EXPECT_EQ(wt->get_write_buffer_size(), 0u);
}

TEST_P(PipeTest, ReaderGoneWithDataBufferedIsBrokenPipeError) {
  run_coro(broken_while_buffered(Pipe()));
}

// The reader goes away with nothing buffered: asyncio closes the transport
// quietly (connection_lost(None)).
Coro<> reader_gone_idle(Pipe p) {
  auto [wt, w] = co_await connect_write_pipe(recorder, p.w);
  ::close(p.r);
  Recorder* ww = w.get();
  EXPECT_TRUE(co_await wait_until([&] { return ww->lost; }));
  EXPECT_EQ(w->lost_with, nullptr);
  EXPECT_TRUE(wt->is_closing());
  EXPECT_FALSE(fd_open(p.w));
}

TEST_P(PipeTest, ReaderGoneWhileIdleClosesQuietly) { run_coro(reader_gone_idle(Pipe())); }

// A socket as the write end (allowed, as in asyncio): MSG_NOSIGNAL path.
Coro<> socket_write_pipe(int mine, int peer) {
  auto [wt, w] = co_await connect_write_pipe(recorder, mine);
  std::string data = "over a socket";
  wt->write(data);
  char buf[64] = {};
  co_await sleep(1ms);
  EXPECT_EQ(::read(peer, buf, sizeof buf), static_cast<ssize_t>(data.size()));
  EXPECT_EQ(std::string(buf, data.size()), data);
  ::close(peer);
  Recorder* ww = w.get();
  EXPECT_TRUE(co_await wait_until([&] { return ww->lost; }));
  EXPECT_FALSE(fd_open(mine));
}

TEST_P(PipeTest, SocketAsWritePipe) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  run_coro(socket_write_pipe(sv[0], sv[1]));
}

// A FIFO on the file system, both ends.
Coro<std::string> fifo_round_trip(std::string path) {
  int rfd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  int wfd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  auto [rt, r] = co_await connect_read_pipe(recorder, rfd);
  auto [wt, w] = co_await connect_write_pipe(recorder, wfd);
  std::string msg = "through the fifo";
  wt->write(msg);
  wt->write_eof();
  Recorder* rr = r.get();
  EXPECT_TRUE(co_await wait_until([&] { return rr->lost; }));
  co_return r->data;
}

TEST_P(PipeTest, Fifo) {
  char dir[] = "/tmp/eddy-pipe-test-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/fifo";
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  EXPECT_EQ(run_coro(fifo_round_trip(path)), "through the fifo");
  ::unlink(path.c_str());
  ::rmdir(dir);
}

// ---- Descriptor checks ----

Coro<std::string> connect_bad(int fd, bool write_side) {
  try {
    if (write_side) {
      co_await connect_write_pipe(recorder, fd);
    } else {
      co_await connect_read_pipe(recorder, fd);
    }
  } catch (const ValueError& e) {
    co_return std::string("ValueError: ") + e.what();
  } catch (const OSError& e) {
    co_return std::string("OSError: ") + e.what();
  }
  co_return "no error";
}

TEST_P(PipeTest, RegularFileIsAValueErrorAndTheFdIsClosed) {
  int f = ::memfd_create("eddy-pipe-test", MFD_CLOEXEC);
  ASSERT_GE(f, 0);
  EXPECT_EQ(run_coro(connect_bad(f, false)),
            "ValueError: Pipe transport is for pipes/sockets only.");
  EXPECT_FALSE(fd_open(f));  // taken over, so closed
  f = ::memfd_create("eddy-pipe-test", MFD_CLOEXEC);
  EXPECT_EQ(run_coro(connect_bad(f, true)),
            "ValueError: Pipe transport is only for pipes, sockets and character devices");
  EXPECT_FALSE(fd_open(f));
  int d = ::open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  EXPECT_THAT(run_coro(connect_bad(d, false)), HasSubstr("ValueError"));
  EXPECT_THAT(run_coro(connect_bad(-1, true)), HasSubstr("ValueError"));
  // A descriptor that is not open: fstat fails (EBADF).
  EXPECT_THAT(run_coro(connect_bad(987654, true)), HasSubstr("OSError"));
}

// ---- Loop teardown ----

TEST_P(PipeTest, ClosingTheLoopClosesOpenPipes) {
  Pipe p;
  auto loop = make_loop();
  auto body = [](Pipe p) -> Coro<std::shared_ptr<Recorder>> {
    auto [rt, r] = co_await connect_read_pipe(recorder, p.r);
    auto [wt, w] = co_await connect_write_pipe(recorder, p.w);
    std::string big(1 << 20, 'x');
    wt->write(big);  // left buffered
    co_return w;
  };
  std::shared_ptr<Recorder> w = loop->run_until_complete(body(p));
  EXPECT_TRUE(fd_open(p.r));
  EXPECT_TRUE(fd_open(p.w));
  loop->close();
  EXPECT_FALSE(fd_open(p.r));
  EXPECT_FALSE(fd_open(p.w));
  EXPECT_FALSE(w->lost);  // the loop can no longer deliver it
  loop.reset();
}

EDDY_INSTANTIATE_TASK_SUITE(PipeTest);

}  // namespace
}  // namespace eddy
