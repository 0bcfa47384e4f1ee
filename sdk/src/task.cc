#include "eddy/task.h"

#include "absl/strings/str_format.h"
#include "eddy/log.h"

namespace eddy {
namespace detail {

// The step timer's handle is how the loop calls a task back; the task is
// found from it by a fixed offset rather than a stored back pointer.
// TaskCore is not standard-layout (a base with data, then its own fields),
// for which offsetof is "conditionally supported": g++ and clang compute it
// as for any class without virtual bases.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winvalid-offsetof"
TaskCore* TaskCore::from_step_handle(eddy_handle* h) {
  constexpr size_t kOffset = offsetof(TaskCore, step_timer_) + offsetof(eddy_timer, handle);
  return reinterpret_cast<TaskCore*>(reinterpret_cast<char*>(h) - kOffset);
}
#pragma GCC diagnostic pop

TaskCore::TaskCore(EventLoop* loop, std::coroutine_handle<> coro,
                   std::coroutine_handle<> resume_point, std::string name)
    : FutureBase(loop),
      resume_point_(resume_point),
      coro_(coro),
      name_((static_cast<uintptr_t>(++loop->task_counter_) << 1) | 1) {
  is_task_ = true;
  if (!coro) throw TypeError("a coroutine was expected, got an empty Coro");
  if (!name.empty()) set_name(std::move(name));
  eddy_timer_init(&step_timer_, &TaskCore::step_thunk);
  // Link into the loop's list of unfinished tasks.
  next_ = loop->tasks_;
  if (next_) next_->prev_ = this;
  loop->tasks_ = this;
  linked_ = true;
}

TaskCore::~TaskCore() {
  report_unretrieved();
  destroy_coro();
  unlink();
  if (!(name_ & 1)) delete reinterpret_cast<std::string*>(name_);
}

void TaskCore::destroy_coro() {
  if (coro_) std::exchange(coro_, nullptr).destroy();
}

void TaskCore::unlink() {
  // Not linked any more: done, or abandoned by a loop that may be gone.
  if (!linked_) return;
  linked_ = false;
  if (prev_) {
    prev_->next_ = next_;
  } else {
    loop_->tasks_ = next_;
  }
  if (next_) next_->prev_ = prev_;
  next_ = prev_ = nullptr;
}

const std::string& TaskCore::name() const {
  if (name_ & 1) {
    name_ = reinterpret_cast<uintptr_t>(new std::string(absl::StrFormat("Task-%d", name_ >> 1)));
  }
  return *reinterpret_cast<const std::string*>(name_);
}

void TaskCore::set_name(std::string name) {
  if (name_ & 1) {
    name_ = reinterpret_cast<uintptr_t>(new std::string(std::move(name)));
  } else {
    *reinterpret_cast<std::string*>(name_) = std::move(name);
  }
}

std::string TaskCore::describe() const { return "<Task '" + name() + "'>"; }

void TaskCore::schedule() {
  if (scheduled_ || sleeping_) return;
  scheduled_ = true;
  add_ref();  // the loop's reference while the step is queued
  loop_->call_soon_raw(&step_timer_.handle);
}

void TaskCore::wake() {
  if (scheduled_ || sleeping_) return;
  // One ABI call: call_soon itself refuses a closed loop.
  if (loop_->vtable()->call_soon(loop_->abi_loop(), &step_timer_.handle) != 0) return;
  scheduled_ = true;
  add_ref();
}

void TaskCore::sleep_until(int64_t when) {
  if (when <= loop_->time_ns()) {
    schedule();
    return;
  }
  sleeping_ = true;
  add_ref();
  int32_t rc = loop_->vtable()->call_at(loop_->abi_loop(), &step_timer_, when);
  if (rc != 0) {
    sleeping_ = false;
    release();
    raise_for_code(rc, "sleep");
  }
}

void TaskCore::step_thunk(eddy_handle* h, int32_t status) {
  TaskCore* t = from_step_handle(h);
  t->scheduled_ = false;
  t->sleeping_ = false;
  Ref<FutureBase> keep = Ref<FutureBase>::adopt(t);  // the queued step's reference
  if (status != 0) return;  // the loop is closing; abandon_tasks() cleans up
  t->step();
}

void TaskCore::step() {
  if (done()) return;
  if (must_cancel_) {
    must_cancel_ = false;
    inject_cancel_ = true;
  }
  Driver prev = current_driver();
  set_current_driver(Driver(this));
  if (loop_->get_debug()) loop_->set_current_description("Task '" + name() + "' step");
  std::coroutine_handle<> where = std::exchange(resume_point_, nullptr);
  where.resume();
  set_current_driver(prev);
  if (coro_.done()) complete();
}

void TaskCore::throw_injected() {
  inject_cancel_ = false;
  // The pending cancel's CancelledError (with its message), kept in the
  // exception slot while the task is pending.
  if (exception_) std::rethrow_exception(exception_);
  throw CancelledError();
}

void TaskCore::complete() {
  // asyncio's __step end: the coroutine returned or raised.
  std::exception_ptr e = promise_exception();
  if (e) {
    if (is_cancelled_error(e)) {
      finish_cancelled(std::move(e));
    } else {
      exception_ = std::move(e);
      finish(State::kFinished);
    }
  } else if (must_cancel_) {
    // Cancelled right before the coroutine returned: the pending cancel's
    // error is in exception_ already.
    must_cancel_ = false;
    finish_cancelled(exception_);
  } else {
    take_value();
    exception_ = nullptr;  // a cancel the coroutine caught and survived
    finish(State::kFinished);
  }
  destroy_coro();  // free the frame now
  unlink();
}

bool TaskCore::cancel(std::string msg) {
  if (done()) return false;
  if (num_cancels_requested_ < UINT16_MAX) ++num_cancels_requested_;
  if (fut_waiter_ && fut_waiter_->cancel(msg)) {
    // The awaited future (maybe a task) takes the cancellation; it may catch
    // it, so the request is not recorded here.
    return true;
  }
  must_cancel_ = true;
  exception_ = msg.empty() ? nullptr : std::make_exception_ptr(CancelledError(std::move(msg)));
  if (sleeping_) {
    // Wake from sleep() now: the step throws CancelledError at the await.
    if (loop_->vtable()->cancel(loop_->abi_loop(), &step_timer_.handle) == 0) {
      sleeping_ = false;
      release();
      schedule();
    }
  }
  return true;
}

void TaskCore::abandon() {
  // Leave the future we wait on first: it must not wake (or keep) us.
  if (fut_waiter_) {
    fut_waiter_->remove_task_waiter(this);
    fut_waiter_ = nullptr;
  }
  destroy_coro();
  unlink();
  if (!done()) {
    finish_cancelled(
        std::make_exception_ptr(CancelledError("task abandoned: its loop was closed")));
  }
}

}  // namespace detail

BasicTask current_task() {
  return BasicTask(detail::current_driver().as_task());
}

std::vector<BasicTask> all_tasks(EventLoop* loop) {
  if (!loop) loop = &get_running_loop();
  std::vector<BasicTask> out;
  for (detail::TaskCore* t = loop->first_task(); t; t = t->next_) {
    if (!t->done()) out.emplace_back(t);
  }
  return out;
}

namespace detail {

void run_until_done(EventLoop& loop, FutureBase* f) {
  if (f->done()) return;
  Ref<FutureBase> keep(f);
  static constexpr DoneCallbackOps kOps{
      [](void* ctx, FutureBase&, uintptr_t) { static_cast<EventLoop*>(ctx)->stop(); }, nullptr};
  uint64_t id = f->add_callback(&kOps, &loop, 0);
  try {
    loop.run_forever();
  } catch (...) {
    f->remove_callback(id);
    throw;
  }
  f->remove_callback(id);
  if (!f->done()) throw RuntimeError("Event loop stopped before Future completed.");
}

}  // namespace detail

void EventLoop::abandon_tasks() {
  // Tasks that are not done can never finish now. Destroying their frames
  // releases what they hold (futures, other tasks); asyncio would report each
  // one when collected: "Task was destroyed but it is pending!".
  while (tasks_) {
    detail::TaskCore* t = tasks_;
    detail::Ref<detail::FutureBase> keep(t->future());
    if (!t->future()->done()) {
      log(EDDY_LOG_WARNING,
          absl::StrFormat("Task was destroyed but it is pending! task: %s", t->future()->describe()));
    }
    t->abandon();  // unlinks t
  }
}

}  // namespace eddy
