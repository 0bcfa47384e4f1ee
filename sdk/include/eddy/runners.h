// eddy/runners.h -- eddy::run(): asyncio.run.
//
//   int main() { return eddy::run(main_coro(), {.backend = "uv"}); }
//
// run() creates a fresh loop on the chosen backend (RunOptions, else
// EDDY_BACKEND, else the default), sets it as the thread's loop, runs the
// coroutine to completion, then does Example 3-2's shutdown: cancels every
// task still pending, waits for them (gather with return_exceptions; an
// exception other than cancellation is reported to the exception handler),
// shuts the default executor down (waiting for its jobs, with a timeout) and
// closes the loop. It returns the coroutine's value or rethrows its error.
// Calling it from inside a running loop is a RuntimeError.
//
// Ctrl-C, as asyncio.run: on the main thread, when SIGINT is at its default
// disposition, run() handles SIGINT while the coroutine runs. The first one
// cancels the main task; if that cancellation ends it, run() throws
// KeyboardInterrupt. A second SIGINT stops the loop at once and run() throws
// KeyboardInterrupt after the usual shutdown. The previous disposition is
// back before the shutdown starts. RunOptions::handle_sigint = false opts out.
//
// Thread-safety: run() uses the calling thread as the loop thread.
#ifndef EDDY_RUNNERS_H_
#define EDDY_RUNNERS_H_

#include <chrono>
#include <exception>
#include <optional>
#include <type_traits>

#include "eddy/backends.h"
#include "eddy/coro.h"
#include "eddy/event_loop.h"
#include "eddy/task.h"

namespace eddy {

struct RunOptions : LoopOptions {
  // How long run() waits for the default executor's jobs at shutdown.
  std::chrono::nanoseconds executor_shutdown_timeout = std::chrono::seconds(300);
  // Turn SIGINT into cancelling the main task (see above).
  bool handle_sigint = true;
};

namespace detail {
void check_no_running_loop();
// Cancels what is left, waits for it, shuts the executor down, closes.
void shutdown_runner(EventLoop& loop, const RunOptions& options);

// run()'s SIGINT handling for the life of the object (runners.cc).
class SigintHandler {
 public:
  SigintHandler(EventLoop& loop, BasicTask main, const RunOptions& options);
  ~SigintHandler() { uninstall(); }
  SigintHandler(const SigintHandler&) = delete;
  SigintHandler& operator=(const SigintHandler&) = delete;
  // Restores SIGINT's previous disposition. Idempotent.
  void uninstall();
  // What run() throws for the main task's outcome `error` (a
  // KeyboardInterrupt in place of the cancellation SIGINT caused).
  std::exception_ptr translate(std::exception_ptr error);

 private:
  EventLoop& loop_;
  BasicTask main_;
  bool installed_ = false;
  int interrupts_ = 0;
};
}  // namespace detail

template <class T>
T run(Coro<T> main, RunOptions options = {}) {
  detail::check_no_running_loop();
  EventLoop loop(options);
  set_event_loop(&loop);
  std::exception_ptr error;
  std::optional<std::conditional_t<std::is_void_v<T>, int, T>> value;
  {
    Task<T> task = loop.create_task(std::move(main));
    detail::SigintHandler sigint(loop, task, options);
    try {
      detail::run_until_done(loop, task.future());
      if constexpr (std::is_void_v<T>) {
        task.future()->check_result();
      } else {
        value.emplace(std::move(task.result()));
      }
    } catch (...) {
      error = sigint.translate(std::current_exception());
    }
  }
  detail::shutdown_runner(loop, options);
  set_event_loop(nullptr);
  if (error) std::rethrow_exception(error);
  if constexpr (!std::is_void_v<T>) return std::move(*value);
}

}  // namespace eddy

#endif  // EDDY_RUNNERS_H_
