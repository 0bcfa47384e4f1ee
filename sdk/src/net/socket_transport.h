// socket_transport.h -- the transport of a connected stream socket (TCP or
// unix), asyncio's _SelectorSocketTransport, over the loop ABI's fd watchers.
//
// The transport watches its socket with the loop's raw watchers (a C
// callback and `this`, nothing allocated). A readable socket is read into a
// per-thread 256 KiB buffer (asyncio's max_size) whose view goes to
// data_received, or into the BufferedProtocol's own buffer. write() sends at
// once when nothing is queued and buffers only the rest, so an echo server
// in steady state makes two system calls per message and no allocation.
//
// Lifetime: the transport holds a reference to itself from start() until
// connection_lost() has been delivered (or the loop closed), so nobody needs
// to own an open connection.
//
// Thread-safety: loop thread only.
#ifndef EDDY_SDK_SRC_NET_SOCKET_TRANSPORT_H_
#define EDDY_SDK_SRC_NET_SOCKET_TRANSPORT_H_

#include <exception>
#include <memory>
#include <string>

#include "eddy/event_loop.h"
#include "eddy/future.h"
#include "eddy/transports.h"
#include "net/transport_base.h"

namespace eddy::detail {

struct ServerState;

// Closing, the water marks, reading pause and the write buffer are the
// shared StreamTransportBase's (transport_base.h).
class SocketTransport final : public StreamTransportBase {
 public:
  // Takes over `fd`, a connected non-blocking stream socket. TypeError if
  // the protocol is not a Protocol or BufferedProtocol. `server`, if set,
  // counts this connection until it is lost.
  SocketTransport(EventLoop& loop, int fd, std::shared_ptr<BaseProtocol> protocol,
                  std::shared_ptr<ServerState> server);
  ~SocketTransport() override;

  // ---- BaseTransport ----
  ExtraInfo get_extra_info(std::string_view name) const override { return names_.get(name, fd_); }

  // ---- Transport ----
  void write(std::string_view data) override;
  void writelines(std::span<const std::string_view> list_of_data) override;
  void write_eof() override;
  bool can_write_eof() const override { return true; }

  // ---- For sendfile ----
  // A future that completes once the write buffer is empty (at once if it
  // is), or fails if the connection is lost first. While one is pending
  // (until end_sendfile), write() raises RuntimeError.
  Future<> begin_sendfile();
  void end_sendfile();

 private:
  void start_watching() override { begin_reading(); }
  void losing_connection() override;
  void released() override;
  void read_ready();
  void read_ready_buffered();
  // recv(2) into buf: true with *got > 0 when there is data for the
  // protocol; false once a would-block, an error or EOF was dealt with.
  bool receive(char* buf, size_t size, size_t* got);
  void read_eof();
  void write_ready();
  // Sends from `data` while the socket takes it; returns how much went out,
  // or -1 after a fatal error.
  ssize_t send_now(std::string_view data);
  void fatal_error(std::exception_ptr exc, const char* message);
  void write_failed(int err);
  void finish_flush();

  std::shared_ptr<ServerState> server_;
  bool eof_ = false;
  Future<> empty_waiter_;  // sendfile in progress
  SocketNames names_;
};

}  // namespace eddy::detail

#endif  // EDDY_SDK_SRC_NET_SOCKET_TRANSPORT_H_
