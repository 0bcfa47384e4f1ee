// eddy/executor.h -- running blocking code off the loop: executors.
//
//   int n = co_await loop.run_in_executor(nullptr, blocking_fn, arg);  // default pool
//   int m = co_await eddy::to_thread(blocking_fn, arg);
//
// run_in_executor returns a Future, not a Task (all_tasks() does not list
// it), and the job starts at once on a worker thread. Its result or
// exception comes back to the loop with call_soon_threadsafe. Cancelling the
// future (or the task awaiting it) does not stop a job that already runs, and
// never corrupts the pool. The default executor is a ThreadPoolExecutor made
// on first use; run() shuts it down and waits for it (with a timeout after
// which the still-blocked job is reported rather than waited on silently).
//
// Thread-safety: ThreadPoolExecutor is thread-safe. run_in_executor and
// to_thread are called on the loop thread.
#ifndef EDDY_EXECUTOR_H_
#define EDDY_EXECUTOR_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/functional/any_invocable.h"
#include "eddy/future.h"

namespace eddy {

// concurrent.futures.ThreadPoolExecutor: up to max_workers named threads,
// started as work arrives.
class ThreadPoolExecutor {
 public:
  // max_workers 0: min(32, cores + 4), as Python.
  explicit ThreadPoolExecutor(size_t max_workers = 0, std::string thread_name_prefix = "eddy-pool");
  ~ThreadPoolExecutor();
  ThreadPoolExecutor(const ThreadPoolExecutor&) = delete;
  ThreadPoolExecutor& operator=(const ThreadPoolExecutor&) = delete;

  // Queues a job. RuntimeError after shutdown().
  void submit(absl::AnyInvocable<void()> job);
  // Stops accepting work; with wait, joins the workers once the queue is
  // drained. Returns false if `timeout` (when >= 0) passed first; the workers
  // are then detached and finish on their own.
  bool shutdown(bool wait = true, std::chrono::nanoseconds timeout = std::chrono::nanoseconds(-1));
  size_t max_workers() const { return max_workers_; }

 private:
  void worker_main();
  // std::mutex, not absl::Mutex: Debian's Abseil is not built for TSan.
  std::mutex mu_;
  std::condition_variable work_cv_;  // queue_ not empty, or shutdown_
  std::condition_variable done_cv_;  // running_ dropped
  std::deque<absl::AnyInvocable<void()>> queue_;  // guarded by mu_, as below
  std::vector<std::thread> workers_;
  size_t idle_ = 0;
  size_t running_ = 0;
  bool shutdown_ = false;
  size_t max_workers_;
  std::string prefix_;
};

namespace detail {
// Lets worker threads post results only while their loop exists.
struct LoopGuard {
  std::mutex mu;
  EventLoop* loop;  // guarded by mu
  // Futures of executor jobs whose result has not reached the loop yet; each
  // holds a reference. Reference counts belong to the loop thread, so only
  // the loop drops these: when the result arrives, or when it is destroyed.
  absl::flat_hash_set<FutureBase*> inflight;  // guarded by mu
};
}  // namespace detail

template <class F, class... Args>
auto EventLoop::run_in_executor(ThreadPoolExecutor* executor, F fn, Args... args)
    -> Future<std::invoke_result_t<F, Args...>> {
  using R = std::invoke_result_t<F, Args...>;
  check_not_closed("run_in_executor");
  Future<R> fut(*this);
  ThreadPoolExecutor& ex = executor ? *executor : default_executor();
  detail::FutureBase* st = fut.state();
  auto guard = loop_guard();
  st->add_ref();  // dropped on the loop thread: see LoopGuard::inflight
  {
    std::lock_guard<std::mutex> lock(guard->mu);
    guard->inflight.insert(st);
  }
  auto job_done = [st, guard, job = std::bind(std::move(fn), std::move(args)...)]() mutable {
    Outcome<R> out;
    try {
      if constexpr (std::is_void_v<R>) {
        job();
        out = Outcome<R>(std::monostate{});
      } else {
        out = Outcome<R>(job());
      }
    } catch (...) {
      out = Outcome<R>(std::current_exception());
    }
    std::lock_guard<std::mutex> lock(guard->mu);
    if (!guard->loop) return;  // the loop is gone and has dropped the reference
    try {
      // Unrun (the loop closed first), the callback drops nothing: the
      // future stays in `inflight` and the loop's destructor releases it.
      guard->loop->call_soon_threadsafe([st, guard, out = std::move(out)]() mutable {
        {
          std::lock_guard<std::mutex> lock(guard->mu);
          guard->inflight.erase(st);
        }
        detail::Ref<detail::FutureBase> keep = detail::Ref<detail::FutureBase>::adopt(st);
        if (st->done()) return;  // cancelled while the job ran
        if (!out.has_value()) {
          st->set_exception(out.exception());
        } else if constexpr (std::is_void_v<R>) {
          st->set_result();
        } else {
          st->template set_result<R>(std::move(out.value()));
        }
      });
    } catch (const RuntimeError&) {
      // The loop closed while the job ran: the result has nowhere to go.
    }
  };
  try {
    ex.submit(std::move(job_done));
  } catch (...) {
    {
      std::lock_guard<std::mutex> lock(guard->mu);
      guard->inflight.erase(st);
    }
    st->release();
    throw;
  }
  return fut;
}

// Runs fn(args...) in the running loop's default executor (asyncio.to_thread).
template <class F, class... Args>
auto to_thread(F fn, Args... args) {
  return get_running_loop().run_in_executor(nullptr, std::move(fn), std::move(args)...);
}

}  // namespace eddy

#endif  // EDDY_EXECUTOR_H_
