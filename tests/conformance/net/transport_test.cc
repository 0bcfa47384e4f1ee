// Stream transports and protocols (issue 6, tiers 7-8): create_connection,
// create_server, the unix variants, Server, write buffering and the water
// marks, half-close, abort, errors, on every backend, with asyncio's
// callback order and messages.
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

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

class TransportTest : public testing::TaskTest {};

// A protocol that records every callback, optionally echoing.
struct Recorder : Protocol {
  std::vector<std::string> events;
  std::string data;
  Transport* transport = nullptr;
  std::exception_ptr lost_with;
  bool lost = false;
  bool echo = false;
  bool keep_open_on_eof = false;
  int pauses = 0, resumes = 0;

  void connection_made(Transport& t) override {
    transport = &t;
    events.push_back("made");
  }
  void data_received(std::string_view d) override {
    if (events.empty() || events.back() != "data") events.push_back("data");
    data.append(d);
    if (echo) transport->write(d);
  }
  bool eof_received() override {
    events.push_back("eof");
    return keep_open_on_eof;
  }
  void connection_lost(std::exception_ptr e) override {
    events.push_back("lost");
    lost = true;
    lost_with = e;
  }
  void pause_writing() override { ++pauses; }
  void resume_writing() override { ++resumes; }
};

// Keeps the server-side protocols a server made, for inspection.
struct Made {
  std::vector<std::shared_ptr<Recorder>> all;
  bool echo = true;
  bool keep_open_on_eof = false;
  std::function<std::shared_ptr<Recorder>()> factory() {
    return [this] {
      auto r = std::make_shared<Recorder>();
      r->echo = echo;
      r->keep_open_on_eof = keep_open_on_eof;
      all.push_back(r);
      return r;
    };
  }
};

Coro<Server> echo_server(Made* made) {
  std::string host = "127.0.0.1";
  co_return co_await create_server(made->factory(), host, 0);
}

std::shared_ptr<Recorder> recorder() { return std::make_shared<Recorder>(); }

// ---- Round trips ----

Coro<> round_trip(Made* made) {
  Server server = co_await echo_server(made);
  uint16_t port = server.sockets().at(0).port();
  std::string host = "127.0.0.1";
  auto [t, p] = co_await create_connection(recorder, host, port);
  EXPECT_EQ(p->events, std::vector<std::string>{"made"});  // made before the call returns
  EXPECT_EQ(p->transport, t.get());
  std::string msg(100000, 'x');
  for (size_t i = 0; i < msg.size(); ++i) msg[i] = static_cast<char>('a' + i % 26);
  t->write(msg);
  std::string* got = &p->data;
  EXPECT_TRUE(co_await wait_until([&] { return got->size() == msg.size(); }));
  EXPECT_EQ(p->data, msg);
  auto peer = std::get<SockAddr>(t->get_extra_info("peername"));
  EXPECT_EQ(peer.port(), port);
  EXPECT_EQ(std::get<SockAddr>(t->get_extra_info("sockname")).host(), "127.0.0.1");
  EXPECT_GE(std::get<int>(t->get_extra_info("socket")), 0);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(t->get_extra_info("nonsense")));
  EXPECT_EQ(server.active_connections(), 1u);
  t->close();
  EXPECT_TRUE(t->is_closing());
  Recorder* pr = p.get();
  EXPECT_TRUE(co_await wait_until([&] { return pr->lost; }));
  EXPECT_THAT(p->events, ElementsAre("made", "data", "lost"));
  EXPECT_EQ(p->lost_with, nullptr);
  // The server side saw EOF and closed (eof_received returned false).
  std::vector<std::shared_ptr<Recorder>>* all = &made->all;
  EXPECT_TRUE(co_await wait_until([&] { return all->at(0)->lost; }));
  EXPECT_THAT(made->all[0]->events, ElementsAre("made", "data", "eof", "lost"));
  server.close();
  co_await server.wait_closed();
  EXPECT_TRUE(server.sockets().empty());
  EXPECT_FALSE(server.is_serving());
}

TEST_P(TransportTest, TcpRoundTripCallbackOrderAndExtraInfo) {
  Made made;
  run_coro(round_trip(&made));
}

