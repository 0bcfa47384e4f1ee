// Datagram endpoints (issue 6): create_datagram_endpoint and the datagram
// transport -- UDP and unix datagram sockets, connected and not, sendto's
// address rule, error_received, the write buffer and its water marks, close
// and abort ordering, and asyncio's argument errors, on every backend.
#include <fcntl.h>
#include <netinet/in.h>
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
using ::testing::HasSubstr;
using testing::is;
using testing::raised;
using testing::spin;
using testing::wait_until;
using testing::what;

class DatagramTest : public testing::TaskTest {};

int error_code(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const OSError& x) {
    return x.error_code();
  } catch (...) {
    return -1;
  }
}

// Records every callback; optionally echoes each datagram to its sender.
struct Recorder : DatagramProtocol {
  std::vector<std::string> events;
  std::vector<std::pair<std::string, SockAddr>> got;
  std::vector<std::exception_ptr> errors;
  DatagramTransport* transport = nullptr;
  std::exception_ptr lost_with;
  int lost = 0;
  int pauses = 0, resumes = 0;
  bool echo = false;
  bool throw_on_data = false;

  void connection_made(DatagramTransport& t) override {
    transport = &t;
    events.push_back("made");
  }
  void datagram_received(std::string_view d, const SockAddr& addr) override {
    got.emplace_back(std::string(d), addr);
    if (throw_on_data) throw ValueError("bad datagram");
    if (echo) transport->sendto(d, addr);
  }
  void error_received(std::exception_ptr e) override {
    events.push_back("error");
    errors.push_back(e);
  }
  void connection_lost(std::exception_ptr e) override {
    events.push_back("lost");
    ++lost;
    lost_with = e;
  }
  void pause_writing() override {
    events.push_back("pause");
    ++pauses;
  }
  void resume_writing() override {
    events.push_back("resume");
    ++resumes;
  }
};

std::shared_ptr<Recorder> recorder() { return std::make_shared<Recorder>(); }
std::shared_ptr<Recorder> echoer() {
  auto r = std::make_shared<Recorder>();
  r->echo = true;
  return r;
}

using Endpoint = std::pair<std::shared_ptr<DatagramTransport>, std::shared_ptr<Recorder>>;

Coro<Endpoint> endpoint(std::function<std::shared_ptr<Recorder>()> factory, DatagramOptions o) {
  co_return co_await create_datagram_endpoint(get_running_loop(), std::move(factory), std::move(o));
}

DatagramOptions local(SockAddr a) {
  DatagramOptions o;
  o.local_addr = a;
  return o;
}
DatagramOptions remote(SockAddr a) {
  DatagramOptions o;
  o.remote_addr = a;
  return o;
}

SockAddr sockname(const std::shared_ptr<DatagramTransport>& t) {
  return std::get<SockAddr>(t->get_extra_info("sockname"));
}

SockAddr loopback(uint16_t port = 0) { return SockAddr::from_ip("127.0.0.1", port); }

// A port nothing listens on (bound, read back and released).
uint16_t closed_udp_port() {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  SockAddr any = loopback();
  EXPECT_EQ(::bind(fd, any.data(), any.size()), 0);
  uint16_t port = SockAddr::sockname(fd).port();
  ::close(fd);
  return port;
}

std::string temp_dir() {
  char tmpl[] = "/tmp/eddy-dgram-XXXXXX";
  const char* d = ::mkdtemp(tmpl);
  EXPECT_NE(d, nullptr);
  return d ? d : "/tmp";
}

// ---- Round trips ----

