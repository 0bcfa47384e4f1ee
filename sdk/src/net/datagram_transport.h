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
#include "eddy/future.h"
#include "eddy/transports.h"
#include "net/fd_watch.h"

namespace eddy::detail {

class DatagramSocketTransport final : public DatagramTransport, private LoopResource {
 public:
  // Takes over `fd`, a non-blocking datagram socket. `address` is the
  // remote address sendto() is restricted to (asyncio's r_addr; empty for
  // none). TypeError if the protocol is not a DatagramProtocol.
  DatagramSocketTransport(EventLoop& loop, int fd, std::shared_ptr<BaseProtocol> protocol,
                          SockAddr address);
  ~DatagramSocketTransport() override;

  // Schedules, in order: connection_made, the start of reading, and
  // waiter.set_result() (if waiter is set and not cancelled by then).
  void start(Future<> waiter);

  // ---- BaseTransport ----
  void close() override;
  bool is_closing() const override { return closing_; }
  ExtraInfo get_extra_info(std::string_view name) const override;
  void set_protocol(std::shared_ptr<BaseProtocol> protocol) override;
  std::shared_ptr<BaseProtocol> get_protocol() const override { return protocol_; }
  EventLoop& get_loop() const override { return loop_; }

  // ---- DatagramTransport ----
  void sendto(std::string_view data, const SockAddr& addr) override;
  void abort() override { force_close(nullptr); }
  size_t get_write_buffer_size() const override { return buffer_size_; }
  void set_write_buffer_limits(std::ptrdiff_t high, std::ptrdiff_t low) override;
  std::pair<size_t, size_t> get_write_buffer_limits() const override { return {low_, high_}; }

 private:
  // What a queued datagram counts for in the buffer size beyond its bytes
  // (asyncio's header estimate).
  static constexpr size_t kHeaderSize = 8;

  static void on_readable(void* arg, int32_t fd, uint32_t events);
  static void on_writable(void* arg, int32_t fd, uint32_t events);
  void read_ready();
  void sendto_ready();
  // One send(2) / sendto(2): the bytes sent, or -1 with errno set.
  ssize_t send_one(std::string_view data, const SockAddr& addr);
  void error_received(std::exception_ptr exc);
  void force_close(std::exception_ptr exc);
  void call_connection_lost(std::exception_ptr exc);
  void maybe_pause_protocol();
  void maybe_resume_protocol();
  void add_reader();
  void add_writer();
  void remove_reader();
  void remove_writer();
  void loop_closed() override;
  void report(const char* message, std::exception_ptr exc);

  EventLoop& loop_;
  int fd_;
  std::shared_ptr<BaseProtocol> protocol_;
  DatagramProtocol* datagram_ = nullptr;           // protocol_ as a DatagramProtocol
  std::shared_ptr<DatagramSocketTransport> self_;  // while open
  SockAddr address_;                               // the only destination allowed, if set
  std::deque<std::pair<std::string, SockAddr>> buffer_;
  size_t buffer_size_ = 0;
  size_t high_ = 64 * 1024;
  size_t low_ = 16 * 1024;
  int conn_lost_ = 0;
  bool closing_ = false;
  bool protocol_paused_ = false;
  FdWatch watch_;  // which of the fd's watchers are registered
  bool attached_ = false;  // in the loop's resource list
  SockAddr sockname_, peername_;
};

}  // namespace eddy::detail

#endif  // EDDY_SDK_SRC_NET_DATAGRAM_TRANSPORT_H_
