// subprocess_pipes.h -- internal: the state behind PipeWriter (a child's
// stdin), until the StreamWriter over a write pipe transport replaces it.
//
// The pipe end is a non-blocking descriptor watched with the loop's
// add_writer only while its buffer holds data. The descriptor is closed on
// error, after close() and the flush, or when the last handle goes away --
// always after its watcher is removed, so a reused descriptor number is
// never watched by mistake.
//
// Thread-safety: loop thread only.
#ifndef EDDY_SRC_SUBPROCESS_PIPES_H_
#define EDDY_SRC_SUBPROCESS_PIPES_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eddy/event_loop.h"
#include "eddy/executor.h"
#include "eddy/future.h"

namespace eddy::detail {

// What both ends share: the loop, whether it still exists, the descriptor.
struct PipeBase {
  PipeBase(EventLoop& loop, int fd) : loop_(&loop), guard_(loop.loop_guard()), fd_(fd) {}
  // True while the loop exists and is open, so watchers may be touched.
  bool loop_usable() const { return guard_->loop != nullptr && !loop_->is_closed(); }
  // Awaiting needs the loop: RuntimeError once it is gone (a pipe kept past
  // the end of run()).
  void check_loop() const {
    if (!guard_->loop) throw RuntimeError("the pipe's event loop no longer exists");
  }

  EventLoop* loop_;
  std::shared_ptr<LoopGuard> guard_;
  int fd_;
};

struct PipeWriterState : PipeBase {
  // asyncio's default write buffer limits.
  static constexpr size_t kHighWater = 64 * 1024;
  static constexpr size_t kLowWater = 16 * 1024;

  PipeWriterState(EventLoop& loop, int fd) : PipeBase(loop, fd) {}
  ~PipeWriterState();

  size_t buffered() const { return buf_.size() - head_; }
  void write(std::string_view data);
  void on_writable();
  void close();
  // The reader went away or the write failed: drop the buffer, wake drains.
  void fail(int err);
  void close_fd();
  void wake_drains();

  std::string buf_;
  size_t head_ = 0;
  bool closing_ = false;
  bool writing_ = false;
  int error_ = 0;  // errno of the failed write, 0 if none
  std::vector<Future<>> drain_waiters_;
  std::vector<Future<>> closed_waiters_;
};

}  // namespace eddy::detail

#endif  // EDDY_SRC_SUBPROCESS_PIPES_H_