Coro<> udp_echo() {
  auto [server, sp] = co_await endpoint(echoer, local(loopback()));
  EXPECT_EQ(sp->events, std::vector<std::string>{"made"});  // before the call returns
  EXPECT_EQ(sp->transport, server.get());
  SockAddr where = sockname(server);
  EXPECT_NE(where.port(), 0);
  auto [client, cp] = co_await endpoint(recorder, remote(where));
  EXPECT_EQ(std::get<SockAddr>(client->get_extra_info("peername")), where);
  EXPECT_GE(std::get<int>(client->get_extra_info("socket")), 0);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(server->get_extra_info("peername")));
  EXPECT_TRUE(std::holds_alternative<std::monostate>(client->get_extra_info("nonsense")));
  EXPECT_EQ(client->get_protocol(), cp);
  const int kCount = 50;
  for (int i = 0; i < kCount; ++i) client->sendto("datagram " + std::to_string(i));
  client->sendto("");  // an empty datagram is a datagram
  Recorder* c = cp.get();
  EXPECT_TRUE(co_await wait_until([&] { return c->got.size() == kCount + 1; }));
  // Loopback UDP neither drops nor reorders at this rate.
  for (int i = 0; i < kCount && i < static_cast<int>(cp->got.size()); ++i) {
    EXPECT_EQ(cp->got[i].first, "datagram " + std::to_string(i));
    EXPECT_EQ(cp->got[i].second, where);
  }
  if (cp->got.size() == kCount + 1) {
    EXPECT_EQ(cp->got.back().first, "");
  }
  // The server saw the client's address.
  EXPECT_FALSE(sp->got.empty());
  if (!sp->got.empty()) {
    EXPECT_EQ(sp->got[0].second, sockname(client));
  }
  EXPECT_EQ(server->get_write_buffer_size(), 0u);
  client->close();
  server->close();
  Recorder* s = sp.get();
  EXPECT_TRUE(co_await wait_until([&] { return c->lost && s->lost; }));
  EXPECT_EQ(cp->lost, 1);
  EXPECT_EQ(cp->lost_with, nullptr);
  EXPECT_TRUE(cp->errors.empty());
}

TEST_P(DatagramTest, UdpEchoRoundTripAndExtraInfo) { run_coro(udp_echo()); }

Coro<> ipv6_echo() {
  SockAddr any6 = SockAddr::from_ip("::1", 0);
  int probe = ::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  bool has_v6 = probe >= 0 && ::bind(probe, any6.data(), any6.size()) == 0;
  if (probe >= 0) ::close(probe);
  if (!has_v6) co_return;  // no IPv6 loopback here
  auto [server, sp] = co_await endpoint(echoer, local(any6));
  auto [client, cp] = co_await endpoint(recorder, remote(sockname(server)));
  client->sendto("six");
  Recorder* c = cp.get();
  EXPECT_TRUE(co_await wait_until([&] { return !c->got.empty(); }));
  if (!cp->got.empty()) {
    EXPECT_EQ(cp->got[0].second.family(), AF_INET6);
  }
  client->close();
  server->close();
  co_await spin(3);
}

TEST_P(DatagramTest, Ipv6FamilyComesFromTheAddress) { run_coro(ipv6_echo()); }

// ---- sendto's address rule ----

Coro<> connected_sendto() {
  auto [server, sp] = co_await endpoint(recorder, local(loopback()));
  auto [other, op] = co_await endpoint(recorder, local(loopback()));
  SockAddr where = sockname(server);
  auto [client, cp] = co_await endpoint(recorder, remote(where));
  bool raised = false;
  try {
    client->sendto("wrong", sockname(other));
  } catch (const ValueError& e) {
    raised = true;
    EXPECT_EQ(std::string(e.what()), "Invalid address: must be None or " + where.to_python());
  }
  EXPECT_TRUE(raised);
  client->sendto("named", where);  // the connected address itself is fine
  client->sendto("unnamed");
  Recorder* s = sp.get();
  EXPECT_TRUE(co_await wait_until([&] { return s->got.size() == 2; }));
  if (sp->got.size() == 2) {
    EXPECT_EQ(sp->got[0].first, "named");
    EXPECT_EQ(sp->got[1].first, "unnamed");
  }
  EXPECT_TRUE(op->got.empty());
  client->close();
  server->close();
  other->close();
  co_await spin(3);
}

TEST_P(DatagramTest, ConnectedEndpointRejectsAnotherAddress) { run_coro(connected_sendto()); }

