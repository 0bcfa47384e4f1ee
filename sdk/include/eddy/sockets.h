// eddy/sockets.h -- the loop's low-level socket operations (asyncio's
// loop.sock_recv, sock_sendall, sock_accept, sock_connect, ..., getaddrinfo).
//
//   auto [conn, peer] = co_await eddy::sock_accept(listen_fd);
//   std::string data = co_await eddy::sock_recv(conn, 65536);
//   co_await eddy::sock_sendall(conn, data);
//   auto infos = co_await eddy::getaddrinfo("example.com", "443");
//
// Each operation works on a non-blocking socket descriptor the caller owns
// (eddy never closes it). It first tries the system call: when that can
// complete at once, the coroutine returns without a loop iteration. Otherwise
// it watches the descriptor with add_reader / add_writer, retries the call
// from the watcher callback (as asyncio does), and suspends on a Future until
// the call completes or fails. Cancelling the waiting task removes the
// watcher; no callback runs afterwards.
//
// Semantics follow CPython 3.12's selector event loop:
// - A descriptor in blocking mode raises ValueError("the socket must be
//   non-blocking") (asyncio checks only in debug mode; eddy always checks,
//   with one fcntl, because a blocking call would freeze the whole loop).
// - Errors raise the OSError subclass Python would (ConnectionResetError,
//   BrokenPipeError, ConnectionRefusedError, ...). Sends use MSG_NOSIGNAL, so
//   a peer that went away never raises SIGPIPE.
// - A descriptor has one reader and one writer slot. A second operation
//   waiting for the same readiness (two sock_recv on one socket) replaces the
//   first one's watcher: the first then waits until it is cancelled, exactly
//   as asyncio's add_reader replacement does. Cancelling the displaced
//   operation leaves the newer watcher in place.
// - sock_connect takes an address that is already resolved (asyncio resolves
//   host names first); resolve with getaddrinfo.
// - getaddrinfo and getnameinfo run the blocking resolver in the loop's
//   default executor, as asyncio does, and raise gaierror on failure.
//
// These are free functions rather than EventLoop members: event_loop.h is the
// backend-facing core and does not know coroutines (Coro is built on top of
// it), and keeping sockets out of it lets the socket layer grow without
// touching the loop. Every operation has an overload taking the loop and one
// that uses the running loop (resolved when the coroutine starts).
//
// Lifetimes: a Coro is lazy, so the data viewed by sock_sendall / sock_sendto
// must stay valid until the coroutine first runs --
// always true for `co_await sock_sendall(fd, data)`; pass something that
// lives longer when wrapping the call in create_task. Once started,
// sock_sendall and sock_sendto copy whatever is still unsent before they
// suspend. The buffer given to sock_recv_into must stay valid until it
// completes. getaddrinfo copies its arguments when called.
//
// Thread-safety: the operations run on their loop's thread. SockAddr and
// AddrInfo are plain value types.
#ifndef EDDY_SOCKETS_H_
#define EDDY_SOCKETS_H_

#include <netdb.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eddy/coro.h"
#include "eddy/event_loop.h"

namespace eddy {

// A socket address: a sockaddr_storage and its length. Python represents
// these as tuples ("host", port) or a path; SockAddr builds and reads those
// forms for AF_INET, AF_INET6 and AF_UNIX.
class SockAddr {
 public:
  // An empty address (AF_UNSPEC, size 0).
  SockAddr();
  // A numeric IPv4 or IPv6 address ("127.0.0.1", "::1", "fe80::1%eth0").
  // Throws ValueError for anything else (host names need getaddrinfo).
  static SockAddr from_ip(std::string_view host, uint16_t port);
  // An AF_UNIX address. A leading '\0' names Linux's abstract namespace.
  // Throws ValueError if the path does not fit.
  static SockAddr from_path(std::string_view path);
  // A copy of a native address (truncated to sizeof(sockaddr_storage)).
  static SockAddr from_native(const sockaddr* addr, socklen_t size);
  // The local / remote address of a socket (getsockname / getpeername).
  // Throws the OSError subclass for the failure.
  static SockAddr sockname(int fd);
  static SockAddr peername(int fd);

  int family() const { return size_ == 0 ? AF_UNSPEC : storage_.ss_family; }
  // The numeric host of an IP address ("" otherwise).
  std::string host() const;
  // The port of an IP address (0 otherwise).
  uint16_t port() const;
  // The path of an AF_UNIX address ("" otherwise or when unnamed).
  std::string path() const;
  // "127.0.0.1:8080", "[::1]:8080", "/run/sock", "@abstract" or "<unspec>".
  std::string to_string() const;
  // Python's repr of the address: "('127.0.0.1', 8080)",
  // "('::1', 8080, 0, 0)", "'/run/sock'" (used in error messages).
  std::string to_python() const;

  const sockaddr* data() const { return reinterpret_cast<const sockaddr*>(&storage_); }
  sockaddr* data() { return reinterpret_cast<sockaddr*>(&storage_); }
  socklen_t size() const { return size_; }
  // For filling data() directly (accept, recvfrom): at most capacity().
  void set_size(socklen_t size);
  static constexpr socklen_t capacity() { return sizeof(sockaddr_storage); }