Coro<> many_clients(Made* made, int n) {
  Server server = co_await echo_server(made);
  uint16_t port = server.sockets().at(0).port();
  std::string host = "127.0.0.1";
  std::vector<std::pair<std::shared_ptr<Transport>, std::shared_ptr<Recorder>>> clients;
  for (int i = 0; i < n; ++i) clients.push_back(co_await create_connection(recorder, host, port));
  for (int i = 0; i < n; ++i) clients[i].first->write("client " + std::to_string(i));
  auto* cs = &clients;
  EXPECT_TRUE(co_await wait_until([&] {
    for (int i = 0; i < n; ++i) {
      if ((*cs)[i].second->data != "client " + std::to_string(i)) return false;
    }
    return true;
  }));
  EXPECT_EQ(server.active_connections(), static_cast<size_t>(n));
  // close() leaves accepted connections open; close_clients ends them and
  // wait_closed returns once they are gone.
  server.close();
  EXPECT_EQ(server.active_connections(), static_cast<size_t>(n));
  server.close_clients();
  co_await server.wait_closed();
  EXPECT_EQ(server.active_connections(), 0u);
  EXPECT_TRUE(co_await wait_until([&] {
    for (auto& c : *cs) {
      if (!c.second->lost) return false;
    }
    return true;
  }));
}

TEST_P(TransportTest, ServerServesManyClientsAndWaitClosedWaitsForThem) {
  Made made;
  run_coro(many_clients(&made, 50));
}

// ---- BufferedProtocol ----

struct Buffered : BufferedProtocol {
  std::array<char, 7> buf;  // small, so reads come in pieces
  std::string data;
  Transport* transport = nullptr;
  bool lost = false;
  void connection_made(Transport& t) override { transport = &t; }
  std::span<char> get_buffer(std::ptrdiff_t sizehint) override {
    EXPECT_EQ(sizehint, -1);
    return buf;
  }
  void buffer_updated(size_t n) override { data.append(buf.data(), n); }
  void connection_lost(std::exception_ptr) override { lost = true; }
};

Coro<> buffered_round_trip(Made* made) {
  Server server = co_await echo_server(made);
  std::string host = "127.0.0.1";
  auto factory = [] { return std::make_shared<Buffered>(); };
  auto [t, p] = co_await create_connection(factory, host, server.sockets()[0].port());
  std::string msg = "a buffered protocol receives into its own buffer";
  t->write(msg);
  Buffered* b = p.get();
  EXPECT_TRUE(co_await wait_until([&] { return b->data.size() == msg.size(); }));
  EXPECT_EQ(p->data, msg);
  t->close();
  EXPECT_TRUE(co_await wait_until([&] { return b->lost; }));
  server.close();
}

TEST_P(TransportTest, BufferedProtocolReceivesIntoItsBuffer) {
  Made made;
  run_coro(buffered_round_trip(&made));
}

// ---- Flow control ----

// A raw listener that accepts but does not read until told to.
Coro<> water_marks() {
  int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  SockAddr any = SockAddr::from_ip("127.0.0.1", 0);
  EXPECT_EQ(::bind(lfd, any.data(), any.size()), 0);
  EXPECT_EQ(::listen(lfd, 4), 0);
  uint16_t port = SockAddr::sockname(lfd).port();
  std::string host = "127.0.0.1";
  auto [t, p] = co_await create_connection(recorder, host, port);
  auto [conn, peer] = co_await sock_accept(lfd);
  t->set_write_buffer_limits(8192);
  EXPECT_EQ(t->get_write_buffer_limits(), std::make_pair(size_t{2048}, size_t{8192}));
  // Write until the kernel's buffers are full and ours passes the high mark.
  std::string chunk(4096, 'w');
  size_t written = 0;
  while (p->pauses == 0 && written < (64u << 20)) {
    t->write(chunk);
    written += chunk.size();
  }
  EXPECT_EQ(p->pauses, 1);
  EXPECT_GT(t->get_write_buffer_size(), 8192u);
  // More writes while paused: no second pause_writing.
  t->write(chunk);
  written += chunk.size();
  EXPECT_EQ(p->pauses, 1);
  EXPECT_EQ(p->resumes, 0);
  // The peer reads everything: the buffer drains and resume_writing comes
  // once, at the low mark.
  size_t got = 0;
  std::vector<char> buf(1 << 16);
  Recorder* pr = p.get();
  while (got < written) {
    size_t n = co_await sock_recv_into(conn, buf);
    if (n == 0) break;
    for (size_t i = 0; i < n; ++i) EXPECT_EQ(buf[i], 'w');
    got += n;
  }
  EXPECT_EQ(got, written);
  EXPECT_TRUE(co_await wait_until([&] { return pr->resumes == 1; }));
  EXPECT_EQ(t->get_write_buffer_size(), 0u);
  t->close();
  ::close(conn);
  ::close(lfd);
}

