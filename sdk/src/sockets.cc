// The loop's low-level socket operations and SockAddr (see eddy/sockets.h).
//
// Each operation is a coroutine holding one *Op object in its frame. The op
// first tries its system call inline; if the call would block, the op's
// FdWatch registers a reader or writer callback (the loop's raw watcher: a C
// function and the op's address, so a wait allocates nothing) that retries
// the call each time the descriptor is ready and completes a Future<void>
// when it is done.
// The watcher is removed as soon as the call completes, and by FdWatch's
// destructor otherwise (the task was cancelled, or its loop abandoned it), so
// no callback ever runs against a dead frame.
//
// A descriptor has one reader and one writer slot per loop. A thread-local
// table remembers which FdWatch owns each slot, which gives asyncio's
// replacement rule: a newer watch on the same slot displaces the older one
// (which then stays pending until cancelled), and an op that no longer owns
// its slot never removes the newer op's watcher.
#include "eddy/sockets.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "eddy/exceptions.h"
#include "eddy/executor.h"
#include "eddy/future.h"
#include "eddy/task.h"

namespace eddy {
namespace {

bool would_block(int err) { return err == EAGAIN || err == EWOULDBLOCK; }

// A blocking call here would freeze every task of the loop. asyncio checks
// the socket's timeout in debug mode only, and so does eddy: outside debug
// mode the check would cost an fcntl() per call (two per echoed message in
// eddy-bench's sockets mode, docs/BENCHMARKS.md).
void check_nonblocking(EventLoop& loop, int fd) {
  if (!loop.get_debug()) return;
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) raise_os_error(errno);
  if (!(flags & O_NONBLOCK)) throw ValueError("the socket must be non-blocking");
}

class FdWatch;
using SlotKey = std::tuple<const EventLoop*, int, bool>;
// Which FdWatch owns each (loop, fd, writer) slot; loop thread only.
thread_local absl::flat_hash_map<SlotKey, FdWatch*> slot_owners;

// Retries an operation each time its descriptor is ready. Subclasses
// implement attempt(): true when the operation finished (its result stored
// in the subclass), false if it would block; it throws on error.
class FdWatch {
 public:
  FdWatch(EventLoop& loop, int fd, bool writer)
      : loop_(loop), guard_(loop.loop_guard()), fd_(fd), writer_(writer) {}
  virtual ~FdWatch() { stop(); }
  FdWatch(const FdWatch&) = delete;
  FdWatch& operator=(const FdWatch&) = delete;

  virtual bool attempt() = 0;

  // Starts watching; the returned future completes when attempt() returns
  // true (or fails with what it threw).
  Future<> wait() {
    done_ = Future<>(loop_);
    SlotKey key(&loop_, fd_, writer_);
    if (writer_) {
      loop_.add_writer_raw(fd_, &FdWatch::ready_thunk, this);
    } else {
      loop_.add_reader_raw(fd_, &FdWatch::ready_thunk, this);
    }
    // The loop replaced any previous callback on this slot: its owner is
    // displaced and will never be woken (asyncio's behaviour).
    FdWatch*& owner = slot_owners[key];
    if (owner && owner != this) owner->registered_ = false;
    owner = this;
    registered_ = true;
    return done_;
  }

 protected:
  int fd() const { return fd_; }

 private:
  // The loop calls this through the C ABI: nothing may be thrown past it.
  static void ready_thunk(void* self, int32_t, uint32_t) {
    auto* watch = static_cast<FdWatch*>(self);
    try {
      watch->on_ready();
    } catch (...) {
      ExceptionContext ctx;
      ctx.message = "Exception in a socket operation's watcher";
      ctx.exception = std::current_exception();
      watch->loop_.call_exception_handler(ctx);
    }
  }

  void on_ready() {
    if (done_.done()) return;  // cancelled; the frame removes the watcher
    bool finished = false;
    try {
      finished = attempt();
    } catch (...) {
      stop();
      done_.set_exception(std::current_exception());
      return;
    }
    if (finished) {
      stop();
      done_.set_result();
    }
  }

  // Removes the watcher if this watch still owns its slot.
  void stop() {
    if (!registered_) return;
    registered_ = false;
    auto it = slot_owners.find(SlotKey(&loop_, fd_, writer_));
    if (it == slot_owners.end() || it->second != this) return;
    slot_owners.erase(it);
    if (guard_->loop == nullptr || loop_.is_closed()) return;
    if (writer_) {
      loop_.remove_writer(fd_);
    } else {
      loop_.remove_reader(fd_);
    }
  }

