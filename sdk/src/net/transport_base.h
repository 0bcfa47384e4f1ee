// transport_base.h -- what the socket, datagram and pipe transports share:
// asyncio's _SelectorTransport (and the parts of _UnixReadPipeTransport /
// _UnixWritePipeTransport that are the same), over the loop ABI's raw fd
// watchers.
//
// TransportBase<Interface> holds the descriptor, the protocol, the
// self-reference an open transport keeps, the write-buffer water marks
// (pause_writing above the high mark, resume_writing at the low mark; an
// exception from either goes to the loop's exception handler), the watchers
// (FdWatch), the report to the exception handler, and the closing path:
// close() flushes first, abort() / force_close() drop the buffer, and either
// way connection_lost(exc) runs once from the loop, after which the
// descriptor is closed. It is a LoopResource, so closing the loop closes the
// descriptor and drops the self-reference without calling connection_lost.
// Interface is eddy::Transport or eddy::DatagramTransport.
//
// StreamTransportBase adds what the stream transports (socket and pipe)
// share: the Protocol / BufferedProtocol dispatch, pause_reading /
// resume_reading, and the WriteBuffer with its write-at-once-then-buffer
// paths for write() and writelines().
//
// A derived class hands the descriptor over with own_fd() once its protocol
// was accepted (a TypeError before that leaves it the caller's to close) and
// fills in the hooks: what start() schedules, and what else to do when the
// connection is lost or the loop closes.
//
// Thread-safety: loop thread only.
#ifndef EDDY_SDK_SRC_NET_TRANSPORT_BASE_H_
#define EDDY_SDK_SRC_NET_TRANSPORT_BASE_H_

#include <errno.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>
#include <exception>
#include <memory>
#include <span>
#include <string_view>
#include <utility>

#include "absl/functional/function_ref.h"
#include "eddy/coro.h"
#include "eddy/event_loop.h"
#include "eddy/future.h"
#include "eddy/transports.h"
#include "net/fd_watch.h"
#include "net/write_buffer.h"

namespace eddy::detail {

// asyncio's max_size: how much one read asks the descriptor for.
inline constexpr size_t kMaxRead = 256 * 1024;

// The read buffer (kMaxRead bytes) shared by every transport of this thread:
// a protocol sees a view of it that is valid only during its callback, and
// reads happen one at a time, so one suffices.
char* transport_read_buffer();

inline bool would_block(int err) { return err == EAGAIN || err == EWOULDBLOCK; }

// A socket's own and peer addresses, read once when its transport is made (as
// asyncio fills _extra then), and what get_extra_info answers from them.
struct SocketNames {
  void read(int fd);
  ExtraInfo get(std::string_view name, int fd) const;

  SockAddr sockname, peername;
};

template <class Interface>
class TransportBase : public Interface, protected LoopResource {
 public:
  ~TransportBase() override;

  // Schedules, in order: connection_made, the start of watching, and
  // waiter.set_result() (if waiter is set and not cancelled by then).
  void start(Future<> waiter);
  // start(), then waits until connection_made has run. If the wait fails
  // (the caller was cancelled) the transport is closed and the error
  // rethrown. The caller keeps the transport alive meanwhile.
  Coro<> start_and_wait();

  // ---- BaseTransport ----
  // asyncio's _SelectorTransport.close: stop reading at once; connection_lost
  // follows once the write buffer is empty.
  void close() override;
  bool is_closing() const override { return closing_; }
  std::shared_ptr<BaseProtocol> get_protocol() const override { return protocol_; }
  EventLoop& get_loop() const override { return loop_; }

  // ---- Writing ----
  void abort() override { force_close(nullptr); }
  void set_write_buffer_limits(std::ptrdiff_t high, std::ptrdiff_t low) override;
  std::pair<size_t, size_t> get_write_buffer_limits() const override { return {low_, high_}; }

  int fd() const { return fd_; }

 protected:
  // `kind` names the transport in reports: "<kind transport fd=N>".
  TransportBase(EventLoop& loop, const char* kind) : loop_(loop), kind_(kind) {}

  // Takes over fd (closed by the transport from now on) and joins the
  // loop's resources.
  void own_fd(int fd);

  // What start() schedules: connection_made, then the start of watching.
  virtual void deliver_connection_made() = 0;
  virtual void start_watching() = 0;
  // Drops what is buffered (abort, fatal errors).
  virtual void clear_write_buffer() = 0;
  // Hooks of call_connection_lost: just before the protocol hears of it,
  // and once the descriptor is closed (also after loop_closed()).
  virtual void losing_connection() {}
  virtual void released() {}

  // asyncio's _force_close: drops the buffer, stops watching, and schedules
  // connection_lost(exc), once.
  void force_close(std::exception_ptr exc);
  void schedule_connection_lost(std::exception_ptr exc);
  // Delivers connection_lost(exc) (an exception from it is reported), then
  // closes the descriptor whatever the protocol did (asyncio's try/finally).
  void call_connection_lost(std::exception_ptr exc);
  void loop_closed() override;

