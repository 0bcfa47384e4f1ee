// sendfile and sock_sendfile (asyncio's loop.sendfile / loop.sock_sendfile;
// see eddy/network.h).
//
// The native path is asyncio's _sock_sendfile_native: sendfile(2) from the
// file at an explicit offset (so the file's own offset never moves), one
// call per writability of the socket, until `count` bytes or EOF. A first
// call that fails because sendfile(2) cannot serve this pair of descriptors
// (EINVAL, ESPIPE, ENOSYS, EOPNOTSUPP: a pipe or another non-mappable file)
// raises SendfileNotAvailableError, and the caller falls back -- or not.
// asyncio turns every first-call OSError into SendfileNotAvailableError;
// eddy keeps real errors (EBADF, EPIPE, ECONNRESET) as what they are, so a
// peer that is gone is a ConnectionError on either path.
//
// The socket fallback is asyncio's _sock_sendfile_fallback: 256 KiB reads of
// the file in the default executor (a read may block: disks, pipes), each
// sent whole before the next.
//
// Over a transport:
// - a SocketTransport gets the socket path under the transport's sendfile
//   lock: begin_sendfile() waits for the write buffer to drain and makes
//   write() raise RuntimeError until end_sendfile(); reading is paused for
//   the transfer (asyncio's _sendfile_native does the same) and resumed
//   after. The transport's protocol is swapped for an interceptor while the
//   bytes flow, as asyncio's _SendfileFallbackProtocol does: it forwards
//   everything to the real protocol, and its connection_lost (which the
//   transport calls before it closes the socket) stops the transfer, so the
//   descriptor is never watched or written after the transport closed it.
// - any other Transport gets asyncio's _sendfile_fallback: 16 KiB reads
//   written with transport->write(), waiting after each while the transport
//   has paused its protocol -- the interceptor receives pause_writing /
//   resume_writing, so the application's protocol sees none of it.
// Every exit path (an error, cancellation, a loop torn down) restores the
// protocol, ends the lock and resumes reading.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "eddy/exceptions.h"
#include "eddy/executor.h"
#include "eddy/network.h"
#include "eddy/task.h"
#include "net/socket_transport.h"
#include "net/util.h"

