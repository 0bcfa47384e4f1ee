// The datagram socket transport (see datagram_transport.h). The control flow
// follows CPython 3.12's _SelectorDatagramTransport (and the _SelectorTransport
// parts it inherits: close, abort, the water marks), so the order of protocol
// callbacks and the error paths are asyncio's; the comments name where eddy
// differs and why. asyncio's "anything else is fatal" branches catch
// exceptions that are not OSError from the socket object; recvfrom(2) and
// sendto(2) only fail with an errno, which is always an OSError, so every
// failure here is error_received().
#include "net/datagram_transport.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <utility>

#include "absl/strings/str_format.h"
#include "eddy/exceptions.h"
#include "eddy/log.h"
#include "net/util.h"

namespace eddy::detail {
namespace {

// asyncio's max_size: the largest datagram one read takes whole.
constexpr size_t kMaxRead = 256 * 1024;

// The receive buffer shared by every datagram transport of this thread:
// datagram_received sees a view of it valid only during the call.
char* read_buffer() {
  thread_local std::unique_ptr<char[]> buf(new char[kMaxRead]);
  return buf.get();
}

bool would_block(int err) { return err == EAGAIN || err == EWOULDBLOCK; }

}  // namespace

DatagramSocketTransport::DatagramSocketTransport(EventLoop& loop, int fd,
                                                 std::shared_ptr<BaseProtocol> protocol,
                                                 SockAddr address)
    : loop_(loop), fd_(fd), address_(std::move(address)) {
  // On TypeError the caller still owns (and closes) the socket.
  set_protocol(std::move(protocol));
  // Read once, as asyncio fills _extra at construction.
  try {
    sockname_ = SockAddr::sockname(fd_);
  } catch (const OSError&) {
  }
  try {
    peername_ = SockAddr::peername(fd_);
  } catch (const OSError&) {
  }
  loop_.attach_resource(this);
  attached_ = true;
}

DatagramSocketTransport::~DatagramSocketTransport() {
  if (attached_) loop_.detach_resource(this);
  if (fd_ >= 0) ::close(fd_);
}

void DatagramSocketTransport::start(Future<> waiter) {
  self_ = std::static_pointer_cast<DatagramSocketTransport>(shared_from_this());
  auto self = self_;
  // asyncio calls connection_made even if the transport was closed before
  // it ran, so connection_lost never comes without it.
  loop_.call_soon([self] {
    try {
      self->datagram_->connection_made(*self);
    } catch (...) {
      self->report("Exception in protocol.connection_made()", std::current_exception());
    }
  });
  loop_.call_soon([self] {
    if (!self->closing_) self->add_reader();
  });
  if (waiter.state() != nullptr) {
    loop_.call_soon([waiter] {
      if (!waiter.done()) waiter.set_result();
    });
  }
}

// ---- BaseTransport ----

ExtraInfo DatagramSocketTransport::get_extra_info(std::string_view name) const {
  if (name == "peername" && peername_.family() != AF_UNSPEC) return peername_;
  if (name == "sockname" && sockname_.family() != AF_UNSPEC) return sockname_;
  if (name == "socket" && fd_ >= 0) return fd_;
  return std::monostate();
}

void DatagramSocketTransport::set_protocol(std::shared_ptr<BaseProtocol> protocol) {
  auto* datagram = dynamic_cast<DatagramProtocol*>(protocol.get());
  if (!datagram) throw TypeError("a datagram transport needs a DatagramProtocol");
  protocol_ = std::move(protocol);
  datagram_ = datagram;
}

void DatagramSocketTransport::close() {
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

void DatagramSocketTransport::on_readable(void* arg, int32_t, uint32_t) {
  auto* t = static_cast<DatagramSocketTransport*>(arg);
  // A protocol callback may drop the last outside reference.
  std::shared_ptr<DatagramSocketTransport> keep = t->self_;
  t->read_ready();
}

void DatagramSocketTransport::read_ready() {
  if (conn_lost_) return;
  char* buf = read_buffer();
  SockAddr from;
  ssize_t n;
  do {
    socklen_t len = SockAddr::capacity();
    n = ::recvfrom(fd_, buf, kMaxRead, 0, from.data(), &len);
    if (n >= 0) from.set_size(len < SockAddr::capacity() ? len : SockAddr::capacity());
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    // A pending error on the socket (ICMP port unreachable on a connected
    // UDP socket: ECONNREFUSED) is the protocol's business; the transport
    // stays open.
    if (!would_block(errno)) error_received(os_error(errno));
    return;
  }
  // asyncio lets an exception from datagram_received reach the loop's
  // handler and keeps the transport open; a raw watcher cannot propagate
  // it, so it is reported here the same way.
  try {
    datagram_->datagram_received(std::string_view(buf, static_cast<size_t>(n)), from);
  } catch (...) {
    report("Exception in protocol.datagram_received()", std::current_exception());
  }
}

void DatagramSocketTransport::error_received(std::exception_ptr exc) {
  try {
    datagram_->error_received(std::move(exc));
  } catch (...) {
    report("Exception in protocol.error_received()", std::current_exception());
  }
}

// ---- Writing ----

ssize_t DatagramSocketTransport::send_one(std::string_view data, const SockAddr& addr) {
  ssize_t n;
  do {
    // A connected socket sends with send(2), whatever the address (asyncio
    // looks at the peer name the same way).
    if (peername_.family() != AF_UNSPEC) {
      n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    } else {
      n = ::sendto(fd_, data.data(), data.size(), MSG_NOSIGNAL, addr.size() ? addr.data() : nullptr,
                   addr.size());
    }
  } while (n < 0 && errno == EINTR);
  return n;
}

// An empty datagram is sent too (CPython 3.13; 3.12 dropped it).
void DatagramSocketTransport::sendto(std::string_view data, const SockAddr& given) {
  const SockAddr* addr = &given;
  if (address_.family() != AF_UNSPEC) {
    if (given.family() != AF_UNSPEC && !(given == address_)) {
      throw ValueError("Invalid address: must be None or " + address_.to_python());
    }
    addr = &address_;
  }
  if (conn_lost_) {
    // asyncio drops these only for a connected transport (an unconnected
    // one fails on its closed socket and drops them too, less politely).
    if (conn_lost_ >= 5) log(EDDY_LOG_WARNING, "socket.send() raised exception.");
    ++conn_lost_;
    return;
  }
  if (buffer_.empty()) {
    // Nothing queued: try to send at once.
    ssize_t n = send_one(data, *addr);
    if (n >= 0) return;
    if (!would_block(errno)) {
      error_received(os_error(errno));
      return;
    }
    add_writer();
  }
  buffer_.emplace_back(std::string(data), *addr);
  buffer_size_ += data.size() + kHeaderSize;
  maybe_pause_protocol();
}

void DatagramSocketTransport::on_writable(void* arg, int32_t, uint32_t) {
  auto* t = static_cast<DatagramSocketTransport*>(arg);
  std::shared_ptr<DatagramSocketTransport> keep = t->self_;
  t->sendto_ready();
}

void DatagramSocketTransport::sendto_ready() {
  if (conn_lost_) return;
  while (!buffer_.empty()) {
    auto& [data, addr] = buffer_.front();
    ssize_t n = send_one(data, addr);
    if (n < 0 && would_block(errno)) break;  // try again when writable
    int err = errno;
    // What was added on the way in, header included (CPython 3.13+).
    buffer_size_ -= data.size() + kHeaderSize;
    buffer_.pop_front();
    if (n < 0) {
      // The datagram is dropped; the writer stays, so whatever is left is
      // sent (and a pending close completed) on the next writability.
      error_received(os_error(err));
      return;
    }
  }
  maybe_resume_protocol();  // may queue more
  if (buffer_.empty()) {
    remove_writer();
    if (closing_) call_connection_lost(nullptr);
  }
}

void DatagramSocketTransport::set_write_buffer_limits(std::ptrdiff_t high, std::ptrdiff_t low) {
  if (high < 0) high = low < 0 ? 64 * 1024 : 4 * low;
  if (low < 0) low = high / 4;
  if (!(high >= low && low >= 0)) {
    throw ValueError(absl::StrFormat("high (%d) must be >= low (%d) must be >= 0", high, low));
  }
  high_ = static_cast<size_t>(high);
  low_ = static_cast<size_t>(low);
  maybe_pause_protocol();
}

void DatagramSocketTransport::maybe_pause_protocol() {
  if (buffer_size_ <= high_ || protocol_paused_) return;
  protocol_paused_ = true;
  try {
    protocol_->pause_writing();
  } catch (...) {
    report("protocol.pause_writing() failed", std::current_exception());
  }
}

void DatagramSocketTransport::maybe_resume_protocol() {
  if (!protocol_paused_ || buffer_size_ > low_) return;
  protocol_paused_ = false;
  try {
    protocol_->resume_writing();
  } catch (...) {
    report("protocol.resume_writing() failed", std::current_exception());
  }
}

// ---- Closing ----

void DatagramSocketTransport::report(const char* message, std::exception_ptr exc) {
  ExceptionContext ctx;
  ctx.message = message;
  ctx.exception = std::move(exc);
  ctx.handle = absl::StrFormat("<datagram transport fd=%d>", fd_);
  loop_.call_exception_handler(ctx);
}

void DatagramSocketTransport::force_close(std::exception_ptr exc) {
  if (conn_lost_) return;
  if (!buffer_.empty()) {
    buffer_.clear();
    buffer_size_ = 0;
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

void DatagramSocketTransport::call_connection_lost(std::exception_ptr exc) {
  if (fd_ < 0) return;  // the loop was closed meanwhile
  // After a close() that flushed the queue: later sends are dropped too.
  if (conn_lost_ == 0) conn_lost_ = 1;
  // Keep this alive past dropping self_, and close the socket whatever the
  // protocol does (asyncio's try/finally).
  std::shared_ptr<DatagramSocketTransport> keep = std::move(self_);
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
}

void DatagramSocketTransport::loop_closed() {
  // The loop cannot run connection_lost any more: let go of everything.
  std::shared_ptr<DatagramSocketTransport> keep = std::move(self_);
  attached_ = false;  // the loop detached us
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  watch_.forget();
}

// ---- Watchers ----

void DatagramSocketTransport::add_reader() { watch_.add_reader(loop_, fd_, &on_readable, this); }
void DatagramSocketTransport::remove_reader() { watch_.remove_reader(loop_, fd_); }
void DatagramSocketTransport::add_writer() { watch_.add_writer(loop_, fd_, &on_writable, this); }
void DatagramSocketTransport::remove_writer() { watch_.remove_writer(loop_, fd_); }

}  // namespace eddy::detail
