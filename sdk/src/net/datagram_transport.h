// datagram_transport.h -- the transport of a datagram socket (UDP or unix
// datagram), asyncio's _SelectorDatagramTransport, over the loop ABI's raw fd
// watchers.
//
// A readable socket gives one recvfrom per readiness into a per-thread
// 256 KiB buffer (asyncio's max_size), whose view goes to
// datagram_received. sendto() sends at once when nothing is queued; a
// datagram the socket cannot take now is copied into a queue of (datagram,
// address) and sent when the socket turns writable. A failed send or
// receive is the protocol's error_received and the transport stays open.
//
// Lifetime: the transport holds a reference to itself from start() until
// connection_lost() has been delivered (or the loop closed), as the stream
// transport does.
//
// Thread-safety: loop thread only.
#ifndef EDDY_SDK_SRC_NET_DATAGRAM_TRANSPORT_H_
#define EDDY_SDK_SRC_NET_DATAGRAM_TRANSPORT_H_

#include <deque>
#include <exception>
#include <memory>
#include <string>
#include <utility>

#include "eddy/event_loop.h"
#include "eddy/transports.h"
#include "net/transport_base.h"

namespace eddy::detail {

// Closing and the water marks are the shared TransportBase's
// (transport_base.h).
class DatagramSocketTransport final : public TransportBase<DatagramTransport> {
 public:
  // Takes over `fd`, a non-blocking datagram socket. `address` is the
  // remote address sendto() is restricted to (asyncio's r_addr; empty for
  // none). TypeError if the protocol is not a DatagramProtocol.
  DatagramSocketTransport(EventLoop& loop, int fd, std::shared_ptr<BaseProtocol> protocol,
                          SockAddr address);

  // ---- BaseTransport ----
  ExtraInfo get_extra_info(std::string_view name) const override { return names_.get(name, fd_); }
  void set_protocol(std::shared_ptr<BaseProtocol> protocol) override;

  // ---- DatagramTransport ----
  void sendto(std::string_view data, const SockAddr& addr) override;
  size_t get_write_buffer_size() const override { return buffer_size_; }

 private:
  // What a queued datagram counts for in the buffer size beyond its bytes
  // (asyncio's header estimate).
  static constexpr size_t kHeaderSize = 8;

  void deliver_connection_made() override;
  void start_watching() override;
  void clear_write_buffer() override;
  void losing_connection() override;
  void read_ready();
  void sendto_ready();
  // One send(2) / sendto(2): the bytes sent, or -1 with errno set.
  ssize_t send_one(std::string_view data, const SockAddr& addr);
  void error_received(std::exception_ptr exc);

  DatagramProtocol* datagram_ = nullptr;  // protocol_ as a DatagramProtocol
  SockAddr address_;                      // the only destination allowed, if set
  std::deque<std::pair<std::string, SockAddr>> buffer_;
  size_t buffer_size_ = 0;
  SocketNames names_;
};

}  // namespace eddy::detail

#endif  // EDDY_SDK_SRC_NET_DATAGRAM_TRANSPORT_H_
