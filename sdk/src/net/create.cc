// create_connection, create_server and their unix variants (asyncio's
// BaseEventLoop.create_connection / create_server and the unix event loop's
// create_unix_connection / create_unix_server; see eddy/network.h).
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "eddy/exceptions.h"
#include "eddy/network.h"
#include "eddy/task.h"
#include "net/server_state.h"
#include "net/socket_transport.h"
#include "net/util.h"

namespace eddy::detail {
namespace {

EventLoop& loop_or_running(EventLoop* loop) { return loop ? *loop : get_running_loop(); }

int make_socket(int family, int type, int proto) {
  int fd = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
  if (fd < 0) raise_os_error(errno);
  return fd;
}

// Wraps a connected socket in a transport and waits for connection_made.
Coro<std::pair<std::shared_ptr<Transport>, std::shared_ptr<BaseProtocol>>> make_transport(
    EventLoop& loop, int fd, const ProtocolFactory& factory) {
  std::shared_ptr<BaseProtocol> protocol;
  std::shared_ptr<SocketTransport> transport;
  try {
    protocol = factory();
    if (!protocol) throw TypeError("the protocol factory returned null");
    transport = std::make_shared<SocketTransport>(loop, fd, protocol, nullptr);
  } catch (...) {
    if (!transport) ::close(fd);
    throw;
  }
  co_await transport->start_and_wait();
  co_return std::pair(std::shared_ptr<Transport>(transport), std::move(protocol));
}

// The Server of a set-up state, serving already if start_serving.
Server open_server(const std::shared_ptr<ServerState>& state, bool start_serving) {
  state->self = state;
  Server server = ServerState::handle(state);
  if (start_serving) {
    try {
      state->start_serving();
    } catch (...) {
      state->close();
      throw;
    }
  }
  return server;
}

std::string join_errors(const std::vector<std::exception_ptr>& errors) {
  std::string out;
  for (const auto& e : errors) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      out += (out.empty() ? "" : ", ") + std::string(x.what());
    }
  }
  return out;
}

std::string what_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "unknown error";
  }
}

// Connects a new socket to one address; closes it and rethrows on failure.
Coro<int> connect_one(EventLoop& loop, const AddrInfo& info, const ConnectionOptions& options) {
  ScopedFd fd(make_socket(info.family, SOCK_STREAM, info.protocol));
  if (options.local_addr) {
    if (::bind(fd.get(), options.local_addr->data(), options.local_addr->size()) < 0) {
      int err = errno;
      raise_os_error_text(err,
                          absl::StrFormat("error while attempting to bind on address %s: %s",
                                          options.local_addr->to_python(), lower_strerror(err)));
    }
  }
  co_await sock_connect(loop, fd.get(), info.addr);
  co_return fd.release();
}

}  // namespace

Coro<std::pair<std::shared_ptr<Transport>, std::shared_ptr<BaseProtocol>>> create_connection_impl(
    EventLoop* lp, ProtocolFactory factory, std::string host, std::string port,
    ConnectionOptions options) {
  EventLoop& loop = loop_or_running(lp);
  bool have_address = !host.empty() || port != "0";
  if (options.sock >= 0) {
    if (have_address) throw ValueError("host/port and sock can not be specified at the same time");
    co_return co_await make_transport(loop, options.sock, factory);
  }
  if (host.empty()) throw ValueError("host and port was not specified and no sock specified");
  std::vector<AddrInfo> infos =
      co_await resolve(loop, host, port, options.family, SOCK_STREAM, options.proto, options.flags);
  if (infos.empty()) throw OSError(0, "getaddrinfo() returned empty list");
  std::vector<std::exception_ptr> errors;
  int fd = -1;
  for (const AddrInfo& info : infos) {
    try {
      fd = co_await connect_one(loop, info, options);
      break;
    } catch (const OSError&) {
      errors.push_back(std::current_exception());
    }
  }
  if (fd < 0) {
    // asyncio: the one error, or the first if they all read the same, else
    // a summary of them all.
    bool same = true;
    for (const auto& e : errors) same = same && what_of(e) == what_of(errors[0]);
    if (errors.size() == 1 || same) std::rethrow_exception(errors[0]);
    throw OSError(0, "Multiple exceptions: " + join_errors(errors));
  }
  co_return co_await make_transport(loop, fd, factory);
}