  EventLoop& loop_;
  std::shared_ptr<detail::LoopGuard> guard_;
  int fd_;
  bool writer_;
  bool registered_ = false;
  Future<> done_;
};

// ---- The operations ----

class RecvOp : public FdWatch {
 public:
  RecvOp(EventLoop& loop, int fd, size_t n) : FdWatch(loop, fd, false), n_(n) {}
  bool attempt() override {
    data_.resize(n_);
    while (true) {
      ssize_t r = ::recv(fd(), data_.data(), n_, 0);
      if (r >= 0) {
        data_.resize(static_cast<size_t>(r));
        return true;
      }
      if (errno == EINTR) continue;
      if (would_block(errno)) return false;
      raise_os_error(errno);
    }
  }
  std::string data_;

 private:
  size_t n_;
};

class RecvIntoOp : public FdWatch {
 public:
  RecvIntoOp(EventLoop& loop, int fd, std::span<char> buf) : FdWatch(loop, fd, false), buf_(buf) {}
  bool attempt() override {
    while (true) {
      ssize_t r = ::recv(fd(), buf_.data(), buf_.size(), 0);
      if (r >= 0) {
        received_ = static_cast<size_t>(r);
        return true;
      }
      if (errno == EINTR) continue;
      if (would_block(errno)) return false;
      raise_os_error(errno);
    }
  }
  size_t received_ = 0;

 private:
  std::span<char> buf_;
};

class RecvFromOp : public FdWatch {
 public:
  RecvFromOp(EventLoop& loop, int fd, size_t n) : FdWatch(loop, fd, false), n_(n) {}
  bool attempt() override {
    data_.resize(n_);
    while (true) {
      socklen_t len = SockAddr::capacity();
      ssize_t r = ::recvfrom(fd(), data_.data(), n_, 0, from_.data(), &len);
      if (r >= 0) {
        data_.resize(static_cast<size_t>(r));
        from_.set_size(std::min(len, SockAddr::capacity()));
        return true;
      }
      if (errno == EINTR) continue;
      if (would_block(errno)) return false;
      raise_os_error(errno);
    }
  }
  std::string data_;
  SockAddr from_;

 private:
  size_t n_;
};

class SendAllOp : public FdWatch {
 public:
  SendAllOp(EventLoop& loop, int fd, std::string_view data)
      : FdWatch(loop, fd, true), view_(data) {}
  // Sends what it can; true once everything went out.
  bool attempt() override {
    while (!view_.empty()) {
      ssize_t r = ::send(fd(), view_.data(), view_.size(), MSG_NOSIGNAL);
      if (r >= 0) {
        view_.remove_prefix(static_cast<size_t>(r));
        continue;
      }
      if (errno == EINTR) continue;
      if (would_block(errno)) return false;
      raise_os_error(errno);
    }
    return true;
  }
  // Before suspending: the caller's buffer need not outlive this call.
  void keep_rest() {
    owned_.assign(view_);
    view_ = owned_;
  }

 private:
  std::string_view view_;
  std::string owned_;
};

class SendToOp : public FdWatch {
 public:
  SendToOp(EventLoop& loop, int fd, std::string_view data, const SockAddr& addr)
      : FdWatch(loop, fd, true), view_(data), addr_(addr) {}
  bool attempt() override {
    while (true) {
      ssize_t r =
          ::sendto(fd(), view_.data(), view_.size(), MSG_NOSIGNAL, addr_.data(), addr_.size());
      if (r >= 0) {
        sent_ = static_cast<size_t>(r);
        return true;
      }
      if (errno == EINTR) continue;
      if (would_block(errno)) return false;
      raise_os_error(errno);
    }
  }
  void keep_data() {
    owned_.assign(view_);
    view_ = owned_;
  }
  size_t sent_ = 0;

