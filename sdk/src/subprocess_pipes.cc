// PipeReader / PipeWriter: the pipes of a subprocess (see subprocess_pipes.h).
#include "subprocess_pipes.h"

#include <errno.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "eddy/exceptions.h"
#include "eddy/subprocess.h"
#include "eddy/task.h"

namespace eddy {
namespace detail {
namespace {

constexpr size_t kReadChunk = 64 * 1024;
// Reads per readiness callback: enough to empty a pipe, bounded so one busy
// child cannot starve the rest of the loop.
constexpr int kReadsPerWakeup = 4;

// write(2) that cannot kill the process with SIGPIPE. A library must not
// change the process-wide disposition (Python ignores SIGPIPE at startup; a
// C++ program may not), so SIGPIPE is blocked on this thread for the call,
// and a SIGPIPE this write raised is consumed before it is unblocked.
ssize_t write_no_sigpipe(int fd, const char* data, size_t n) {
  sigset_t pipe_set, old_mask, pending;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigpending(&pending);
  bool was_pending = sigismember(&pending, SIGPIPE) == 1;
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask);
  ssize_t r = ::write(fd, data, n);
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

}  // namespace

// ---- Reader ----

PipeReaderState::~PipeReaderState() { close_fd(); }

std::string PipeReaderState::take(size_t n) {
  n = std::min(n, buffered());
  std::string out(buf_, head_, n);
  head_ += n;
  if (head_ == buf_.size()) {
    buf_.clear();
    head_ = 0;
  } else if (head_ > kLimit && head_ * 2 > buf_.size()) {
    buf_.erase(0, head_);
    head_ = 0;
  }
  if (!eof_ && !reading_ && buffered() < 2 * kLimit && loop_usable()) resume_reading();
  return out;
}

void PipeReaderState::resume_reading() {
  if (reading_ || eof_ || fd_ < 0) return;
  if (buffered() >= 2 * kLimit && !waiter_) return;
  loop_->add_reader(fd_, [this] { on_readable(); });
  reading_ = true;
}

void PipeReaderState::on_readable() {
  for (int i = 0; i < kReadsPerWakeup; ++i) {
    size_t old = buf_.size();
    buf_.resize(old + kReadChunk);
    ssize_t n = ::read(fd_, buf_.data() + old, kReadChunk);
    buf_.resize(old + static_cast<size_t>(std::max<ssize_t>(n, 0)));
    if (n > 0) {
      if (static_cast<size_t>(n) < kReadChunk) break;  // the pipe is empty now
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    // EOF, or an error that ends the stream the same way (asyncio's pipe
    // transport reports a read error as connection_lost, which feeds EOF).
    eof_ = true;
    close_fd();
    break;
  }
  if (waiter_) {
    Future<> w = std::move(*waiter_);
    waiter_.reset();
    if (!w.done()) w.set_result();
  }
  if (reading_ && buffered() >= 2 * kLimit) {
    loop_->remove_reader(fd_);
    reading_ = false;
  }
}

void PipeReaderState::close_fd() {
  if (fd_ < 0) return;
  if (reading_ && loop_usable()) loop_->remove_reader(fd_);
  reading_ = false;
  ::close(fd_);
  fd_ = -1;
}

// Waits until on_readable ran once (data, EOF or an error arrived).
Coro<> reader_wait(std::shared_ptr<PipeReaderState> s) {
  s->check_loop();
  Future<> f(*s->loop_);
  s->waiter_ = f;
  s->resume_reading();
  co_await f;
}

Coro<std::string> reader_read(std::shared_ptr<PipeReaderState> s, std::ptrdiff_t n) {
  if (n == 0) co_return std::string();
  if (n < 0) {
    std::string out;
    while (true) {
      out += s->take(s->buffered());
      if (s->eof_) break;
      co_await reader_wait(s);
    }
    co_return out;
  }
  while (s->buffered() == 0 && !s->eof_) co_await reader_wait(s);
  co_return s->take(static_cast<size_t>(n));
}

Coro<std::string> reader_readline(std::shared_ptr<PipeReaderState> s) {
  size_t scanned = 0;  // bytes already known to hold no '\n'
  while (true) {
    std::string_view view(s->buf_.data() + s->head_, s->buffered());
    size_t nl = view.find('\n', scanned);
    if (nl != std::string_view::npos) co_return s->take(nl + 1);
    if (s->eof_) co_return s->take(s->buffered());
    scanned = view.size();
    co_await reader_wait(s);
  }
}

// ---- Writer ----

PipeWriterState::~PipeWriterState() { close_fd(); }

void PipeWriterState::write(std::string_view data) {
  if (data.empty() || closing_ || error_ || fd_ < 0) return;
  if (buffered() == 0) {
    // Nothing queued: try the pipe at once, as asyncio's transports do.
    while (!data.empty()) {
      ssize_t n = write_no_sigpipe(fd_, data.data(), data.size());
      if (n > 0) {
        data.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      fail(n < 0 ? errno : EPIPE);
      return;
    }
    if (data.empty()) return;
  }
  buf_.append(data);
  if (!writing_ && loop_usable()) {
    loop_->add_writer(fd_, [this] { on_writable(); });
    writing_ = true;
  }
}

void PipeWriterState::on_writable() {
  while (buffered() > 0) {
    ssize_t n = write_no_sigpipe(fd_, buf_.data() + head_, buffered());
    if (n > 0) {
      head_ += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    fail(n < 0 ? errno : EPIPE);
    return;
  }
  if (head_ > 0 && (buffered() == 0 || head_ * 2 > buf_.size())) {
    buf_.erase(0, head_);
    head_ = 0;
  }
  if (buffered() <= kLowWater) wake_drains();
  if (buffered() == 0) {
    loop_->remove_writer(fd_);
    writing_ = false;
    if (closing_) close_fd();
  }
}

void PipeWriterState::close() {
  if (closing_) return;
  closing_ = true;
  if (buffered() == 0) close_fd();
}

void PipeWriterState::fail(int err) {
  error_ = err;
  buf_.clear();
  head_ = 0;
  close_fd();
  wake_drains();
}

void PipeWriterState::wake_drains() {
  std::vector<Future<>> ws = std::move(drain_waiters_);
  drain_waiters_.clear();
  for (Future<>& w : ws) {
    if (w.done()) continue;
    if (error_) {
      try {
        raise_os_error(error_);
      } catch (...) {
        w.set_exception(std::current_exception());
      }
    } else {
      w.set_result();
    }
  }
}

void PipeWriterState::close_fd() {
  if (fd_ < 0) return;
  if (writing_ && loop_usable()) loop_->remove_writer(fd_);
  writing_ = false;
  ::close(fd_);
  fd_ = -1;
  closing_ = true;
  std::vector<Future<>> ws = std::move(closed_waiters_);
  closed_waiters_.clear();
  for (Future<>& w : ws) {
    if (!w.done()) w.set_result();
  }
}

Coro<> writer_drain(std::shared_ptr<PipeWriterState> s) {
  if (s->error_) raise_os_error(s->error_);
  if (s->buffered() <= PipeWriterState::kHighWater) co_return;
  s->check_loop();
  Future<> f(*s->loop_);
  s->drain_waiters_.push_back(f);
  co_await f;
}

Coro<> writer_wait_closed(std::shared_ptr<PipeWriterState> s) {
  if (s->fd_ < 0) co_return;
  s->check_loop();
  Future<> f(*s->loop_);
  s->closed_waiters_.push_back(f);
  co_await f;
}

}  // namespace detail

// ---- The public handles ----

Coro<std::string> PipeReader::read(std::ptrdiff_t n) { return detail::reader_read(s_, n); }
Coro<std::string> PipeReader::readline() { return detail::reader_readline(s_); }
bool PipeReader::at_eof() const { return s_->eof_ && s_->buffered() == 0; }

void PipeWriter::write(std::string_view data) { s_->write(data); }
Coro<> PipeWriter::drain() { return detail::writer_drain(s_); }
void PipeWriter::close() { s_->close(); }
bool PipeWriter::is_closing() const { return s_->closing_; }
Coro<> PipeWriter::wait_closed() { return detail::writer_wait_closed(s_); }
size_t PipeWriter::get_write_buffer_size() const { return s_->buffered(); }

}  // namespace eddy
