// Streams over transports (issue 6, tier 9): StreamWriter, open_connection,
// start_server and the unix variants on every backend, with asyncio's
// semantics -- drain and the water marks, half-close, resets, refused
// connections, the reader's limits over a socket, the client_connected_cb
// task. The 10,000-connection test is streams_scale_test.cc, the CPython
// interop tests interop_test.cc.
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
using ::testing::HasSubstr;
using testing::is;
using testing::kHost;
using testing::pattern;
using testing::port_of;
using testing::raised;
using testing::spin;
using testing::wait_until;
using testing::what;

class StreamsNetTest : public testing::TaskTest {};

// ---- Server callbacks ----

// Echoes everything until EOF, then closes.
Coro<> echo_handler(StreamReader r, StreamWriter w) {
  for (;;) {
    std::string data = co_await r.read(65536);
    if (data.empty()) break;
    w.write(data);
    co_await w.drain();
  }
  w.close();
}

// Echoes line by line until EOF.
Coro<> line_echo_handler(StreamReader r, StreamWriter w) {
  for (;;) {
    std::string line = co_await r.readline();
    if (line.empty()) break;
    w.write(line);
    co_await w.drain();
  }
  w.close();
  co_await w.wait_closed();
}

// What a server-side handler saw, for the test to check.
struct Seen {
  std::vector<StreamWriter> writers;
  std::vector<StreamReader> readers;
  std::string data;
  std::exception_ptr error;
  bool closing_at_eof = true;
  bool at_eof = false;
  Event go;    // the test lets the handler proceed
  Event done;  // the handler finished
  BasicTask task;
};

// ---- The whole API on one connection ----

Coro<> api_round_trip() {
  EventLoop& loop = get_running_loop();
  Server server = co_await start_server(line_echo_handler, kHost, 0);
  EXPECT_TRUE(server.is_serving());
  uint16_t port = port_of(server);
  auto [r, w] = co_await open_connection(kHost, port);
  EXPECT_TRUE(static_cast<bool>(w));
  EXPECT_FALSE(static_cast<bool>(StreamWriter()));
  EXPECT_EQ(r.limit(), static_cast<size_t>(StreamReader::kDefaultLimit));

  // write + readline.
  w.write("one\n");
  co_await w.drain();
  EXPECT_EQ(co_await r.readline(), "one\n");
  // writelines: a braced list, a span and any range of strings.
  w.writelines({"tw", "o\n", "three\n"});
  EXPECT_EQ(co_await r.readline(), "two\n");
  EXPECT_EQ(co_await r.readline(), "three\n");
  std::vector<std::string_view> views = {"fo", "ur", "\n"};
  w.writelines(std::span<const std::string_view>(views));
  EXPECT_EQ(co_await r.readline(), "four\n");
  std::vector<std::string> strings = {"fi", "ve\n", "", "six\n"};
  w.writelines(strings);
  EXPECT_EQ(co_await r.readline(), "five\n");
  EXPECT_EQ(co_await r.readline(), "six\n");
  std::string big = pattern(60000, 1);  // a line within the server's limit
  std::replace(big.begin(), big.end(), '\n', ' ');
  big += '\n';
  w.write(big);
  co_await w.drain();
  EXPECT_EQ(co_await r.readuntil("\n"), big);

  // get_extra_info and transport().
  auto peer = std::get<SockAddr>(w.get_extra_info("peername"));
  EXPECT_EQ(peer.port(), port);
  EXPECT_EQ(std::get<SockAddr>(w.get_extra_info("sockname")).host(), kHost);
  EXPECT_GE(std::get<int>(w.get_extra_info("socket")), 0);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(w.get_extra_info("sslcontext")));
  EXPECT_EQ(&w.transport()->get_loop(), &loop);
  EXPECT_EQ(w.transport()->get_write_buffer_size(), 0u);
  EXPECT_EQ(w.transport()->get_write_buffer_limits(), std::make_pair(size_t{16384}, size_t{65536}));
  EXPECT_TRUE(w.can_write_eof());
  EXPECT_FALSE(w.is_closing());

  // A copy is the same writer.
  StreamWriter copy = w;
  EXPECT_EQ(copy.transport(), w.transport());

  // drain() and wait_closed() as Coros (wait_for, gather).
  co_await wait_for(w.drain(), 1s);
  co_await gather(w.drain(), copy.drain());

  w.close();
  EXPECT_TRUE(w.is_closing());
  EXPECT_TRUE(copy.is_closing());
  co_await w.wait_closed();
  co_await copy.wait_closed();  // again: at once
  co_await wait_for(w.wait_closed(), 1s);
  EXPECT_TRUE(r.at_eof());
  EXPECT_EQ(co_await r.read(), "");
  // Writes after the connection is gone are dropped, as asyncio's.
  w.write("dropped");
  server.close();
  co_await server.wait_closed();
  EXPECT_FALSE(server.is_serving());
}