namespace eddy {
namespace detail {
namespace {

// asyncio's SENDFILE_FALLBACK_READBUFFER_SIZE (sock_sendfile's fallback).
constexpr size_t kSockFallbackChunk = 256 * 1024;
// asyncio's _sendfile_fallback block size (through a transport).
constexpr size_t kTransportFallbackChunk = 16 * 1024;
// The most one sendfile(2) call is asked for (asyncio caps at 1 GiB on
// 32-bit builds; Linux moves at most 0x7ffff000 bytes per call anyway).
constexpr size_t kMaxBlock = size_t{1} << 30;

bool would_block(int err) { return err == EAGAIN || err == EWOULDBLOCK; }

// sendfile(2) cannot serve this file / socket pair (vs. a real error).
bool not_available(int err) {
  return err == EINVAL || err == ESPIPE || err == ENOSYS || err == EOPNOTSUPP || err == ENOTSUP ||
         err == EOVERFLOW;
}

std::exception_ptr closed_by_peer() {
  return std::make_exception_ptr(ConnectionError(0, "Connection is closed by peer"));
}

// sendfile(2) to a socket has no MSG_NOSIGNAL. A library must not change
// the process-wide SIGPIPE disposition, so it is blocked on this thread for
// the call, and a SIGPIPE the call raised is consumed before unblocking
// (the same as the subprocess pipes' writes).
ssize_t sendfile_no_sigpipe(int out_fd, int in_fd, off_t* offset, size_t n) {
  sigset_t pipe_set, old_mask, pending;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigpending(&pending);
  bool was_pending = sigismember(&pending, SIGPIPE) == 1;
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask);
  ssize_t r;
  do {
    r = ::sendfile(out_fd, in_fd, offset, n);
  } while (r < 0 && errno == EINTR);
  int err = errno;
  if (r < 0 && err == EPIPE && !was_pending) {
    struct timespec zero = {0, 0};
    while (sigtimedwait(&pipe_set, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  errno = err;
  return r;
}

// Watches a socket for writability with a raw watcher, registered from the
// first wait() until stop() (level-triggered: a readiness nobody waits for
// is ignored). fail() ends the watch from outside -- the transport is
// closing the socket -- and makes the pending and every later wait() raise.
class WritableWatch {
 public:
  WritableWatch(EventLoop& loop, int fd) : loop_(loop), guard_(loop.loop_guard()), fd_(fd) {}
  ~WritableWatch() { stop(); }
  WritableWatch(const WritableWatch&) = delete;
  WritableWatch& operator=(const WritableWatch&) = delete;

  // Raises what fail() was given; call before touching the descriptor.
  void check() const {
    if (failed_) std::rethrow_exception(failed_);
  }
  // A future that completes the next time the socket is writable.
  Future<> wait() {
    check();
    if (!registered_) {
      loop_.add_writer_raw(fd_, &on_writable, this);
      registered_ = true;
    }
    waiting_ = Future<>(loop_);
    return waiting_;
  }
  void fail(std::exception_ptr exc) {
    if (failed_) return;
    failed_ = std::move(exc);
    stop();
    if (waiting_.state() != nullptr && !waiting_.done()) waiting_.set_exception(failed_);
  }

 private:
  static void on_writable(void* arg, int32_t, uint32_t) {
    auto* w = static_cast<WritableWatch*>(arg);
    if (w->waiting_.state() != nullptr && !w->waiting_.done()) w->waiting_.set_result();
  }
  void stop() {
    if (!registered_) return;
    registered_ = false;
    if (guard_->loop != nullptr && !loop_.is_closed()) loop_.remove_writer(fd_);
  }

  EventLoop& loop_;
  std::shared_ptr<LoopGuard> guard_;
  int fd_;
  bool registered_ = false;
  Future<> waiting_;
  std::exception_ptr failed_;
};

void check_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) raise_os_error(errno);
  if (!(flags & O_NONBLOCK)) throw ValueError("the socket must be non-blocking");
}

void check_offset(off_t offset) {
  if (offset < 0) {
    throw ValueError(absl::StrFormat("offset must be a non-negative integer (got %d)",
                                     static_cast<long long>(offset)));
  }
}

// asyncio's _check_sendfile_params for a raw socket.
void check_socket(int sock, off_t offset) {
  check_nonblocking(sock);
  int type = 0;
  socklen_t len = sizeof type;
  if (::getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &len) < 0) raise_os_error(errno);
  if (type != SOCK_STREAM) throw ValueError("only SOCK_STREAM type sockets are supported");
  check_offset(offset);
}

// ---- Reading the file (on an executor thread) ----

// Whether the file has offsets (a pipe or a socket does not).
bool seekable(int fd) { return ::lseek(fd, 0, SEEK_CUR) >= 0 || errno != ESPIPE; }

// Reads up to n bytes at `pos` (pread: the file's offset does not move) or,
// from a file without offsets, from wherever it is. A non-blocking source
// is waited for with poll(2) -- this thread is not the loop's.
size_t read_chunk(std::shared_ptr<std::vector<char>> buf, int fd, off_t pos, size_t n,
                  bool positional) {
  while (true) {
    ssize_t r = positional ? ::pread(fd, buf->data(), n, pos) : ::read(fd, buf->data(), n);
    if (r >= 0) return static_cast<size_t>(r);
    if (errno == EINTR) continue;
    if (would_block(errno)) {
      pollfd p{fd, POLLIN, 0};
      ::poll(&p, 1, -1);
      continue;
    }
    raise_os_error(errno);
  }
}

// Prepares fallback reads: whether they are positional. A file without
// offsets can only be read from where it is (asyncio's file.seek(offset)
// fails the same way).
bool fallback_positional(int in_fd, off_t offset) {
  if (seekable(in_fd)) return true;
  if (offset != 0) raise_os_error(ESPIPE);
  return false;
}

// The fallbacks' reads: count bytes (0: up to EOF) of in_fd from offset, a
// chunk of at most `chunk` bytes at a time, in the default executor.
class ChunkReader {
 public:
  // ESPIPE if the file has no offsets and offset is not 0.
  ChunkReader(EventLoop& loop, int in_fd, off_t offset, size_t count, size_t chunk)
      : loop_(loop),
        in_fd_(in_fd),
        offset_(offset),
        count_(count),
        blocksize_(count ? std::min(count, chunk) : chunk),
        positional_(fallback_positional(in_fd, offset)),
        buf_(std::make_shared<std::vector<char>>(blocksize_)) {}

