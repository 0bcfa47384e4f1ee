// eddy_echo_sockets.cc -- the echo server's "sockets" mode: asyncio's
// low-level socket operations, as in
//
//   while True:
//       conn, _ = await loop.sock_accept(server)
//       loop.create_task(handle(conn))
//   async def handle(conn):
//       while n := await loop.sock_recv_into(conn, buf):
//           await loop.sock_sendall(conn, memoryview(buf)[:n])
//
// The listening socket is made here (non-blocking, SOMAXCONN backlog), as
// an asyncio program using sock_accept makes its own. Each connection sets
// TCP_NODELAY, as asyncio's transports do, and reads into a 64 KiB buffer
// that lives as long as its task.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <span>
#include <string_view>

#include "eddy/exceptions.h"
#include "eddy/sockets.h"
#include "eddy/task.h"
#include "eddy_echo.h"

namespace eddy::echo {
namespace {

int listen_socket(const ServerArgs& args) {
  SockAddr addr = SockAddr::from_ip(args.host, static_cast<uint16_t>(args.port));
  int fd = ::socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) raise_os_error(errno, "socket");
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, addr.data(), addr.size()) != 0 || ::listen(fd, SOMAXCONN) != 0) {
    int err = errno;
    ::close(fd);
    raise_os_error(err, "listen on " + addr.to_string());
  }
  return fd;
}

Coro<> echo_connection(int fd) {
  std::unique_ptr<char[]> buf(new char[kReadSize]);
  std::span<char> into(buf.get(), kReadSize);
  try {
    for (;;) {
      size_t n = co_await sock_recv_into(fd, into);
      if (n == 0) break;
      std::string_view data(buf.get(), n);
      co_await sock_sendall(fd, data);
    }
  } catch (const OSError&) {
    // Reset by the peer: the connection ends.
  }
  ::close(fd);
}

}  // namespace

Coro<> serve_sockets(ServerArgs args) {
  int lfd = listen_socket(args);
  announce_port(SockAddr::sockname(lfd).port());
  for (;;) {
    auto [fd, peer] = co_await sock_accept(lfd);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    create_task(echo_connection(fd));
  }
}

}  // namespace eddy::echo
