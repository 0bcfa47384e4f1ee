// load_client_uring.h -- the io_uring state of LoadClient's kUring engine,
// private to load_client.cc and load_client_uring.cc.
//
// Thread-safety: the LoadClient's thread.
#ifndef EDDY_BENCH_ECHO_LOAD_CLIENT_URING_H_
#define EDDY_BENCH_ECHO_LOAD_CLIENT_URING_H_

#include <liburing.h>

#include "load_client.h"

namespace eddy::echo {

struct LoadClient::Uring {
  io_uring ring{};
  bool initialized = false;
  ~Uring() {
    // Cancels every recv still in flight before the sockets close.
    if (initialized) io_uring_queue_exit(&ring);
  }
};

}  // namespace eddy::echo

#endif  // EDDY_BENCH_ECHO_LOAD_CLIENT_URING_H_
