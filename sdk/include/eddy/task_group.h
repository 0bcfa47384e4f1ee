// eddy/task_group.h -- asyncio.TaskGroup (Python 3.11+), as an async scope.
//
//   co_await eddy::task_group([&](eddy::TaskGroup& tg) -> eddy::Coro<> {
//     tg.create_task(fetch(a));
//     tg.create_task(fetch(b));
//     co_return;
//   });  // waits for every task; the first failure cancels the others
//
// When the body or a task fails, every remaining task (and the body, if it
// is still waiting) is cancelled; once all are done the errors are raised
// together as an ExceptionGroup. A cancellation of the enclosing task is
// passed on to the children and then re-raised (never swallowed), and the
// group's own cancellation of its parent is undone with uncancel(), so
// nested groups keep an outer cancel.
//
// Thread-safety: loop thread only.
#ifndef EDDY_TASK_GROUP_H_
#define EDDY_TASK_GROUP_H_

#include <exception>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "eddy/task.h"

namespace eddy {

// Several errors at once (Python's ExceptionGroup).
class ExceptionGroup : public Error {
 public:
  ExceptionGroup(std::string message, std::vector<std::exception_ptr> errors);
  const std::vector<std::exception_ptr>& exceptions() const { return errors_; }

 private:
  std::vector<std::exception_ptr> errors_;
};

class TaskGroup {
 public:
  TaskGroup();
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;

  // Starts `coro` as a task of the group.
  template <class T>
  Task<T> create_task(Coro<T> coro, std::string name = {}) {
    check_open();
    Task<T> t = eddy::create_task(*loop_, std::move(coro), std::move(name));
    track(t);
    return t;
  }

  // The __aexit__ half: waits for every task, then raises what failed.
  // `body_error` is what escaped the body (or null).
  Coro<> exit(std::exception_ptr body_error);

 private:
  void check_open() const;
  void track(const BasicTask& t);
  void abort();
  static void on_task_done(void* ctx, detail::FutureBase& f, uintptr_t);

  EventLoop* loop_;
  BasicTask parent_;
  std::vector<BasicTask> tasks_;  // not yet done
  std::vector<std::exception_ptr> errors_;
  Future<void> on_completed_;
  bool exiting_ = false;
  bool aborting_ = false;
  bool parent_cancel_requested_ = false;
};

// Runs body(TaskGroup&) -> Coro<> as `async with TaskGroup() as tg: ...`.
template <class F>
Coro<> task_group(F body) {
  TaskGroup tg;
  std::exception_ptr error;
  try {
    co_await body(tg);
  } catch (...) {
    error = std::current_exception();
  }
  co_await tg.exit(error);
}

}  // namespace eddy

#endif  // EDDY_TASK_GROUP_H_
