// The pipe transports (see pipe_transport.h and eddy/pipes.h). The control
// flow follows CPython 3.12's _UnixReadPipeTransport and
// _UnixWritePipeTransport, so the order of protocol callbacks and the error
// paths are asyncio's; the comments name where eddy differs and why.
#include "net/pipe_transport.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <memory>
#include <utility>

#include "absl/strings/str_format.h"
#include "eddy/exceptions.h"
#include "eddy/log.h"
#include "eddy/pipes.h"
#include "net/util.h"

namespace eddy::detail {
namespace {

// Runs one write with SIGPIPE blocked on this thread (see write_no_sigpipe).
template <class Op>
ssize_t without_sigpipe(Op op) {
  sigset_t pipe_set, old_mask;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask);
  // A SIGPIPE pending from before is someone else's: leave it. It can only
  // be pending for this thread if the thread already blocked it (else it
  // would have been delivered), so only then is the check needed.
  bool was_blocked = sigismember(&old_mask, SIGPIPE) == 1;
  bool was_pending = false;
  if (was_blocked) {
    sigset_t pending;
    sigpending(&pending);
    was_pending = sigismember(&pending, SIGPIPE) == 1;
  }
  ssize_t r = op();
  int err = errno;
  if (r < 0 && err == EPIPE && !was_pending) {
    struct timespec zero = {0, 0};
    while (sigtimedwait(&pipe_set, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }
  if (!was_blocked) pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  errno = err;
  return r;
}

}  // namespace

ssize_t write_no_sigpipe(int fd, const char* data, size_t n) {
  return without_sigpipe([&] { return ::write(fd, data, n); });
}

ssize_t writev_no_sigpipe(int fd, const iovec* iov, int iovcnt) {
  return without_sigpipe([&] { return ::writev(fd, iov, iovcnt); });
}

bool check_pipe_fd(int fd, bool write_side) {
  if (fd < 0) throw ValueError(absl::StrFormat("Invalid file descriptor: %d", fd));
  struct stat st;
  if (::fstat(fd, &st) < 0) raise_os_error(errno);
  bool is_socket = S_ISSOCK(st.st_mode);
  if (!(is_socket || S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))) {
    throw ValueError(write_side ? "Pipe transport is only for pipes, sockets and character devices"
                                : "Pipe transport is for pipes/sockets only.");
  }
  return is_socket;
}

// ---- PipeTransport ----

PipeTransport::PipeTransport(EventLoop& loop, int fd, std::shared_ptr<BaseProtocol> protocol,
                             const char* kind, eddy_io_fn on_readable, eddy_io_fn on_writable)
    : StreamTransportBase(loop, std::move(protocol), kind,
                          "a pipe transport needs a Protocol or a BufferedProtocol", on_readable,
                          on_writable) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0 && !(flags & O_NONBLOCK)) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  own_fd(fd);
}

void PipeTransport::deliver_connection_made() {
  if (fd_ < 0 || !protocol_) return;  // the loop closed meanwhile
  StreamTransportBase::deliver_connection_made();
}

// Watching starts only once connection_made has run, as in asyncio.
void PipeTransport::start_watching() {
  if (fd_ < 0 || lost_scheduled_) return;
  try {
    begin_watching();
  } catch (...) {
    // A descriptor the backend cannot watch (EPERM from epoll, ...):
    // asyncio would log the error and hang; close with it instead.
    report("Fatal error: cannot watch the pipe", std::current_exception());
    close_now(std::current_exception());
  }
}

ExtraInfo PipeTransport::get_extra_info(std::string_view name) const {
  if (name == "pipe" && fd_ >= 0) return fd_;
  return std::monostate();
}

void PipeTransport::close_now(std::exception_ptr exc) {
  closing_ = true;
  buffer_.clear();
  remove_writer();
  remove_reader();
  schedule_connection_lost_once(std::move(exc));
}

void PipeTransport::schedule_connection_lost_once(std::exception_ptr exc) {
  if (lost_scheduled_) return;
  lost_scheduled_ = true;
  schedule_connection_lost(std::move(exc));
}

void PipeTransport::released() {
  // Also after loop_closed(): nothing more is to happen. The protocol goes
  // after connection_lost (asyncio's `self._protocol = None`), so
  // protocol/transport cycles end there.
  closing_ = lost_scheduled_ = true;
  buffer_.clear();
  std::shared_ptr<BaseProtocol> protocol = std::move(protocol_);
  stream_ = nullptr;
  buffered_ = nullptr;
}