 private:
  std::string_view view_;
  std::string owned_;
  SockAddr addr_;
};

class AcceptOp : public FdWatch {
 public:
  AcceptOp(EventLoop& loop, int fd) : FdWatch(loop, fd, false) {}
  // A connection accepted but never handed out (the task was cancelled
  // after the accept) is closed, as Python's garbage collector would.
  ~AcceptOp() override {
    if (conn_ >= 0) ::close(conn_);
  }
  bool attempt() override {
    while (true) {
      socklen_t len = SockAddr::capacity();
      int c = ::accept4(fd(), peer_.data(), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (c >= 0) {
        conn_ = c;
        peer_.set_size(std::min(len, SockAddr::capacity()));
        return true;
      }
      if (errno == EINTR) continue;
      if (would_block(errno)) return false;
      raise_os_error(errno);
    }
  }
  std::pair<int, SockAddr> take() { return {std::exchange(conn_, -1), peer_}; }

 private:
  int conn_ = -1;
  SockAddr peer_;
};

class ConnectOp : public FdWatch {
 public:
  ConnectOp(EventLoop& loop, int fd, const SockAddr& addr) : FdWatch(loop, fd, true), addr_(addr) {}
  // The first call: true if connected at once, false if in progress.
  bool start() {
    if (::connect(fd(), addr_.data(), addr_.size()) == 0) return true;
    // EINTR: the connection goes on in the background (CPython issue 23618).
    if (errno == EINPROGRESS || errno == EINTR || would_block(errno)) return false;
    raise_os_error(errno);
  }
  // Writable: the outcome is in SO_ERROR.
  bool attempt() override {
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd(), SOL_SOCKET, SO_ERROR, &err, &len) < 0) raise_os_error(errno);
    if (err == 0) return true;
    if (err == EINPROGRESS || err == EINTR || would_block(err)) return false;
    raise_os_error_text(err, "Connect call failed " + addr_.to_python());
  }

 private:
  SockAddr addr_;
};

EventLoop& loop_or_running(EventLoop* loop) { return loop ? *loop : get_running_loop(); }

// ---- Coroutines (the public functions forward here) ----

Coro<std::string> recv_impl(EventLoop* lp, int fd, size_t n) {
  EventLoop& loop = loop_or_running(lp);
  check_nonblocking(loop, fd);
  RecvOp op(loop, fd, n);
  if (!op.attempt()) co_await op.wait();
  co_return std::move(op.data_);
}

Coro<size_t> recv_into_impl(EventLoop* lp, int fd, std::span<char> buf) {
  EventLoop& loop = loop_or_running(lp);
  check_nonblocking(loop, fd);
  RecvIntoOp op(loop, fd, buf);
  if (!op.attempt()) co_await op.wait();
  co_return op.received_;
}

Coro<std::pair<std::string, SockAddr>> recvfrom_impl(EventLoop* lp, int fd, size_t n) {
  EventLoop& loop = loop_or_running(lp);
  check_nonblocking(loop, fd);
  RecvFromOp op(loop, fd, n);
  if (!op.attempt()) co_await op.wait();
  co_return std::pair<std::string, SockAddr>(std::move(op.data_), op.from_);
}

Coro<void> sendall_impl(EventLoop* lp, int fd, std::string_view data) {
  EventLoop& loop = loop_or_running(lp);
  check_nonblocking(loop, fd);
  SendAllOp op(loop, fd, data);
  if (op.attempt()) co_return;
  op.keep_rest();
  co_await op.wait();
}

Coro<size_t> sendto_impl(EventLoop* lp, int fd, std::string_view data, SockAddr addr) {
  EventLoop& loop = loop_or_running(lp);
  check_nonblocking(loop, fd);
  SendToOp op(loop, fd, data, addr);
  if (!op.attempt()) {
    op.keep_data();
    co_await op.wait();
  }
  co_return op.sent_;
}

Coro<std::pair<int, SockAddr>> accept_impl(EventLoop* lp, int fd) {
  EventLoop& loop = loop_or_running(lp);
  check_nonblocking(loop, fd);
  AcceptOp op(loop, fd);
  if (!op.attempt()) co_await op.wait();
  co_return op.take();
}

Coro<void> connect_impl(EventLoop* lp, int fd, SockAddr addr) {
  EventLoop& loop = loop_or_running(lp);
  check_nonblocking(loop, fd);
  ConnectOp op(loop, fd, addr);
  if (op.start()) co_return;
  co_await op.wait();
}

// ---- The resolver (runs on an executor thread) ----

[[noreturn]] void raise_gai_error(int code) {
  if (code == EAI_SYSTEM) raise_os_error(errno);
  throw gaierror(code, "[Errno " + std::to_string(code) + "] " + ::gai_strerror(code));
}

