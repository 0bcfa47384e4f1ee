// eddy/transports.h -- asyncio's transports and protocols (tiers 7-8).
//
//   struct Echo : eddy::Protocol {
//     eddy::Transport* transport = nullptr;
//     void connection_made(eddy::Transport& t) override { transport = &t; }
//     void data_received(std::string_view data) override { transport->write(data); }
//   };
//   eddy::Server server = co_await eddy::create_server(
//       [] { return std::make_shared<Echo>(); }, "127.0.0.1", 8888);
//
// A transport owns a socket and moves bytes; a protocol is the application's
// object that the transport calls back: connection_made, data_received (or,
// for a BufferedProtocol, get_buffer + buffer_updated), eof_received,
// pause_writing / resume_writing at the write buffer's high / low water
// marks, and connection_lost last. The loop operations that make them
// (create_connection, create_server, create_datagram_endpoint, ...) are in
// eddy/network.h.
//
// Semantics are CPython 3.12's selector transports:
// - write() sends at once when nothing is buffered (no loop iteration); what
//   the socket does not take is buffered and sent when it becomes writable.
//   When the buffer grows above the high-water mark (64 KiB by default) the
//   protocol's pause_writing() is called, and resume_writing() once it drains
//   to the low-water mark (high / 4).
// - close() stops reading at once, flushes the buffer, then closes the socket
//   and calls connection_lost(nullptr) from the loop. abort() drops the buffer
//   and does the same without waiting.
// - An error on the socket (a reset peer, a broken pipe) closes the transport
//   and passes the exception (ConnectionResetError, ...) to connection_lost.
//   An exception thrown by a protocol callback that the transport calls
//   (data_received, eof_received, buffer_updated) is reported to the loop's
//   exception handler as "Fatal error: protocol.data_received() call
//   failed." and closes the transport the same way.
// - At EOF, eof_received() decides: return true to keep the transport open
//   for writing (half-close), false (the default) to close it.
// - write() after the connection was lost is dropped (asyncio logs a
//   warning after five such writes); write() after write_eof() raises
//   RuntimeError.
//
// Lifetimes: transports and protocols are held by std::shared_ptr. An open
// transport keeps itself and its protocol alive until connection_lost() has
// returned, so a server's connections need no owner. The Transport& given to
// connection_made stays valid at least that long; keep a shared_ptr (from
// shared_from_this()) to use it later. When the loop is closed with
// transports still open, their sockets are closed and the transports let go
// of their protocols without calling connection_lost (the loop can no longer
// run it).
//
// Thread-safety: a transport and its protocol belong to one loop's thread.
#ifndef EDDY_TRANSPORTS_H_
#define EDDY_TRANSPORTS_H_

#include <cstddef>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "eddy/sockets.h"