  // asyncio's _maybe_pause_protocol / _maybe_resume_protocol over
  // get_write_buffer_size().
  void maybe_pause_protocol();
  void maybe_resume_protocol();

  // Reports to the loop's exception handler.
  void report(const char* message, std::exception_ptr exc);
  // A fatal error's report: an expected one (the peer's doing: a reset, a
  // broken pipe) is only logged in debug mode, as asyncio does.
  void report_fatal(const char* message, const std::exception_ptr& exc, bool expected);
  // A write after the connection was lost: dropped, with asyncio's warning
  // from the fifth on.
  void drop_write(const char* warning);

  void add_reader(eddy_io_fn fn) { watch_.add_reader(loop_, fd_, fn, this); }
  void remove_reader() { watch_.remove_reader(loop_, fd_); }
  void add_writer(eddy_io_fn fn) { watch_.add_writer(loop_, fd_, fn, this); }
  void remove_writer() { watch_.remove_writer(loop_, fd_); }

  // A raw watcher's callback that runs (t->*Method)() with the transport
  // kept alive (a protocol callback may drop the last outside reference).
  template <class T, void (T::*Method)()>
  static void dispatch(void* arg, int32_t, uint32_t) {
    T* t = static_cast<T*>(static_cast<TransportBase*>(arg));
    std::shared_ptr<TransportBase> keep = t->self_;
    (t->*Method)();
  }

  EventLoop& loop_;
  int fd_ = -1;
  std::shared_ptr<BaseProtocol> protocol_;
  std::shared_ptr<TransportBase> self_;  // while open
  size_t high_ = 64 * 1024;
  size_t low_ = 16 * 1024;
  int conn_lost_ = 0;
  bool closing_ = false;
  bool protocol_paused_ = false;
  bool attached_ = false;  // in the loop's resource list
  FdWatch watch_;          // which of the fd's watchers are registered
  const char* kind_;
};

extern template class TransportBase<Transport>;
extern template class TransportBase<DatagramTransport>;

class StreamTransportBase : public TransportBase<Transport> {
 public:
  // TypeError unless the protocol is a Protocol or a BufferedProtocol.
  void set_protocol(std::shared_ptr<BaseProtocol> protocol) override;

  // ---- Reading ----
  void pause_reading() override;
  void resume_reading() override;
  bool is_reading() const override { return !paused_ && !closing_; }

  size_t get_write_buffer_size() const override { return buffer_.size(); }

 protected:
  // Accepts the protocol (TypeError(protocol_error) otherwise). on_readable
  // and on_writable are the watchers' callbacks (null if never used).
  StreamTransportBase(EventLoop& loop, std::shared_ptr<BaseProtocol> protocol, const char* kind,
                      const char* protocol_error, eddy_io_fn on_readable, eddy_io_fn on_writable);

  // connection_made on whichever the protocol is.
  void deliver_connection_made() override;
  // Reading may begin: watches for it unless paused or closing.
  void begin_reading();
  // eof_received on whichever the protocol is (what it throws escapes).
  bool call_eof_received();
  void clear_write_buffer() override { buffer_.clear(); }

  // write() once the checks passed: with nothing queued, write_now(data)
  // (how much went out, or -1 after a fatal error) writes at once, as
  // asyncio does; what is left is buffered until the descriptor is writable.
  template <class WriteNow>
  void write_or_buffer(std::string_view data, WriteNow write_now) {
    if (buffer_.empty()) {
      ssize_t n = write_now(data);
      if (n < 0 || static_cast<size_t>(n) == data.size()) return;
      data.remove_prefix(static_cast<size_t>(n));
      add_writer(on_writable_);
    }
    buffer_.append(data);
    maybe_pause_protocol();
  }
  // writelines() with nothing queued: one gather write of it all (asyncio
  // 3.12 does the same) with writev (the bytes written, or -1 with errno;
  // EINTR is retried here), then the rest goes to the buffer. An error but
  // EAGAIN goes to fail(errno).
  void write_gathered(std::span<const std::string_view> list_of_data,
                      absl::FunctionRef<ssize_t(const iovec*, size_t)> writev,
                      absl::FunctionRef<void(int)> fail);

  Protocol* stream_ = nullptr;            // protocol_ as a Protocol, or
  BufferedProtocol* buffered_ = nullptr;  // as a BufferedProtocol
  WriteBuffer buffer_;
  bool paused_ = false;
  bool started_ = false;  // reading may begin (after connection_made)

 private:
  const char* protocol_error_;
  eddy_io_fn on_readable_;
  eddy_io_fn on_writable_;
};

}  // namespace eddy::detail

#endif  // EDDY_SDK_SRC_NET_TRANSPORT_BASE_H_
