// eddy/network.h -- the loop operations that make transports: asyncio's
// loop.create_connection, create_server, create_unix_connection,
// create_unix_server, create_datagram_endpoint and sendfile, and Server.
//
//   auto [transport, protocol] = co_await eddy::create_connection(
//       [] { return std::make_shared<Client>(); }, "127.0.0.1", 8888);
//   eddy::Server server = co_await eddy::create_server(
//       [] { return std::make_shared<Echo>(); }, "", 8888);   // all interfaces
//   co_await server.serve_forever();
//
// A protocol factory is any callable returning std::shared_ptr<P> for a
// Protocol or BufferedProtocol P (a DatagramProtocol for datagram
// endpoints); create_connection returns the protocol with its own type.
//
// As in asyncio:
// - Host names are resolved with getaddrinfo in the default executor;
//   numeric addresses skip the resolver. An empty host means None: every
//   interface for a server.
// - create_connection tries each address in turn and raises the one error
//   if there was one, else OSError("Multiple exceptions: ...").
//   Connection refused raises ConnectionRefusedError.
// - create_server binds every address the host resolves to (SO_REUSEADDR on,
//   IPV6_V6ONLY for IPv6), listens with `backlog` (100), and starts serving
//   unless start_serving is false. A bind failure raises OSError "error while
//   attempting to bind on address ('127.0.0.1', 8888): Address already in use".
// - The server accepts up to `backlog` connections per readiness. When
//   accept fails for lack of resources (EMFILE, ENFILE, ENOBUFS, ENOMEM), it
//   reports "socket.accept() out of system resource" to the exception
//   handler, stops accepting for one second, then goes on serving.
// - Server::close() stops listening; connections already accepted stay open.
//   wait_closed() returns once the server is closed and all its connections
//   are gone. serve_forever() serves until cancelled, then closes the server
//   and waits for it.
// - create_connection and create_server set TCP_NODELAY on TCP connections.
//
// Thread-safety: as every loop operation, on the loop's thread. Server is a
// copyable handle to shared state, used on that thread.
#ifndef EDDY_NETWORK_H_
#define EDDY_NETWORK_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "eddy/coro.h"
#include "eddy/sockets.h"
#include "eddy/transports.h"

namespace eddy {

class EventLoop;

using ProtocolFactory = std::function<std::shared_ptr<BaseProtocol>()>;
using DatagramProtocolFactory = std::function<std::shared_ptr<DatagramProtocol>()>;

// A listening socket of a Server (asyncio gives socket objects; eddy gives
// the descriptor, still owned by the server, and its address).
struct ServerSocket {
  int fd = -1;
  SockAddr address;
  int family() const { return address.family(); }
  uint16_t port() const { return address.port(); }
  SockAddr getsockname() const { return address; }
};

namespace detail {
struct ServerState;
}

// asyncio.Server.
class Server {
 public:
  Server() = default;
  // Stops listening and closes the listening sockets. Idempotent.
  void close();
  // Closes (abort_clients: aborts) every connection the server accepted
  // (3.13).
  void close_clients();
  void abort_clients();
  // Starts accepting if it was created with start_serving = false.
  // RuntimeError if the server is closed.
  void start_serving();
  bool is_serving() const;
  // Returns once close() was called and every connection is gone.
  Coro<void> wait_closed();
  // Serves until cancelled, then closes and waits. RuntimeError if the
  // server is closed or another serve_forever is running.
  Coro<void> serve_forever();
  // The listening sockets (empty once closed).
  std::vector<ServerSocket> sockets() const;
  EventLoop& get_loop() const;
  // How many accepted connections are still open.
  size_t active_connections() const;
  explicit operator bool() const { return s_ != nullptr; }