  // The chunk after the first `done` bytes, into data(): its size, 0 once
  // count bytes were read or at EOF.
  Coro<size_t> read(size_t done) {
    size_t want = blocksize_;
    if (count_) {
      want = std::min(count_ - done, blocksize_);
      if (want == 0) co_return 0;
    }
    Future<size_t> reading = loop_.run_in_executor(
        nullptr, &read_chunk, buf_, in_fd_, offset_ + static_cast<off_t>(done), want, positional_);
    co_return co_await reading;
  }
  const char* data() const { return buf_->data(); }

 private:
  EventLoop& loop_;
  int in_fd_;
  off_t offset_;
  size_t count_;
  size_t blocksize_;
  bool positional_;
  std::shared_ptr<std::vector<char>> buf_;
};

// ---- The socket paths ----

// sendfile(2) until count bytes (0: EOF) went out.
Coro<size_t> sendfile_native(WritableWatch& watch, int sock, int in_fd, off_t offset,
                             size_t count) {
  size_t total = 0;
  off_t pos = offset;
  while (!count || total < count) {
    size_t block = std::min(count ? count - total : kMaxBlock, kMaxBlock);
    watch.check();
    ssize_t n = sendfile_no_sigpipe(sock, in_fd, &pos, block);
    if (n == 0) break;  // EOF
    if (n > 0) {
      total += static_cast<size_t>(n);
      if (count && total >= count) break;
    } else if (!would_block(errno)) {
      int err = errno;
      if (total == 0 && not_available(err)) {
        throw SendfileNotAvailableError("os.sendfile call failed");
      }
      // asyncio: the connection closed in the middle of the transfer.
      if (err == ENOTCONN && total > 0) throw ConnectionError(ENOTCONN, "socket is not connected");
      raise_os_error(err);
    }
    // One call per writability, as asyncio: other callbacks run between.
    Future<> writable = watch.wait();
    co_await writable;
  }
  co_return total;
}

// Reads chunks in the executor and sends each whole.
Coro<size_t> sendfile_by_send(EventLoop& loop, WritableWatch& watch, int sock, int in_fd,
                              off_t offset, size_t count) {
  ChunkReader chunks(loop, in_fd, offset, count, kSockFallbackChunk);
  size_t total = 0;
  while (true) {
    size_t got = co_await chunks.read(total);
    if (got == 0) break;  // done, or EOF
    size_t sent = 0;
    while (sent < got) {
      watch.check();
      ssize_t n = ::send(sock, chunks.data() + sent, got - sent, MSG_NOSIGNAL);
      if (n >= 0) {
        sent += static_cast<size_t>(n);
        continue;
      }
      if (errno == EINTR) continue;
      if (!would_block(errno)) raise_os_error(errno);
      Future<> writable = watch.wait();
      co_await writable;
    }
    total += got;
  }
  co_return total;
}

// Native, then (if allowed and sendfile(2) cannot serve) the fallback.
Coro<size_t> sendfile_over_socket(EventLoop& loop, WritableWatch& watch, int sock, int in_fd,
                                  off_t offset, size_t count, bool fallback) {
  try {
    co_return co_await sendfile_native(watch, sock, in_fd, offset, count);
  } catch (const SendfileNotAvailableError&) {
    if (!fallback) throw;
  }
  co_return co_await sendfile_by_send(loop, watch, sock, in_fd, offset, count);
}

// ---- The interceptor protocol ----

// What the interceptor reports to: the transfer in progress.
struct SendfileState {
  std::shared_ptr<BaseProtocol> original;
  Protocol* stream = nullptr;            // original as a Protocol, or
  BufferedProtocol* buffered = nullptr;  // as a BufferedProtocol
  WritableWatch* watch = nullptr;        // the socket path's watch
  bool writing_paused = false;           // the transport paused "us"
  Future<> write_ready;                  // pending while paused (fallback)
  bool attached = true;                  // false once the transfer ended

