// The loop's low-level socket operations (issue 6): sock_recv, sock_recv_into,
// sock_sendall, sock_accept, sock_connect, sock_recvfrom, sock_sendto,
// getaddrinfo, getnameinfo, with asyncio's semantics on every backend.
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "task_fixture.h"

namespace eddy {
namespace {

using namespace std::chrono_literals;

class SocketsTest : public testing::TaskTest {};

// Closes a descriptor at the end of a scope.
struct Fd {
  explicit Fd(int f = -1) : fd(f) {}
  Fd(Fd&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    std::swap(fd, o.fd);
    return *this;
  }
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  int fd;
};

std::pair<Fd, Fd> stream_pair(bool nonblocking = true) {
  int sv[2];
  int type = SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0);
  if (::socketpair(AF_UNIX, type, 0, sv) != 0) ADD_FAILURE() << "socketpair failed";
  return {Fd(sv[0]), Fd(sv[1])};
}

Fd new_socket(int family, int type) {
  return Fd(::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
}

// A TCP listener on 127.0.0.1, on a port the kernel picks.
Fd tcp_listener(int backlog = 16) {
  Fd fd = new_socket(AF_INET, SOCK_STREAM);
  SockAddr any = SockAddr::from_ip("127.0.0.1", 0);
  EXPECT_EQ(::bind(fd.fd, any.data(), any.size()), 0);
  EXPECT_EQ(::listen(fd.fd, backlog), 0);
  return fd;
}

Fd udp_socket() {
  Fd fd = new_socket(AF_INET, SOCK_DGRAM);
  SockAddr any = SockAddr::from_ip("127.0.0.1", 0);
  EXPECT_EQ(::bind(fd.fd, any.data(), any.size()), 0);
  return fd;
}

// Fills a socket's send path until a write would block.
void fill(int fd) {
  std::string chunk(65536, 'f');
  while (::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL) > 0) {
  }
}

char pattern(size_t i) { return static_cast<char>((i * 31 + (i >> 9)) & 0xff); }

// Runs the loop a few iterations.
Coro<> spin(int n) {
  auto zero = 0ms;
  for (int i = 0; i < n; ++i) co_await sleep(zero);
}

// ---- socketpair: recv and sendall ----

Coro<std::string> recv_after_send(int a, int b) {
  std::string hello = "hello";
  co_await sock_sendall(a, hello);
  co_return co_await sock_recv(b, 100);
}

TEST_P(SocketsTest, SocketpairSendallThenRecv) {
  auto [a, b] = stream_pair();
  EXPECT_EQ(run_coro(recv_after_send(a.fd, b.fd)), "hello");
}

Coro<> send_later(int fd, std::string data) {
  auto d = 5ms;
  co_await sleep(d);
  co_await sock_sendall(fd, data);
}

Coro<std::string> recv_waits(int a, int b) {
  Task<> sender = create_task(send_later(a, "late data"));
  std::string got = co_await sock_recv(b, 100);
  co_await sender;
  co_return got;
}

TEST_P(SocketsTest, RecvWaitsForData) {
  auto [a, b] = stream_pair();
  EXPECT_EQ(run_coro(recv_waits(a.fd, b.fd)), "late data");
}

Coro<bool> ready_recv_takes_no_iteration(int a, int b) {
  ::send(a, "x", 1, 0);
  auto iterated = std::make_shared<bool>(false);
  get_running_loop().call_soon([iterated] { *iterated = true; });
  std::string got = co_await sock_recv(b, 10);
  EXPECT_EQ(got, "x");
  co_return *iterated;
}

TEST_P(SocketsTest, ReadyOperationCompletesWithoutALoopIteration) {
  auto [a, b] = stream_pair();
  EXPECT_FALSE(run_coro(ready_recv_takes_no_iteration(a.fd, b.fd)));
}

Coro<std::string> recv_into_and_eof(int a, int b) {
  std::array<char, 16> buf{};
  std::string abc = "abc";
  co_await sock_sendall(a, abc);
  size_t n = co_await sock_recv_into(b, std::span<char>(buf));
  ::shutdown(a, SHUT_WR);
  std::string eof = co_await sock_recv(b, 16);
  EXPECT_EQ(eof, "");
  co_return std::string(buf.data(), n);
}

TEST_P(SocketsTest, RecvIntoAndEof) {
  auto [a, b] = stream_pair();
  EXPECT_EQ(run_coro(recv_into_and_eof(a.fd, b.fd)), "abc");
}

// Reads `total` bytes slowly, checking every one against pattern().
Coro<size_t> slow_checking_reader(int fd, size_t total) {
  std::vector<char> buf(32 * 1024);
  size_t seen = 0, reads = 0, bad = 0;
  auto pause = 1ms;
  while (seen < total) {
    size_t n = co_await sock_recv_into(fd, std::span<char>(buf));
    if (n == 0) break;
    for (size_t i = 0; i < n; ++i) bad += buf[i] != pattern(seen + i);
    seen += n;
    if (++reads % 32 == 0) co_await sleep(pause);
  }
  EXPECT_EQ(bad, 0u);
  co_return seen;
}

Coro<size_t> big_sendall(int a, int b, size_t total) {
  std::string data(total, '\0');
  for (size_t i = 0; i < total; ++i) data[i] = pattern(i);
  Task<size_t> reader = create_task(slow_checking_reader(b, total));
  co_await sock_sendall(a, data);
  ::shutdown(a, SHUT_WR);
  co_return co_await reader;
}

TEST_P(SocketsTest, Sendall16MiBToASlowReaderDeliversEveryByte) {
  auto [a, b] = stream_pair();
  const size_t total = 16u << 20;
  EXPECT_EQ(run_coro(big_sendall(a.fd, b.fd, total)), total);
}

// sock_sendall copies what is unsent before it suspends: the caller's buffer
// may change once the call has started.
Coro<std::string> sendall_copies_rest(int a, int b) {
  auto buffer = std::make_unique<std::string>(1u << 20, 'A');
  Task<> t = create_task(sock_sendall(a, *buffer));
  co_await spin(1);  // started, and waiting for room
  EXPECT_FALSE(t.done());
  buffer->assign(buffer->size(), 'Z');
  buffer.reset();
  std::string got;
  std::array<char, 65536> chunk;
  while (got.size() < (1u << 20)) {
    size_t n = co_await sock_recv_into(b, std::span<char>(chunk));
    if (n == 0) break;
    got.append(chunk.data(), n);
  }
  co_await t;
  co_return got;
}

TEST_P(SocketsTest, SendallKeepsUnsentDataAlive) {
  auto [a, b] = stream_pair();
  std::string got = run_coro(sendall_copies_rest(a.fd, b.fd));
  EXPECT_EQ(got.size(), 1u << 20);
  EXPECT_EQ(got.find_first_not_of('A'), std::string::npos);
}

// ---- TCP ----

Coro<> echo_one_client(int lfd, SockAddr* peer) {
  std::pair<int, SockAddr> acc = co_await sock_accept(lfd);
  Fd conn(acc.first);
  *peer = acc.second;
  EXPECT_NE(::fcntl(conn.fd, F_GETFL) & O_NONBLOCK, 0);
  EXPECT_NE(::fcntl(conn.fd, F_GETFD) & FD_CLOEXEC, 0);
  while (true) {
    std::string data = co_await sock_recv(conn.fd, 4096);
    if (data.empty()) break;
    co_await sock_sendall(conn.fd, data);
  }
}

// Serves one client on `lfd` while a new `family` socket connects to
// `where`, sends `msg`, reads the echo back and half-closes. Returns the echo.
Coro<std::string> connect_and_echo(int lfd, int family, SockAddr where, std::string msg,
                                   SockAddr* peer, SockAddr* client_name) {
  Task<> server = create_task(echo_one_client(lfd, peer));
  Fd c = new_socket(family, SOCK_STREAM);
  co_await sock_connect(c.fd, where);
  *client_name = SockAddr::sockname(c.fd);
  co_await sock_sendall(c.fd, msg);
  std::string got;
  while (got.size() < msg.size()) {
    std::string part = co_await sock_recv(c.fd, 100);
    if (part.empty()) break;
    got += part;
  }
  ::shutdown(c.fd, SHUT_WR);
  co_await server;
  co_return got;
}

Coro<std::string> echo_client(int lfd, SockAddr* peer, SockAddr* client_name) {
  std::string msg = "ping over tcp";
  SockAddr where = SockAddr::sockname(lfd);
  co_return co_await connect_and_echo(lfd, AF_INET, where, msg, peer, client_name);
}

TEST_P(SocketsTest, TcpAcceptConnectEcho) {
  Fd lfd = tcp_listener();
  SockAddr peer, client_name;
  EXPECT_EQ(run_coro(echo_client(lfd.fd, &peer, &client_name)), "ping over tcp");
  EXPECT_EQ(peer.family(), AF_INET);
  EXPECT_EQ(peer.host(), "127.0.0.1");
  EXPECT_EQ(peer, client_name);
}

Coro<int> refused(int port) {
  Fd c = new_socket(AF_INET, SOCK_STREAM);
  SockAddr target = SockAddr::from_ip("127.0.0.1", static_cast<uint16_t>(port));
  try {
    co_await sock_connect(c.fd, target);
  } catch (const ConnectionRefusedError& e) {
    // At once, or from SO_ERROR once the socket turned writable.
    std::string what = e.what();
    EXPECT_TRUE(what == "[Errno 111] Connection refused" ||
                what == "[Errno 111] Connect call failed " + target.to_python())
        << what;
    co_return e.error_code();
  }
  co_return 0;
}

TEST_P(SocketsTest, ConnectionRefused) {
  // A bound socket that does not listen: connecting to it is refused.
  Fd holder = new_socket(AF_INET, SOCK_STREAM);
  SockAddr any = SockAddr::from_ip("127.0.0.1", 0);
  ASSERT_EQ(::bind(holder.fd, any.data(), any.size()), 0);
  int port = SockAddr::sockname(holder.fd).port();
  EXPECT_EQ(run_coro(refused(port)), ECONNREFUSED);
}

// Resets a connection (RST) by closing it with a zero linger.
void reset(int fd) {
  linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

Coro<std::string> reset_mid_write(int lfd) {
  Fd c = new_socket(AF_INET, SOCK_STREAM);
  SockAddr where = SockAddr::sockname(lfd);
  co_await sock_connect(c.fd, where);
  std::pair<int, SockAddr> acc = co_await sock_accept(lfd);
  std::string big(16u << 20, 'x');
  Task<> writer = create_task(sock_sendall(c.fd, big));
  auto d = 10ms;
  co_await sleep(d);
  EXPECT_FALSE(writer.done());  // the peer reads nothing: the writer waits
  reset(acc.first);
  try {
    co_await writer;
  } catch (const ConnectionResetError&) {
    co_return "reset";
  } catch (const BrokenPipeError&) {
    co_return "pipe";
  }
  co_return "no error";
}

TEST_P(SocketsTest, PeerResetMidWriteRaisesConnectionError) {
  Fd lfd = tcp_listener();
  std::string what = run_coro(reset_mid_write(lfd.fd));
  EXPECT_TRUE(what == "reset" || what == "pipe") << what;
}

Coro<int> recv_after_reset(int lfd) {
  Fd c = new_socket(AF_INET, SOCK_STREAM);
  SockAddr where = SockAddr::sockname(lfd);
  co_await sock_connect(c.fd, where);
  std::pair<int, SockAddr> acc = co_await sock_accept(lfd);
  Task<std::string> reader = create_task(sock_recv(c.fd, 100));
  co_await spin(2);
  reset(acc.first);
  try {
    co_await reader;
  } catch (const ConnectionResetError& e) {
    co_return e.error_code();
  }
  co_return 0;
}

TEST_P(SocketsTest, RecvOnAResetConnectionRaisesConnectionResetError) {
  Fd lfd = tcp_listener();
  EXPECT_EQ(run_coro(recv_after_reset(lfd.fd)), ECONNRESET);
}

// ---- UDP ----

Coro<std::pair<std::string, SockAddr>> udp_roundtrip(int rx, int tx) {
  Task<std::pair<std::string, SockAddr>> r = create_task(sock_recvfrom(rx, 2048));
  co_await spin(1);
  SockAddr to = SockAddr::sockname(rx);
  std::string datagram = "datagram";
  size_t n = co_await sock_sendto(tx, datagram, to);
  EXPECT_EQ(n, datagram.size());
  co_return co_await r;
}

TEST_P(SocketsTest, UdpSendtoRecvfrom) {
  Fd rx = udp_socket();
  Fd tx = udp_socket();
  auto [data, from] = run_coro(udp_roundtrip(rx.fd, tx.fd));
  EXPECT_EQ(data, "datagram");
  EXPECT_EQ(from, SockAddr::sockname(tx.fd));
}

// ---- AF_UNIX stream ----

Coro<std::string> unix_echo(int lfd, std::string path) {
  SockAddr peer, client_name;
  std::string msg = "over a unix socket";
  SockAddr where = SockAddr::from_path(path);
  co_return co_await connect_and_echo(lfd, AF_UNIX, where, msg, &peer, &client_name);
}

TEST_P(SocketsTest, UnixStreamEcho) {
  std::string path =
      "/tmp/eddy-sock-" + std::to_string(::getpid()) + "-" + testing::backend_test_name(GetParam());
  ::unlink(path.c_str());
  Fd lfd = new_socket(AF_UNIX, SOCK_STREAM);
  SockAddr addr = SockAddr::from_path(path);
  ASSERT_EQ(::bind(lfd.fd, addr.data(), addr.size()), 0);
  ASSERT_EQ(::listen(lfd.fd, 4), 0);
  EXPECT_EQ(SockAddr::sockname(lfd.fd).path(), path);
  EXPECT_EQ(run_coro(unix_echo(lfd.fd, path)), "over a unix socket");
  ::unlink(path.c_str());
}

// ---- Blocking descriptors ----

// asyncio checks that a socket is non-blocking in debug mode only.
Coro<std::string> on_blocking(int fd) {
  get_running_loop().set_debug(true);
  std::string messages;
  try {
    co_await sock_recv(fd, 10);
  } catch (const ValueError& e) {
    messages = e.what();
  }
  try {
    std::string data = "x";
    co_await sock_sendall(fd, data);
  } catch (const ValueError& e) {
    messages += std::string(" / ") + e.what();
  }
  co_return messages;
}

TEST_P(SocketsTest, BlockingSocketRaisesValueErrorInDebugMode) {
  auto [a, b] = stream_pair(false);
  EXPECT_EQ(run_coro(on_blocking(a.fd)),
            "the socket must be non-blocking / the socket must be non-blocking");
}

// Outside debug mode nothing is checked (no fcntl per call): a blocking
// socket with data waiting is read like any other.
Coro<std::string> recv_unchecked(int fd) {
  std::string data = co_await sock_recv(fd, 10);
  co_return data;
}

TEST_P(SocketsTest, BlockingSocketIsNotCheckedOutsideDebugMode) {
  auto [a, b] = stream_pair(false);
  ASSERT_EQ(::write(b.fd, "ping", 4), 4);
  EXPECT_EQ(run_coro(recv_unchecked(a.fd)), "ping");
}

// ---- Cancellation leaves no watcher ----

// Starts `op`, checks that it waits, cancels it, then checks that neither
// watcher slot of `fd` is still taken. With a `poke` (something that makes
// fd readable), also checks that a new reader on fd gets called.
template <class T>
Coro<bool> cancel_leaves_no_watcher(Coro<T> op, int fd, std::function<void()> poke) {
  EventLoop& loop = get_running_loop();
  Task<T> t = create_task(std::move(op));
  co_await spin(3);
  EXPECT_FALSE(t.done());
  t.cancel();
  bool cancelled = false;
  try {
    co_await t;
  } catch (const CancelledError&) {
    cancelled = true;
  }
  EXPECT_TRUE(cancelled);
  EXPECT_FALSE(loop.remove_reader(fd));
  EXPECT_FALSE(loop.remove_writer(fd));
  if (!poke) co_return cancelled;
  auto fired = std::make_shared<bool>(false);
  loop.add_reader(fd, [fired] { *fired = true; });
  poke();
  for (int i = 0; i < 200 && !*fired; ++i) co_await spin(1);
  loop.remove_reader(fd);
  bool ok = cancelled && *fired;
  co_return ok;
}

std::function<void()> send_byte(int fd) {
  return [fd] { ::send(fd, "!", 1, MSG_NOSIGNAL); };
}

TEST_P(SocketsTest, CancelWhileWaitingInRecvLeavesNoWatcher) {
  auto [a, b] = stream_pair();
  EXPECT_TRUE(run_coro(cancel_leaves_no_watcher(sock_recv(b.fd, 10), b.fd, send_byte(a.fd))));
}

TEST_P(SocketsTest, CancelWhileWaitingInRecvIntoLeavesNoWatcher) {
  auto [a, b] = stream_pair();
  std::array<char, 8> buf;
  EXPECT_TRUE(run_coro(
      cancel_leaves_no_watcher(sock_recv_into(b.fd, std::span<char>(buf)), b.fd, send_byte(a.fd))));
}

TEST_P(SocketsTest, CancelWhileWaitingInRecvfromLeavesNoWatcher) {
  Fd rx = udp_socket();
  Fd tx = udp_socket();
  SockAddr to = SockAddr::sockname(rx.fd);
  ASSERT_EQ(::connect(tx.fd, to.data(), to.size()), 0);
  EXPECT_TRUE(
      run_coro(cancel_leaves_no_watcher(sock_recvfrom(rx.fd, 10), rx.fd, send_byte(tx.fd))));
}

TEST_P(SocketsTest, CancelWhileWaitingInAcceptLeavesNoWatcher) {
  Fd lfd = tcp_listener();
  Fd c = new_socket(AF_INET, SOCK_STREAM);
  SockAddr where = SockAddr::sockname(lfd.fd);
  int cfd = c.fd;
  // A connection makes the listener readable.
  std::function<void()> poke = [cfd, where] { ::connect(cfd, where.data(), where.size()); };
  EXPECT_TRUE(run_coro(cancel_leaves_no_watcher(sock_accept(lfd.fd), lfd.fd, poke)));
}

TEST_P(SocketsTest, CancelWhileWaitingInSendallLeavesNoWatcher) {
  auto [a, b] = stream_pair();
  fill(a.fd);
  std::string data(100000, 'd');
  EXPECT_TRUE(run_coro(cancel_leaves_no_watcher(sock_sendall(a.fd, data), a.fd, send_byte(b.fd))));
}

TEST_P(SocketsTest, CancelWhileWaitingInSendtoLeavesNoWatcher) {
  // A datagram receiver that never reads: its queue fills, and a sender
  // connected to it then waits for room.
  std::string tag = std::to_string(::getpid()) + "-" + testing::backend_test_name(GetParam());
  SockAddr rx_addr = SockAddr::from_path(std::string(1, '\0') + "eddy-rx-" + tag);
  SockAddr tx_addr = SockAddr::from_path(std::string(1, '\0') + "eddy-tx-" + tag);
  Fd rx = new_socket(AF_UNIX, SOCK_DGRAM);
  ASSERT_EQ(::bind(rx.fd, rx_addr.data(), rx_addr.size()), 0);
  Fd tx = new_socket(AF_UNIX, SOCK_DGRAM);
  ASSERT_EQ(::bind(tx.fd, tx_addr.data(), tx_addr.size()), 0);
  ASSERT_EQ(::connect(tx.fd, rx_addr.data(), rx_addr.size()), 0);
  while (::send(tx.fd, "q", 1, MSG_NOSIGNAL) > 0) {
  }
  ASSERT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK);
  std::string data = "one more";
  int rxfd = rx.fd;
  // The receiver may always send to the sender: that makes tx readable.
  std::function<void()> poke = [rxfd, tx_addr] {
    ::sendto(rxfd, "!", 1, MSG_NOSIGNAL, tx_addr.data(), tx_addr.size());
  };
  EXPECT_TRUE(run_coro(cancel_leaves_no_watcher(sock_sendto(tx.fd, data, rx_addr), tx.fd, poke)));
}

// A connect that stays pending: the listener's accept queue is full, so the
// kernel drops further SYNs. Nothing makes the socket readable afterwards;
// the check is on the watcher slots.
TEST_P(SocketsTest, CancelWhileWaitingInConnectLeavesNoWatcher) {
  Fd lfd = tcp_listener(0);
  SockAddr where = SockAddr::sockname(lfd.fd);
  std::vector<Fd> fillers;
  for (int i = 0; i < 4; ++i) {
    fillers.push_back(new_socket(AF_INET, SOCK_STREAM));
    ::connect(fillers.back().fd, where.data(), where.size());
  }
  ::usleep(20000);
  Fd c = new_socket(AF_INET, SOCK_STREAM);
  EXPECT_TRUE(run_coro(cancel_leaves_no_watcher(sock_connect(c.fd, where), c.fd, nullptr)));
}

// ---- Two readers on one descriptor: asyncio's replacement rule ----

Coro<std::string> displaced_reader(int a, int b) {
  Task<std::string> first = create_task(sock_recv(b, 100));
  co_await spin(2);
  Task<std::string> second = create_task(sock_recv(b, 100));
  co_await spin(2);
  // Cancelling the displaced reader must not remove the second's watcher.
  first.cancel();
  co_await spin(2);
  EXPECT_TRUE(first.cancelled());
  ::send(a, "to the second", 13, 0);
  auto limit = 2s;
  std::string got = co_await wait_for(second, limit);
  co_return got;
}

TEST_P(SocketsTest, SecondReaderDisplacesTheFirst) {
  auto [a, b] = stream_pair();
  EXPECT_EQ(run_coro(displaced_reader(a.fd, b.fd)), "to the second");
}

Coro<bool> first_reader_stays_pending(int a, int b) {
  Task<std::string> first = create_task(sock_recv(b, 100));
  co_await spin(2);
  Task<std::string> second = create_task(sock_recv(b, 100));
  co_await spin(2);
  ::send(a, "data", 4, 0);
  std::string got = co_await second;
  EXPECT_EQ(got, "data");
  co_await spin(5);
  bool pending = !first.done();
  first.cancel();
  try {
    co_await first;
  } catch (const CancelledError&) {
  }
  co_return pending;
}

TEST_P(SocketsTest, DisplacedReaderWaitsUntilCancelled) {
  auto [a, b] = stream_pair();
  EXPECT_TRUE(run_coro(first_reader_stays_pending(a.fd, b.fd)));
}

// ---- Name resolution ----

Coro<std::vector<AddrInfo>> resolve_localhost() {
  std::string host = "localhost";
  std::string port = "80";
  co_return co_await getaddrinfo(host, port);
}

TEST_P(SocketsTest, GetaddrinfoLocalhost) {
  std::vector<AddrInfo> infos = run_coro(resolve_localhost());
  ASSERT_FALSE(infos.empty());
  bool loopback = false;
  for (const AddrInfo& ai : infos) {
    if (ai.addr.host() == "127.0.0.1" || ai.addr.host() == "::1") loopback = true;
    EXPECT_EQ(ai.addr.port(), 80);
    EXPECT_EQ(ai.family, ai.addr.family());
  }
  EXPECT_TRUE(loopback);
}

Coro<std::string> resolve_invalid() {
  // An empty label: the resolver rejects it without asking a DNS server.
  std::string host = "bad..name";
  try {
    co_await getaddrinfo(host, 80, AF_UNSPEC, SOCK_STREAM);
  } catch (const gaierror& e) {
    EXPECT_LT(e.error_code(), 0);
    co_return e.what();
  }
  co_return "no error";
}

TEST_P(SocketsTest, GetaddrinfoOfAnInvalidNameRaisesGaierror) {
  std::string what = run_coro(resolve_invalid());
  EXPECT_EQ(what.rfind("[Errno -", 0), 0u) << what;
}

Coro<std::pair<std::string, std::string>> name_of(SockAddr addr) {
  int flags = NI_NUMERICHOST | NI_NUMERICSERV;
  co_return co_await getnameinfo(addr, flags);
}

TEST_P(SocketsTest, GetnameinfoNumeric) {
  auto [host, serv] = run_coro(name_of(SockAddr::from_ip("127.0.0.1", 8080)));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(serv, "8080");
}

// ---- SockAddr ----

TEST(SockAddrTest, IpAndUnixForms) {
  SockAddr v4 = SockAddr::from_ip("127.0.0.1", 80);
  EXPECT_EQ(v4.family(), AF_INET);
  EXPECT_EQ(v4.to_string(), "127.0.0.1:80");
  EXPECT_EQ(v4.to_python(), "('127.0.0.1', 80)");
  SockAddr v6 = SockAddr::from_ip("::1", 443);
  EXPECT_EQ(v6.family(), AF_INET6);
  EXPECT_EQ(v6.host(), "::1");
  EXPECT_EQ(v6.port(), 443);
  EXPECT_EQ(v6.to_string(), "[::1]:443");
  EXPECT_EQ(v6.to_python(), "('::1', 443, 0, 0)");
  SockAddr un = SockAddr::from_path("/run/x.sock");
  EXPECT_EQ(un.family(), AF_UNIX);
  EXPECT_EQ(un.path(), "/run/x.sock");
  SockAddr abstract = SockAddr::from_path(std::string("\0name", 5));
  EXPECT_EQ(abstract.to_string(), "@name");
  EXPECT_EQ(SockAddr().family(), AF_UNSPEC);
  EXPECT_THROW(SockAddr::from_ip("localhost", 1), ValueError);
  EXPECT_THROW(SockAddr::from_path(std::string(200, 'p')), ValueError);
  EXPECT_EQ(v4, SockAddr::from_ip("127.0.0.1", 80));
  EXPECT_FALSE(v4 == v6);
}

EDDY_INSTANTIATE_TASK_SUITE(SocketsTest);

}  // namespace
}  // namespace eddy
