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

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_format.h"
#include "eddy/exceptions.h"
#include "eddy/log.h"
#include "eddy/pipes.h"
#include "net/util.h"

namespace eddy::detail {
namespace {

// asyncio's max_size: how much one read asks the pipe for.
constexpr size_t kMaxRead = 256 * 1024;
// asyncio's LOG_THRESHOLD_FOR_CONNLOST_WRITES.
constexpr int kLogThresholdForConnLostWrites = 5;

// The read buffer shared by every pipe transport of this thread:
// data_received sees a view of it that is valid only during the call.
char* read_buffer() {
  thread_local std::unique_ptr<char[]> buf(new char[kMaxRead]);
  return buf.get();
}

bool would_block(int err) { return err == EAGAIN || err == EWOULDBLOCK; }

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

PipeTransport::PipeTransport(EventLoop& loop, int fd, std::shared_ptr<BaseProtocol> protocol)
    : loop_(loop), fd_(fd), kind_("pipe") {
  set_protocol(std::move(protocol));
  int flags = ::fcntl(fd_, F_GETFL);
  if (flags >= 0 && !(flags & O_NONBLOCK)) ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
  loop_.attach_resource(this);
  attached_ = true;
}

PipeTransport::~PipeTransport() {
  // Only a transport that never started (or whose loop closed) gets here
  // with its descriptor open: nothing watches it any more.
  if (attached_) loop_.detach_resource(this);
  if (fd_ >= 0) ::close(fd_);
}

void PipeTransport::start(Future<> waiter) {
  self_ = std::static_pointer_cast<PipeTransport>(shared_from_this());
  auto self = self_;
  loop_.call_soon([self] {
    if (self->fd_ < 0 || !self->protocol_) return;  // the loop closed meanwhile
    if (self->stream_) {
      self->stream_->connection_made(*self);
    } else {
      self->buffered_->connection_made(*self);
    }
  });
  // Watching starts only once connection_made has run, as in asyncio.
  loop_.call_soon([self] {
    if (self->fd_ < 0 || self->lost_scheduled_) return;
    try {
      self->begin_watching();
    } catch (...) {
      // A descriptor the backend cannot watch (EPERM from epoll, ...):
      // asyncio would log the error and hang; close with it instead.
      self->report("Fatal error: cannot watch the pipe", std::current_exception());
      self->close_now(std::current_exception());
    }
  });
  if (waiter.state() != nullptr) {
    loop_.call_soon([waiter] {
      if (!waiter.done()) waiter.set_result();
    });
  }
}

ExtraInfo PipeTransport::get_extra_info(std::string_view name) const {
  if (name == "pipe" && fd_ >= 0) return fd_;
  return std::monostate();
}

void PipeTransport::set_protocol(std::shared_ptr<BaseProtocol> protocol) {
  Protocol* stream = dynamic_cast<Protocol*>(protocol.get());
  BufferedProtocol* buffered = stream ? nullptr : dynamic_cast<BufferedProtocol*>(protocol.get());
  if (!stream && !buffered) {
    throw TypeError("a pipe transport needs a Protocol or a BufferedProtocol");
  }
  protocol_ = std::move(protocol);
  stream_ = stream;
  buffered_ = buffered;
}

void PipeTransport::close_now(std::exception_ptr exc) {
  closing_ = true;
  buffer_.clear();
  remove_writer();
  remove_reader();
  schedule_connection_lost(std::move(exc));
}

void PipeTransport::schedule_connection_lost(std::exception_ptr exc) {
  if (lost_scheduled_) return;
  lost_scheduled_ = true;
  auto self = self_;
  if (!self) return;  // never started: nobody to tell
  loop_.call_soon([self, exc = std::move(exc)] { self->call_connection_lost(exc); });
}

void PipeTransport::call_connection_lost(std::exception_ptr exc) {
  if (fd_ < 0) return;  // the loop was closed meanwhile
  lost_scheduled_ = true;
  // Keep this alive past dropping self_, close the descriptor whatever the
  // protocol does (asyncio's try/finally), and let go of the protocol
  // afterwards (asyncio's `self._protocol = None`).
  std::shared_ptr<PipeTransport> keep = std::move(self_);
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
  protocol_.reset();
  stream_ = nullptr;
  buffered_ = nullptr;
}

void PipeTransport::report(const char* message, std::exception_ptr exc) {
  ExceptionContext ctx;
  ctx.message = message;
  ctx.exception = std::move(exc);
  ctx.handle = absl::StrFormat("<%s transport fd=%d>", kind_, fd_);
  loop_.call_exception_handler(ctx);
}

void PipeTransport::loop_closed() {
  // The loop cannot run connection_lost any more: let go of everything.
  std::shared_ptr<PipeTransport> keep = std::move(self_);
  attached_ = false;  // the loop detached us
  closing_ = lost_scheduled_ = true;
  watch_.forget();
  buffer_.clear();
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  std::shared_ptr<BaseProtocol> protocol = std::move(protocol_);
  stream_ = nullptr;
  buffered_ = nullptr;
}

void PipeTransport::add_reader(eddy_io_fn fn) { watch_.add_reader(loop_, fd_, fn, this); }
void PipeTransport::remove_reader() { watch_.remove_reader(loop_, fd_); }
void PipeTransport::add_writer(eddy_io_fn fn) { watch_.add_writer(loop_, fd_, fn, this); }
void PipeTransport::remove_writer() { watch_.remove_writer(loop_, fd_); }

// ---- ReadPipeTransport ----

ReadPipeTransport::ReadPipeTransport(EventLoop& loop, int fd,
                                     std::shared_ptr<BaseProtocol> protocol)
    : PipeTransport(loop, fd, std::move(protocol)) {
  kind_ = "read pipe";
}

void ReadPipeTransport::begin_watching() {
  started_ = true;
  if (is_reading()) add_reader(&on_readable);
}

void ReadPipeTransport::close() {
  if (!closing_) close_now(nullptr);
}

void ReadPipeTransport::pause_reading() {
  if (closing_ || paused_) return;
  paused_ = true;
  remove_reader();
}

void ReadPipeTransport::resume_reading() {
  if (closing_ || !paused_) return;
  paused_ = false;
  if (started_) add_reader(&on_readable);
}

void ReadPipeTransport::on_readable(void* arg, int32_t, uint32_t) {
  auto* t = static_cast<ReadPipeTransport*>(arg);
  // A protocol callback may drop the last outside reference.
  std::shared_ptr<PipeTransport> keep = t->self_;
  t->read_ready();
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
    buf = std::span<char>(read_buffer(), kMaxRead);
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
      if (self->stream_) {
        self->stream_->eof_received();
      } else {
        self->buffered_->eof_received();
      }
    } catch (...) {
      self->report("Fatal error: protocol.eof_received() call failed.", std::current_exception());
    }
  });
  loop_.call_soon([self] { self->call_connection_lost(nullptr); });
}

