#include "eddy/task.h"

#include "absl/strings/str_format.h"
#include "eddy/log.h"

namespace eddy {
namespace detail {

TaskCore::TaskCore(EventLoop* loop, FutureBase* future, std::string name)
    : future_(future), id_(++loop->task_counter_) {
  if (!name.empty()) name_ = std::make_unique<std::string>(std::move(name));
  eddy_timer_init(&step_timer_, &TaskCore::step_thunk);
  // Link into the loop's list of unfinished tasks.
  next_ = loop->tasks_;
  if (next_) next_->prev_ = this;
  loop->tasks_ = this;
  linked_ = true;
}

TaskCore::~TaskCore() { unlink(); }

void TaskCore::unlink() {
  // Not linked any more: done, or abandoned by a loop that may be gone.
  if (!linked_) return;
  linked_ = false;
  if (prev_) {
    prev_->next_ = next_;
  } else {
    loop()->tasks_ = next_;
  }
  if (next_) next_->prev_ = prev_;
  next_ = prev_ = nullptr;
}

const std::string& TaskCore::name() const {
  if (!name_) name_ = std::make_unique<std::string>(absl::StrFormat("Task-%d", id_));
  return *name_;
}

void TaskCore::schedule() {
  if (scheduled_ || sleeping_) return;
  scheduled_ = true;
  future_->add_ref();  // the loop's reference while the step is queued
  loop()->call_soon_raw(&step_timer_.handle);
}

void TaskCore::sleep_until(int64_t when) {
  EventLoop* loop = this->loop();
  if (when <= loop->time_ns()) {
    schedule();
    return;
  }
  sleeping_ = true;
  future_->add_ref();
  int32_t rc = loop->vtable()->call_at(loop->abi_loop(), &step_timer_, when);
  if (rc != 0) {
    sleeping_ = false;
    future_->release();
    raise_for_code(rc, "sleep");
  }
}

void TaskCore::step_thunk(eddy_handle* h, int32_t status) {
  auto* timer = reinterpret_cast<eddy_timer*>(reinterpret_cast<char*>(h) -
                                              offsetof(eddy_timer, handle));
  // A standard-layout struct and its first member share an address.
  TaskCore* t = static_cast<TaskCore*>(reinterpret_cast<TaskStepTimer*>(timer));
  t->scheduled_ = false;
  t->sleeping_ = false;
  Ref<FutureBase> keep(t->future_);
  t->future_->release();  // the queued step's reference, now held by `keep`
  if (status != 0) return;  // the loop is closing; abandon_tasks() cleans up
  t->step();
}

void TaskCore::step() {
  if (future_->done()) return;
  if (must_cancel_) {
    must_cancel_ = false;
    injected_ = std::make_exception_ptr(CancelledError(cancel_msg()));
  }
  Driver* prev = current_driver();
  set_current_driver(this);
  EventLoop* loop = this->loop();
  if (loop->get_debug()) loop->set_current_description("Task '" + name() + "' step");
  std::coroutine_handle<> where = std::exchange(resume_point_, nullptr);
  where.resume();
  set_current_driver(prev);
  if (coroutine_done()) complete();
}

bool TaskCore::cancel_task(const std::string& msg) {
  if (future_->done()) return false;
  ++num_cancels_requested_;
  if (fut_waiter_ && fut_waiter_->cancel(msg)) {
    // The awaited future (maybe a task) takes the cancellation; it may catch
    // it, so the request is not recorded here.
    return true;
  }
  must_cancel_ = true;
  cancel_msg_ = msg.empty() ? nullptr : std::make_unique<std::string>(msg);
  if (sleeping_) {
    // Wake from sleep() now: the step throws CancelledError at the await.
    EventLoop* loop = this->loop();
    if (loop->vtable()->cancel(loop->abi_loop(), &step_timer_.handle) == 0) {
      sleeping_ = false;
      future_->release();
      schedule();
    }
  }
  return true;
}

std::exception_ptr take_cancelled(std::exception_ptr e, std::string* msg) {
  try {
    std::rethrow_exception(e);
  } catch (const CancelledError& c) {
    *msg = c.message();
    return e;
  } catch (...) {
    return nullptr;
  }
}

}  // namespace detail

BasicTask current_task() {
  detail::Driver* d = detail::current_driver();
  detail::TaskCore* t = d ? d->as_task() : nullptr;
  return BasicTask(t);
}

std::vector<BasicTask> all_tasks(EventLoop* loop) {
  if (!loop) loop = &get_running_loop();
  std::vector<BasicTask> out;
  for (detail::TaskCore* t = loop->first_task(); t; t = t->next_) {
    if (!t->future()->done()) out.emplace_back(t);
  }
  return out;
}

namespace detail {

void run_until_done(EventLoop& loop, FutureBase* f) {
  if (f->done()) return;
  Ref<FutureBase> keep(f);
  uint64_t id = f->add_callback(
      [](void* ctx, FutureBase&, uintptr_t) { static_cast<EventLoop*>(ctx)->stop(); }, &loop, 0);
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
