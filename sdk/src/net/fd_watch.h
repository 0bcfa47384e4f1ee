// fd_watch.h -- which of a transport's fd watchers are registered.
//
// Every transport (stream socket, datagram, pipe) registers a reader and a
// writer on its fd with the loop's raw watchers and takes them away again,
// often from paths that do not know the current state. These are idempotent:
// adding twice registers once, removing what is not there does nothing, a
// closed fd (-1) is never watched, and nothing is asked of a closed loop
// (it dropped every watcher when it closed).
//
// Thread-safety: none; one transport's, on its loop's thread.
#ifndef EDDY_SDK_SRC_NET_FD_WATCH_H_
#define EDDY_SDK_SRC_NET_FD_WATCH_H_

#include "eddy/event_loop.h"

namespace eddy::detail {

class FdWatch {
 public:
  void add_reader(EventLoop& loop, int fd, eddy_io_fn fn, void* ctx) {
    if (reading_ || fd < 0) return;
    loop.add_reader_raw(fd, fn, ctx);
    reading_ = true;
  }
  void remove_reader(EventLoop& loop, int fd) {
    if (!reading_) return;
    reading_ = false;
    if (!loop.is_closed()) loop.remove_reader(fd);
  }
  void add_writer(EventLoop& loop, int fd, eddy_io_fn fn, void* ctx) {
    if (writing_ || fd < 0) return;
    loop.add_writer_raw(fd, fn, ctx);
    writing_ = true;
  }
  void remove_writer(EventLoop& loop, int fd) {
    if (!writing_) return;
    writing_ = false;
    if (!loop.is_closed()) loop.remove_writer(fd);
  }
  // The loop let go of both (it closed): forget them without asking it.
  void forget() { reading_ = writing_ = false; }

 private:
  bool reading_ = false;
  bool writing_ = false;
};

}  // namespace eddy::detail

#endif  // EDDY_SDK_SRC_NET_FD_WATCH_H_