void ReadPipeTransport::fatal_error(int err) {
  std::exception_ptr exc = os_error(err);
  // EIO is what a pty's reader gets once the other side is gone: not a bug.
  if (err == EIO) {
    if (loop_.get_debug()) log(EDDY_LOG_DEBUG, "Fatal read error on pipe transport");
  } else {
    report("Fatal read error on pipe transport", exc);
  }
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
    : PipeTransport(loop, fd, std::move(protocol)), is_socket_(is_socket) {
  kind_ = "write pipe";
}

void WritePipeTransport::begin_watching() {
  // The descriptor turns readable (or errs) when the reading end goes away
  // (asyncio's trick; it skips it on AIX only, for pipes).
  add_reader(&on_readable);
}

void WritePipeTransport::on_readable(void* arg, int32_t, uint32_t) {
  auto* t = static_cast<WritePipeTransport*>(arg);
  std::shared_ptr<PipeTransport> keep = t->self_;
  if (t->lost_scheduled_) return;
  if (t->loop_.get_debug()) {
    log(EDDY_LOG_INFO, absl::StrFormat("<write pipe fd=%d> was closed by peer", t->fd_));
  }
  // The pipe was closed by the peer: data still buffered can never arrive.
  t->close_now(t->buffer_.empty() ? nullptr : os_error(EPIPE));
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
    if (conn_lost_ >= kLogThresholdForConnLostWrites) {
      log(EDDY_LOG_WARNING, "pipe closed by peer or os.write(pipe, data) raised exception.");
    }
    ++conn_lost_;
    return;
  }
  if (buffer_.empty()) {
    // Nothing queued: try to write at once.
    ssize_t n = write_now(data);
    if (n < 0 || static_cast<size_t>(n) == data.size()) return;
    data.remove_prefix(static_cast<size_t>(n));
    add_writer(&on_writable);
  }
  buffer_.append(data);
  maybe_pause_protocol();
}