TEST_P(StreamsNetTest, WriterApiRoundTrip) { run_coro(api_round_trip()); }

// The overloads with an explicit loop, the limit, and the options.
Coro<> explicit_loop_and_options() {
  EventLoop& loop = get_running_loop();
  ServerOptions so;
  so.start_serving = false;
  Server server = co_await start_server(loop, echo_handler, kHost, 0, so, 1024);
  EXPECT_FALSE(server.is_serving());
  server.start_serving();
  EXPECT_TRUE(server.is_serving());
  ConnectionOptions co;
  co.local_addr = SockAddr::from_ip(kHost, 0);
  auto [r, w] = co_await open_connection(loop, kHost, port_of(server), 100, co);
  EXPECT_EQ(r.limit(), 100u);
  EXPECT_EQ(std::get<SockAddr>(w.get_extra_info("sockname")).host(), kHost);
  w.write("ping");
  EXPECT_EQ(co_await r.readexactly(4), "ping");
  w.write_eof();
  EXPECT_EQ(co_await r.read(), "");
  w.close();
  co_await w.wait_closed();
  server.close();
  co_await server.wait_closed();

  // A bad limit is asyncio's ValueError, at the await.
  std::exception_ptr e = co_await raised(open_connection(kHost, 1, 0));
  EXPECT_TRUE(is<ValueError>(e)) << what(e);
  e = co_await raised(start_server(echo_handler, kHost, 0, ServerOptions{}, -1));
  EXPECT_TRUE(is<ValueError>(e)) << what(e);
}

TEST_P(StreamsNetTest, ExplicitLoopLimitAndOptions) { run_coro(explicit_loop_and_options()); }

// ---- drain ----

// Parks the connection's streams for the test; reads nothing until `go`.
Coro<> stalling_handler(StreamReader r, StreamWriter w, Seen* seen) {
  seen->readers.push_back(r);
  seen->writers.push_back(w);
  co_await seen->go.wait();
  seen->data = co_await r.read();
  seen->done.set();
  w.close();
}

