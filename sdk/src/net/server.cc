// Server and its accept loop (asyncio's Server and
// BaseSelectorEventLoop._accept_connection; see eddy/network.h).
#include <errno.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "eddy/exceptions.h"
#include "eddy/task.h"
#include "net/server_state.h"
#include "net/socket_transport.h"
#include "net/util.h"

namespace eddy {
namespace detail {
namespace {

// asyncio's constants.ACCEPT_RETRY_DELAY, in seconds.
constexpr double kAcceptRetryDelay = 1.0;

}  // namespace

ServerState::ServerState(EventLoop& l, ProtocolFactory f, int b)
    : loop(l), factory(std::move(f)), backlog(b) {
  loop.attach_resource(this);
  attached = true;
}

ServerState::~ServerState() {
  close_sockets();
  if (attached) loop.detach_resource(this);
}

void ServerState::add_socket(int fd) {
  auto l = std::make_unique<Listener>();
  l->server = this;
  l->socket.fd = fd;
  try {
    l->socket.address = SockAddr::sockname(fd);
  } catch (const OSError&) {
  }
  listeners.push_back(std::move(l));
}

std::string ServerState::repr() const {
  std::string s = "<Server sockets=(";
  for (size_t i = 0; i < listeners.size() && !closed; ++i) {
    s += (i ? ", " : "") + listeners[i]->socket.address.to_string();
  }
  return s + ")>";
}

void ServerState::start_serving() {
  if (serving) return;
  serving = true;
  for (auto& l : listeners) {
    if (::listen(l->socket.fd, backlog) < 0) raise_os_error(errno);
    watch(*l);
  }
}

void ServerState::watch(Listener& l) {
  if (l.watching) return;
  loop.add_reader_raw(l.socket.fd, &on_acceptable, &l);
  l.watching = true;
}

void ServerState::unwatch(Listener& l) {
  if (!l.watching) return;
  l.watching = false;
  if (!loop.is_closed()) loop.remove_reader(l.socket.fd);
}

void ServerState::on_acceptable(void* arg, int32_t, uint32_t) {
  auto* l = static_cast<Listener*>(arg);
  // A protocol factory or connection_made may close the server.
  std::shared_ptr<ServerState> keep = l->server->self;
  l->server->accept_connections(*l);
}

void ServerState::accept_connections(Listener& l) {
  // Up to `backlog` connections per readiness, as asyncio: a burst of
  // clients is taken in one go, yet one listener cannot starve the loop.
  for (int i = 0; i < backlog && !closed; ++i) {
    int conn = ::accept4(l.socket.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (conn < 0) {
      int err = errno;
      if (err == EINTR) continue;
      if (err == EAGAIN || err == EWOULDBLOCK || err == ECONNABORTED) return;
      if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
        // Out of descriptors: stop accepting for a while, so the loop does
        // not spin on a listener that stays readable, then serve again.
        ExceptionContext ctx;
        ctx.message = "socket.accept() out of system resource";
        ctx.exception = os_error(err);
        ctx.handle = l.socket.address.to_string();
        loop.call_exception_handler(ctx);
        unwatch(l);
        l.retry_pending = true;
        Listener* lp = &l;
        l.retry = loop.call_later(kAcceptRetryDelay, [lp] {
          lp->retry_pending = false;
          ServerState* s = lp->server;
          if (s->serving && !s->closed) s->watch(*lp);
        });
        return;
      }
      ExceptionContext ctx;
      ctx.message = "Error on accepting connection";
      ctx.exception = os_error(err);
      ctx.handle = l.socket.address.to_string();
      loop.call_exception_handler(ctx);
      return;
    }
    try {
      std::shared_ptr<BaseProtocol> protocol = factory();
      if (!protocol) throw TypeError("the protocol factory returned null");
      auto t =
          std::make_shared<SocketTransport>(loop, conn, std::move(protocol), shared_from_this());
      t->start(Future<>());
    } catch (...) {
      // The transport (if it was made) owns conn and closed it.
      ExceptionContext ctx;
      ctx.message = "Error on transport creation for incoming connection";
      ctx.exception = std::current_exception();
      loop.call_exception_handler(ctx);
    }
  }
}

void ServerState::close_sockets() {
  for (auto& l : listeners) {
    unwatch(*l);
    if (l->retry_pending) {
      l->retry.cancel();
      l->retry_pending = false;
    }
    if (l->socket.fd >= 0) ::close(l->socket.fd);
    l->socket.fd = -1;
  }
  if (!unix_path.empty()) {
    // Remove the socket file only if it is still the one we bound (3.13).
    struct stat st;
    if (::stat(unix_path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_ino == unix_inode) {
      ::unlink(unix_path.c_str());
    }
    unix_path.clear();
  }
}

void ServerState::close() {
  if (closed) return;
  closed = true;
  close_sockets();
  serving = false;
  if (serving_forever.state() != nullptr && !serving_forever.done()) serving_forever.cancel();
  if (clients.empty()) wakeup();
  std::shared_ptr<ServerState> keep = std::move(self);
}

void ServerState::wakeup() {
  if (woken) return;
  woken = true;
  std::vector<Future<>> ws = std::move(waiters);
  for (Future<>& w : ws) {
    if (!w.done()) w.set_result();
  }
}

void ServerState::attach(SocketTransport* t) { clients.insert(t); }

void ServerState::detach(SocketTransport* t) {
  clients.erase(t);
  if (clients.empty() && closed) wakeup();
}

void ServerState::loop_closed() {
  attached = false;
  std::shared_ptr<ServerState> keep = std::move(self);
  closed = true;
  serving = false;
  for (auto& l : listeners) l->watching = false;  // the loop dropped them
  close_sockets();
  waiters.clear();
}

}  // namespace detail

// ---- Server ----

namespace {
detail::ServerState& state(const std::shared_ptr<detail::ServerState>& s) {
  if (!s) throw RuntimeError("Server is empty (default-constructed)");
  return *s;
}
}  // namespace

void Server::close() { state(s_).close(); }

void Server::close_clients() {
  std::vector<detail::SocketTransport*> all(state(s_).clients.begin(), s_->clients.end());
  for (detail::SocketTransport* t : all) t->close();
}

void Server::abort_clients() {
  std::vector<detail::SocketTransport*> all(state(s_).clients.begin(), s_->clients.end());
  for (detail::SocketTransport* t : all) t->abort();
}

void Server::start_serving() {
  detail::ServerState& s = state(s_);
  if (s.closed) throw RuntimeError(absl::StrFormat("server %s is closed", s.repr()));
  s.start_serving();
}

bool Server::is_serving() const { return state(s_).serving; }

Coro<void> Server::wait_closed() {
  std::shared_ptr<detail::ServerState> s = s_;
  state(s);
  if (s->woken) co_return;
  Future<> waiter(s->loop);
  s->waiters.push_back(waiter);
  co_await waiter;
}

Coro<void> Server::serve_forever() {
  std::shared_ptr<detail::ServerState> s = s_;
  state(s);
  if (s->serving_forever.state() != nullptr) {
    throw RuntimeError(
        absl::StrFormat("server %s is already being awaited on serve_forever()", s->repr()));
  }
  if (s->closed) throw RuntimeError(absl::StrFormat("server %s is closed", s->repr()));
  s->start_serving();
  s->serving_forever = Future<>(s->loop);
  std::exception_ptr cancelled;
  try {
    co_await s->serving_forever;
  } catch (const CancelledError&) {
    cancelled = std::current_exception();
  }
  s->serving_forever = Future<>();
  if (cancelled) {
    // asyncio: close, wait for the connections, then re-raise.
    s->close();
    co_await Server(s).wait_closed();
    std::rethrow_exception(cancelled);
  }
}

std::vector<ServerSocket> Server::sockets() const {
  std::vector<ServerSocket> out;
  if (state(s_).closed) return out;
  for (auto& l : s_->listeners) out.push_back(l->socket);
  return out;
}

EventLoop& Server::get_loop() const { return state(s_).loop; }

size_t Server::active_connections() const { return state(s_).clients.size(); }

}  // namespace eddy