void WritePipeTransport::writelines(std::span<const std::string_view> list_of_data) {
  if (closing_ || lost_scheduled_ || !buffer_.empty() || is_socket_) {
    for (std::string_view d : list_of_data) write(d);
    return;
  }
  // One writev for all of it, then the rest goes to the buffer.
  absl::InlinedVector<iovec, 16> iov;
  for (std::string_view d : list_of_data) {
    if (d.empty()) continue;
    iov.push_back({const_cast<char*>(d.data()), d.size()});
    if (iov.size() == IOV_MAX) break;
  }
  if (iov.empty()) return;
  ssize_t n;
  do {
    n = writev_no_sigpipe(fd_, iov.data(), static_cast<int>(iov.size()));
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (!would_block(errno)) {
      fatal_error(errno);
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
    add_writer(&on_writable);
    maybe_pause_protocol();
  }
}

void WritePipeTransport::on_writable(void* arg, int32_t, uint32_t) {
  auto* t = static_cast<WritePipeTransport*>(arg);
  std::shared_ptr<PipeTransport> keep = t->self_;
  t->write_ready();
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
    schedule_connection_lost(nullptr);
  }
}

void WritePipeTransport::fatal_error(int err) {
  ++conn_lost_;
  std::exception_ptr exc = os_error(err);
  // asyncio's _FATAL_ERROR_IGNORE: the reader went away; not a bug.
  if (err == EPIPE || err == ECONNRESET || err == ECONNABORTED) {
    if (loop_.get_debug()) log(EDDY_LOG_DEBUG, "Fatal write error on pipe transport");
  } else {
    report("Fatal write error on pipe transport", exc);
  }
  close_now(std::move(exc));
}

void WritePipeTransport::set_write_buffer_limits(std::ptrdiff_t high, std::ptrdiff_t low) {
  if (high < 0) high = low < 0 ? 64 * 1024 : 4 * low;
  if (low < 0) low = high / 4;
  if (!(high >= low && low >= 0)) {
    throw ValueError(absl::StrFormat("high (%d) must be >= low (%d) must be >= 0", high, low));
  }
  high_ = static_cast<size_t>(high);
  low_ = static_cast<size_t>(low);
  maybe_pause_protocol();
}

void WritePipeTransport::maybe_pause_protocol() {
  if (buffer_.size() <= high_ || protocol_paused_ || !protocol_) return;
  protocol_paused_ = true;
  try {
    protocol_->pause_writing();
  } catch (...) {
    report("protocol.pause_writing() failed", std::current_exception());
  }
}

void WritePipeTransport::maybe_resume_protocol() {
  if (!protocol_paused_ || buffer_.size() > low_ || !protocol_) return;
  protocol_paused_ = false;
  try {
    protocol_->resume_writing();
  } catch (...) {
    report("protocol.resume_writing() failed", std::current_exception());
  }
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
  Future<> waiter(*loop);
  transport->start(waiter);
  std::exception_ptr failed;
  try {
    co_await waiter;
  } catch (...) {
    failed = std::current_exception();
  }
  if (failed) {
    transport->close();
    std::rethrow_exception(failed);
  }
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