Coro<> unconnected_sendto() {
  auto [a, ap] = co_await endpoint(recorder, local(loopback()));
  auto [b, bp] = co_await endpoint(recorder, local(loopback()));
  auto [sender, p] = co_await endpoint(recorder, local(loopback()));
  EXPECT_TRUE(std::holds_alternative<std::monostate>(sender->get_extra_info("peername")));
  sender->sendto("to a", sockname(a));
  sender->sendto("to b", sockname(b));
  // No address and no peer: the send fails; the transport stays open.
  sender->sendto("nowhere");
  EXPECT_EQ(p->errors.size(), 1u);
  if (!p->errors.empty()) {
    EXPECT_TRUE(is<OSError>(p->errors[0]));
    EXPECT_EQ(error_code(p->errors[0]), EDESTADDRREQ);
  }
  EXPECT_FALSE(sender->is_closing());
  Recorder* ar = ap.get();
  Recorder* br = bp.get();
  EXPECT_TRUE(co_await wait_until([&] { return ar->got.size() == 1 && br->got.size() == 1; }));
  if (!ap->got.empty()) {
    EXPECT_EQ(ap->got[0].first, "to a");
  }
  if (!bp->got.empty()) {
    EXPECT_EQ(bp->got[0].first, "to b");
  }
  for (auto* t : {&a, &b, &sender}) (*t)->close();
  co_await spin(3);
  EXPECT_EQ(p->lost, 1);
}

TEST_P(DatagramTest, UnconnectedEndpointSendsAnywhereAndReportsAMissingAddress) {
  run_coro(unconnected_sendto());
}

// ---- Errors ----

Coro<> port_unreachable() {
  SockAddr dead = loopback(closed_udp_port());
  auto [t, p] = co_await endpoint(recorder, remote(dead));
  t->sendto("anyone?");
  // The ICMP port unreachable comes back as ECONNREFUSED on the connected
  // socket: the next receive (or send) fails with it.
  Recorder* r = p.get();
  std::shared_ptr<DatagramTransport> keep = t;
  bool seen = co_await wait_until([&] {
    if (r->errors.empty()) keep->sendto("again?");
    return !r->errors.empty();
  });
  EXPECT_TRUE(seen);
  if (seen) {
    EXPECT_TRUE(is<ConnectionRefusedError>(p->errors[0]));
    EXPECT_EQ(error_code(p->errors[0]), ECONNREFUSED);
  }
  EXPECT_FALSE(t->is_closing());  // error_received does not close
  EXPECT_EQ(p->lost, 0);
  t->close();
  co_await spin(3);
  EXPECT_EQ(p->lost, 1);
  EXPECT_EQ(p->lost_with, nullptr);
}

TEST_P(DatagramTest, PortUnreachableIsErrorReceivedAndTheTransportStaysOpen) {
  run_coro(port_unreachable());
}

Coro<> protocol_throws(std::vector<std::string>* messages) {
  auto [server, sp] = co_await endpoint(recorder, local(loopback()));
  sp->throw_on_data = true;
  auto [client, cp] = co_await endpoint(recorder, remote(sockname(server)));
  client->sendto("one");
  client->sendto("two");
  Recorder* s = sp.get();
  EXPECT_TRUE(co_await wait_until([&] { return s->got.size() == 2; }));
  EXPECT_FALSE(server->is_closing());
  EXPECT_EQ(messages->size(), 2u);
  if (!messages->empty()) {
    EXPECT_EQ(messages->at(0), "Exception in protocol.datagram_received()");
  }
  client->close();
  server->close();
  co_await spin(3);
}

TEST_P(DatagramTest, DatagramReceivedExceptionIsReportedAndTheTransportStaysOpen) {
  std::vector<std::string> messages;
  auto loop = make_loop();
  loop->set_exception_handler(
      [&](EventLoop&, const ExceptionContext& c) { messages.push_back(c.message); });
  loop->run_until_complete(protocol_throws(&messages));
}

// ---- Close and abort ----

