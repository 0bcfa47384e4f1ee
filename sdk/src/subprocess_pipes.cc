// PipeWriter: the stdin pipe of a subprocess (see subprocess_pipes.h).
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
#include "net/pipe_transport.h"

namespace eddy {
namespace detail {
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

void PipeWriter::write(std::string_view data) { s_->write(data); }
Coro<> PipeWriter::drain() { return detail::writer_drain(s_); }
void PipeWriter::close() { s_->close(); }
bool PipeWriter::is_closing() const { return s_->closing_; }
Coro<> PipeWriter::wait_closed() { return detail::writer_wait_closed(s_); }
size_t PipeWriter::get_write_buffer_size() const { return s_->buffered(); }

}  // namespace eddy
