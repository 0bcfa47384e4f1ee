// The transports' shared base (see transport_base.h). The control flow is
// CPython 3.12's _SelectorTransport (close, _force_close,
// _call_connection_lost, the water marks); the comments name where eddy
// differs and why.
#include "net/transport_base.h"

#include <limits.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_format.h"
#include "eddy/exceptions.h"
#include "eddy/log.h"

namespace eddy::detail {
namespace {

// asyncio's LOG_THRESHOLD_FOR_CONNLOST_WRITES.
constexpr int kLogThresholdForConnLostWrites = 5;

}  // namespace

char* transport_read_buffer() {
  thread_local std::unique_ptr<char[]> buf(new char[kMaxRead]);
  return buf.get();
}

void SocketNames::read(int fd) {
  try {
    sockname = SockAddr::sockname(fd);
  } catch (const OSError&) {
  }
  try {
    peername = SockAddr::peername(fd);
  } catch (const OSError&) {
  }
}

ExtraInfo SocketNames::get(std::string_view name, int fd) const {
  if (name == "peername" && peername.family() != AF_UNSPEC) return peername;
  if (name == "sockname" && sockname.family() != AF_UNSPEC) return sockname;
  if (name == "socket" && fd >= 0) return fd;
  return std::monostate();
}

// ---- TransportBase ----

template <class Interface>
TransportBase<Interface>::~TransportBase() {
  // Only a transport that never started (or whose loop closed) gets here
  // with its descriptor open: nothing watches it any more.
  if (attached_) loop_.detach_resource(this);
  if (fd_ >= 0) ::close(fd_);
}

template <class Interface>
void TransportBase<Interface>::own_fd(int fd) {
  fd_ = fd;
  loop_.attach_resource(this);
  attached_ = true;
}

template <class Interface>
void TransportBase<Interface>::start(Future<> waiter) {
  self_ = std::static_pointer_cast<TransportBase>(this->shared_from_this());
  auto self = self_;
  // connection_made runs even if the transport is closed meanwhile (its
  // connection_lost is queued after it), as asyncio.
  loop_.call_soon([self] { self->deliver_connection_made(); });
  loop_.call_soon([self] { self->start_watching(); });
  if (waiter.state() != nullptr) {
    loop_.call_soon([waiter] {
      if (!waiter.done()) waiter.set_result();
    });
  }
}

template <class Interface>
Coro<> TransportBase<Interface>::start_and_wait() {
  Future<> waiter(loop_);
  start(waiter);
  std::exception_ptr failed;
  try {
    co_await waiter;
  } catch (...) {
    failed = std::current_exception();
  }
  if (failed) {
    close();
    std::rethrow_exception(failed);
  }
}

template <class Interface>
void TransportBase<Interface>::close() {
  if (closing_) return;
  closing_ = true;
  remove_reader();
  if (this->get_write_buffer_size() == 0) {
    ++conn_lost_;
    remove_writer();
    schedule_connection_lost(nullptr);
  }
}

template <class Interface>
void TransportBase<Interface>::set_write_buffer_limits(std::ptrdiff_t high, std::ptrdiff_t low) {
  if (high < 0) high = low < 0 ? 64 * 1024 : 4 * low;
  if (low < 0) low = high / 4;
  if (!(high >= low && low >= 0)) {
    throw ValueError(absl::StrFormat("high (%d) must be >= low (%d) must be >= 0", high, low));
  }
  high_ = static_cast<size_t>(high);
  low_ = static_cast<size_t>(low);
  maybe_pause_protocol();
}

template <class Interface>
void TransportBase<Interface>::maybe_pause_protocol() {
  // No protocol: a pipe transport lets go of it after connection_lost.
  if (this->get_write_buffer_size() <= high_ || protocol_paused_ || !protocol_) return;
  protocol_paused_ = true;
  try {
    protocol_->pause_writing();
  } catch (...) {
    report("protocol.pause_writing() failed", std::current_exception());
  }
}

template <class Interface>
void TransportBase<Interface>::maybe_resume_protocol() {
  if (!protocol_paused_ || this->get_write_buffer_size() > low_ || !protocol_) return;
  protocol_paused_ = false;
  try {
    protocol_->resume_writing();
  } catch (...) {
    report("protocol.resume_writing() failed", std::current_exception());
  }
}

template <class Interface>
void TransportBase<Interface>::report(const char* message, std::exception_ptr exc) {
  ExceptionContext ctx;
  ctx.message = message;
  ctx.exception = std::move(exc);
  ctx.handle = absl::StrFormat("<%s transport fd=%d>", kind_, fd_);
  loop_.call_exception_handler(ctx);
}

template <class Interface>
void TransportBase<Interface>::report_fatal(const char* message, const std::exception_ptr& exc,
                                            bool expected) {
  if (!expected) {
    report(message, exc);
  } else if (loop_.get_debug()) {
    log(EDDY_LOG_DEBUG, message);
  }
}

template <class Interface>
void TransportBase<Interface>::drop_write(const char* warning) {
  if (conn_lost_ >= kLogThresholdForConnLostWrites) log(EDDY_LOG_WARNING, warning);
  ++conn_lost_;
}

template <class Interface>
void TransportBase<Interface>::force_close(std::exception_ptr exc) {
  if (conn_lost_) return;
  if (this->get_write_buffer_size() != 0) {
    clear_write_buffer();
    remove_writer();
  }
  if (!closing_) {
    closing_ = true;
    remove_reader();
  }
  ++conn_lost_;
  schedule_connection_lost(std::move(exc));
}

template <class Interface>
void TransportBase<Interface>::schedule_connection_lost(std::exception_ptr exc) {
  auto self = self_;
  if (!self) return;  // never started: nobody to tell
  loop_.call_soon([self, exc = std::move(exc)] { self->call_connection_lost(exc); });
}

template <class Interface>
void TransportBase<Interface>::call_connection_lost(std::exception_ptr exc) {
  if (fd_ < 0) return;  // the loop was closed meanwhile
  losing_connection();
  // Keep this alive past dropping self_.
  std::shared_ptr<TransportBase> keep = std::move(self_);
  std::shared_ptr<BaseProtocol> protocol = protocol_;
  if (protocol) {
    try {
      protocol->connection_lost(exc);
    } catch (...) {
      report("Exception in protocol.connection_lost()", std::current_exception());
    }
  }
  remove_reader();
  remove_writer();
  ::close(fd_);
  fd_ = -1;
  if (attached_) loop_.detach_resource(this);
  attached_ = false;
  released();
}

template <class Interface>
void TransportBase<Interface>::loop_closed() {
  // The loop cannot run connection_lost any more: let go of everything.
  std::shared_ptr<TransportBase> keep = std::move(self_);
  attached_ = false;  // the loop detached us
  watch_.forget();
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  released();
}

template class TransportBase<Transport>;
template class TransportBase<DatagramTransport>;

// ---- StreamTransportBase ----

StreamTransportBase::StreamTransportBase(EventLoop& loop, std::shared_ptr<BaseProtocol> protocol,
                                         const char* kind, const char* protocol_error,
                                         eddy_io_fn on_readable, eddy_io_fn on_writable)
    : TransportBase<Transport>(loop, kind),
      protocol_error_(protocol_error),
      on_readable_(on_readable),
      on_writable_(on_writable) {
  StreamTransportBase::set_protocol(std::move(protocol));
}

void StreamTransportBase::set_protocol(std::shared_ptr<BaseProtocol> protocol) {
  Protocol* stream = dynamic_cast<Protocol*>(protocol.get());
  BufferedProtocol* buffered = stream ? nullptr : dynamic_cast<BufferedProtocol*>(protocol.get());
  if (!stream && !buffered) throw TypeError(protocol_error_);
  protocol_ = std::move(protocol);
  stream_ = stream;
  buffered_ = buffered;
}

void StreamTransportBase::deliver_connection_made() {
  if (stream_) {
    stream_->connection_made(*this);
  } else {
    buffered_->connection_made(*this);
  }
}

bool StreamTransportBase::call_eof_received() {
  return stream_ ? stream_->eof_received() : buffered_->eof_received();
}

void StreamTransportBase::begin_reading() {
  started_ = true;
  if (!closing_ && !paused_) add_reader(on_readable_);
}

void StreamTransportBase::pause_reading() {
  if (closing_ || paused_) return;
  paused_ = true;
  remove_reader();
}

void StreamTransportBase::resume_reading() {
  if (closing_ || !paused_) return;
  paused_ = false;
  if (started_) add_reader(on_readable_);
}

void StreamTransportBase::write_gathered(std::span<const std::string_view> list_of_data,
                                         absl::FunctionRef<ssize_t(const iovec*, size_t)> writev,
                                         absl::FunctionRef<void(int)> fail) {
  absl::InlinedVector<iovec, 16> iov;
  for (std::string_view d : list_of_data) {
    if (d.empty()) continue;
    iov.push_back({const_cast<char*>(d.data()), d.size()});
    if (iov.size() == IOV_MAX) break;
  }
  if (iov.empty()) return;
  ssize_t n;
  do {
    n = writev(iov.data(), iov.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (!would_block(errno)) {
      fail(errno);
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
    add_writer(on_writable_);
    maybe_pause_protocol();
  }
}

}  // namespace eddy::detail