Coro<> close_ordering() {
  auto [t, p] = co_await endpoint(recorder, local(loopback()));
  t->close();
  EXPECT_TRUE(t->is_closing());
  EXPECT_EQ(p->lost, 0);  // from the loop, not from close()
  t->close();             // idempotent
  t->abort();
  co_await spin(3);
  EXPECT_EQ(p->lost, 1);
  EXPECT_EQ(p->events, (std::vector<std::string>{"made", "lost"}));
  EXPECT_TRUE(std::holds_alternative<std::monostate>(t->get_extra_info("socket")));
  // Sends after the end are dropped silently.
  for (int i = 0; i < 8; ++i) t->sendto("late", loopback(9));
  EXPECT_TRUE(p->errors.empty());
}

TEST_P(DatagramTest, CloseCallsConnectionLostOnceFromTheLoop) { run_coro(close_ordering()); }

Coro<> close_right_away() {
  // Cancelled while waiting for connection_made: the transport is closed,
  // and made still comes first, then lost (asyncio schedules both).
  auto p = std::make_shared<Recorder>();
  auto called = std::make_shared<bool>(false);
  std::shared_ptr<Recorder> keep = p;
  auto factory = [keep, called] {
    *called = true;
    return keep;
  };
  Task<Endpoint> making = create_task(endpoint(factory, local(loopback())));
  while (!*called) co_await spin(1);
  making.cancel();
  bool cancelled = false;
  try {
    co_await making;
  } catch (const CancelledError&) {
    cancelled = true;
  }
  co_await spin(3);
  if (cancelled) {
    EXPECT_EQ(p->events, (std::vector<std::string>{"made", "lost"}));
  } else {
    EXPECT_EQ(p->events, std::vector<std::string>{"made"});
  }
}

TEST_P(DatagramTest, CancelledCreationClosesTheTransport) { run_coro(close_right_away()); }

