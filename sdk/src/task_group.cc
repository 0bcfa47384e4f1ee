#include "eddy/task_group.h"

#include <algorithm>

#include "absl/strings/str_format.h"

namespace eddy {
ExceptionGroup::ExceptionGroup(std::string message, std::vector<std::exception_ptr> errors)
    : Error(absl::StrFormat("%s (%d sub-exception%s)", message, errors.size(),
                            errors.size() == 1 ? "" : "s")),
      errors_(std::move(errors)) {}

TaskGroup::TaskGroup() : loop_(&get_running_loop()), parent_(current_task()) {
  if (!parent_) throw RuntimeError("TaskGroup cannot determine the parent task");
}

void TaskGroup::check_open() const {
  if (exiting_ && tasks_.empty()) throw RuntimeError("TaskGroup is finished");
  if (aborting_) throw RuntimeError("TaskGroup is shutting down");
}

void TaskGroup::track(const BasicTask& t) {
  tasks_.push_back(t);
  static constexpr detail::DoneCallbackOps kOps{&TaskGroup::on_task_done, nullptr};
  t.future()->add_callback(&kOps, this, 0);
}

void TaskGroup::abort() {
  aborting_ = true;
  for (const BasicTask& t : tasks_) {
    if (!t.done()) t.cancel();
  }
}

void TaskGroup::on_task_done(void* ctx, detail::FutureBase& f, uintptr_t) {
  auto* g = static_cast<TaskGroup*>(ctx);
  auto it = std::find_if(g->tasks_.begin(), g->tasks_.end(),
                         [&](const BasicTask& t) { return t.future() == &f; });
  if (it != g->tasks_.end()) g->tasks_.erase(it);
  if (g->on_completed_.state() && g->tasks_.empty() && !g->on_completed_.done()) {
    g->on_completed_.set_result();
  }
  if (f.cancelled()) return;
  std::exception_ptr e = f.exception();
  if (!e) return;
  g->errors_.push_back(e);
  if (g->parent_.done()) {
    ExceptionContext c;
    c.message = "Task has errored out but its parent task is already done";
    c.exception = e;
    c.task = g->parent_.get_name();
    g->loop_->call_exception_handler(c);
    return;
  }
  if (!g->aborting_ && !g->parent_cancel_requested_) {
    // The first failure cancels the siblings and the parent (the body, if it
    // is still running, or exit() waiting for the rest).
    g->abort();
    g->parent_cancel_requested_ = true;
    g->parent_.cancel();
  }
}

Coro<> TaskGroup::exit(std::exception_ptr body_error) {
  exiting_ = true;
  std::exception_ptr propagate_cancel;
  if (body_error && is_cancelled_error(body_error)) propagate_cancel = body_error;
  if (parent_cancel_requested_) {
    // The parent was cancelled by us, not from outside: do not propagate it.
    if (parent_.uncancel() == 0) propagate_cancel = nullptr;
  }
  if (body_error && !aborting_) abort();
  while (!tasks_.empty()) {
    on_completed_ = Future<void>(*loop_);
    try {
      co_await on_completed_;
    } catch (const CancelledError&) {
      if (!aborting_) {
        propagate_cancel = std::current_exception();
        abort();
      }
    }
    on_completed_ = Future<void>();
  }
  if (propagate_cancel && errors_.empty()) std::rethrow_exception(propagate_cancel);
  if (body_error && !is_cancelled_error(body_error)) errors_.push_back(body_error);
  if (!errors_.empty()) throw ExceptionGroup("unhandled errors in a TaskGroup", std::move(errors_));
}

}  // namespace eddy
