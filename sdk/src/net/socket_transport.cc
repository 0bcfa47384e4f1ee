// The stream socket transport (see socket_transport.h). The control flow
// follows CPython 3.12's _SelectorSocketTransport method for method, so the
// order of protocol callbacks, the water-mark rules and the error paths are
// asyncio's; the comments name where eddy differs and why.
#include "net/socket_transport.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <memory>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_format.h"
#include "eddy/exceptions.h"
#include "eddy/log.h"
#include "net/server_state.h"
#include "net/util.h"

namespace eddy::detail {
namespace {

// asyncio's max_size: how much one read asks the socket for.
constexpr size_t kMaxRead = 256 * 1024;

// The read buffer shared by every transport of this thread: data_received
// sees a view of it that is valid only during the call, so one suffices.
char* read_buffer() {
  thread_local std::unique_ptr<char[]> buf(new char[kMaxRead]);
  return buf.get();
}

bool would_block(int err) { return err == EAGAIN || err == EWOULDBLOCK; }

bool is_os_error(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const OSError&) {
    return true;
  } catch (...) {
    return false;
  }
}

}  // namespace

SocketTransport::SocketTransport(EventLoop& loop, int fd, std::shared_ptr<BaseProtocol> protocol,
                                 std::shared_ptr<ServerState> server)
    : loop_(loop), fd_(fd), server_(std::move(server)) {
  set_protocol(std::move(protocol));
  // Addresses are read once, as asyncio fills _extra at construction.
  try {
    sockname_ = SockAddr::sockname(fd_);
  } catch (const OSError&) {
  }
  try {
    peername_ = SockAddr::peername(fd_);
  } catch (const OSError&) {
  }
  if (sockname_.family() == AF_INET || sockname_.family() == AF_INET6) {
    // asyncio's _set_nodelay: small writes go out at once.
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  if (server_) server_->attach(this);
  loop_.attach_resource(this);
  attached_ = true;
}

SocketTransport::~SocketTransport() {
  // Only a transport that never started (or whose loop closed) gets here
  // with its socket open: nothing watches it any more.
  if (attached_) loop_.detach_resource(this);
  if (server_) server_->detach(this);
  if (fd_ >= 0) ::close(fd_);
}

void SocketTransport::start(Future<> waiter) {
  self_ = std::static_pointer_cast<SocketTransport>(shared_from_this());
  auto self = self_;
  // connection_made runs even if the transport is closed meanwhile (its
  // connection_lost is queued after it), as asyncio.
  loop_.call_soon([self] {
    if (self->stream_) {
      self->stream_->connection_made(*self);
    } else {
      self->buffered_->connection_made(*self);
    }
  });
  loop_.call_soon([self] {
    self->started_ = true;
    if (!self->closing_ && !self->paused_) self->add_reader();
  });
  if (waiter.state() != nullptr) {
    loop_.call_soon([waiter] {
      if (!waiter.done()) waiter.set_result();
    });
  }
}

// ---- BaseTransport ----

ExtraInfo SocketTransport::get_extra_info(std::string_view name) const {
  if (name == "peername" && peername_.family() != AF_UNSPEC) return peername_;
  if (name == "sockname" && sockname_.family() != AF_UNSPEC) return sockname_;
  if (name == "socket" && fd_ >= 0) return fd_;
  return std::monostate();
}

void SocketTransport::set_protocol(std::shared_ptr<BaseProtocol> protocol) {
  Protocol* stream = dynamic_cast<Protocol*>(protocol.get());
  BufferedProtocol* buffered = stream ? nullptr : dynamic_cast<BufferedProtocol*>(protocol.get());
  if (!stream && !buffered) {
    throw TypeError("a stream transport needs a Protocol or a BufferedProtocol");
  }
  protocol_ = std::move(protocol);
  stream_ = stream;
  buffered_ = buffered;
}

void SocketTransport::close() {
  if (closing_) return;
  closing_ = true;
  remove_reader();
  if (buffer_.empty()) {
    ++conn_lost_;
    remove_writer();
    auto self = self_;
    loop_.call_soon([self] { self->call_connection_lost(nullptr); });
  }
}

// ---- Reading ----

void SocketTransport::pause_reading() {
  if (closing_ || paused_) return;
  paused_ = true;
  remove_reader();
}

void SocketTransport::resume_reading() {
  if (closing_ || !paused_) return;
  paused_ = false;
  if (started_) add_reader();
}

void SocketTransport::on_readable(void* arg, int32_t, uint32_t) {
  auto* t = static_cast<SocketTransport*>(arg);
  // A protocol callback may drop the last outside reference.
  std::shared_ptr<SocketTransport> keep = t->self_;
  if (t->buffered_) {
    t->read_ready_buffered();
  } else {
    t->read_ready();
  }
}

void SocketTransport::read_ready() {
  if (conn_lost_) return;
  char* buf = read_buffer();
  ssize_t n;
  do {
    n = ::recv(fd_, buf, kMaxRead, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (would_block(errno)) return;
    fatal_error(os_error(errno), "Fatal read error on socket transport");
    return;
  }
  if (n == 0) {
    read_eof();
    return;
  }
  try {
    stream_->data_received(std::string_view(buf, static_cast<size_t>(n)));
  } catch (...) {
    fatal_error(std::current_exception(), "Fatal error: protocol.data_received() call failed.");
  }
}

void SocketTransport::read_ready_buffered() {
  if (conn_lost_) return;
  std::span<char> buf;
  try {
    buf = buffered_->get_buffer(-1);
    if (buf.empty()) throw RuntimeError("get_buffer() returned an empty buffer");
  } catch (...) {
    fatal_error(std::current_exception(), "Fatal error: protocol.get_buffer() call failed.");
    return;
  }
  ssize_t n;
  do {
    n = ::recv(fd_, buf.data(), buf.size(), 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (would_block(errno)) return;
    fatal_error(os_error(errno), "Fatal read error on socket transport");
    return;
  }
  if (n == 0) {
    read_eof();
    return;
  }
  try {
    buffered_->buffer_updated(static_cast<size_t>(n));
  } catch (...) {
    fatal_error(std::current_exception(), "Fatal error: protocol.buffer_updated() call failed.");
  }
}

void SocketTransport::read_eof() {
  remove_reader();
  bool keep_open = false;
  try {
    keep_open = stream_ ? stream_->eof_received() : buffered_->eof_received();
  } catch (...) {
    fatal_error(std::current_exception(), "Fatal error: protocol.eof_received() call failed.");
    return;
  }
  // Keeping it open: the reader stays removed (nothing more will come); the
  // protocol closes the transport when it is done writing.
  if (!keep_open) close();
}

// ---- Writing ----

ssize_t SocketTransport::send_now(std::string_view data) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n >= 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (would_block(errno)) break;
    fatal_error(os_error(errno), "Fatal write error on socket transport");
    return -1;
  }
  return static_cast<ssize_t>(sent);
}

void SocketTransport::write(std::string_view data) {
  if (eof_) throw RuntimeError("Cannot call write() after write_eof()");
  if (empty_waiter_.state() != nullptr) {
    throw RuntimeError("unable to write; sendfile is in progress");
  }
  if (data.empty()) return;
  if (conn_lost_) {
    if (conn_lost_ >= 5) log(EDDY_LOG_WARNING, "socket.send() raised exception.");
    ++conn_lost_;
    return;
  }
  if (buffer_.empty()) {
    // Nothing queued: try to send at once, as asyncio does.
    ssize_t n = send_now(data);
    if (n < 0 || static_cast<size_t>(n) == data.size()) return;
    data.remove_prefix(static_cast<size_t>(n));
    add_writer();
  }
  buffer_.append(data);
  maybe_pause_protocol();
}

void SocketTransport::writelines(std::span<const std::string_view> list_of_data) {
  if (eof_) throw RuntimeError("Cannot call writelines() after write_eof()");
  if (empty_waiter_.state() != nullptr) {
    throw RuntimeError("unable to writelines; sendfile is in progress");
  }
  if (list_of_data.empty()) return;
  if (conn_lost_ || !buffer_.empty()) {
    for (std::string_view d : list_of_data) write(d);
    return;
  }
  // One sendmsg for all of it (asyncio 3.12 does the same), then the rest
  // goes to the buffer.
  absl::InlinedVector<iovec, 16> iov;
  for (std::string_view d : list_of_data) {
    if (d.empty()) continue;
    iov.push_back({const_cast<char*>(d.data()), d.size()});
    if (iov.size() == IOV_MAX) break;
  }
  if (iov.empty()) return;
  msghdr msg{};
  msg.msg_iov = iov.data();
  msg.msg_iovlen = iov.size();
  ssize_t n;
  do {
    n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (!would_block(errno)) {
      fatal_error(os_error(errno), "Fatal write error on socket transport");
      return;
    }
    n = 0;
  }
  size_t skip = static_cast<size_t>(n);
  bool queued = false;
  for (std::string_view d : list_of_data) {
    if (skip >= d.size()) {
      skip -= d.size();
      continue;
    }
    d.remove_prefix(skip);
    skip = 0;
    buffer_.append(d);
    queued = true;
  }
  if (queued) {
    add_writer();
    maybe_pause_protocol();
  }
}

void SocketTransport::on_writable(void* arg, int32_t, uint32_t) {
  auto* t = static_cast<SocketTransport*>(arg);
  std::shared_ptr<SocketTransport> keep = t->self_;
  t->write_ready();
}

void SocketTransport::write_ready() {
  if (conn_lost_) return;
  ssize_t n = send_now(buffer_.view());
  if (n < 0) {
    buffer_.clear();
    return;  // fatal_error closed everything
  }
  buffer_.consume(static_cast<size_t>(n));
  maybe_resume_protocol();  // may append to the buffer
  if (buffer_.empty()) finish_flush();
}

void SocketTransport::finish_flush() {
  remove_writer();
  if (empty_waiter_.state() != nullptr && !empty_waiter_.done()) empty_waiter_.set_result();
  if (closing_) {
    call_connection_lost(nullptr);
  } else if (eof_) {
    ::shutdown(fd_, SHUT_WR);
  }
}

void SocketTransport::write_eof() {
  if (closing_ || eof_) return;
  eof_ = true;
  if (buffer_.empty()) ::shutdown(fd_, SHUT_WR);
}

void SocketTransport::set_write_buffer_limits(std::ptrdiff_t high, std::ptrdiff_t low) {
  if (high < 0) high = low < 0 ? 64 * 1024 : 4 * low;
  if (low < 0) low = high / 4;
  if (!(high >= low && low >= 0)) {
    throw ValueError(absl::StrFormat("high (%d) must be >= low (%d) must be >= 0", high, low));
  }
  high_ = static_cast<size_t>(high);
  low_ = static_cast<size_t>(low);
  maybe_pause_protocol();
}

void SocketTransport::maybe_pause_protocol() {
  if (buffer_.size() <= high_ || protocol_paused_) return;
  protocol_paused_ = true;
  try {
    protocol_->pause_writing();
  } catch (...) {
    report("protocol.pause_writing() failed", std::current_exception());
  }
}

void SocketTransport::maybe_resume_protocol() {
  if (!protocol_paused_ || buffer_.size() > low_) return;
  protocol_paused_ = false;
  try {
    protocol_->resume_writing();
  } catch (...) {
    report("protocol.resume_writing() failed", std::current_exception());
  }
}

// ---- sendfile ----

Future<> SocketTransport::begin_sendfile() {
  if (empty_waiter_.state() != nullptr) throw RuntimeError("Empty waiter is already set");
  empty_waiter_ = Future<>(loop_);
  if (buffer_.empty()) empty_waiter_.set_result();
  return empty_waiter_;
}

void SocketTransport::end_sendfile() { empty_waiter_ = Future<>(); }

// ---- Closing ----

void SocketTransport::report(const char* message, std::exception_ptr exc) {
  ExceptionContext ctx;
  ctx.message = message;
  ctx.exception = std::move(exc);
  ctx.handle = absl::StrFormat("<socket transport fd=%d>", fd_);
  loop_.call_exception_handler(ctx);
}

void SocketTransport::fatal_error(std::exception_ptr exc, const char* message) {
  // A reset or broken connection is the peer's doing, not a bug: asyncio
  // logs those only in debug mode.
  if (!is_os_error(exc)) {
    report(message, exc);
  } else if (loop_.get_debug()) {
    log(EDDY_LOG_DEBUG, message);
  }
  force_close(std::move(exc));
}

void SocketTransport::force_close(std::exception_ptr exc) {
  if (conn_lost_) return;
  if (!buffer_.empty()) {
    buffer_.clear();
    remove_writer();
  }
  if (!closing_) {
    closing_ = true;
    remove_reader();
  }
  ++conn_lost_;
  auto self = self_;
  loop_.call_soon([self, exc = std::move(exc)] { self->call_connection_lost(exc); });
}

void SocketTransport::call_connection_lost(std::exception_ptr exc) {
  if (fd_ < 0) return;  // the loop was closed meanwhile
  if (empty_waiter_.state() != nullptr && !empty_waiter_.done()) {
    empty_waiter_.set_exception(ConnectionError(0, "Connection is closed by peer"));
  }
  // Keep this alive past dropping self_, and close the socket whatever the
  // protocol does (asyncio's try/finally).
  std::shared_ptr<SocketTransport> keep = std::move(self_);
  std::shared_ptr<BaseProtocol> protocol = protocol_;
  try {
    protocol->connection_lost(exc);
  } catch (...) {
    report("Exception in protocol.connection_lost()", std::current_exception());
  }
  remove_reader();
  remove_writer();
  ::close(fd_);
  fd_ = -1;
  loop_.detach_resource(this);
  attached_ = false;
  if (server_) {
    server_->detach(this);
    server_.reset();
  }
}

void SocketTransport::loop_closed() {
  // The loop cannot run connection_lost any more: let go of everything.
  std::shared_ptr<SocketTransport> keep = std::move(self_);
  attached_ = false;  // the loop detached us
  closing_ = true;
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  watch_.forget();
  if (server_) {
    server_->detach(this);
    server_.reset();
  }
}

// ---- Watchers ----

void SocketTransport::add_reader() { watch_.add_reader(loop_, fd_, &on_readable, this); }
void SocketTransport::remove_reader() { watch_.remove_reader(loop_, fd_); }
void SocketTransport::add_writer() { watch_.add_writer(loop_, fd_, &on_writable, this); }
void SocketTransport::remove_writer() { watch_.remove_writer(loop_, fd_); }

}  // namespace eddy::detail