 private:
  friend struct detail::ServerState;
  explicit Server(std::shared_ptr<detail::ServerState> s) : s_(std::move(s)) {}
  std::shared_ptr<detail::ServerState> s_;
};

struct ConnectionOptions {
  int family = 0;  // AF_UNSPEC: any
  int proto = 0;
  int flags = 0;  // getaddrinfo flags
  // Binds the socket to this address first (asyncio's local_addr).
  std::optional<SockAddr> local_addr;
  // An already connected stream socket to wrap instead of connecting
  // (asyncio's sock=); host and port must then be empty / 0. Taken over:
  // the transport closes it.
  int sock = -1;
};

struct ServerOptions {
  int family = 0;  // AF_UNSPEC: every family the host resolves to
  int flags = 0;   // getaddrinfo flags (AI_PASSIVE is always added)
  int backlog = 100;
  bool reuse_address = true;
  bool reuse_port = false;
  // A listening (or bound) socket to serve instead of binding (asyncio's
  // sock=); host and port must then be empty / 0. Taken over.
  int sock = -1;
  bool start_serving = true;
};

struct UnixServerOptions {
  int backlog = 100;
  bool start_serving = true;
  // Remove the socket file when the server closes (3.13).
  bool cleanup_socket = true;
  int sock = -1;
};

struct DatagramOptions {
  std::optional<SockAddr> local_addr;
  // Connects the socket: sendto() without an address goes there, and only
  // its datagrams are received.
  std::optional<SockAddr> remote_addr;
  int family = 0;
  int proto = 0;
  int flags = 0;
  bool reuse_port = false;
  bool allow_broadcast = false;
  int sock = -1;
};

namespace detail {
Coro<std::pair<std::shared_ptr<Transport>, std::shared_ptr<BaseProtocol>>> create_connection_impl(
    EventLoop* loop, ProtocolFactory factory, std::string host, std::string port,
    ConnectionOptions options);
Coro<std::pair<std::shared_ptr<Transport>, std::shared_ptr<BaseProtocol>>>
create_unix_connection_impl(EventLoop* loop, ProtocolFactory factory, std::string path, int sock);
Coro<Server> create_server_impl(EventLoop* loop, ProtocolFactory factory, std::string host,
                                std::string port, ServerOptions options);
Coro<Server> create_unix_server_impl(EventLoop* loop, ProtocolFactory factory, std::string path,
                                     UnixServerOptions options);
Coro<std::pair<std::shared_ptr<DatagramTransport>, std::shared_ptr<DatagramProtocol>>>
create_datagram_endpoint_impl(EventLoop* loop, DatagramProtocolFactory factory,
                              DatagramOptions options);

// The protocol type a factory makes (P for std::shared_ptr<P>).
template <class F>
using FactoryProtocol = typename std::invoke_result_t<F&>::element_type;

template <class F>
ProtocolFactory erase_factory(F factory) {
  using P = FactoryProtocol<F>;
  static_assert(std::is_base_of_v<Protocol, P> || std::is_base_of_v<BufferedProtocol, P>,
                "the factory must return std::shared_ptr to a Protocol or BufferedProtocol");
  return [f = std::move(factory)]() mutable -> std::shared_ptr<BaseProtocol> { return f(); };
}

template <class P>
Coro<std::pair<std::shared_ptr<Transport>, std::shared_ptr<P>>> cast_protocol(
    Coro<std::pair<std::shared_ptr<Transport>, std::shared_ptr<BaseProtocol>>> made) {
  auto [transport, protocol] = co_await std::move(made);
  co_return std::pair(std::move(transport), std::static_pointer_cast<P>(std::move(protocol)));
}
}  // namespace detail

// ---- Stream connections ----

// Connects to host:port and returns the transport and the factory's protocol
// once connection_made has been called. port may be a number or a service.
template <class F>
auto create_connection(EventLoop& loop, F factory, std::string_view host, uint16_t port,
                       ConnectionOptions options = {}) {
  return detail::cast_protocol<detail::FactoryProtocol<F>>(
      detail::create_connection_impl(&loop, detail::erase_factory(std::move(factory)),
                                     std::string(host), std::to_string(port), std::move(options)));
}
template <class F>
auto create_connection(F factory, std::string_view host, uint16_t port,
                       ConnectionOptions options = {}) {
  return detail::cast_protocol<detail::FactoryProtocol<F>>(
      detail::create_connection_impl(nullptr, detail::erase_factory(std::move(factory)),
                                     std::string(host), std::to_string(port), std::move(options)));
}

// Connects to the unix socket at path ('\0'-prefixed: abstract namespace).
template <class F>
auto create_unix_connection(EventLoop& loop, F factory, std::string_view path) {
  return detail::cast_protocol<detail::FactoryProtocol<F>>(detail::create_unix_connection_impl(
      &loop, detail::erase_factory(std::move(factory)), std::string(path), -1));
}
template <class F>
auto create_unix_connection(F factory, std::string_view path) {
  return detail::cast_protocol<detail::FactoryProtocol<F>>(detail::create_unix_connection_impl(
      nullptr, detail::erase_factory(std::move(factory)), std::string(path), -1));
}

// ---- Servers ----

// Listens on host:port (host "" = every interface; port 0 = a free port,
// read back from server.sockets()[0].port()).
template <class F>
Coro<Server> create_server(EventLoop& loop, F factory, std::string_view host, uint16_t port,
                           ServerOptions options = {}) {
  return detail::create_server_impl(&loop, detail::erase_factory(std::move(factory)),
                                    std::string(host), std::to_string(port), std::move(options));
}
template <class F>
Coro<Server> create_server(F factory, std::string_view host, uint16_t port,
                           ServerOptions options = {}) {
  return detail::create_server_impl(nullptr, detail::erase_factory(std::move(factory)),
                                    std::string(host), std::to_string(port), std::move(options));
}

// Listens on a unix socket path. A stale socket file left at path is
// removed first, as asyncio does; any other file there is an error.
template <class F>
Coro<Server> create_unix_server(EventLoop& loop, F factory, std::string_view path,
                                UnixServerOptions options = {}) {
  return detail::create_unix_server_impl(&loop, detail::erase_factory(std::move(factory)),
                                         std::string(path), std::move(options));
}
template <class F>
Coro<Server> create_unix_server(F factory, std::string_view path, UnixServerOptions options = {}) {
  return detail::create_unix_server_impl(nullptr, detail::erase_factory(std::move(factory)),
                                         std::string(path), std::move(options));
}

// ---- Datagrams ----

// A datagram endpoint bound to local_addr and/or connected to remote_addr
// (at least one of them, or sock). Returns the transport and the protocol.
template <class F>
auto create_datagram_endpoint(EventLoop& loop, F factory, DatagramOptions options) {
  using P = detail::FactoryProtocol<F>;
  return [](auto made) -> Coro<std::pair<std::shared_ptr<DatagramTransport>, std::shared_ptr<P>>> {
    auto [t, p] = co_await std::move(made);
    co_return std::pair(std::move(t), std::static_pointer_cast<P>(std::move(p)));
  }(detail::create_datagram_endpoint_impl(
                           &loop,
                           [f = std::move(factory)]() mutable -> std::shared_ptr<DatagramProtocol> {
                             return f();
                           },
                           std::move(options)));
}

// ---- sendfile ----

// Sends count bytes (0: to the end of the file) of the file `in_fd` from
// `offset` over the transport, with the kernel's sendfile(2) when the
// transport is a plain socket transport, else by reading and writing chunks
// (fallback = true; with fallback = false that raises
// SendfileNotAvailableError instead). Returns the number of bytes sent. The
// file's own offset is left unchanged. Waits for the write buffer to drain
// first; writes during the transfer raise RuntimeError.
Coro<size_t> sendfile(std::shared_ptr<Transport> transport, int in_fd, off_t offset = 0,
                      size_t count = 0, bool fallback = true);

// The socket-level twin (asyncio's loop.sock_sendfile).
Coro<size_t> sock_sendfile(EventLoop& loop, int sock, int in_fd, off_t offset = 0, size_t count = 0,
                           bool fallback = true);
Coro<size_t> sock_sendfile(int sock, int in_fd, off_t offset = 0, size_t count = 0,
                           bool fallback = true);

}  // namespace eddy

#endif  // EDDY_NETWORK_H_