Coro<std::pair<std::shared_ptr<Transport>, std::shared_ptr<BaseProtocol>>>
create_unix_connection_impl(EventLoop* lp, ProtocolFactory factory, std::string path, int sock) {
  EventLoop& loop = loop_or_running(lp);
  if (sock >= 0) co_return co_await make_transport(loop, sock, factory);
  if (path.empty()) throw ValueError("no path and sock were specified");
  SockAddr addr = SockAddr::from_path(path);
  int fd = make_socket(AF_UNIX, SOCK_STREAM, 0);
  std::exception_ptr failed;
  try {
    co_await sock_connect(loop, fd, addr);
  } catch (...) {
    failed = std::current_exception();
  }
  if (failed) {
    ::close(fd);
    std::rethrow_exception(failed);
  }
  co_return co_await make_transport(loop, fd, factory);
}

Coro<Server> create_server_impl(EventLoop* lp, ProtocolFactory factory, std::string host,
                                std::string port, ServerOptions options) {
  EventLoop& loop = loop_or_running(lp);
  if (options.backlog <= 0) options.backlog = 100;
  auto state = std::make_shared<ServerState>(loop, std::move(factory), options.backlog);
  if (options.sock >= 0) {
    if (!host.empty() || port != "0") {
      ::close(options.sock);
      throw ValueError("host/port and sock can not be specified at the same time");
    }
    state->add_socket(options.sock);
  } else {
    std::vector<AddrInfo> infos = co_await resolve(loop, host, port, options.family, SOCK_STREAM, 0,
                                                   options.flags | AI_PASSIVE);
    if (infos.empty()) throw OSError(0, "getaddrinfo() returned empty list");
    std::vector<SockAddr> done;
    for (const AddrInfo& info : infos) {
      bool seen = false;
      for (const SockAddr& a : done) seen = seen || a == info.addr;
      if (seen) continue;
      done.push_back(info.addr);
      // Made sockets belong to the state at once, so a failure below
      // closes every one of them.
      int fd = make_socket(info.family, SOCK_STREAM, info.protocol);
      state->add_socket(fd);
      int one = 1;
      if (options.reuse_address) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      if (options.reuse_port && ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) {
        raise_os_error(errno);
      }
      // Otherwise "::" would also take the IPv4 port the next address binds.
      if (info.family == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
      if (::bind(fd, info.addr.data(), info.addr.size()) < 0) {
        int err = errno;
        raise_os_error_text(err, absl::StrFormat("error while attempting to bind on address %s: %s",
                                                 info.addr.to_python(), lower_strerror(err)));
      }
      state->listeners.back()->socket.address = SockAddr::sockname(fd);
    }
  }
  co_return open_server(state, options.start_serving);
}

Coro<Server> create_unix_server_impl(EventLoop* lp, ProtocolFactory factory, std::string path,
                                     UnixServerOptions options) {
  EventLoop& loop = loop_or_running(lp);
  if (options.backlog <= 0) options.backlog = 100;
  auto state = std::make_shared<ServerState>(loop, std::move(factory), options.backlog);
  if (options.sock >= 0) {
    if (!path.empty()) {
      ::close(options.sock);
      throw ValueError("path and sock can not be specified at the same time");
    }
    state->add_socket(options.sock);
  } else {
    if (path.empty()) throw ValueError("path was not specified, and no sock specified");
    SockAddr addr = SockAddr::from_path(path);
    bool abstract = path[0] == '\0';
    if (!abstract) {
      // A socket file left by an earlier server that did not clean up.
      struct stat st;
      if (::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(path.c_str());
    }
    int fd = make_socket(AF_UNIX, SOCK_STREAM, 0);
    state->add_socket(fd);
    if (::bind(fd, addr.data(), addr.size()) < 0) {
      int err = errno;
      // Escaped: an abstract name starts with a NUL, which would end what().
      std::string shown = printable_path(path);
      if (err == EADDRINUSE) {
        raise_os_error_text(err, absl::StrFormat("Address '%s' is already in use", shown));
      }
      raise_os_error(err, shown);
    }
    state->listeners.back()->socket.address = SockAddr::sockname(fd);
    struct stat st;
    if (!abstract && options.cleanup_socket && ::stat(path.c_str(), &st) == 0) {
      state->unix_path = path;
      state->unix_inode = st.st_ino;
    }
  }
  co_return open_server(state, options.start_serving);
}

}  // namespace eddy::detail
