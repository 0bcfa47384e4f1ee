#include "eddy/tasks.h"

#include <deque>

namespace eddy {
namespace detail {

void SleepAwaiter::await_suspend(std::coroutine_handle<> h) {
  Driver d = current_driver();
  if (!d) throw RuntimeError("sleep() was awaited outside a task");
  d.set_resume_point(h);
  // Under manual stepping (Coro::send) there is no loop: just suspend.
  if (TaskCore* t = d.as_task()) {
    if (delay_ns <= 0) {
      t->schedule();
    } else {
      t->sleep_until(t->loop().time_ns() + delay_ns);
    }
  }
}

// ---- cancel_and_wait ----

Coro<> cancel_and_wait(Ref<FutureBase> f) {
  f->cancel();
  if (f->done()) co_return;
  // Wait on a private future, so that cancelling *us* does not cancel f again.
  Future<void> waiter(f->loop());
  struct Ctx {
    Future<void> waiter;
  };
  static constexpr DoneCallbackOps kOps{
      [](void* c, FutureBase&, uintptr_t) {
        std::unique_ptr<Ctx> ctx(static_cast<Ctx*>(c));
        if (!ctx->waiter.done()) ctx->waiter.set_result();
      },
      [](void* c) { delete static_cast<Ctx*>(c); }};
  uint64_t id = f->add_callback(&kOps, new Ctx{waiter}, 0);
  try {
    co_await waiter;
  } catch (...) {
    f->remove_callback(id);
    throw;
  }
}

// ---- wait ----

namespace {
struct WaitCtx {
  Future<void> waiter;
  ReturnWhen when;
  size_t pending;
};

void on_wait_done(void* c, FutureBase& f, uintptr_t) {
  auto* ctx = static_cast<WaitCtx*>(c);
  --ctx->pending;
  if (ctx->waiter.done()) return;
  bool failed = !f.cancelled() && f.exception() != nullptr;
  if (ctx->pending == 0 || ctx->when == ReturnWhen::kFirstCompleted ||
      (ctx->when == ReturnWhen::kFirstException && failed)) {
    ctx->waiter.set_result();
  }
}
}  // namespace

Coro<std::vector<bool>> wait_impl(std::vector<Ref<FutureBase>> fs, ReturnWhen when,
                                  int64_t timeout_ns) {
  if (fs.empty()) throw ValueError("Set of Tasks/Futures is empty.");
  EventLoop& loop = get_running_loop();
  WaitCtx ctx{Future<void>(loop), when, fs.size()};
  std::vector<uint64_t> ids;
  ids.reserve(fs.size());
  static constexpr DoneCallbackOps kOps{&on_wait_done, nullptr};
  for (auto& f : fs) ids.push_back(f->add_callback(&kOps, &ctx, 0));
  TimerHandle timer;
  if (timeout_ns >= 0) {
    Future<void> waiter = ctx.waiter;
    timer = loop.call_at(loop.time_ns() + timeout_ns, [waiter] {
      if (!waiter.done()) waiter.set_result();
    });
  }
  auto cleanup = [&] {
    timer.cancel();
    for (size_t i = 0; i < fs.size(); ++i) fs[i]->remove_callback(ids[i]);
  };
  try {
    co_await ctx.waiter;
  } catch (...) {
    cleanup();
    throw;
  }
  cleanup();
  std::vector<bool> done(fs.size());
  for (size_t i = 0; i < fs.size(); ++i) done[i] = fs[i]->done();
  co_return done;
}

// ---- as_completed ----

class AsCompletedState {
 public:
  std::deque<Ref<FutureBase>> done;  // completed, not yet handed out (null: timed out)
  std::deque<Future<void>> waiters;
  std::vector<Ref<FutureBase>> todo;
  std::vector<uint64_t> ids;
  TimerHandle timer;

