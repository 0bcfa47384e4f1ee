// eddy/eddy.hpp -- the whole public API of eddy in one include.
//
// eddy is Python's asyncio in C++20: the names and semantics of asyncio,
// running on a loop backend chosen at run time (epoll, libuv, libevent,
// io_uring...). See README.md and docs/architecture.md.
//
// Thread-safety: see each header; in short, everything belongs to its loop's
// thread except EventLoop::call_soon_threadsafe and ThreadPoolExecutor.
#ifndef EDDY_EDDY_HPP_
#define EDDY_EDDY_HPP_

#include "eddy/async_generator.h"
#include "eddy/backends.h"
#include "eddy/coro.h"
#include "eddy/event_loop.h"
#include "eddy/exceptions.h"
#include "eddy/executor.h"
#include "eddy/future.h"
#include "eddy/gather.h"
#include "eddy/locks.h"
#include "eddy/log.h"
#include "eddy/network.h"
#include "eddy/pipes.h"
#include "eddy/queues.h"
#include "eddy/runners.h"
#include "eddy/streams.h"
#include "eddy/stream_writer.h"
#include "eddy/sockets.h"
#include "eddy/subprocess.h"
#include "eddy/task.h"
#include "eddy/task_group.h"
#include "eddy/tasks.h"
#include "eddy/transports.h"

#endif  // EDDY_EDDY_HPP_
