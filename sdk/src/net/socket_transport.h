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
#include "net/fd_watch.h"
#include "net/write_buffer.h"

namespace eddy::detail {

struct ServerState;

class SocketTransport final : public Transport, private LoopResource {
 public:
  // Takes over `fd`, a connected non-blocking stream socket. TypeError if
  // the protocol is not a Protocol or BufferedProtocol. `server`, if set,
  // counts this connection until it is lost.
  SocketTransport(EventLoop& loop, int fd, std::shared_ptr<BaseProtocol> protocol,
                  std::shared_ptr<ServerState> server);
  ~SocketTransport() override;

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

  // ---- Transport ----
  void pause_reading() override;
  void resume_reading() override;
  bool is_reading() const override { return !paused_ && !closing_; }
  void write(std::string_view data) override;
  void writelines(std::span<const std::string_view> list_of_data) override;
  void write_eof() override;
  bool can_write_eof() const override { return true; }
  void abort() override { force_close(nullptr); }
  size_t get_write_buffer_size() const override { return buffer_.size(); }
  void set_write_buffer_limits(std::ptrdiff_t high, std::ptrdiff_t low) override;
  std::pair<size_t, size_t> get_write_buffer_limits() const override { return {low_, high_}; }

  // ---- For sendfile ----
  int fd() const { return fd_; }
  // A future that completes once the write buffer is empty (at once if it
  // is), or fails if the connection is lost first. While one is pending
  // (until end_sendfile), write() raises RuntimeError.
  Future<> begin_sendfile();
  void end_sendfile();

 private:
  static void on_readable(void* arg, int32_t fd, uint32_t events);
  static void on_writable(void* arg, int32_t fd, uint32_t events);
  void read_ready();
  void read_ready_buffered();
  void read_eof();
  void write_ready();
  // Sends from `data` while the socket takes it; returns how much went out,
  // or -1 after a fatal error.
  ssize_t send_now(std::string_view data);
  void fatal_error(std::exception_ptr exc, const char* message);
  void force_close(std::exception_ptr exc);
  void call_connection_lost(std::exception_ptr exc);
  void maybe_pause_protocol();
  void maybe_resume_protocol();
  void add_reader();
  void add_writer();
  void remove_reader();
  void remove_writer();
  void finish_flush();
  void loop_closed() override;
  void report(const char* message, std::exception_ptr exc);

  EventLoop& loop_;
  int fd_;
  std::shared_ptr<BaseProtocol> protocol_;
  Protocol* stream_ = nullptr;            // protocol_ as a Protocol, or
  BufferedProtocol* buffered_ = nullptr;  // as a BufferedProtocol
  std::shared_ptr<ServerState> server_;
  std::shared_ptr<SocketTransport> self_;  // while open
  WriteBuffer buffer_;
  size_t high_ = 64 * 1024;
  size_t low_ = 16 * 1024;
  int conn_lost_ = 0;
  bool closing_ = false;
  bool eof_ = false;
  bool paused_ = false;
  bool protocol_paused_ = false;
  FdWatch watch_;  // which of the fd's watchers are registered
  bool started_ = false;   // reading may begin (after connection_made)
  bool attached_ = false;  // in the loop's resource list
  Future<> empty_waiter_;  // sendfile in progress
  SockAddr sockname_, peername_;
};

}  // namespace eddy::detail

#endif  // EDDY_SDK_SRC_NET_SOCKET_TRANSPORT_H_