// ---- ReadPipeTransport ----

ReadPipeTransport::ReadPipeTransport(EventLoop& loop, int fd,
                                     std::shared_ptr<BaseProtocol> protocol)
    : PipeTransport(loop, fd, std::move(protocol), "read pipe",
                    &dispatch<ReadPipeTransport, &ReadPipeTransport::read_ready>, nullptr) {}

void ReadPipeTransport::close() {
  if (!closing_) close_now(nullptr);
}

void ReadPipeTransport::read_ready() {
  if (lost_scheduled_ || fd_ < 0) return;
  std::span<char> buf;
  if (buffered_) {
    try {
      buf = buffered_->get_buffer(-1);
      if (buf.empty()) throw RuntimeError("get_buffer() returned an empty buffer");
    } catch (...) {
      report("Fatal error: protocol.get_buffer() call failed.", std::current_exception());
      close_now(std::current_exception());
      return;
    }
  } else {
    buf = std::span<char>(transport_read_buffer(), kMaxRead);
  }
  ssize_t n;
  do {
    n = ::read(fd_, buf.data(), buf.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (!would_block(errno)) fatal_error(errno);
    return;
  }
  if (n == 0) {
    deliver_eof();
    return;
  }
  try {
    if (buffered_) {
      buffered_->buffer_updated(static_cast<size_t>(n));
    } else {
      stream_->data_received(std::string_view(buf.data(), static_cast<size_t>(n)));
    }
  } catch (...) {
    report(buffered_ ? "Fatal error: protocol.buffer_updated() call failed."
                     : "Fatal error: protocol.data_received() call failed.",
           std::current_exception());
    close_now(std::current_exception());
  }
}

void ReadPipeTransport::deliver_eof() {
  if (loop_.get_debug())
    log(EDDY_LOG_INFO, absl::StrFormat("<read pipe fd=%d> was closed by peer", fd_));
  closing_ = true;
  lost_scheduled_ = true;
  remove_reader();
  // asyncio schedules eof_received and connection_lost as two callbacks; the
  // answer of eof_received does not matter (there is no write side).
  auto self = std::static_pointer_cast<ReadPipeTransport>(self_);
  loop_.call_soon([self] {
    if (self->fd_ < 0 || !self->protocol_) return;
    try {
      self->call_eof_received();
    } catch (...) {
      self->report("Fatal error: protocol.eof_received() call failed.", std::current_exception());
    }
  });
  loop_.call_soon([self] { self->call_connection_lost(nullptr); });
}

void ReadPipeTransport::fatal_error(int err) {
  std::exception_ptr exc = os_error(err);
  // EIO is what a pty's reader gets once the other side is gone: not a bug.
  report_fatal("Fatal read error on pipe transport", exc, err == EIO);
  close_now(std::move(exc));
}

void ReadPipeTransport::write(std::string_view) {
  throw RuntimeError("write() called on a read pipe transport: it cannot write");
}

void ReadPipeTransport::writelines(std::span<const std::string_view>) {
  throw RuntimeError("writelines() called on a read pipe transport: it cannot write");
}

void ReadPipeTransport::write_eof() {
  throw RuntimeError("write_eof() called on a read pipe transport: it cannot write");
}

void ReadPipeTransport::set_write_buffer_limits(std::ptrdiff_t, std::ptrdiff_t) {
  throw RuntimeError(
      "set_write_buffer_limits() called on a read pipe transport: it has no write buffer");
}

// ---- WritePipeTransport ----

WritePipeTransport::WritePipeTransport(EventLoop& loop, int fd,
                                       std::shared_ptr<BaseProtocol> protocol, bool is_socket)
    : PipeTransport(loop, fd, std::move(protocol), "write pipe",
                    &dispatch<WritePipeTransport, &WritePipeTransport::peer_closed>,
                    &dispatch<WritePipeTransport, &WritePipeTransport::write_ready>),
      is_socket_(is_socket) {}

void WritePipeTransport::begin_watching() {
  // The descriptor turns readable (or errs) when the reading end goes away
  // (asyncio's trick; it skips it on AIX only, for pipes).
  add_reader(&dispatch<WritePipeTransport, &WritePipeTransport::peer_closed>);
}

void WritePipeTransport::peer_closed() {
  if (lost_scheduled_) return;
  if (loop_.get_debug()) {
    log(EDDY_LOG_INFO, absl::StrFormat("<write pipe fd=%d> was closed by peer", fd_));
  }
  // The pipe was closed by the peer: data still buffered can never arrive.
  close_now(buffer_.empty() ? nullptr : os_error(EPIPE));
}

ssize_t WritePipeTransport::write_now(std::string_view data) {
  // One write per call, as asyncio: a short write means the pipe is full,
  // and a second attempt would only return EAGAIN.
  ssize_t n;
  do {
    n = is_socket_ ? ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL)
                   : write_no_sigpipe(fd_, data.data(), data.size());
  } while (n < 0 && errno == EINTR);
  if (n >= 0) return n;
  if (would_block(errno)) return 0;
  fatal_error(errno);
  return -1;
}