  void lost(std::exception_ptr exc) {
    if (attached) {
      std::exception_ptr why = exc ? exc : closed_by_peer();
      if (watch) watch->fail(why);
      if (write_ready.state() != nullptr && !write_ready.done()) write_ready.set_exception(why);
    }
    original->connection_lost(std::move(exc));
  }
  void pause() {
    if (!attached) return original->pause_writing();
    writing_paused = true;
  }
  void resume() {
    if (!attached) return original->resume_writing();
    writing_paused = false;
    if (write_ready.state() != nullptr && !write_ready.done()) write_ready.set_result();
  }
};

// Forwards the stream callbacks to the original protocol and keeps the end
// of the connection and the write flow control for the transfer. Base is
// the original's kind, so the transport accepts it.
template <class Base>
class SendfileProtocol;

template <>
class SendfileProtocol<Protocol> final : public Protocol {
 public:
  explicit SendfileProtocol(std::shared_ptr<SendfileState> s) : s_(std::move(s)) {}
  void data_received(std::string_view data) override {
    // Reading is paused; data only comes if the application resumed it.
    if (s_->stream) s_->stream->data_received(data);
  }
  bool eof_received() override { return s_->stream ? s_->stream->eof_received() : false; }
  void connection_lost(std::exception_ptr exc) override { s_->lost(std::move(exc)); }
  void pause_writing() override { s_->pause(); }
  void resume_writing() override { s_->resume(); }

 private:
  std::shared_ptr<SendfileState> s_;
};

template <>
class SendfileProtocol<BufferedProtocol> final : public BufferedProtocol {
 public:
  explicit SendfileProtocol(std::shared_ptr<SendfileState> s) : s_(std::move(s)) {}
  std::span<char> get_buffer(std::ptrdiff_t sizehint) override {
    return s_->buffered->get_buffer(sizehint);
  }
  void buffer_updated(size_t nbytes) override { s_->buffered->buffer_updated(nbytes); }
  bool eof_received() override { return s_->buffered->eof_received(); }
  void connection_lost(std::exception_ptr exc) override { s_->lost(std::move(exc)); }
  void pause_writing() override { s_->pause(); }
  void resume_writing() override { s_->resume(); }

 private:
  std::shared_ptr<SendfileState> s_;
};

// The transport's state for one transfer: reading paused, the protocol
// swapped, (SocketTransport) the sendfile lock held. The destructor puts
// everything back, whichever way the coroutine ends.
class TransportSession {
 public:
  explicit TransportSession(std::shared_ptr<Transport> t) : t_(std::move(t)) {}
  ~TransportSession() {
    try {
      restore();
    } catch (...) {
      // Putting things back cannot fail in a way the caller could act on
      // (a loop being torn down).
    }
  }
  TransportSession(const TransportSession&) = delete;
  TransportSession& operator=(const TransportSession&) = delete;

  // Takes the SocketTransport's lock; the future completes once its write
  // buffer is empty.
  Future<> lock(SocketTransport* st) {
    Future<> drained = st->begin_sendfile();
    locked_ = st;
    return drained;
  }
  void pause_reading() {
    resume_reading_ = t_->is_reading();
    t_->pause_reading();
  }
  // Puts the interceptor in front of the transport's protocol.
  SendfileState& intercept() {
    state_ = std::make_shared<SendfileState>();
    state_->original = t_->get_protocol();
    state_->stream = dynamic_cast<Protocol*>(state_->original.get());
    state_->buffered = dynamic_cast<BufferedProtocol*>(state_->original.get());
    if (state_->buffered && !state_->stream) {
      interceptor_ = std::make_shared<SendfileProtocol<BufferedProtocol>>(state_);
    } else {
      interceptor_ = std::make_shared<SendfileProtocol<Protocol>>(state_);
    }
    t_->set_protocol(interceptor_);
    return *state_;
  }
  // Whether the original protocol was left paused by the transport when the
  // interceptor took over (asyncio reads transport._protocol_paused; eddy
  // infers it from the buffer being above the high-water mark).
  void note_paused_at_start() {
    paused_at_start_ = t_->get_write_buffer_size() > t_->get_write_buffer_limits().second;
    if (paused_at_start_) {
      state_->writing_paused = true;
      state_->write_ready = Future<>(t_->get_loop());
    }
  }