std::vector<AddrInfo> blocking_getaddrinfo(const std::string& host, const std::string& port,
                                           int family, int type, int proto, int flags) {
  addrinfo hints;
  std::memset(&hints, 0, sizeof hints);
  hints.ai_family = family;
  hints.ai_socktype = type;
  hints.ai_protocol = proto;
  hints.ai_flags = flags;
  addrinfo* res = nullptr;
  int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(),
                         port.empty() ? nullptr : port.c_str(), &hints, &res);
  if (rc != 0) raise_gai_error(rc);
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> hold(res, ::freeaddrinfo);
  std::vector<AddrInfo> out;
  for (const addrinfo* ai = res; ai; ai = ai->ai_next) {
    AddrInfo info;
    info.family = ai->ai_family;
    info.type = ai->ai_socktype;
    info.protocol = ai->ai_protocol;
    if (ai->ai_canonname) info.canonname = ai->ai_canonname;
    info.addr = SockAddr::from_native(ai->ai_addr, ai->ai_addrlen);
    out.push_back(std::move(info));
  }
  return out;
}

std::pair<std::string, std::string> blocking_getnameinfo(const SockAddr& addr, int flags) {
  char host[NI_MAXHOST];
  char serv[NI_MAXSERV];
  int rc = ::getnameinfo(addr.data(), addr.size(), host, sizeof host, serv, sizeof serv, flags);
  if (rc != 0) raise_gai_error(rc);
  return {host, serv};
}

}  // namespace

// ---- Public entry points ----

Coro<std::string> sock_recv(EventLoop& loop, int fd, size_t n) { return recv_impl(&loop, fd, n); }
Coro<std::string> sock_recv(int fd, size_t n) { return recv_impl(nullptr, fd, n); }

Coro<size_t> sock_recv_into(EventLoop& loop, int fd, std::span<char> buf) {
  return recv_into_impl(&loop, fd, buf);
}
Coro<size_t> sock_recv_into(int fd, std::span<char> buf) {
  return recv_into_impl(nullptr, fd, buf);
}

Coro<void> sock_sendall(EventLoop& loop, int fd, std::string_view data) {
  return sendall_impl(&loop, fd, data);
}
Coro<void> sock_sendall(int fd, std::string_view data) { return sendall_impl(nullptr, fd, data); }

Coro<std::pair<int, SockAddr>> sock_accept(EventLoop& loop, int fd) {
  return accept_impl(&loop, fd);
}
Coro<std::pair<int, SockAddr>> sock_accept(int fd) { return accept_impl(nullptr, fd); }

Coro<void> sock_connect(EventLoop& loop, int fd, const SockAddr& addr) {
  return connect_impl(&loop, fd, addr);
}
Coro<void> sock_connect(int fd, const SockAddr& addr) { return connect_impl(nullptr, fd, addr); }

Coro<std::pair<std::string, SockAddr>> sock_recvfrom(EventLoop& loop, int fd, size_t n) {
  return recvfrom_impl(&loop, fd, n);
}
Coro<std::pair<std::string, SockAddr>> sock_recvfrom(int fd, size_t n) {
  return recvfrom_impl(nullptr, fd, n);
}

Coro<size_t> sock_sendto(EventLoop& loop, int fd, std::string_view data, const SockAddr& addr) {
  return sendto_impl(&loop, fd, data, addr);
}
Coro<size_t> sock_sendto(int fd, std::string_view data, const SockAddr& addr) {
  return sendto_impl(nullptr, fd, data, addr);
}

namespace detail {

Coro<std::vector<AddrInfo>> getaddrinfo_impl(EventLoop* lp, std::string host, std::string port,
                                             int family, int type, int proto, int flags) {
  EventLoop& loop = loop_or_running(lp);
  Future<std::vector<AddrInfo>> f = loop.run_in_executor(
      nullptr, &blocking_getaddrinfo, std::move(host), std::move(port), family, type, proto, flags);
  std::vector<AddrInfo>& result = co_await f;
  co_return std::move(result);
}

Coro<std::pair<std::string, std::string>> getnameinfo_impl(EventLoop* lp, SockAddr addr,
                                                           int flags) {
  EventLoop& loop = loop_or_running(lp);
  Future<std::pair<std::string, std::string>> f =
      loop.run_in_executor(nullptr, &blocking_getnameinfo, std::move(addr), flags);
  std::pair<std::string, std::string>& result = co_await f;
  co_return std::move(result);
}

}  // namespace detail

// ---- SockAddr ----

SockAddr::SockAddr() { std::memset(&storage_, 0, sizeof storage_); }

SockAddr SockAddr::from_ip(std::string_view host, uint16_t port) {
  SockAddr a;
  std::string h(host);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage_);
  if (::inet_pton(AF_INET, h.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    a.size_ = sizeof(sockaddr_in);
    return a;
  }
  // IPv6, possibly with a scope ("fe80::1%eth0"): the numeric-only resolver
  // parses both and never touches the network.
  addrinfo hints;
  std::memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET6;
  hints.ai_flags = AI_NUMERICHOST;
  addrinfo* res = nullptr;
  if (::getaddrinfo(h.c_str(), nullptr, &hints, &res) != 0 || !res) {
    throw ValueError("not a numeric IP address: '" + h + "'");
  }
  a = from_native(res->ai_addr, res->ai_addrlen);
  ::freeaddrinfo(res);
  reinterpret_cast<sockaddr_in6*>(&a.storage_)->sin6_port = htons(port);
  return a;
}