  bool operator==(const SockAddr& other) const;

 private:
  sockaddr_storage storage_;
  socklen_t size_ = 0;
};

// One result of getaddrinfo: Python's (family, type, proto, canonname,
// sockaddr) tuple.
struct AddrInfo {
  int family = AF_UNSPEC;
  int type = 0;
  int protocol = 0;
  std::string canonname;  // set on the first entry with AI_CANONNAME
  SockAddr addr;
};

// ---- Stream and datagram operations ----

// Receives up to n bytes; an empty string means the peer closed (EOF).
Coro<std::string> sock_recv(EventLoop& loop, int fd, size_t n);
Coro<std::string> sock_recv(int fd, size_t n);

// Receives into buf; returns the number of bytes received (0 at EOF).
Coro<size_t> sock_recv_into(EventLoop& loop, int fd, std::span<char> buf);
Coro<size_t> sock_recv_into(int fd, std::span<char> buf);

// Sends all of data, waiting for room as often as needed. On error the
// exception gives no way to know how much was sent (as asyncio).
Coro<void> sock_sendall(EventLoop& loop, int fd, std::string_view data);
Coro<void> sock_sendall(int fd, std::string_view data);

// Accepts a connection on a listening socket: the new descriptor (already
// non-blocking and close-on-exec; the caller owns it) and the peer address.
Coro<std::pair<int, SockAddr>> sock_accept(EventLoop& loop, int fd);
Coro<std::pair<int, SockAddr>> sock_accept(int fd);

// Connects to addr. Failures raise the OSError subclass for the error;
// asynchronous failures read "[Errno N] Connect call failed ('host', port)".
Coro<void> sock_connect(EventLoop& loop, int fd, const SockAddr& addr);
Coro<void> sock_connect(int fd, const SockAddr& addr);

// Receives one datagram of at most n bytes and its sender's address.
Coro<std::pair<std::string, SockAddr>> sock_recvfrom(EventLoop& loop, int fd, size_t n);
Coro<std::pair<std::string, SockAddr>> sock_recvfrom(int fd, size_t n);

// Sends one datagram to addr; returns the number of bytes sent.
Coro<size_t> sock_sendto(EventLoop& loop, int fd, std::string_view data, const SockAddr& addr);
Coro<size_t> sock_sendto(int fd, std::string_view data, const SockAddr& addr);

// ---- Name resolution (in the default executor) ----

namespace detail {
Coro<std::vector<AddrInfo>> getaddrinfo_impl(EventLoop* loop, std::string host, std::string port,
                                             int family, int type, int proto, int flags);
Coro<std::pair<std::string, std::string>> getnameinfo_impl(EventLoop* loop, SockAddr addr,
                                                           int flags);
}  // namespace detail

// asyncio's loop.getaddrinfo(host, port, family=, type=, proto=, flags=).
// An empty host or port stands for Python's None. Raises gaierror.
inline Coro<std::vector<AddrInfo>> getaddrinfo(EventLoop& loop, std::string_view host,
                                               std::string_view port, int family = AF_UNSPEC,
                                               int type = 0, int proto = 0, int flags = 0) {
  return detail::getaddrinfo_impl(&loop, std::string(host), std::string(port), family, type, proto,
                                  flags);
}
inline Coro<std::vector<AddrInfo>> getaddrinfo(std::string_view host, std::string_view port,
                                               int family = AF_UNSPEC, int type = 0, int proto = 0,
                                               int flags = 0) {
  return detail::getaddrinfo_impl(nullptr, std::string(host), std::string(port), family, type,
                                  proto, flags);
}
inline Coro<std::vector<AddrInfo>> getaddrinfo(EventLoop& loop, std::string_view host, int port,
                                               int family = AF_UNSPEC, int type = 0, int proto = 0,
                                               int flags = 0) {
  return detail::getaddrinfo_impl(&loop, std::string(host), std::to_string(port), family, type,
                                  proto, flags);
}
inline Coro<std::vector<AddrInfo>> getaddrinfo(std::string_view host, int port,
                                               int family = AF_UNSPEC, int type = 0, int proto = 0,
                                               int flags = 0) {
  return detail::getaddrinfo_impl(nullptr, std::string(host), std::to_string(port), family, type,
                                  proto, flags);
}

// asyncio's loop.getnameinfo(sockaddr, flags): (host, service). Raises
// gaierror.
inline Coro<std::pair<std::string, std::string>> getnameinfo(EventLoop& loop, const SockAddr& addr,
                                                             int flags = 0) {
  return detail::getnameinfo_impl(&loop, addr, flags);
}
inline Coro<std::pair<std::string, std::string>> getnameinfo(const SockAddr& addr, int flags = 0) {
  return detail::getnameinfo_impl(nullptr, addr, flags);
}

}  // namespace eddy

#endif  // EDDY_SOCKETS_H_