 private:
  void restore() {
    if (state_) {
      state_->attached = false;
      state_->watch = nullptr;
      if (t_->get_protocol() == interceptor_) t_->set_protocol(state_->original);
      // The interceptor absorbed the resume the original was waiting for.
      if (paused_at_start_ && !state_->writing_paused && !t_->is_closing()) {
        state_->original->resume_writing();
      }
    }
    if (locked_) locked_->end_sendfile();
    if (resume_reading_ && !t_->is_closing() && !t_->get_loop().is_closed()) t_->resume_reading();
  }

  std::shared_ptr<Transport> t_;
  SocketTransport* locked_ = nullptr;
  bool resume_reading_ = false;
  bool paused_at_start_ = false;
  std::shared_ptr<SendfileState> state_;
  std::shared_ptr<BaseProtocol> interceptor_;
};

Coro<size_t> socket_transport_sendfile(std::shared_ptr<Transport> t, SocketTransport* st, int in_fd,
                                       off_t offset, size_t count, bool fallback) {
  check_offset(offset);
  EventLoop& loop = t->get_loop();
  TransportSession session(t);
  Future<> drained = session.lock(st);  // RuntimeError if a transfer is under way
  session.pause_reading();
  co_await drained;  // fails with ConnectionError if the connection is lost first
  // Lost (or closing) between the drain and now: nothing may touch the fd.
  if (t->is_closing()) std::rethrow_exception(closed_by_peer());
  WritableWatch watch(loop, st->fd());
  SendfileState& state = session.intercept();
  state.watch = &watch;
  co_return co_await sendfile_over_socket(loop, watch, st->fd(), in_fd, offset, count, fallback);
}

// asyncio's _sendfile_fallback: any transport, through write().
Coro<size_t> transport_fallback(std::shared_ptr<Transport> t, int in_fd, off_t offset,
                                size_t count) {
  check_offset(offset);
  EventLoop& loop = t->get_loop();
  ChunkReader chunks(loop, in_fd, offset, count, kTransportFallbackChunk);
  TransportSession session(t);
  session.pause_reading();
  SendfileState& state = session.intercept();
  session.note_paused_at_start();
  size_t total = 0;
  while (true) {
    // asyncio's drain(): wait while the transport holds writing off.
    if (t->is_closing()) throw ConnectionError(0, "Connection closed by peer");
    if (state.writing_paused) {
      if (state.write_ready.state() == nullptr || state.write_ready.done()) {
        state.write_ready = Future<>(loop);
      }
      Future<> ready = state.write_ready;
      co_await ready;
      continue;
    }
    size_t got = co_await chunks.read(total);
    if (got == 0) break;  // done, or EOF
    if (t->is_closing()) throw ConnectionError(0, "Connection closed by peer");
    t->write(std::string_view(chunks.data(), got));
    total += got;
  }
  co_return total;
}

Coro<size_t> sock_sendfile_impl(EventLoop* lp, int sock, int in_fd, off_t offset, size_t count,
                                bool fallback) {
  EventLoop& loop = lp ? *lp : get_running_loop();
  check_socket(sock, offset);
  WritableWatch watch(loop, sock);
  co_return co_await sendfile_over_socket(loop, watch, sock, in_fd, offset, count, fallback);
}

}  // namespace
}  // namespace detail

Coro<size_t> sendfile(std::shared_ptr<Transport> transport, int in_fd, off_t offset, size_t count,
                      bool fallback) {
  if (!transport) throw ValueError("transport must not be null");
  if (transport->is_closing()) throw RuntimeError("Transport is closing");
  if (auto* st = dynamic_cast<detail::SocketTransport*>(transport.get())) {
    co_return co_await detail::socket_transport_sendfile(transport, st, in_fd, offset, count,
                                                         fallback);
  }
  if (!fallback) {
    throw SendfileNotAvailableError(
        "fallback is disabled and native sendfile is not supported for transport");
  }
  co_return co_await detail::transport_fallback(transport, in_fd, offset, count);
}

Coro<size_t> sock_sendfile(EventLoop& loop, int sock, int in_fd, off_t offset, size_t count,
                           bool fallback) {
  return detail::sock_sendfile_impl(&loop, sock, in_fd, offset, count, fallback);
}

Coro<size_t> sock_sendfile(int sock, int in_fd, off_t offset, size_t count, bool fallback) {
  return detail::sock_sendfile_impl(nullptr, sock, in_fd, offset, count, fallback);
}

}  // namespace eddy
