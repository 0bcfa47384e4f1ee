// pipe_transport.h -- the transports of one end of a pipe: asyncio's
// _UnixReadPipeTransport and _UnixWritePipeTransport (see eddy/pipes.h for
// the behaviour), over the loop ABI's raw fd watchers.
//
// Like the socket transport, each watches its descriptor with a C callback
// and `this` (nothing allocated per event), reads into a per-thread 256 KiB
// buffer, writes at once when nothing is queued, holds a reference to itself
// from start() until connection_lost() has been delivered (or the loop
// closed), and is a LoopResource so that closing the loop closes its
// descriptor.
//
// Thread-safety: loop thread only; write_no_sigpipe is thread-safe.
#ifndef EDDY_SDK_SRC_NET_PIPE_TRANSPORT_H_
#define EDDY_SDK_SRC_NET_PIPE_TRANSPORT_H_

#include <sys/types.h>
#include <sys/uio.h>

#include <exception>
#include <memory>
#include <string_view>

#include "eddy/event_loop.h"
#include "eddy/future.h"
#include "eddy/transports.h"
#include "net/transport_base.h"

namespace eddy::detail {

// write(2) / writev(2) that cannot kill the process with SIGPIPE. A library
// must not change the process-wide disposition (Python ignores SIGPIPE at
// startup; a C++ program may not), so SIGPIPE is blocked on the calling
// thread for the call, and a SIGPIPE this write raised is consumed before
// it is unblocked. errno is the write's.
ssize_t write_no_sigpipe(int fd, const char* data, size_t n);
ssize_t writev_no_sigpipe(int fd, const iovec* iov, int iovcnt);

// Checks that fd may carry a pipe transport (a pipe or FIFO, a socket, a
// character device): OSError if fstat fails, ValueError otherwise (with
// asyncio's message for the read or the write side). Returns whether fd is
// a socket.
bool check_pipe_fd(int fd, bool write_side);

// What both ends share beyond StreamTransportBase (transport_base.h):
// connection_made and the start of watching guarded against a closed loop,
// and closing once (a pipe end has no conn_lost gate of its own).
class PipeTransport : public StreamTransportBase {
 public:
  // ---- BaseTransport ----
  ExtraInfo get_extra_info(std::string_view name) const override;

 protected:
  // Takes over fd (already checked with check_pipe_fd) and makes it
  // non-blocking. TypeError if the protocol is not a Protocol or a
  // BufferedProtocol (fd is then the caller's to close).
  PipeTransport(EventLoop& loop, int fd, std::shared_ptr<BaseProtocol> protocol, const char* kind,
                eddy_io_fn on_readable, eddy_io_fn on_writable);

  void deliver_connection_made() override;
  void start_watching() override;
  // What start() watches once connection_made has run.
  virtual void begin_watching() = 0;
  void losing_connection() override { lost_scheduled_ = true; }
  void released() override;

  // Marks the transport closing, removes the watchers, drops what is
  // buffered and schedules connection_lost(exc) (once).
  void close_now(std::exception_ptr exc);
  void schedule_connection_lost_once(std::exception_ptr exc);

  bool lost_scheduled_ = false;  // connection_lost is scheduled or done
};

class ReadPipeTransport final : public PipeTransport {
 public:
  ReadPipeTransport(EventLoop& loop, int fd, std::shared_ptr<BaseProtocol> protocol);

  void close() override;
  // Not for a read pipe: RuntimeError.
  void write(std::string_view data) override;
  void writelines(std::span<const std::string_view> list_of_data) override;
  void write_eof() override;
  void set_write_buffer_limits(std::ptrdiff_t high, std::ptrdiff_t low) override;
  bool can_write_eof() const override { return false; }
  void abort() override { close(); }
  std::pair<size_t, size_t> get_write_buffer_limits() const override { return {0, 0}; }

 private:
  void begin_watching() override { begin_reading(); }
  void read_ready();
  void fatal_error(int err);
  void deliver_eof();
};

class WritePipeTransport final : public PipeTransport {
 public:
  WritePipeTransport(EventLoop& loop, int fd, std::shared_ptr<BaseProtocol> protocol,
                     bool is_socket);

  void close() override { write_eof(); }
  // A write pipe does not read: no-ops.
  void pause_reading() override {}
  void resume_reading() override {}
  bool is_reading() const override { return false; }
  void write(std::string_view data) override;
  void writelines(std::span<const std::string_view> list_of_data) override;
  void write_eof() override;
  bool can_write_eof() const override { return true; }
  void abort() override { close_now(nullptr); }

 private:
  void begin_watching() override;
  // The descriptor turned readable: the reading end went away.
  void peer_closed();
  void write_ready();
  // Writes from `data` while the pipe takes it; how much went out, or -1
  // after a fatal error (the transport is then closing).
  ssize_t write_now(std::string_view data);
  void fatal_error(int err);

  bool is_socket_;
};

}  // namespace eddy::detail

#endif  // EDDY_SDK_SRC_NET_PIPE_TRANSPORT_H_