void WritePipeTransport::write(std::string_view data) {
  if (data.empty()) return;
  if (closing_ || lost_scheduled_) {
    drop_write("pipe closed by peer or os.write(pipe, data) raised exception.");
    return;
  }
  write_or_buffer(data, [this](std::string_view d) { return write_now(d); });
}

void WritePipeTransport::writelines(std::span<const std::string_view> list_of_data) {
  if (closing_ || lost_scheduled_ || !buffer_.empty() || is_socket_) {
    for (std::string_view d : list_of_data) write(d);
    return;
  }
  // One writev for all of it.
  write_gathered(
      list_of_data,
      [this](const iovec* iov, size_t count) {
        return writev_no_sigpipe(fd_, iov, static_cast<int>(count));
      },
      [this](int err) { fatal_error(err); });
}

void WritePipeTransport::write_ready() {
  if (lost_scheduled_ || buffer_.empty()) return;
  ssize_t n = write_now(buffer_.view());
  if (n < 0) return;  // fatal_error closed everything
  buffer_.consume(static_cast<size_t>(n));
  if (buffer_.empty()) remove_writer();
  // asyncio resumes only once the buffer is empty; eddy at the low-water
  // mark, as its socket transport (and eddy/transports.h) does.
  maybe_resume_protocol();  // may write, and append to the buffer
  if (buffer_.empty() && closing_ && !lost_scheduled_) {
    remove_reader();
    call_connection_lost(nullptr);
  }
}

void WritePipeTransport::write_eof() {
  if (closing_) return;
  closing_ = true;
  if (buffer_.empty()) {
    remove_reader();
    schedule_connection_lost_once(nullptr);
  }
}

void WritePipeTransport::fatal_error(int err) {
  ++conn_lost_;
  std::exception_ptr exc = os_error(err);
  // asyncio's _FATAL_ERROR_IGNORE: the reader went away; not a bug.
  report_fatal("Fatal write error on pipe transport", exc,
               err == EPIPE || err == ECONNRESET || err == ECONNABORTED);
  close_now(std::move(exc));
}

// ---- connect_read_pipe / connect_write_pipe ----

namespace {

Coro<std::pair<std::shared_ptr<Transport>, std::shared_ptr<BaseProtocol>>> connect_pipe(
    EventLoop* lp, ProtocolFactory factory, int fd, bool write_side) {
  std::shared_ptr<BaseProtocol> protocol;
  std::shared_ptr<PipeTransport> transport;
  EventLoop* loop = lp;
  try {
    if (!loop) loop = &get_running_loop();
    // asyncio makes the protocol first, then the transport checks the
    // descriptor.
    protocol = factory();
    if (!protocol) throw TypeError("the protocol factory returned null");
    bool is_socket = check_pipe_fd(fd, write_side);
    if (write_side) {
      transport = std::make_shared<WritePipeTransport>(*loop, fd, protocol, is_socket);
    } else {
      transport = std::make_shared<ReadPipeTransport>(*loop, fd, protocol);
    }
  } catch (...) {
    // The descriptor was handed over: close it on every path.
    if (!transport && fd >= 0) ::close(fd);
    throw;
  }
  co_await transport->start_and_wait();
  co_return std::pair(std::shared_ptr<Transport>(transport), std::move(protocol));
}

}  // namespace

Coro<std::pair<std::shared_ptr<Transport>, std::shared_ptr<BaseProtocol>>> connect_read_pipe_impl(
    EventLoop* loop, ProtocolFactory factory, int fd) {
  return connect_pipe(loop, std::move(factory), fd, false);
}

Coro<std::pair<std::shared_ptr<Transport>, std::shared_ptr<BaseProtocol>>> connect_write_pipe_impl(
    EventLoop* loop, ProtocolFactory factory, int fd) {
  return connect_pipe(loop, std::move(factory), fd, true);
}

}  // namespace eddy::detail
