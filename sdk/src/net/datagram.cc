// create_datagram_endpoint (asyncio's BaseEventLoop.create_datagram_endpoint;
// see eddy/network.h). Addresses come resolved (SockAddr), so where asyncio
// resolves local_addr and remote_addr and pairs the results by (family,
// proto), eddy takes the family from the addresses themselves; the checks
// and their messages are asyncio's.
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_format.h"
#include "eddy/exceptions.h"
#include "eddy/log.h"
#include "eddy/network.h"
#include "eddy/task.h"
#include "net/datagram_transport.h"
#include "net/util.h"

namespace eddy::detail {
namespace {

EventLoop& loop_or_running(EventLoop* loop) { return loop ? *loop : get_running_loop(); }

bool given(const std::optional<SockAddr>& addr) { return addr && addr->family() != AF_UNSPEC; }

const char* type_name(int type) {
  switch (type) {
    case SOCK_STREAM:
      return "SOCK_STREAM";
    case SOCK_DGRAM:
      return "SOCK_DGRAM";
    case SOCK_SEQPACKET:
      return "SOCK_SEQPACKET";
    case SOCK_RAW:
      return "SOCK_RAW";
    default:
      return "?";
  }
}

// Checks and prepares a socket passed as sock=. Throws (and closes it: it
// was handed over) if it cannot serve.
void adopt_socket(const DatagramOptions& o) {
  int fd = o.sock;
  try {
    int type = 0;
    socklen_t len = sizeof type;
    if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) raise_os_error(errno);
    if (type == SOCK_STREAM) {
      throw ValueError(absl::StrFormat(
          "A datagram socket was expected, got <socket fd=%d, type=%s>", fd, type_name(type)));
    }
    // asyncio names every modifier that was given.
    std::string problems;
    auto add = [&problems](const std::string& item) {
      problems += (problems.empty() ? "" : ", ") + item;
    };
    if (given(o.local_addr)) add("local_addr=" + o.local_addr->to_python());
    if (given(o.remote_addr)) add("remote_addr=" + o.remote_addr->to_python());
    if (o.family) add("family=" + std::to_string(o.family));
    if (o.proto) add("proto=" + std::to_string(o.proto));
    if (o.flags) add("flags=" + std::to_string(o.flags));
    if (o.reuse_port) add("reuse_port=True");
    if (o.allow_broadcast) add("allow_broadcast=True");
    if (!problems.empty()) {
      throw ValueError(
          "socket modifier keyword arguments can not be used when sock is specified. (" + problems +
          ")");
    }
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) raise_os_error(errno);
  } catch (...) {
    ::close(fd);
    throw;
  }
}

// asyncio removes a socket file left at the local path by an earlier
// endpoint; anything it cannot check is logged, and bind() then decides.
void remove_stale_unix_socket(const std::string& path) {
  if (path.empty() || path[0] == '\0') return;  // unnamed or abstract
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return;  // not ours to remove: bind() fails
    if (::unlink(path.c_str()) == 0 || errno == ENOENT) return;
  } else if (errno == ENOENT) {
    return;
  }
  log(EDDY_LOG_ERROR, absl::StrFormat("Unable to check or remove stale UNIX socket '%s': %s", path,
                                      ::strerror(errno)));
}

// Makes, binds and connects the endpoint's socket; r_addr receives the
// address sendto() is then restricted to.
Coro<int> open_socket(EventLoop& loop, const DatagramOptions& o, SockAddr* r_addr) {
  bool have_local = given(o.local_addr);
  bool have_remote = given(o.remote_addr);
  int family = o.family;
  if (!have_local && !have_remote) {
    if (family == 0) throw ValueError("unexpected address family");
  } else {
    int local_family = have_local ? o.local_addr->family() : AF_UNSPEC;
    int remote_family = have_remote ? o.remote_addr->family() : AF_UNSPEC;
    int addr_family = have_local ? local_family : remote_family;
    if (family == AF_UNIX && addr_family != AF_UNIX) throw TypeError("string is expected");
    // asyncio resolves both addresses and keeps the (family, proto) pairs
    // both have: none when the families differ, or differ from `family`.
    if ((have_local && have_remote && local_family != remote_family) ||
        (family != 0 && family != addr_family)) {
      throw ValueError("can not get address information");
    }
    family = addr_family;
    if (family == AF_UNIX && have_local) remove_stale_unix_socket(o.local_addr->path());
  }
  int raw = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, o.proto);
  if (raw < 0) raise_os_error(errno);
  ScopedFd fd(raw);
  int one = 1;
  if (o.reuse_port && ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) {
    raise_os_error(errno);
  }
  if (o.allow_broadcast && ::setsockopt(fd.get(), SOL_SOCKET, SO_BROADCAST, &one, sizeof one) < 0) {
    raise_os_error(errno);
  }
  if (have_local && ::bind(fd.get(), o.local_addr->data(), o.local_addr->size()) < 0) {
    raise_os_error(errno);
  }
  if (have_remote) {
    // A broadcast endpoint stays unconnected and sends to the address.
    if (!o.allow_broadcast) co_await sock_connect(loop, fd.get(), *o.remote_addr);
    *r_addr = *o.remote_addr;
  }
  co_return fd.release();
}

}  // namespace

Coro<std::pair<std::shared_ptr<DatagramTransport>, std::shared_ptr<DatagramProtocol>>>
create_datagram_endpoint_impl(EventLoop* lp, DatagramProtocolFactory factory,
                              DatagramOptions options) {
  EventLoop& loop = loop_or_running(lp);
  int fd;
  SockAddr r_addr;
  if (options.sock >= 0) {
    adopt_socket(options);
    fd = options.sock;
  } else {
    fd = co_await open_socket(loop, options, &r_addr);
  }
  std::shared_ptr<DatagramProtocol> protocol;
  std::shared_ptr<DatagramSocketTransport> transport;
  try {
    protocol = factory();
    if (!protocol) throw TypeError("the protocol factory returned null");
    transport = std::make_shared<DatagramSocketTransport>(loop, fd, protocol, r_addr);
  } catch (...) {
    ::close(fd);
    throw;
  }
  // As create_connection: return once connection_made has run.
  co_await transport->start_and_wait();
  co_return std::pair(std::shared_ptr<DatagramTransport>(transport), std::move(protocol));
}

}  // namespace eddy::detail