namespace eddy {

class EventLoop;
class Transport;
class DatagramTransport;

// ---- Protocols ----

// What every protocol gets: the end of the connection and write flow control.
class BaseProtocol {
 public:
  virtual ~BaseProtocol() = default;
  // The connection is closed: exc is null for a normal close or EOF, else
  // what ended it (ConnectionResetError, ...). Called once, last.
  virtual void connection_lost(std::exception_ptr /*exc*/) {}
  // The transport's write buffer went above the high-water mark.
  virtual void pause_writing() {}
  // ... and drained back to the low-water mark.
  virtual void resume_writing() {}
};

// A stream protocol that receives data as views of the transport's buffer.
class Protocol : public BaseProtocol {
 public:
  virtual void connection_made(Transport& /*transport*/) {}
  // The view is valid only during the call.
  virtual void data_received(std::string_view /*data*/) {}
  // The peer closed its side. Return true to keep the transport open for
  // writing; false closes it.
  virtual bool eof_received() { return false; }
};

// A stream protocol that lends the transport its own buffer to receive into
// (no copy).
class BufferedProtocol : public BaseProtocol {
 public:
  virtual void connection_made(Transport& /*transport*/) {}
  // A buffer to receive into; sizehint is -1 (any size) today. An empty
  // buffer is an error that closes the transport.
  virtual std::span<char> get_buffer(std::ptrdiff_t sizehint) = 0;
  // nbytes were written at the start of the buffer get_buffer returned.
  virtual void buffer_updated(size_t nbytes) = 0;
  virtual bool eof_received() { return false; }
};

// A datagram (UDP, unix datagram) protocol.
class DatagramProtocol : public BaseProtocol {
 public:
  virtual void connection_made(DatagramTransport& /*transport*/) {}
  // One datagram and its sender (the view is valid only during the call).
  virtual void datagram_received(std::string_view /*data*/, const SockAddr& /*addr*/) {}
  // A send or receive failed (ICMP "connection refused" on a connected
  // socket, ...). The transport stays open.
  virtual void error_received(std::exception_ptr /*exc*/) {}
};

// ---- Transports ----

// What get_extra_info returns: nothing (Python's None), an address
// ("peername", "sockname"), or a descriptor ("socket").
using ExtraInfo = std::variant<std::monostate, SockAddr, int>;

class BaseTransport : public std::enable_shared_from_this<BaseTransport> {
 public:
  virtual ~BaseTransport() = default;
  // Closes the transport: buffered data is still sent, then
  // connection_lost(nullptr) is called from the loop. Idempotent.
  virtual void close() = 0;
  virtual bool is_closing() const = 0;
  // "peername", "sockname" (SockAddr) and "socket" (the descriptor, still
  // owned by the transport); anything else, or an address the socket does
  // not have, is std::monostate.
  virtual ExtraInfo get_extra_info(std::string_view name) const = 0;
  // Replaces the protocol that receives the callbacks (it must be of the
  // transport's kind: TypeError otherwise).
  virtual void set_protocol(std::shared_ptr<BaseProtocol> protocol) = 0;
  virtual std::shared_ptr<BaseProtocol> get_protocol() const = 0;
  // The loop the transport runs on.
  virtual EventLoop& get_loop() const = 0;
};

// asyncio's Transport: a ReadTransport and a WriteTransport in one (TCP and
// unix stream sockets, pipes).
class Transport : public BaseTransport {
 public:
  // ---- Reading ----
  // Stops / restarts calling the protocol with received data. Idempotent;
  // no-ops on a closing transport.
  virtual void pause_reading() = 0;
  virtual void resume_reading() = 0;
  virtual bool is_reading() const = 0;

  // ---- Writing ----
  virtual void write(std::string_view data) = 0;
  virtual void writelines(std::span<const std::string_view> list_of_data) = 0;
  // Closes the write side once the buffer is flushed (shutdown(SHUT_WR)).
  virtual void write_eof() = 0;
  virtual bool can_write_eof() const = 0;
  // Closes at once, dropping buffered data; connection_lost(nullptr) follows.
  virtual void abort() = 0;
  virtual size_t get_write_buffer_size() const = 0;
  // Sets the water marks. high < 0 means 64 KiB (or 4 * low if low >= 0);
  // low < 0 means high / 4. ValueError unless high >= low >= 0.
  virtual void set_write_buffer_limits(std::ptrdiff_t high = -1, std::ptrdiff_t low = -1) = 0;
  // (low, high), as asyncio.
  virtual std::pair<size_t, size_t> get_write_buffer_limits() const = 0;

  std::shared_ptr<Transport> shared() {
    return std::static_pointer_cast<Transport>(shared_from_this());
  }
};

// A datagram socket's transport (create_datagram_endpoint).
class DatagramTransport : public BaseTransport {
 public:
  // Sends one datagram to addr, or, with an empty addr, to the connected
  // peer. Buffered if the socket cannot take it now.
  virtual void sendto(std::string_view data, const SockAddr& addr = SockAddr()) = 0;
  virtual void abort() = 0;
  virtual size_t get_write_buffer_size() const = 0;
  virtual void set_write_buffer_limits(std::ptrdiff_t high = -1, std::ptrdiff_t low = -1) = 0;
  virtual std::pair<size_t, size_t> get_write_buffer_limits() const = 0;

  std::shared_ptr<DatagramTransport> shared() {
    return std::static_pointer_cast<DatagramTransport>(shared_from_this());
  }
};

}  // namespace eddy

#endif  // EDDY_TRANSPORTS_H_