  void push(Ref<FutureBase> f) {
    done.push_back(std::move(f));
    while (!waiters.empty()) {
      Future<void> w = waiters.front();
      waiters.pop_front();
      if (!w.done()) {
        w.set_result();
        break;
      }
    }
  }
};

namespace {
void on_completed(void* c, FutureBase& f, uintptr_t index) {
  auto* s = static_cast<AsCompletedState*>(c);
  s->todo[index] = Ref<FutureBase>();
  s->push(Ref<FutureBase>(&f));
}
}  // namespace

std::shared_ptr<AsCompletedState> as_completed_start(std::vector<Ref<FutureBase>> fs,
                                                     int64_t timeout_ns) {
  auto s = std::make_shared<AsCompletedState>();
  s->todo = std::move(fs);
  // Callbacks point at the state; each holds a shared reference through the
  // destroy hook's counterpart below, so the state outlives them.
  using Keep = std::shared_ptr<AsCompletedState>;
  static constexpr DoneCallbackOps kOps{
      [](void* c, FutureBase& f, uintptr_t index) {
        std::unique_ptr<Keep> k(static_cast<Keep*>(c));
        on_completed(k->get(), f, index);
      },
      [](void* c) { delete static_cast<Keep*>(c); }};
  for (size_t i = 0; i < s->todo.size(); ++i) {
    s->ids.push_back(s->todo[i]->add_callback(&kOps, new Keep(s), i));
  }
  if (timeout_ns >= 0 && !s->todo.empty()) {
    EventLoop& loop = s->todo.front()->loop();
    std::weak_ptr<AsCompletedState> weak = s;
    s->timer = loop.call_at(loop.time_ns() + timeout_ns, [weak] {
      auto st = weak.lock();
      if (!st) return;
      for (size_t i = 0; i < st->todo.size(); ++i) {
        if (st->todo[i]) {
          Ref<FutureBase> f = st->todo[i];
          st->todo[i] = Ref<FutureBase>();
          f->remove_callback(st->ids[i]);
          st->push(Ref<FutureBase>());  // null: TimeoutError for that slot
        }
      }
    });
  }
  return s;
}

Coro<Ref<FutureBase>> as_completed_next(std::shared_ptr<AsCompletedState> s) {
  while (s->done.empty()) {
    Future<void> w(get_running_loop());
    s->waiters.push_back(w);
    co_await w;
  }
  Ref<FutureBase> f = s->done.front();
  s->done.pop_front();
  if (!f) throw TimeoutError("as_completed timed out");
  co_return f;
}

}  // namespace detail

// ---- Timeout ----

Timeout::Timeout(int64_t when_ns) : task_(current_task()) {
  if (!task_) throw RuntimeError("Timeout should be used inside a task");
  loop_ = &task_.get_loop();
  cancelling_ = task_.cancelling();
  reschedule(when_ns);
}

Timeout::~Timeout() {
  handle_.cancel();
  // A timeout that fired but whose cancellation never surfaced (the awaited
  // operation finished anyway) must not leave the task "cancelling".
  if (state_ == State::kExpiring) {
    state_ = State::kExpired;
    task_.uncancel();
  }
}

void Timeout::reschedule(int64_t when_ns) {
  if (state_ != State::kActive) throw RuntimeError("Cannot reschedule an expired Timeout");
  handle_.cancel();
  when_ = when_ns;
  if (when_ns < 0) return;
  auto fire = [this] {
    state_ = State::kExpiring;
    task_.cancel();
  };
  if (when_ns <= loop_->time_ns()) {
    handle_ = TimerHandle();
    Handle h = loop_->call_soon(fire);
    // A call_soon handle cancels like a timer handle.
    static_cast<Handle&>(handle_) = h;
  } else {
    handle_ = loop_->call_at(when_ns, fire);
  }
}

bool Timeout::on_cancelled() {
  handle_.cancel();
  if (state_ != State::kExpiring) return false;
  state_ = State::kExpired;
  return task_.uncancel() <= cancelling_;
}

}  // namespace eddy
