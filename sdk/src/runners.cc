#include "eddy/runners.h"

#include "eddy/executor.h"
#include "eddy/gather.h"

namespace eddy::detail {

void check_no_running_loop() {
  if (running_loop()) throw RuntimeError("run() cannot be called from a running event loop");
}

void shutdown_runner(EventLoop& loop, const RunOptions& options) {
  try {
    std::vector<BasicTask> pending = all_tasks(&loop);
    if (!pending.empty()) {
      for (const BasicTask& t : pending) t.cancel();
      loop.run_until_complete(gather(return_exceptions, pending));
      for (const BasicTask& t : pending) {
        if (t.cancelled()) continue;
        if (std::exception_ptr e = t.exception()) {
          ExceptionContext c;
          c.message = "unhandled exception during run() shutdown";
          c.exception = e;
          c.task = t.get_name();
          loop.call_exception_handler(c);
        }
      }
    }
  } catch (...) {
    ExceptionContext c;
    c.message = "error while cancelling the remaining tasks at run() shutdown";
    c.exception = std::current_exception();
    loop.call_exception_handler(c);
  }
  // Async generators need no separate shutdown: an unfinished one is closed
  // when its frame is destroyed with the task that owns it.
  loop.shutdown_default_executor(options.executor_shutdown_timeout);
  if (!loop.is_closed()) loop.close();
}

}  // namespace eddy::detail