// A unix datagram socketpair whose sender has a small send buffer and whose
// receiver does not read: sends soon fail with EAGAIN and queue up.
std::pair<int, int> small_dgram_pair() {
  int sv[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
  int small = 4096;
  ::setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  return {sv[0], sv[1]};
}

Coro<> water_marks(int a, int b) {
  DatagramOptions o;
  o.sock = a;
  auto [t, p] = co_await endpoint(recorder, o);
  EXPECT_EQ(t->get_write_buffer_limits(), (std::pair<size_t, size_t>(16 * 1024, 64 * 1024)));
  t->set_write_buffer_limits(8000);
  EXPECT_EQ(t->get_write_buffer_limits(), (std::pair<size_t, size_t>(2000, 8000)));
  const int kCount = 64;
  std::string chunk(1000, 'd');
  for (int i = 0; i < kCount; ++i) {
    chunk[0] = static_cast<char>(i);
    t->sendto(chunk);
  }
  EXPECT_EQ(p->pauses, 1);
  size_t queued = t->get_write_buffer_size();
  EXPECT_GT(queued, 8000u);
  EXPECT_EQ(queued % 1008, 0u);  // each datagram counts its bytes plus 8
  // The peer reads: the queue drains, and the protocol is resumed once.
  std::vector<std::string> received;
  auto limit = 5s;
  auto start = std::chrono::steady_clock::now();
  while (received.size() < kCount && std::chrono::steady_clock::now() - start < limit) {
    std::pair<std::string, SockAddr> d = co_await sock_recvfrom(b, 4096);
    received.push_back(std::move(d.first));
  }
  EXPECT_EQ(received.size(), static_cast<size_t>(kCount));
  for (size_t i = 0; i < received.size(); ++i) {
    EXPECT_EQ(received[i].size(), 1000u);
    EXPECT_EQ(received[i][0], static_cast<char>(i)) << "datagram " << i << " out of order";
  }
  Recorder* r = p.get();
  std::shared_ptr<DatagramTransport> keep = t;
  EXPECT_TRUE(co_await wait_until([&] { return keep->get_write_buffer_size() == 0; }));
  EXPECT_EQ(p->resumes, 1);
  EXPECT_TRUE(r->errors.empty());
  // Closing with a queue flushes it first; abort drops it.
  for (int i = 0; i < kCount; ++i) t->sendto(chunk);
  EXPECT_GT(t->get_write_buffer_size(), 0u);
  t->close();
  co_await spin(3);
  EXPECT_EQ(p->lost, 0);  // still flushing
  size_t drained = 0;
  while (!r->lost && drained < kCount) {
    co_await sock_recvfrom(b, 4096);
    ++drained;
  }
  EXPECT_TRUE(co_await wait_until([&] { return r->lost == 1; }));
  EXPECT_EQ(p->events.back(), "lost");
  t->sendto(chunk);  // dropped: the socket is gone
  EXPECT_TRUE(r->errors.empty());
}

TEST_P(DatagramTest, QueueAndWaterMarksPauseAndResumeWriting) {
  auto [a, b] = small_dgram_pair();
  run_coro(water_marks(a, b));
  ::close(b);
}

Coro<> abort_drops_queue(int a, int b) {
  DatagramOptions o;
  o.sock = a;
  auto [t, p] = co_await endpoint(recorder, o);
  std::string chunk(1000, 'x');
  for (int i = 0; i < 64; ++i) t->sendto(chunk);
  EXPECT_GT(t->get_write_buffer_size(), 0u);
  t->abort();
  EXPECT_EQ(t->get_write_buffer_size(), 0u);
  co_await spin(3);
  EXPECT_EQ(p->lost, 1);
  EXPECT_EQ(p->lost_with, nullptr);
  (void)b;
}

TEST_P(DatagramTest, AbortDropsTheQueue) {
  auto [a, b] = small_dgram_pair();
  run_coro(abort_drops_queue(a, b));
  ::close(b);
}

Coro<> limits_validation() {
  auto [t, p] = co_await endpoint(recorder, local(loopback()));
  t->set_write_buffer_limits(-1, 1000);
  EXPECT_EQ(t->get_write_buffer_limits(), (std::pair<size_t, size_t>(1000, 4000)));
  EXPECT_THROW(t->set_write_buffer_limits(10, 20), ValueError);
  t->close();
  co_await spin(3);
}

TEST_P(DatagramTest, WriteBufferLimitsFollowAsyncio) { run_coro(limits_validation()); }

// ---- Unix datagram endpoints ----

Coro<> unix_datagrams(std::string dir) {
  std::string server_path = dir + "/server.sock";
  std::string client_path = dir + "/client.sock";
  auto [server, sp] = co_await endpoint(echoer, local(SockAddr::from_path(server_path)));
  DatagramOptions co;
  co.local_addr = SockAddr::from_path(client_path);
  co.remote_addr = SockAddr::from_path(server_path);
  auto [client, cp] = co_await endpoint(recorder, co);
  EXPECT_EQ(sockname(client).path(), client_path);
  EXPECT_EQ(std::get<SockAddr>(client->get_extra_info("peername")).path(), server_path);
  client->sendto("over a unix datagram socket");
  Recorder* c = cp.get();
  EXPECT_TRUE(co_await wait_until([&] { return !c->got.empty(); }));
  if (!cp->got.empty()) {
    EXPECT_EQ(cp->got[0].first, "over a unix datagram socket");
    EXPECT_EQ(cp->got[0].second.path(), server_path);
  }
  EXPECT_FALSE(sp->got.empty());
  if (!sp->got.empty()) {
    EXPECT_EQ(sp->got[0].second.path(), client_path);
  }
  server->close();
  client->close();
  co_await spin(3);
  // The socket files stay (asyncio does not remove them) and a new
  // endpoint replaces the stale one.
  struct stat st;
  EXPECT_EQ(::stat(server_path.c_str(), &st), 0);
  auto [again, ap] = co_await endpoint(recorder, local(SockAddr::from_path(server_path)));
  EXPECT_EQ(sockname(again).path(), server_path);
  again->close();
  co_await spin(3);
  // A regular file at the path is not removed: bind fails.
  std::string file = dir + "/regular";
  int fd = ::open(file.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  ::close(fd);
  bool raised = false;
  try {
    co_await endpoint(recorder, local(SockAddr::from_path(file)));
  } catch (const OSError& e) {
    raised = true;
    EXPECT_EQ(e.error_code(), EADDRINUSE);
  }
  EXPECT_TRUE(raised);
  EXPECT_EQ(::stat(file.c_str(), &st), 0);
  ::unlink(file.c_str());
  ::unlink(server_path.c_str());
  ::unlink(client_path.c_str());
}

TEST_P(DatagramTest, UnixDatagramEndpointsAndStaleSocketFiles) {
  std::string dir = temp_dir();
  run_coro(unix_datagrams(dir));
  ::rmdir(dir.c_str());
}

Coro<> abstract_unix(std::string backend) {
  // A name of its own per run: io_uring releases a closed socket's name
  // only once the kernel has torn its ring down, which may be a moment
  // after the loop is gone.
  std::string name =
      std::string(1, '\0') + "eddy-dgram-" + std::to_string(::getpid()) + "-" + backend;
  auto [server, sp] = co_await endpoint(echoer, local(SockAddr::from_path(name)));
  std::string client_name = name + "-client";
  DatagramOptions co;
  co.local_addr = SockAddr::from_path(client_name);
  co.remote_addr = SockAddr::from_path(name);
  auto [client, cp] = co_await endpoint(recorder, co);
  client->sendto("abstract");
  Recorder* c = cp.get();
  EXPECT_TRUE(co_await wait_until([&] { return !c->got.empty(); }));
  server->close();
  client->close();
  co_await spin(3);
}

TEST_P(DatagramTest, AbstractUnixDatagramEndpoints) {
  run_coro(abstract_unix(testing::backend_test_name(GetParam())));
}

// ---- Options ----

Coro<> family_only() {
  DatagramOptions o;
  o.family = AF_INET;
  auto [t, p] = co_await endpoint(recorder, o);  // unbound until it sends
  auto [server, sp] = co_await endpoint(recorder, local(loopback()));
  t->sendto("from nowhere", sockname(server));
  Recorder* s = sp.get();
  EXPECT_TRUE(co_await wait_until([&] { return !s->got.empty(); }));
  t->close();
  server->close();
  co_await spin(3);
}

TEST_P(DatagramTest, FamilyAloneMakesAnUnboundEndpoint) { run_coro(family_only()); }

Coro<> broadcast_and_reuse_port() {
  auto [server, sp] = co_await endpoint(recorder, local(loopback()));
  DatagramOptions o;
  o.remote_addr = sockname(server);
  o.allow_broadcast = true;
  auto [t, p] = co_await endpoint(recorder, o);
  int fd = std::get<int>(t->get_extra_info("socket"));
  int on = 0;
  socklen_t len = sizeof on;
  ::getsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, &len);
  EXPECT_EQ(on, 1);
  // A broadcast endpoint is not connected, but sends to remote_addr.
  EXPECT_TRUE(std::holds_alternative<std::monostate>(t->get_extra_info("peername")));
  t->sendto("broadcastable");
  Recorder* s = sp.get();
  EXPECT_TRUE(co_await wait_until([&] { return !s->got.empty(); }));
  EXPECT_THROW(t->sendto("x", loopback(9)), ValueError);
  // reuse_port: two endpoints on one port.
  DatagramOptions r;
  r.local_addr = loopback();
  r.reuse_port = true;
  auto [r1, p1] = co_await endpoint(recorder, r);
  r.local_addr = sockname(r1);
  auto [r2, p2] = co_await endpoint(recorder, r);
  EXPECT_EQ(sockname(r2).port(), sockname(r1).port());
  // Without it the port is taken.
  bool raised = false;
  try {
    co_await endpoint(recorder, local(sockname(r1)));
  } catch (const OSError& e) {
    raised = true;
    EXPECT_EQ(e.error_code(), EADDRINUSE);
  }
  EXPECT_TRUE(raised);
  for (auto* x : {&server, &t, &r1, &r2}) (*x)->close();
  co_await spin(3);
}

TEST_P(DatagramTest, AllowBroadcastAndReusePort) { run_coro(broadcast_and_reuse_port()); }

Coro<> adopted_socket() {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);  // blocking: made non-blocking
  SockAddr any = loopback();
  EXPECT_EQ(::bind(fd, any.data(), any.size()), 0);
  DatagramOptions o;
  o.sock = fd;
  auto [t, p] = co_await endpoint(echoer, o);
  EXPECT_EQ(std::get<int>(t->get_extra_info("socket")), fd);
  EXPECT_NE(::fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
  auto [client, cp] = co_await endpoint(recorder, remote(sockname(t)));
  client->sendto("adopted");
  Recorder* c = cp.get();
  EXPECT_TRUE(co_await wait_until([&] { return !c->got.empty(); }));
  t->close();
  client->close();
  co_await spin(3);
  // The transport closed the socket it took over.
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1);
}

