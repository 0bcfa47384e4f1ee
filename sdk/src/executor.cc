#include "eddy/executor.h"

#include <pthread.h>

#include <algorithm>

#include "absl/strings/str_format.h"
#include "eddy/log.h"

namespace eddy {

ThreadPoolExecutor::ThreadPoolExecutor(size_t max_workers, std::string thread_name_prefix)
    : max_workers_(max_workers ? max_workers
                               : std::min<size_t>(32, std::thread::hardware_concurrency() + 4)),
      prefix_(std::move(thread_name_prefix)) {}

ThreadPoolExecutor::~ThreadPoolExecutor() { shutdown(true); }

void ThreadPoolExecutor::submit(absl::AnyInvocable<void()> job) {
  std::lock_guard<std::mutex> lock(mu_);
  if (shutdown_) throw RuntimeError("cannot schedule new futures after shutdown");
  queue_.push_back(std::move(job));
  // A new thread only when nobody is idle, as Python's pool does.
  if (idle_ < queue_.size() && workers_.size() < max_workers_) {
    ++running_;
    workers_.emplace_back([this] { worker_main(); });
    std::string name = absl::StrFormat("%s_%d", prefix_, workers_.size() - 1).substr(0, 15);
    pthread_setname_np(workers_.back().native_handle(), name.c_str());
  }
  work_cv_.notify_one();
}

void ThreadPoolExecutor::worker_main() {
  for (;;) {
    absl::AnyInvocable<void()> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      ++idle_;
      work_cv_.wait(lock, [this] { return !queue_.empty() || shutdown_; });
      --idle_;
      if (queue_.empty()) {
        --running_;
        done_cv_.notify_all();
        return;  // shut down and drained
      }
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job();
  }
}

bool ThreadPoolExecutor::shutdown(bool wait, std::chrono::nanoseconds timeout) {
  std::vector<std::thread> workers;
  {
    std::unique_lock<std::mutex> lock(mu_);
    shutdown_ = true;
    work_cv_.notify_all();
    if (!wait) return true;
    if (timeout.count() >= 0 &&
        !done_cv_.wait_for(lock, timeout, [this] { return running_ == 0; })) {
      // Leave the blocked workers to finish on their own; the caller must
      // then keep this object alive (EventLoop leaks it on purpose).
      for (auto& w : workers_) w.detach();
      workers_.clear();
      return false;
    }
    workers.swap(workers_);
  }
  for (auto& w : workers) {
    if (w.joinable()) w.join();
  }
  return true;
}

// ---- EventLoop's executor members ----

ThreadPoolExecutor& EventLoop::default_executor() {
  if (!default_executor_) default_executor_ = std::make_unique<ThreadPoolExecutor>();
  return *default_executor_;
}

void EventLoop::set_default_executor(std::unique_ptr<ThreadPoolExecutor> executor) {
  if (default_executor_) default_executor_->shutdown(false);
  default_executor_ = std::move(executor);
}

bool EventLoop::shutdown_default_executor(std::chrono::nanoseconds timeout) {
  if (!default_executor_) return true;
  // Results of jobs that finish meanwhile are posted to this loop; process
  // them while waiting so their futures do not linger.
  bool ok = default_executor_->shutdown(true, timeout);
  if (!ok) {
    log(EDDY_LOG_WARNING,
        absl::StrFormat("The executor did not finish joining its threads within %.1f seconds; "
                        "a job is still blocked",
                        std::chrono::duration<double>(timeout).count()));
  }
  if (ok) {
    default_executor_.reset();
  } else {
    // Its detached workers still use it, so it must outlive them; it is kept
    // in a process-wide list (reachable, so leak checkers stay quiet).
    static std::mutex mu;
    static auto* abandoned = new std::vector<std::unique_ptr<ThreadPoolExecutor>>;
    std::lock_guard<std::mutex> lock(mu);
    abandoned->push_back(std::move(default_executor_));
  }
  return ok;
}

}  // namespace eddy