// A server whose connections read nothing until told. Its listening
// socket's small receive buffer (inherited by accepted sockets, and locking
// out the kernel's autotuning) bounds what the kernel absorbs.
Coro<Server> stalling_server(Seen* seen) {
  auto cb = [seen](StreamReader r, StreamWriter w) { return stalling_handler(r, w, seen); };
  ServerOptions o;
  o.start_serving = false;
  Server server = co_await start_server(cb, kHost, 0, o);
  int size = 16384;
  ::setsockopt(server.sockets().at(0).fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  server.start_serving();
  co_return server;
}

// Shrinks the kernel's send buffer, so that the transport buffers sooner.
void small_sndbuf(const StreamWriter& w) {
  int fd = std::get<int>(w.get_extra_info("socket"));
  int size = 16384;
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
}

struct Pump {
  size_t chunk = 65536;
  size_t chunks = 256;
  size_t written = 0;  // chunks whose drain returned
  size_t max_buffered = 0;
};

// Writes and drains chunk after chunk, recording the largest buffer seen.
Coro<> pump(StreamWriter w, Pump* p) {
  for (size_t i = 0; i < p->chunks; ++i) {
    w.write(pattern(p->chunk, 3, i * p->chunk));
    p->max_buffered = std::max(p->max_buffered, w.transport()->get_write_buffer_size());
    co_await w.drain();
    ++p->written;
  }
  w.write_eof();
}

Coro<> drain_blocks_until_the_peer_reads() {
  Seen seen;
  Server server = co_await stalling_server(&seen);
  auto [r, w] = co_await open_connection(kHost, port_of(server));
  small_sndbuf(w);
  // (Not a structured binding: clang 14 cannot capture one in a lambda.)
  const size_t low = w.transport()->get_write_buffer_limits().first;
  const size_t high = w.transport()->get_write_buffer_limits().second;
  Pump p;
  Task<> pumping = create_task(pump(w, &p));
  // The peer reads nothing: the kernel's buffers fill up (the receiver may
  // still take a little for a while), then the transport's buffer stays
  // above the low-water mark and drain() stops returning.
  std::shared_ptr<Transport> t = w.transport();
  bool stalled = false;
  for (int attempt = 0; attempt < 50 && !stalled && !pumping.done(); ++attempt) {
    if (!co_await wait_until([&] { return t->get_write_buffer_size() > high; }, 10000ms)) break;
    size_t before = p.written;
    co_await sleep(100ms);
    stalled = p.written == before && t->get_write_buffer_size() > low;
  }
  EXPECT_TRUE(stalled) << "drain() kept returning against a peer that does not read";
  EXPECT_FALSE(pumping.done());
  EXPECT_LE(p.max_buffered, high + p.chunk);
  // The peer reads: drain() returns, chunk after chunk, until all is sent.
  seen.go.set();
  co_await wait_for(pumping, 30s);
  co_await wait_for(seen.done.wait(), 30s);
  EXPECT_LE(p.max_buffered, high + p.chunk);
  EXPECT_EQ(p.written, p.chunks);
  EXPECT_EQ(seen.data.size(), p.chunk * p.chunks);
  EXPECT_TRUE(seen.data == pattern(p.chunk * p.chunks, 3)) << "bytes differ";
  EXPECT_EQ(co_await r.read(), "");
  w.close();
  co_await w.wait_closed();
  server.close();
  co_await server.wait_closed();
}

TEST_P(StreamsNetTest, DrainBlocksAboveHighWaterAndTheBufferStaysBounded) {
  run_coro(drain_blocks_until_the_peer_reads());
}

Coro<> drain_once(StreamWriter w, int* returned) {
  co_await w.drain();
  ++*returned;
}

Coro<> concurrent_drains() {
  Seen seen;
  Server server = co_await stalling_server(&seen);
  auto [r, w] = co_await open_connection(kHost, port_of(server));
  small_sndbuf(w);
  const size_t total = 16u << 20;
  w.write(pattern(total, 5));
  EXPECT_GT(w.transport()->get_write_buffer_size(),
            w.transport()->get_write_buffer_limits().second);
  int returned = 0;
  std::vector<Task<>> drains;
  for (int i = 0; i < 3; ++i) drains.push_back(create_task(drain_once(w, &returned)));
  co_await testing::settle();
  EXPECT_EQ(returned, 0);
  // One more that gives up: its cancellation leaves the others waiting.
  std::exception_ptr e = co_await raised(wait_for(w.drain(), 20ms));
  EXPECT_TRUE(is<TimeoutError>(e)) << what(e);
  // One cancelled outright.
  Task<> cancelled = create_task(drain_once(w, &returned));
  co_await testing::settle();
  cancelled.cancel();
  co_await testing::settle();
  EXPECT_TRUE(cancelled.cancelled());
  EXPECT_EQ(returned, 0);
  seen.go.set();
  for (auto& d : drains) co_await wait_for(d, 30s);
  EXPECT_EQ(returned, 3);
  w.write_eof();
  co_await wait_for(seen.done.wait(), 30s);
  EXPECT_EQ(seen.data.size(), total);
  EXPECT_TRUE(seen.data == pattern(total, 5));
  w.close();
  co_await w.wait_closed();
  server.close();
  co_await server.wait_closed();
}

TEST_P(StreamsNetTest, SeveralConcurrentDrainsAllReturnWhenTheBufferDrains) {
  run_coro(concurrent_drains());
}

Coro<> drain_after_close() {
  Server server = co_await start_server(echo_handler, kHost, 0);
  auto [r, w] = co_await open_connection(kHost, port_of(server));
  w.close();
  // The transport is closing: drain() lets connection_lost run, then
  // raises ConnectionResetError('Connection lost'), as asyncio.
  std::exception_ptr e = co_await raised(w.drain());
  EXPECT_TRUE(is<ConnectionResetError>(e)) << what(e);
  EXPECT_EQ(what(e), "Connection lost");
  e = co_await raised(w.drain());
  EXPECT_TRUE(is<ConnectionResetError>(e)) << what(e);
  co_await w.wait_closed();
  // write() after write_eof() is a RuntimeError.
  auto [r2, w2] = co_await open_connection(kHost, port_of(server));
  w2.write_eof();
  bool threw = false;
  try {
    w2.write("late");
  } catch (const RuntimeError&) {
    threw = true;
  }
  EXPECT_TRUE(threw);
  EXPECT_EQ(co_await r2.read(), "");  // the echo server closed at our EOF
  w2.close();
  co_await w2.wait_closed();
  server.close();
  co_await server.wait_closed();
}

TEST_P(StreamsNetTest, DrainAfterCloseRaisesConnectionLost) { run_coro(drain_after_close()); }

// ---- Half-close ----

// Reads to EOF, checks the transport stayed open, answers, closes.
Coro<> answer_at_eof(StreamReader r, StreamWriter w, Seen* seen) {
  seen->data = co_await r.read();
  seen->at_eof = r.at_eof();
  seen->closing_at_eof = w.is_closing();
  w.write("got " + std::to_string(seen->data.size()));
  co_await w.drain();
  w.close();
  seen->done.set();
}

// Sends, half-closes its side, then reads what the client still sends.
Coro<> greet_then_listen(StreamReader r, StreamWriter w, Seen* seen) {
  w.write("greeting");
  w.write_eof();
  seen->data = co_await r.read();
  seen->done.set();
  w.close();
}

Coro<> half_close() {
  Seen a;
  auto answer = [&a](StreamReader r, StreamWriter w) { return answer_at_eof(r, w, &a); };
  Server server = co_await start_server(answer, kHost, 0);
  auto [r, w] = co_await open_connection(kHost, port_of(server));
  w.write("hello");
  w.write_eof();
  EXPECT_FALSE(w.is_closing());
  // Our side is shut; theirs still talks.
  EXPECT_EQ(co_await r.read(), "got 5");
  EXPECT_TRUE(r.at_eof());
  co_await a.done.wait();
  EXPECT_EQ(a.data, "hello");
  EXPECT_TRUE(a.at_eof);
  EXPECT_FALSE(a.closing_at_eof) << "EOF must keep the transport open (half-close)";
  w.close();
  co_await w.wait_closed();
  server.close();
  co_await server.wait_closed();

  // The other way round: the server half-closes, the client still writes.
  Seen b;
  auto greet = [&b](StreamReader r, StreamWriter w) { return greet_then_listen(r, w, &b); };
  Server server2 = co_await start_server(greet, kHost, 0);
  auto [r2, w2] = co_await open_connection(kHost, port_of(server2));
  EXPECT_EQ(co_await r2.read(), "greeting");
  EXPECT_TRUE(r2.at_eof());
  EXPECT_FALSE(w2.is_closing());
  w2.write("still here");
  co_await w2.drain();
  w2.write_eof();
  co_await wait_for(b.done.wait(), 5s);
  EXPECT_EQ(b.data, "still here");
  w2.close();
  co_await w2.wait_closed();
  server2.close();
  co_await server2.wait_closed();
}

TEST_P(StreamsNetTest, HalfCloseKeepsTheOtherDirectionWorking) { run_coro(half_close()); }

// ---- Errors ----

// Reads a little, then resets the connection (SO_LINGER 0 + abort).
Coro<> resetting_handler(StreamReader r, StreamWriter w) {
  co_await r.readexactly(1);
  linger lg{1, 0};
  int fd = std::get<int>(w.get_extra_info("socket"));
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  w.transport()->abort();
}

Coro<> reset_mid_write() {
  Server server = co_await start_server(resetting_handler, kHost, 0);
  auto [r, w] = co_await open_connection(kHost, port_of(server));
  std::string chunk = pattern(65536, 9);
  std::exception_ptr error;
  for (int i = 0; i < 100000 && !error; ++i) {
    w.write(chunk);
    try {
      co_await w.drain();
    } catch (...) {
      error = std::current_exception();
    }
    if (i % 16 == 15) co_await sleep(1ms);
  }
  EXPECT_TRUE(is<ConnectionResetError>(error) || is<BrokenPipeError>(error)) << what(error);
  // The reader and wait_closed report the same failure.
  std::exception_ptr read_error = co_await raised(r.read());
  EXPECT_TRUE(is<ConnectionError>(read_error)) << what(read_error);
  std::exception_ptr closed_error = co_await raised(w.wait_closed());
  EXPECT_TRUE(is<ConnectionError>(closed_error)) << what(closed_error);
  EXPECT_TRUE(w.is_closing());
  server.close();
  co_await server.wait_closed();
}

TEST_P(StreamsNetTest, PeerResetMidWriteRaisesFromDrain) { run_coro(reset_mid_write()); }

Coro<> refused() {
  // Bound but not listening: a connect is refused.
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  SockAddr any = SockAddr::from_ip(kHost, 0);
  EXPECT_EQ(::bind(fd, any.data(), any.size()), 0);
  uint16_t port = SockAddr::sockname(fd).port();
  std::exception_ptr e = co_await raised(open_connection(kHost, port));
  EXPECT_TRUE(is<ConnectionRefusedError>(e)) << what(e);
  EXPECT_THAT(what(e), HasSubstr("Connect call failed"));
  ::close(fd);
  // Unix: nobody at the path, and a socket file nobody listens on.
  std::string path = "/tmp/eddy-streams-refused-" + std::to_string(::getpid()) + ".sock";
  e = co_await raised(open_unix_connection(path));
  EXPECT_TRUE(is<FileNotFoundError>(e)) << what(e);
  int ufd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  SockAddr ua = SockAddr::from_path(path);
  EXPECT_EQ(::bind(ufd, ua.data(), ua.size()), 0);
  e = co_await raised(open_unix_connection(path));
  EXPECT_TRUE(is<ConnectionRefusedError>(e)) << what(e);
  ::close(ufd);
  ::unlink(path.c_str());
}

TEST_P(StreamsNetTest, ConnectionRefusedRaisesConnectionRefusedError) { run_coro(refused()); }

// Sends an oversized line, waits for "go", then a normal one; then a long
// chunk without the separator; then "abc" and EOF.
Coro<> limits_handler(StreamReader r, StreamWriter w) {
  w.write(std::string(100, 'x') + "\n");
  co_await r.readline();  // "go"
  w.write("ok\n");
  co_await r.readline();
  w.write(std::string(100, 'y') + "END");
  co_await r.readline();
  w.write("abc");
  w.close();
}

Coro<> limits_over_a_socket() {
  Server server = co_await start_server(limits_handler, kHost, 0);
  auto [r, w] = co_await open_connection(kHost, port_of(server), 16);
  // readline: the long line is dropped with a ValueError (maybe in pieces,
  // as the bytes arrive), and the stream goes on.
  std::exception_ptr e = co_await raised(r.readline());
  EXPECT_TRUE(is<ValueError>(e)) << what(e);
  w.write("go\n");
  std::string line;
  for (;;) {
    try {
      line = co_await r.readline();
      // What is left of the long line when it came in pieces: x...x\n.
      bool remnant = !line.empty() && line.find_first_not_of('x') == line.size() - 1;
      if (!remnant) break;
    } catch (const ValueError&) {
    }
  }
  EXPECT_EQ(line, "ok\n");
  // readuntil: LimitOverrunError, and the data stays buffered.
  w.write("next\n");
  e = co_await raised(r.readuntil("END"));
  EXPECT_TRUE(is<LimitOverrunError>(e)) << what(e);
  EXPECT_EQ(co_await r.readexactly(103), std::string(100, 'y') + "END");
  // readexactly at EOF: IncompleteReadError with partial and expected.
  w.write("eof please\n");
  std::optional<IncompleteReadError> incomplete;
  try {
    co_await r.readexactly(5);
  } catch (const IncompleteReadError& x) {
    incomplete = x;
  }
  EXPECT_TRUE(incomplete.has_value());
  if (incomplete) {
    EXPECT_EQ(incomplete->partial(), "abc");
    EXPECT_EQ(incomplete->expected(), std::optional<size_t>(5));
    EXPECT_STREQ(incomplete->what(), "3 bytes read on a total of 5 expected bytes");
  }
  e = co_await raised(r.readuntil("\n"));
  EXPECT_TRUE(is<IncompleteReadError>(e)) << what(e);
  EXPECT_EQ(co_await r.read(), "");
  w.close();
  co_await w.wait_closed();
  server.close();
  co_await server.wait_closed();
}

TEST_P(StreamsNetTest, ReaderLimitsAndIncompleteReadsOverASocket) {
  run_coro(limits_over_a_socket());
}

// ---- The client_connected_cb task ----

Coro<> failing_handler(StreamReader r, StreamWriter /*w*/) {
  co_await r.readline();
  throw ValueError("handler failed");
}

Coro<> blocked_handler(StreamReader r, StreamWriter /*w*/, Seen* seen) {
  seen->task = current_task();
  seen->go.set();
  co_await r.read();
}

struct Reports {
  std::vector<std::string> messages;
  std::vector<std::exception_ptr> exceptions;
};

Coro<> callback_failures(Reports* reports) {
  EventLoop& loop = get_running_loop();
  loop.set_exception_handler([reports](EventLoop&, const ExceptionContext& ctx) {
    reports->messages.push_back(ctx.message);
    reports->exceptions.push_back(ctx.exception);
  });
  // A failing task: reported, and the connection is closed.
  Server server = co_await start_server(failing_handler, kHost, 0);
  auto [r, w] = co_await open_connection(kHost, port_of(server));
  w.write("trigger\n");
  EXPECT_EQ(co_await wait_for(r.read(), 5s), "");  // closed by the server
  EXPECT_TRUE(co_await wait_until([&] { return !reports->messages.empty(); }));
  EXPECT_EQ(reports->messages.at(0), "Unhandled exception in client_connected_cb");
  EXPECT_TRUE(is<ValueError>(reports->exceptions.at(0)));
  w.close();
  co_await w.wait_closed();
  server.close();
  co_await server.wait_closed();
}

TEST_P(StreamsNetTest, FailingCallbackTaskIsReportedAndClosesTheConnection) {
  Reports reports;
  run_coro(callback_failures(&reports));
  EXPECT_EQ(reports.messages.size(), 1u);
}

Coro<> cancelled_callback() {
  Seen seen;
  auto cb = [&seen](StreamReader r, StreamWriter w) { return blocked_handler(r, w, &seen); };
  Server server = co_await start_server(cb, kHost, 0);
  auto [r, w] = co_await open_connection(kHost, port_of(server));
  co_await wait_for(seen.go.wait(), 5s);
  seen.task.cancel();
  // A cancelled callback task closes its connection, silently.
  EXPECT_EQ(co_await wait_for(r.read(), 5s), "");
  w.close();
  co_await w.wait_closed();
  server.close();
  co_await server.wait_closed();
}

TEST_P(StreamsNetTest, CancelledCallbackTaskClosesTheConnection) { run_coro(cancelled_callback()); }

// A plain (non-coroutine) callback, and one that throws.
Coro<> plain_callbacks(Reports* reports) {
  get_running_loop().set_exception_handler([reports](EventLoop&, const ExceptionContext& ctx) {
    reports->messages.push_back(ctx.message);
    reports->exceptions.push_back(ctx.exception);
  });
  auto hello = [](StreamReader, StreamWriter w) {
    w.write("hi\n");
    w.close();
  };
  Server server = co_await start_server(hello, kHost, 0);
  auto [r, w] = co_await open_connection(kHost, port_of(server));
  EXPECT_EQ(co_await r.read(), "hi\n");
  w.close();
  co_await w.wait_closed();
  server.close();
  co_await server.wait_closed();

  auto thrower = [](StreamReader, StreamWriter) { throw RuntimeError("plain callback failed"); };
  Server server2 = co_await start_server(thrower, kHost, 0);
  auto [r2, w2] = co_await open_connection(kHost, port_of(server2));
  EXPECT_EQ(co_await wait_for(r2.read(), 5s), "");
  EXPECT_EQ(reports->messages,
            std::vector<std::string>{"Unhandled exception in client_connected_cb"});
  EXPECT_TRUE(is<RuntimeError>(reports->exceptions.at(0)));
  w2.close();
  co_await w2.wait_closed();
  server2.close();
  co_await server2.wait_closed();
}

TEST_P(StreamsNetTest, PlainFunctionCallbacks) {
  Reports reports;
  run_coro(plain_callbacks(&reports));
}

// ---- Unix sockets ----

Coro<> unix_round_trip(std::string path) {
  EventLoop& loop = get_running_loop();
  Server server = co_await start_unix_server(line_echo_handler, path);
  if (path[0] == '\0') {
    // A taken abstract name is named in the error with its NUL escaped.
    try {
      Server again = co_await start_unix_server(line_echo_handler, path);
      ADD_FAILURE() << "bound twice";
    } catch (const OSError& e) {
      EXPECT_THAT(e.what(), HasSubstr("'\\x00eddy-streams-"));
    }
  }
  auto [r, w] = co_await open_unix_connection(path);
  w.write("over unix\n");
  EXPECT_EQ(co_await r.readline(), "over unix\n");
  if (path[0] != '\0') {
    EXPECT_EQ(std::get<SockAddr>(w.get_extra_info("peername")).path(), path);
  }
  EXPECT_TRUE(w.can_write_eof());
  w.write_eof();
  EXPECT_EQ(co_await r.read(), "");
  w.close();
  co_await w.wait_closed();
  server.close();
  co_await server.wait_closed();

  // The explicit-loop overloads and a small limit, on the same name: a
  // closed server's name can be bound again at once (an abstract name too,
  // which no file removal frees: the listening socket must really be closed).
  UnixServerOptions uo;
  Server server2 = co_await start_unix_server(loop, echo_handler, path, uo, 4096);
  auto [r2, w2] = co_await open_unix_connection(loop, path, 8);
  EXPECT_EQ(r2.limit(), 8u);
  std::string data = pattern(200000, 11);
  w2.write(data);
  co_await w2.drain();
  w2.write_eof();
  EXPECT_TRUE(co_await r2.read() == data);
  w2.close();
  co_await w2.wait_closed();
  server2.close();
  co_await server2.wait_closed();
}

TEST_P(StreamsNetTest, UnixServerAndConnection) {
  std::string path = "/tmp/eddy-streams-" + std::to_string(::getpid()) + "-" +
                     testing::backend_test_name(GetParam()) + ".sock";
  run_coro(unix_round_trip(path));
  struct stat st;
  EXPECT_NE(::stat(path.c_str(), &st), 0) << "the server removes its socket file";
  std::string abstract = std::string(1, '\0') + "eddy-streams-" + std::to_string(::getpid()) + "-" +
                         testing::backend_test_name(GetParam());
  run_coro(unix_round_trip(abstract));
}

// ---- Ownership ----

// Returns with everything open: a server, a handler task waiting for data,
// a client pair, and a drain parked on a paused writer. run() cancels the
// tasks and closes the loop; nothing may leak (the ASan build checks).
Coro<> leave_everything_open(Seen* seen) {
  Server server = co_await stalling_server(seen);
  auto [r, w] = co_await open_connection(kHost, port_of(server));
  small_sndbuf(w);
  w.write(pattern(16u << 20, 1));
  Task<> parked = create_task(w.drain().as_coro());
  co_await testing::settle();
  EXPECT_FALSE(parked.done());
  EXPECT_EQ(seen->writers.size(), 1u);
}

TEST_P(StreamsNetTest, ClosingTheLoopWithOpenStreamsReleasesThem) {
  Seen seen;
  run_coro(leave_everything_open(&seen));
  // The handler's streams outlive the loop; they must still be usable as
  // values (nothing dangles) and release everything when dropped.
  ASSERT_EQ(seen.writers.size(), 1u);
  (void)seen.writers[0].is_closing();
  (void)seen.writers[0].get_extra_info("peername");
  seen.writers.clear();
  seen.readers.clear();
}

EDDY_INSTANTIATE_TASK_SUITE(StreamsNetTest);

}  // namespace
}  // namespace eddy
