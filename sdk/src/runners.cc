#include "eddy/runners.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "eddy/executor.h"
#include "eddy/gather.h"

namespace eddy::detail {

namespace {
// asyncio installs its handler only where Python's own default applies: on
// the main thread, and if nobody changed SIGINT's disposition.
bool sigint_is_ours_to_take() {
  if (::getpid() != static_cast<pid_t>(::syscall(SYS_gettid))) return false;
  struct sigaction cur {};
  if (::sigaction(SIGINT, nullptr, &cur) < 0) return false;
  return !(cur.sa_flags & SA_SIGINFO) && cur.sa_handler == SIG_DFL;
}
}  // namespace

SigintHandler::SigintHandler(EventLoop& loop, BasicTask main, const RunOptions& options)
    : loop_(loop), main_(std::move(main)) {
  if (!options.handle_sigint || !sigint_is_ours_to_take()) return;
  loop_.add_signal_handler(SIGINT, [this] {
    if (++interrupts_ == 1 && !main_.done()) {
      main_.cancel();
      return;
    }
    // A second Ctrl-C: Python raises KeyboardInterrupt out of
    // run_until_complete; here the loop stops and translate() says why.
    loop_.stop();
  });
  installed_ = true;
}

void SigintHandler::uninstall() {
  if (!installed_) return;
  installed_ = false;
  loop_.remove_signal_handler(SIGINT);
}

std::exception_ptr SigintHandler::translate(std::exception_ptr error) {
  if (interrupts_ == 0) return error;
  if (interrupts_ > 1) return std::make_exception_ptr(KeyboardInterrupt());
  try {
    std::rethrow_exception(error);
  } catch (const CancelledError&) {
    // Only a cancellation SIGINT asked for, and nobody took back, becomes a
    // KeyboardInterrupt (asyncio's Runner.run: uncancel() == 0).
    if (main_.uncancel() == 0) return std::make_exception_ptr(KeyboardInterrupt());
  } catch (...) {
  }
  return error;
}

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
