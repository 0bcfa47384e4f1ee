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

#include <utility>

#include "eddy/exceptions.h"
#include "net/util.h"

namespace eddy::detail {

DatagramSocketTransport::DatagramSocketTransport(EventLoop& loop, int fd,
                                                 std::shared_ptr<BaseProtocol> protocol,
                                                 SockAddr address)
    : TransportBase(loop, "datagram"), address_(std::move(address)) {
  // On TypeError the caller still owns (and closes) the socket.
  set_protocol(std::move(protocol));
  own_fd(fd);
  names_.read(fd_);
}

void DatagramSocketTransport::deliver_connection_made() {
  // asyncio calls connection_made even if the transport was closed before
  // it ran, so connection_lost never comes without it.
  try {
    datagram_->connection_made(*this);
  } catch (...) {
    report("Exception in protocol.connection_made()", std::current_exception());
  }
}

void DatagramSocketTransport::start_watching() {
  if (!closing_)
    add_reader(&dispatch<DatagramSocketTransport, &DatagramSocketTransport::read_ready>);
}

void DatagramSocketTransport::set_protocol(std::shared_ptr<BaseProtocol> protocol) {
  auto* datagram = dynamic_cast<DatagramProtocol*>(protocol.get());
  if (!datagram) throw TypeError("a datagram transport needs a DatagramProtocol");
  protocol_ = std::move(protocol);
  datagram_ = datagram;
}

// ---- Reading ----

void DatagramSocketTransport::read_ready() {
  if (conn_lost_) return;
  char* buf = transport_read_buffer();
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
    if (names_.peername.family() != AF_UNSPEC) {
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
    drop_write("socket.send() raised exception.");
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
    add_writer(&dispatch<DatagramSocketTransport, &DatagramSocketTransport::sendto_ready>);
  }
  buffer_.emplace_back(std::string(data), *addr);
  buffer_size_ += data.size() + kHeaderSize;
  maybe_pause_protocol();
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

// ---- Closing ----

void DatagramSocketTransport::clear_write_buffer() {
  buffer_.clear();
  buffer_size_ = 0;
}

void DatagramSocketTransport::losing_connection() {
  // After a close() that flushed the queue: later sends are dropped too.
  if (conn_lost_ == 0) conn_lost_ = 1;
}

}  // namespace eddy::detail