TEST_P(TransportTest, PauseAndResumeWritingAtTheWaterMarks) { run_coro(water_marks()); }

Coro<> limits_validation() {
  Made made;
  Server server = co_await echo_server(&made);
  std::string host = "127.0.0.1";
  auto [t, p] = co_await create_connection(recorder, host, server.sockets()[0].port());
  EXPECT_EQ(t->get_write_buffer_limits(), std::make_pair(size_t{16384}, size_t{65536}));
  t->set_write_buffer_limits(-1, 1000);
  EXPECT_EQ(t->get_write_buffer_limits(), std::make_pair(size_t{1000}, size_t{4000}));
  EXPECT_THROW(t->set_write_buffer_limits(10, 20), ValueError);
  t->set_write_buffer_limits(0, 0);
  EXPECT_EQ(t->get_write_buffer_limits(), std::make_pair(size_t{0}, size_t{0}));
  t->close();
  server.close();
  co_await server.wait_closed();
}

TEST_P(TransportTest, WriteBufferLimitsFollowAsyncioDefaults) { run_coro(limits_validation()); }

Coro<> pause_reading_test(Made* made) {
  Server server = co_await echo_server(made);
  std::string host = "127.0.0.1";
  auto [t, p] = co_await create_connection(recorder, host, server.sockets()[0].port());
  EXPECT_TRUE(t->is_reading());
  t->pause_reading();
  t->pause_reading();  // idempotent
  EXPECT_FALSE(t->is_reading());
  t->write("while paused");
  co_await sleep(20ms);
  EXPECT_EQ(p->data, "");
  t->resume_reading();
  EXPECT_TRUE(t->is_reading());
  Recorder* pr = p.get();
  EXPECT_TRUE(co_await wait_until([&] { return pr->data == "while paused"; }));
  t->close();
  EXPECT_FALSE(t->is_reading());
  server.close();
}

TEST_P(TransportTest, PauseReadingStopsDataUntilResumed) {
  Made made;
  run_coro(pause_reading_test(&made));
}

// ---- Half-close, abort, errors ----

Coro<> half_close(Made* made) {
  made->echo = false;
  made->keep_open_on_eof = true;
  Server server = co_await echo_server(made);
  std::string host = "127.0.0.1";
  auto [t, p] = co_await create_connection(recorder, host, server.sockets()[0].port());
  EXPECT_TRUE(t->can_write_eof());
  t->write("request");
  t->write_eof();
  t->write_eof();  // idempotent
  EXPECT_THROW(t->write("more"), RuntimeError);
  std::vector<std::shared_ptr<Recorder>>* all = &made->all;
  EXPECT_TRUE(co_await wait_until([&] { return !all->empty() && all->at(0)->events.size() >= 3; }));
  auto& srv = made->all.at(0);
  EXPECT_THAT(srv->events, ElementsAre("made", "data", "eof"));
  EXPECT_EQ(srv->data, "request");
  // The server kept its side open and can still answer.
  srv->transport->write("response");
  srv->transport->close();
  Recorder* pr = p.get();
  EXPECT_TRUE(co_await wait_until([&] { return pr->lost; }));
  EXPECT_EQ(p->data, "response");
  EXPECT_THAT(p->events, ElementsAre("made", "data", "eof", "lost"));
  server.close();
  co_await server.wait_closed();
}

TEST_P(TransportTest, WriteEofHalfClosesAndEofReceivedTrueKeepsTheOtherSideOpen) {
  Made made;
  run_coro(half_close(&made));
}

Coro<> abort_test() {
  int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  SockAddr any = SockAddr::from_ip("127.0.0.1", 0);
  EXPECT_EQ(::bind(lfd, any.data(), any.size()), 0);
  EXPECT_EQ(::listen(lfd, 4), 0);
  std::string host = "127.0.0.1";
  auto [t, p] = co_await create_connection(recorder, host, SockAddr::sockname(lfd).port());
  auto [conn, peer] = co_await sock_accept(lfd);
  std::string big(8 << 20, 'a');
  t->write(big);
  EXPECT_GT(t->get_write_buffer_size(), 0u);
  t->abort();
  EXPECT_TRUE(t->is_closing());
  EXPECT_EQ(t->get_write_buffer_size(), 0u);
  EXPECT_FALSE(p->lost);  // connection_lost comes from the loop
  Recorder* pr = p.get();
  EXPECT_TRUE(co_await wait_until([&] { return pr->lost; }));
  EXPECT_EQ(p->lost_with, nullptr);
  // Writes after the connection is lost are dropped silently.
  for (int i = 0; i < 3; ++i) t->write("dropped");
  ::close(conn);
  ::close(lfd);
}