SockAddr SockAddr::from_path(std::string_view path) {
  SockAddr a;
  auto* un = reinterpret_cast<sockaddr_un*>(&a.storage_);
  // A filesystem path needs its terminating NUL; an abstract name does not.
  bool abstract = !path.empty() && path[0] == '\0';
  if (path.size() + (abstract ? 0 : 1) > sizeof un->sun_path) {
    throw ValueError("AF_UNIX path too long");
  }
  un->sun_family = AF_UNIX;
  std::memcpy(un->sun_path, path.data(), path.size());
  a.size_ =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + (abstract ? 0 : 1));
  return a;
}

SockAddr SockAddr::from_native(const sockaddr* addr, socklen_t size) {
  SockAddr a;
  a.size_ = std::min(size, capacity());
  std::memcpy(&a.storage_, addr, a.size_);
  return a;
}

namespace {
// getsockname / getpeername into a SockAddr.
SockAddr name_of(int fd, int (*get)(int, sockaddr*, socklen_t*)) {
  SockAddr a;
  socklen_t len = SockAddr::capacity();
  if (get(fd, a.data(), &len) < 0) raise_os_error(errno);
  a.set_size(std::min(len, SockAddr::capacity()));
  return a;
}
}  // namespace

SockAddr SockAddr::sockname(int fd) { return name_of(fd, &::getsockname); }
SockAddr SockAddr::peername(int fd) { return name_of(fd, &::getpeername); }

void SockAddr::set_size(socklen_t size) {
  if (size > capacity()) throw ValueError("socket address size too large");
  size_ = size;
}

std::string SockAddr::host() const {
  char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 2] = {};
  if (family() == AF_INET) {
    auto* v4 = reinterpret_cast<const sockaddr_in*>(&storage_);
    ::inet_ntop(AF_INET, &v4->sin_addr, buf, sizeof buf);
    return buf;
  }
  if (family() == AF_INET6) {
    // getnameinfo adds the scope ("%eth0") that inet_ntop drops.
    if (::getnameinfo(data(), size_, buf, sizeof buf, nullptr, 0, NI_NUMERICHOST) != 0) {
      auto* v6 = reinterpret_cast<const sockaddr_in6*>(&storage_);
      ::inet_ntop(AF_INET6, &v6->sin6_addr, buf, sizeof buf);
    }
    return buf;
  }
  return {};
}

uint16_t SockAddr::port() const {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  if (family() == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  }
  return 0;
}

std::string SockAddr::path() const {
  if (family() != AF_UNIX) return {};
  auto* un = reinterpret_cast<const sockaddr_un*>(&storage_);
  size_t off = offsetof(sockaddr_un, sun_path);
  if (size_ <= off) return {};
  size_t n = size_ - off;
  if (un->sun_path[0] == '\0') return std::string(un->sun_path, n);  // abstract
  return std::string(un->sun_path, strnlen(un->sun_path, n));
}

std::string SockAddr::to_string() const {
  switch (family()) {
    case AF_INET:
      return host() + ":" + std::to_string(port());
    case AF_INET6:
      return "[" + host() + "]:" + std::to_string(port());
    case AF_UNIX: {
      std::string p = path();
      if (!p.empty() && p[0] == '\0') p[0] = '@';
      return p;
    }
    default:
      return "<unspec>";
  }
}

std::string SockAddr::to_python() const {
  switch (family()) {
    case AF_INET:
      return "('" + host() + "', " + std::to_string(port()) + ")";
    case AF_INET6: {
      auto* v6 = reinterpret_cast<const sockaddr_in6*>(&storage_);
      return "('" + host() + "', " + std::to_string(port()) + ", " +
             std::to_string(ntohl(v6->sin6_flowinfo)) + ", " + std::to_string(v6->sin6_scope_id) +
             ")";
    }
    case AF_UNIX:
      return "'" + to_string() + "'";
    default:
      return "None";
  }
}

bool SockAddr::operator==(const SockAddr& other) const {
  return size_ == other.size_ && std::memcmp(&storage_, &other.storage_, size_) == 0;
}

}  // namespace eddy
