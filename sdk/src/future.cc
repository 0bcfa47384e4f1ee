#include "eddy/future.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_format.h"
#include <mutex>
#include "eddy/log.h"
#include "fast_tls.h"
#include "eddy/task.h"

namespace eddy::detail {
namespace {

EDDY_FAST_TLS constinit thread_local Driver t_driver;

}  // namespace

Driver current_driver() { return t_driver; }
void set_current_driver(Driver d) { t_driver = d; }

namespace {
// Marks a task waiter: run_callback wakes the task directly, and the entry
// holds a reference on the task.
constexpr DoneCallbackOps kTaskWaiter{[](void*, FutureBase&, uintptr_t) {}, nullptr};
}  // namespace

FutureBase::FutureBase(EventLoop* loop) : loop_(loop) {}

FutureBase::~FutureBase() {
  for (DoneCallback& cb : callbacks_) {
    if (cb.ops == &kTaskWaiter) {
      static_cast<TaskCore*>(cb.ctx)->release();  // a task that waited in vain
    } else if (cb.ops->destroy) {
      cb.ops->destroy(cb.ctx);
    }
  }
  report_unretrieved();
}

void FutureBase::report_unretrieved_now() {
  retrieved_ = true;
  // asyncio reports this from __del__; the loop may be gone by now.
  ExceptionContext ctx;
  ctx.message = is_task() ? "Task exception was never retrieved"
                          : "Future exception was never retrieved";
  ctx.exception = exception_;
  ctx.future = describe();
  if (loop_alive(loop_)) {
    loop_->call_exception_handler(ctx);
    return;
  }
  std::string msg = ctx.message + "\nfuture: " + ctx.future;
  try {
    std::rethrow_exception(exception_);
  } catch (const std::exception& e) {
    msg += std::string("\nException: ") + e.what();
  } catch (...) {
  }
  log(EDDY_LOG_ERROR, msg);
}

std::string FutureBase::describe() const {
  const char* s = state_ == State::kPending ? "pending" : state_ == State::kCancelled ? "cancelled" : "finished";
  return absl::StrFormat("<Future %s>", s);
}

void FutureBase::check_pending(const char* what) const {
  if (state_ != State::kPending) throw InvalidStateError(absl::StrFormat("%s: invalid state (%s)", what, describe()));
}

void FutureBase::check_settable(const char* what) const {
  if (is_task_) throw RuntimeError(absl::StrFormat("Task does not support %s operation", what));
  check_pending(what);
}

std::string FutureBase::cancel_message() const {
  if (state_ != State::kCancelled || !exception_) return {};
  try {
    std::rethrow_exception(exception_);
  } catch (const CancelledError& e) {
    return e.message();
  } catch (...) {
    return {};
  }
}

std::exception_ptr FutureBase::cancelled_error() const {
  return exception_ ? exception_ : std::make_exception_ptr(CancelledError());
}

bool FutureBase::cancel(std::string msg) {
  if (state_ != State::kPending) return false;
  finish_cancelled(msg.empty() ? nullptr : std::make_exception_ptr(CancelledError(std::move(msg))));
  return true;
}

void FutureBase::finish_cancelled(std::exception_ptr error) {
  exception_ = std::move(error);
  finish(State::kCancelled);
}

void FutureBase::check_result() {
  switch (state_) {
    case State::kPending:
      throw InvalidStateError("Result is not set.");
    case State::kCancelled:
      if (exception_) std::rethrow_exception(exception_);
      throw CancelledError();
    case State::kFinished:
      retrieved_ = true;
      if (exception_) std::rethrow_exception(exception_);
  }
}

std::exception_ptr FutureBase::exception() {
  if (state_ == State::kPending) throw InvalidStateError("Exception is not set.");
  if (state_ == State::kCancelled) std::rethrow_exception(cancelled_error());
  retrieved_ = true;
  return exception_;
}

void FutureBase::set_exception(std::exception_ptr e) {
  check_settable("set_exception");
  if (!e) throw ValueError("set_exception needs an exception");
  try {
    std::rethrow_exception(e);
  } catch (const CancelledError&) {
    // As asyncio (3.8+) does for StopIteration-like misuse: a future cannot
    // finish "with" a cancellation; cancel it instead.
    throw ValueError("CancelledError cannot be set as a future's exception; use cancel()");
  } catch (...) {
  }
  exception_ = std::move(e);
  finish(State::kFinished);
}

uint64_t FutureBase::add_callback(const DoneCallbackOps* ops, void* ctx, uintptr_t tag) {
  DoneCallback cb{ops, ctx, static_cast<uint32_t>(tag), next_callback_id_++};
  if (state_ != State::kPending) {
    run_callback(this, cb);
  } else {
    callbacks_.push_back(cb);
  }
  return cb.id;
}

size_t FutureBase::remove_callback(uint64_t id) {
  size_t n = 0;
  for (size_t i = 0; i < callbacks_.size();) {
    if (callbacks_[i].id == id) {
      if (callbacks_[i].ops->destroy) callbacks_[i].ops->destroy(callbacks_[i].ctx);
      callbacks_.erase(callbacks_.begin() + static_cast<ptrdiff_t>(i));
      ++n;
    } else {
      ++i;
    }
  }
  return n;
}



void FutureBase::add_task_waiter(TaskCore* task) {
  task->add_ref();
  callbacks_.push_back(DoneCallback{&kTaskWaiter, task, 0, next_callback_id_++});
}

void FutureBase::remove_task_waiter(TaskCore* task) {
  for (size_t i = 0; i < callbacks_.size(); ++i) {
    if (callbacks_[i].ops == &kTaskWaiter && callbacks_[i].ctx == task) {
      callbacks_.erase(callbacks_.begin() + static_cast<ptrdiff_t>(i));
      task->release();
      return;
    }
  }
}

void FutureBase::run_callback(FutureBase* f, DoneCallback cb) {
  EventLoop& loop = *f->loop_;
  if (cb.ops == &kTaskWaiter) {
    auto* task = static_cast<TaskCore*>(cb.ctx);
    task->wake();
    task->release();
    return;
  }
  if (loop.is_closed()) {
    if (cb.ops->destroy) cb.ops->destroy(cb.ctx);
    return;
  }
  f->add_ref();
  loop.call_soon([f, cb] {
    Ref<FutureBase> keep(f);
    f->release();  // the reference moved into `keep`
    cb.ops->fn(cb.ctx, *f, cb.tag);
  });
}

void FutureBase::finish(State s) {
  state_ = s;
  if (callbacks_.empty()) return;
  if (callbacks_.size() == 1) {
    // The common case (one awaiting task): no second vector.
    DoneCallback cb = callbacks_[0];
    callbacks_.clear();
    if (cb.ops == &kTaskWaiter) {
      // Only schedules the task: nothing runs that could drop this future,
      // so no reference is taken around it.
      auto* task = static_cast<TaskCore*>(cb.ctx);
      task->wake();
      task->release();
      return;
    }
    Ref<FutureBase> keep(this);
    run_callback(this, cb);
    return;
  }
  // Callbacks run from the loop in registration order; the list is taken
  // first because a callback may add more.
  auto callbacks = std::move(callbacks_);
  callbacks_.clear();
  Ref<FutureBase> keep(this);
  for (const DoneCallback& cb : callbacks) run_callback(this, cb);
}

// ---- Awaiting ----

void FutureAwaiterBase::await_suspend(std::coroutine_handle<> h) {
  Driver d = current_driver();
  if (!d) throw RuntimeError("a future was awaited outside a task");
  d.set_resume_point(h);
  if (TaskCore* t = d.as_task()) {
    if (&t->loop() != &f_->loop()) {
      throw RuntimeError("Task got Future attached to a different loop");
    }
    f_->add_task_waiter(t);
    t->fut_waiter_ = f_;
    waiting_task_ = t;
  }
}

void FutureAwaiterBase::resume_checks() {
  if (waiting_task_) {
    if (!f_->done()) f_->remove_task_waiter(waiting_task_);  // woken by a cancel instead
    waiting_task_->fut_waiter_ = nullptr;
  }
  current_driver().rethrow_injected();
  if (!f_->done()) throw RuntimeError("await wasn't used with future");
}

// ---- Live loops ----

namespace {
// Process-wide and never destroyed: loops owned by thread_local or static
// objects are destroyed after any ordinary static would be.
struct LiveLoops {
  std::mutex mu;  // std::mutex: visible to TSan (see plugins/registry.cc)
  absl::flat_hash_set<const EventLoop*> loops;
};
LiveLoops& live_loops() {
  static LiveLoops* l = new LiveLoops;
  return *l;
}
}  // namespace

bool loop_alive(const EventLoop* loop) {
  if (!loop) return false;
  LiveLoops& l = live_loops();
  std::lock_guard<std::mutex> lock(l.mu);
  return l.loops.contains(loop);
}

void register_loop(const EventLoop* loop, bool alive) {
  LiveLoops& l = live_loops();
  std::lock_guard<std::mutex> lock(l.mu);
  if (alive) {
    l.loops.insert(loop);
  } else {
    l.loops.erase(loop);
  }
}

}  // namespace eddy::detail