TEST_P(DatagramTest, SockIsTakenOverAndClosed) { run_coro(adopted_socket()); }

template <class E>
Coro<std::string> failure(DatagramOptions o) {
  try {
    co_await endpoint(recorder, o);
  } catch (const E& e) {
    co_return e.what();
  }
  co_return "no error";
}

Coro<> bad_arguments() {
  DatagramOptions none;
  std::string m = co_await failure<ValueError>(none);
  EXPECT_EQ(m, "unexpected address family");

  int stream = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  DatagramOptions with_stream;
  with_stream.sock = stream;
  m = co_await failure<ValueError>(with_stream);
  EXPECT_THAT(m, HasSubstr("A datagram socket was expected, got"));
  EXPECT_EQ(::fcntl(stream, F_GETFD), -1);  // handed over, so closed

  int dgram = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  DatagramOptions with_sock;
  with_sock.sock = dgram;
  with_sock.local_addr = loopback();
  with_sock.reuse_port = true;
  m = co_await failure<ValueError>(with_sock);
  EXPECT_EQ(m,
            "socket modifier keyword arguments can not be used when sock is specified. "
            "(local_addr=('127.0.0.1', 0), reuse_port=True)");

  DatagramOptions mixed;
  mixed.local_addr = loopback();
  mixed.remote_addr = SockAddr::from_ip("::1", 9);
  m = co_await failure<ValueError>(mixed);
  EXPECT_EQ(m, "can not get address information");

  DatagramOptions wrong_family = local(loopback());
  wrong_family.family = AF_INET6;
  m = co_await failure<ValueError>(wrong_family);
  EXPECT_EQ(m, "can not get address information");

  DatagramOptions unix_ip = local(loopback());
  unix_ip.family = AF_UNIX;
  m = co_await failure<TypeError>(unix_ip);
  EXPECT_EQ(m, "string is expected");

  // A protocol of the wrong kind for the transport.
  auto [t, p] = co_await endpoint(recorder, local(loopback()));
  EXPECT_THROW(t->set_protocol(std::make_shared<Protocol>()), TypeError);
  auto other = recorder();
  t->set_protocol(other);
  EXPECT_EQ(t->get_protocol(), other);
  t->close();
  co_await spin(3);
  EXPECT_EQ(other->lost, 1);
  EXPECT_EQ(p->lost, 0);
}

TEST_P(DatagramTest, BadArgumentsRaiseAsyncioErrors) { run_coro(bad_arguments()); }

// ---- Loop shutdown ----

Coro<> leave_open(std::shared_ptr<Recorder>* out) {
  auto [t, p] = co_await endpoint(recorder, local(loopback()));
  t->sendto("left open", sockname(t));
  *out = p;
  co_await spin(2);
}

TEST_P(DatagramTest, ClosingTheLoopReleasesOpenEndpoints) {
  // Nothing is closed by the coroutine: the loop's close frees the
  // transport and its protocol (the ASan build checks for leaks).
  std::shared_ptr<Recorder> p;
  run_coro(leave_open(&p));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p.use_count(), 1);
  EXPECT_EQ(p->lost, 0);
}

EDDY_INSTANTIATE_TASK_SUITE(DatagramTest);

}  // namespace
}  // namespace eddy