TEST_P(TransportTest, AbortDropsTheBufferAndLosesTheConnection) { run_coro(abort_test()); }

Coro<> reset_by_peer() {
  int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  SockAddr any = SockAddr::from_ip("127.0.0.1", 0);
  EXPECT_EQ(::bind(lfd, any.data(), any.size()), 0);
  EXPECT_EQ(::listen(lfd, 4), 0);
  std::string host = "127.0.0.1";
  auto [t, p] = co_await create_connection(recorder, host, SockAddr::sockname(lfd).port());
  auto [conn, peer] = co_await sock_accept(lfd);
  // Unread data plus SO_LINGER 0 makes close() send a reset.
  t->write("unread");
  co_await sleep(5ms);
  linger lg{1, 0};
  ::setsockopt(conn, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  ::close(conn);
  Recorder* pr = p.get();
  EXPECT_TRUE(co_await wait_until([&] { return pr->lost; }));
  EXPECT_TRUE(is<ConnectionResetError>(p->lost_with)) << what(p->lost_with);
  EXPECT_THAT(p->events, ElementsAre("made", "lost"));
  ::close(lfd);
}

TEST_P(TransportTest, PeerResetLosesTheConnectionWithConnectionResetError) {
  run_coro(reset_by_peer());
}

Coro<> refused() {
  // A port nobody listens on: bind one, then close it.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  SockAddr any = SockAddr::from_ip("127.0.0.1", 0);
  EXPECT_EQ(::bind(fd, any.data(), any.size()), 0);
  uint16_t port = SockAddr::sockname(fd).port();
  ::close(fd);
  std::string host = "127.0.0.1";
  bool raised = false;
  try {
    co_await create_connection(recorder, host, port);
  } catch (const ConnectionRefusedError& e) {
    raised = true;
    EXPECT_THAT(e.what(), HasSubstr("Connect call failed ('127.0.0.1', " + std::to_string(port)));
  }
  EXPECT_TRUE(raised);
}

TEST_P(TransportTest, ConnectionRefusedRaisesConnectionRefusedError) { run_coro(refused()); }

struct Thrower : Protocol {
  bool lost = false;
  std::exception_ptr lost_with;
  void data_received(std::string_view) override { throw ValueError("bad data"); }
  void connection_lost(std::exception_ptr e) override {
    lost = true;
    lost_with = e;
  }
};

Coro<> throwing_protocol(Made* made) {
  Server server = co_await echo_server(made);
  std::string host = "127.0.0.1";
  auto factory = [] { return std::make_shared<Thrower>(); };
  auto [t, p] = co_await create_connection(factory, host, server.sockets()[0].port());
  made->all.at(0)->transport->write("trigger");
  Thrower* pr = p.get();
  EXPECT_TRUE(co_await wait_until([&] { return pr->lost; }));
  EXPECT_TRUE(is<ValueError>(p->lost_with));
  server.close();
  server.close_clients();
  co_await server.wait_closed();
}

TEST_P(TransportTest, ProtocolExceptionIsReportedAndClosesTheTransport) {
  Made made;
  std::vector<std::string> messages;
  auto loop = make_loop();
  loop->set_exception_handler(
      [&](EventLoop&, const ExceptionContext& c) { messages.push_back(c.message); });
  loop->run_until_complete(throwing_protocol(&made));
  EXPECT_THAT(messages, ElementsAre("Fatal error: protocol.data_received() call failed."));
}

// ---- Servers ----

Coro<> bind_conflict(Made* made) {
  Server first = co_await echo_server(made);
  uint16_t port = first.sockets()[0].port();
  std::string host = "127.0.0.1";
  ServerOptions no_reuse;
  no_reuse.reuse_address = false;
  bool raised = false;
  try {
    co_await create_server(made->factory(), host, port, no_reuse);
  } catch (const OSError& e) {
    raised = true;
    EXPECT_EQ(e.error_code(), EADDRINUSE);
    EXPECT_THAT(e.what(), HasSubstr("error while attempting to bind on address ('127.0.0.1', " +
                                    std::to_string(port) + "): address already in use"));
  }
  EXPECT_TRUE(raised);
  first.close();
  co_await first.wait_closed();
}

TEST_P(TransportTest, BindConflictRaisesAsyncioMessage) {
  Made made;
  run_coro(bind_conflict(&made));
}

Coro<> reuse_port(Made* made) {
  ServerOptions o;
  o.reuse_port = true;
  std::string host = "127.0.0.1";
  Server a = co_await create_server(made->factory(), host, 0, o);
  Server b = co_await create_server(made->factory(), host, a.sockets()[0].port(), o);
  EXPECT_EQ(a.sockets()[0].port(), b.sockets()[0].port());
  a.close();
  b.close();
  co_await a.wait_closed();
  co_await b.wait_closed();
}

TEST_P(TransportTest, ReusePortLetsTwoServersShareAPort) {
  Made made;
  run_coro(reuse_port(&made));
}

Coro<> serve_forever_cancel(Made* made) {
  ServerOptions o;
  o.start_serving = false;
  std::string host = "127.0.0.1";
  Server server = co_await create_server(made->factory(), host, 0, o);
  EXPECT_FALSE(server.is_serving());
  Task<> forever = create_task(server.serve_forever());
  co_await sleep(0ms);
  EXPECT_TRUE(server.is_serving());
  bool raised = false;
  try {
    co_await server.serve_forever();
  } catch (const RuntimeError& e) {
    raised = true;
    EXPECT_THAT(e.what(), HasSubstr("is already being awaited on serve_forever()"));
  }
  EXPECT_TRUE(raised);
  auto [t, p] = co_await create_connection(recorder, host, server.sockets()[0].port());
  t->write("ping");
  Recorder* pr = p.get();
  EXPECT_TRUE(co_await wait_until([&] { return pr->data == "ping"; }));
  t->close();
  forever.cancel();
  bool cancelled = false;
  try {
    co_await forever;
  } catch (const CancelledError&) {
    cancelled = true;
  }
  EXPECT_TRUE(cancelled);
  EXPECT_FALSE(server.is_serving());
  EXPECT_TRUE(server.sockets().empty());
  EXPECT_THROW(server.start_serving(), RuntimeError);
}

TEST_P(TransportTest, ServeForeverServesUntilCancelledThenClosesTheServer) {
  Made made;
  run_coro(serve_forever_cancel(&made));
}

std::string temp_socket_path(const char* tag) {
  return "/tmp/eddy-test-" + std::to_string(::getpid()) + "-" + tag + ".sock";
}

Coro<> unix_round_trip(Made* made, std::string path) {
  // A stale socket file from an earlier run is replaced.
  int stale = ::socket(AF_UNIX, SOCK_STREAM, 0);
  SockAddr sa = SockAddr::from_path(path);
  EXPECT_EQ(::bind(stale, sa.data(), sa.size()), 0);
  ::close(stale);
  Server server = co_await create_unix_server(made->factory(), path);
  EXPECT_EQ(server.sockets().at(0).address.path(), path);
  auto [t, p] = co_await create_unix_connection(recorder, path);
  t->write("over a unix socket");
  Recorder* pr = p.get();
  EXPECT_TRUE(co_await wait_until([&] { return pr->data == "over a unix socket"; }));
  EXPECT_EQ(std::get<SockAddr>(t->get_extra_info("peername")).path(), path);
  t->close();
  server.close();
  co_await server.wait_closed();
  struct stat st;
  EXPECT_NE(::stat(path.c_str(), &st), 0) << "the socket file was not removed";
}

TEST_P(TransportTest, UnixServerAndConnection) {
  Made made;
  std::string path = temp_socket_path("unix");
  run_coro(unix_round_trip(&made, path));
  ::unlink(path.c_str());
}

Coro<> unix_path_taken(Made* made, std::string path) {
  Server server = co_await create_unix_server(made->factory(), path);
  // A regular file is never removed.
  std::string file = path + ".file";
  int fd = ::open(file.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  ::close(fd);
  bool raised = false;
  try {
    co_await create_unix_server(made->factory(), file);
  } catch (const OSError& e) {
    raised = true;
    EXPECT_EQ(e.error_code(), EADDRINUSE);
    EXPECT_THAT(e.what(), HasSubstr("is already in use"));
  }
  EXPECT_TRUE(raised);
  ::unlink(file.c_str());
  server.close();
  co_await server.wait_closed();
}

TEST_P(TransportTest, UnixServerRefusesToReplaceARegularFile) {
  Made made;
  std::string path = temp_socket_path("taken");
  run_coro(unix_path_taken(&made, path));
  ::unlink(path.c_str());
}

Coro<> bad_arguments(Made* made) {
  std::string none;
  std::string host = "127.0.0.1";
  EXPECT_THROW(co_await create_connection(recorder, none, 0), ValueError);
  ConnectionOptions with_sock;
  with_sock.sock = 0;
  EXPECT_THROW(co_await create_connection(recorder, host, 80, with_sock), ValueError);
  std::string not_a_host = "no-such-host.invalid";
  EXPECT_THROW(co_await create_connection(recorder, not_a_host, 80), gaierror);
  Server server;
  EXPECT_THROW(server.close(), RuntimeError);
  (void)made;
}

TEST_P(TransportTest, BadArgumentsRaiseAsyncioErrors) {
  Made made;
  run_coro(bad_arguments(&made));
}

// ---- Running out of descriptors ----

Coro<> emfile(Made* made, std::vector<std::string>* messages) {
  Server server = co_await echo_server(made);
  uint16_t port = server.sockets()[0].port();
  rlimit old;
  ::getrlimit(RLIMIT_NOFILE, &old);
  // Just enough descriptors for the clients, none for the server's accepts.
  int probe = ::dup(0);
  ::close(probe);
  const int kClients = 4;
  std::vector<int> clients;
  rlimit low = old;
  low.rlim_cur = static_cast<rlim_t>(probe + kClients);
  for (int i = 0; i < kClients; ++i) {
    int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    clients.push_back(c);
  }
  ::setrlimit(RLIMIT_NOFILE, &low);
  SockAddr addr = SockAddr::from_ip("127.0.0.1", port);
  for (int c : clients) EXPECT_EQ(::connect(c, addr.data(), addr.size()), 0);
  std::vector<std::string>* msgs = messages;
  bool reported = co_await wait_until([&] { return !msgs->empty(); }, 2000ms);
  ::setrlimit(RLIMIT_NOFILE, &old);
  EXPECT_TRUE(reported);
  if (reported) {
    EXPECT_EQ(messages->at(0), "socket.accept() out of system resource");
  }
  // With descriptors back, the server takes every waiting client (after its
  // one-second pause) and echoes.
  for (int i = 0; i < kClients; ++i) {
    std::string m = "client" + std::to_string(i);
    EXPECT_EQ(::send(clients[i], m.data(), m.size(), 0), static_cast<ssize_t>(m.size()));
  }
  std::vector<std::shared_ptr<Recorder>>* all = &made->all;
  EXPECT_TRUE(co_await wait_until([&] {
    if (all->size() != static_cast<size_t>(kClients)) return false;
    for (auto& r : *all) {
      if (r->data.size() != 7) return false;
    }
    return true;
  }));
  for (int c : clients) {
    char buf[16];
    ssize_t n = ::recv(c, buf, sizeof buf, 0);
    EXPECT_EQ(n, 7);
    ::close(c);
  }
  server.close();
  server.close_clients();
  co_await server.wait_closed();
}

TEST_P(TransportTest, ServerKeepsServingAfterRunningOutOfDescriptors) {
  Made made;
  std::vector<std::string> messages;
  auto loop = make_loop();
  loop->set_exception_handler(
      [&](EventLoop&, const ExceptionContext& c) { messages.push_back(c.message); });
  loop->run_until_complete(emfile(&made, &messages));
}

// ---- Loop shutdown ----

Coro<> leave_open(Made* made) {
  Server server = co_await echo_server(made);
  std::string host = "127.0.0.1";
  auto [t, p] = co_await create_connection(recorder, host, server.sockets()[0].port());
  t->write("left open");
  co_await sleep(5ms);
}

TEST_P(TransportTest, ClosingTheLoopReleasesOpenTransportsAndServers) {
  // Nothing is closed by the coroutine: the loop's close must free the
  // transports, protocols and server (the ASan build checks for leaks).
  Made made;
  run_coro(leave_open(&made));
  EXPECT_EQ(made.all.size(), 1u);
  EXPECT_EQ(made.all[0].use_count(), 1);
}

EDDY_INSTANTIATE_TASK_SUITE(TransportTest);

}  // namespace
}  // namespace eddy
