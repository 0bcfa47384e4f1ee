#include "eddy/event_loop.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <memory>

#include "absl/strings/str_format.h"
#include "eddy/executor.h"
#include "eddy/log.h"
#include "fast_tls.h"
#include "eddy/task.h"

namespace eddy {
namespace {

constexpr size_t kNodeBlock = 64;
constexpr size_t kMaxFreeNodes = 4096;

EDDY_FAST_TLS thread_local EventLoop* t_running_loop = nullptr;
EDDY_FAST_TLS thread_local EventLoop* t_current_loop = nullptr;

detail::CallbackNode* node_of(eddy_handle* h) {
  auto* t = reinterpret_cast<eddy_timer*>(reinterpret_cast<char*>(h) - offsetof(eddy_timer, handle));
  return reinterpret_cast<detail::CallbackNode*>(reinterpret_cast<char*>(t) -
                                                 offsetof(detail::CallbackNode, timer));
}

std::string exception_text(const std::exception_ptr& e) {
  if (!e) return {};
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "unknown exception";
  }
}

bool env_debug() {
  const char* v = std::getenv("EDDY_DEBUG");
  return v && *v && std::strcmp(v, "0") != 0;
}

// Sets the thread's running loop for the duration of a run call.
class RunningScope {
 public:
  explicit RunningScope(EventLoop* loop) : prev_(t_running_loop) {
    if (prev_ && prev_ != loop) {
      throw RuntimeError("Cannot run the event loop while another loop is running");
    }
    t_running_loop = loop;
  }
  ~RunningScope() { t_running_loop = prev_; }

 private:
  EventLoop* prev_;
};

// A reader or writer callback. Deleting one while it runs is deferred to the
// end of its own call.
struct WatcherBox {
  std::function<void()> callback;
  EventLoop* loop = nullptr;
  bool running = false;
  bool dead = false;
};

}  // namespace

// ---- Handle ----

void Handle::cancel() {
  if (cancelled_) return;
  cancelled_ = true;
  if (node_ && node_->generation == gen_) node_->loop->cancel_node(node_);
}

// ---- Construction ----

EventLoop::EventLoop(const LoopOptions& options) {
  absl::StatusOr<plugins::LoadedBackend> lb = plugins::select_backend(options.backend_request());
  if (!lb.ok()) throw BackendError(std::string(lb.status().message()));
  backend_ = lb->info;
  vt_ = lb->vtable;
  debug_ = options.debug || env_debug();
  slow_callback_ = options.slow_callback_duration;

  eddy_loop_config cfg{};
  cfg.struct_size = sizeof(cfg);
  cfg.flags = debug_ ? EDDY_LOOP_FLAG_DEBUG : 0;
  cfg.slow_callback_ns = slow_callback_.count();
  cfg.host = plugins::host_services();
  cfg.hook_arg = this;
  cfg.exception_handler = &EventLoop::on_backend_error;
  cfg.slow_callback = &EventLoop::on_slow_callback;
  int32_t rc;
  try {
    rc = vt_->loop_create(&cfg, &loop_);
  } catch (...) {
    rc = EDDY_ERR_INTERNAL;
  }
  if (rc != 0 || !loop_) {
    loop_ = nullptr;
    throw BackendError(absl::StrFormat("backend '%s' (%s): cannot create a loop: %s",
                                       backend_.name, backend_.path,
                                       eddy_strerror(rc ? rc : EDDY_ERR_INTERNAL)));
  }
  guard_ = std::make_shared<detail::LoopGuard>();
  guard_->loop = this;
  detail::register_loop(this, true);
}

EventLoop::~EventLoop() {
  if (signals_) close_signal_handlers();
  absl::flat_hash_set<detail::FutureBase*> inflight;
  if (guard_) {
    // Worker threads stop posting results here from now on.
    std::lock_guard<std::mutex> lock(guard_->mu);
    guard_->loop = nullptr;
    inflight.swap(guard_->inflight);
  }
  if (default_executor_) default_executor_->shutdown(true);
  if (loop_) {
    // Hands every queued callback back (they are freed through node_thunk),
    // then frees the tasks that can no longer run.
    if (!vt_->is_closed(loop_)) vt_->close(loop_);
    abandon_tasks();
    release_resources();
    vt_->loop_destroy(loop_);
    loop_ = nullptr;
  }
  // Executor jobs whose results never arrived: their futures' references.
  for (detail::FutureBase* f : inflight) f->release();
  for (auto* map : {&readers_, &writers_}) {
    for (auto& [fd, w] : *map) delete static_cast<WatcherBox*>(w);
    map->clear();
  }
  if (t_current_loop == this) t_current_loop = nullptr;
  detail::register_loop(this, false);
}

// ---- Running ----

void EventLoop::check_not_closed(const char* what) const {
  if (vt_->is_closed(loop_)) throw RuntimeError(absl::StrFormat("Event loop is closed (%s)", what));
}

void EventLoop::run_forever() {
  check_not_closed("run_forever");
  if (is_running()) throw RuntimeError("This event loop is already running");
  RunningScope scope(this);
  raise_for_code(vt_->run_forever(loop_), "run_forever");
}

void EventLoop::run_once(std::chrono::nanoseconds timeout) {
  check_not_closed("run_once");
  if (is_running()) throw RuntimeError("This event loop is already running");
  RunningScope scope(this);
  raise_for_code(vt_->run_once(loop_, timeout.count()), "run_once");
}

// asyncio's stop() only sets a flag: on a closed loop it is not an error.
void EventLoop::stop() {
  int32_t rc = vt_->stop(loop_);
  if (rc != EDDY_ERR_CLOSED) raise_for_code(rc, "stop");
}

void EventLoop::close() {
  if (vt_->is_closed(loop_)) return;
  if (is_running()) throw RuntimeError("Cannot close a running event loop");
  if (signals_) close_signal_handlers();
  raise_for_code(vt_->close(loop_), "close");
  abandon_tasks();
  release_resources();
  for (auto* map : {&readers_, &writers_}) {
    for (auto& [fd, w] : *map) delete static_cast<WatcherBox*>(w);
    map->clear();
  }
}

bool EventLoop::is_running() const { return vt_->is_running(loop_) != 0; }
bool EventLoop::is_closed() const { return vt_->is_closed(loop_) != 0; }

// ---- Callbacks ----

detail::CallbackNode* EventLoop::acquire_node() {
  if (!free_nodes_) {
    auto block = std::make_unique<detail::CallbackNode[]>(kNodeBlock);
    for (size_t i = 0; i < kNodeBlock; ++i) {
      detail::CallbackNode* n = &block[i];
      eddy_timer_init(&n->timer, &EventLoop::node_thunk);
      n->loop = this;
      n->next_free = free_nodes_;
      free_nodes_ = n;
    }
    free_count_ += kNodeBlock;
    node_blocks_.push_back(std::move(block));
  }
  detail::CallbackNode* n = free_nodes_;
  free_nodes_ = n->next_free;
  --free_count_;
  n->cancelled = false;
  return n;
}

detail::CallbackNode* EventLoop::acquire_threadsafe_node() {
  std::lock_guard<std::mutex> lock(ts_nodes_mutex_);
  detail::CallbackNode* n = ts_free_;
  if (n) {
    ts_free_ = n->next_free;
  } else {
    ts_nodes_.push_back(std::make_unique<detail::CallbackNode>());
    n = ts_nodes_.back().get();
    n->pooled = false;
  }
  n->next_free = nullptr;
  n->cancelled = false;
  return n;
}

void EventLoop::release_node(detail::CallbackNode* n) {
  n->fn.reset();
  ++n->generation;
  if (!n->pooled) {
    std::lock_guard<std::mutex> lock(ts_nodes_mutex_);
    n->next_free = ts_free_;
    ts_free_ = n;
    return;
  }
  n->next_free = free_nodes_;
  free_nodes_ = n;
  ++free_count_;
  (void)kMaxFreeNodes;
}

Handle EventLoop::schedule_soon(detail::CallbackNode* n) {
  int32_t rc = vt_->call_soon(loop_, &n->timer.handle);
  if (rc != 0) {
    release_node(n);
    raise_for_code(rc, "call_soon");
  }
  return Handle(n, n->generation);
}

Handle EventLoop::schedule_threadsafe(detail::CallbackNode* n) {
  n->loop = this;
  eddy_timer_init(&n->timer, &EventLoop::node_thunk);
  uint64_t gen = n->generation;
  int32_t rc = vt_->call_soon_threadsafe(loop_, &n->timer.handle);
  if (rc != 0) {
    release_node(n);
    raise_for_code(rc, "call_soon_threadsafe");
  }
  return Handle(n, gen);
}

TimerHandle EventLoop::schedule_at(detail::CallbackNode* n, int64_t when) {
  int32_t rc = vt_->call_at(loop_, &n->timer, when);
  if (rc != 0) {
    release_node(n);
    raise_for_code(rc, "call_at");
  }
  return TimerHandle(n, n->generation, when);
}

void EventLoop::cancel_node(detail::CallbackNode* n) {
  n->cancelled = true;
  if (vt_->cancel(loop_, &n->timer.handle) == 0) release_node(n);
}

void EventLoop::node_thunk(eddy_handle* h, int32_t status) {
  detail::CallbackNode* n = node_of(h);
  EventLoop* loop = n->loop;
  if (status == 0) {
    if (loop->debug_) loop->last_description_ = "callback";
    loop->run_guarded(n->fn, "callback");
  }
  loop->release_node(n);
}

void EventLoop::run_guarded(detail::InlineFunction& fn, const char* what) {
  try {
    fn();
  } catch (...) {
    ExceptionContext ctx;
    ctx.message = absl::StrFormat("Exception in %s", what);
    ctx.exception = std::current_exception();
    ctx.handle = what;
    call_exception_handler(ctx);
  }
}

// ---- File descriptors ----

namespace {
void watcher_thunk(void* arg, int32_t fd, uint32_t) {
  auto* w = static_cast<WatcherBox*>(arg);
  w->running = true;
  try {
    w->callback();
  } catch (...) {
    ExceptionContext ctx;
    ctx.message = absl::StrFormat("Exception in callback for fd %d", fd);
    ctx.exception = std::current_exception();
    ctx.handle = absl::StrFormat("fd %d watcher", fd);
    w->loop->call_exception_handler(ctx);
  }
  w->running = false;
  if (w->dead) delete w;
}

void retire(void* p) {
  auto* w = static_cast<WatcherBox*>(p);
  if (w->running) {
    w->dead = true;
  } else {
    delete w;
  }
}
}  // namespace

void EventLoop::add_watcher(int fd, bool writer, std::function<void()> callback) {
  if (fd < 0) throw ValueError(absl::StrFormat("Invalid file descriptor: %d", fd));
  if (!callback) throw ValueError("callback must be callable");
  check_not_closed(writer ? "add_writer" : "add_reader");
  auto* box = new WatcherBox{std::move(callback), this};
  int32_t rc = writer ? vt_->add_writer(loop_, fd, &watcher_thunk, box)
                      : vt_->add_reader(loop_, fd, &watcher_thunk, box);
  if (rc != 0) {
    delete box;
    raise_for_code(rc, writer ? "add_writer" : "add_reader");
  }
  auto& map = writer ? writers_ : readers_;
  void*& slot = map[fd];
  if (slot) retire(slot);
  slot = box;
}

void EventLoop::add_reader(int fd, std::function<void()> callback) {
  add_watcher(fd, false, std::move(callback));
}
void EventLoop::add_writer(int fd, std::function<void()> callback) {
  add_watcher(fd, true, std::move(callback));
}

void EventLoop::add_raw_watcher(int fd, bool writer, eddy_io_fn fn, void* arg) {
  if (fd < 0) throw ValueError(absl::StrFormat("Invalid file descriptor: %d", fd));
  check_not_closed(writer ? "add_writer" : "add_reader");
  int32_t rc = writer ? vt_->add_writer(loop_, fd, fn, arg) : vt_->add_reader(loop_, fd, fn, arg);
  if (rc != 0) raise_for_code(rc, writer ? "add_writer" : "add_reader");
  auto& map = writer ? writers_ : readers_;
  auto it = map.find(fd);
  if (it != map.end()) {
    retire(it->second);
    map.erase(it);
  }
}

void EventLoop::attach_resource(detail::LoopResource* r) {
  r->prev_ = nullptr;
  r->next_ = resources_;
  if (resources_) resources_->prev_ = r;
  resources_ = r;
}

void EventLoop::detach_resource(detail::LoopResource* r) {
  if (r->prev_) {
    r->prev_->next_ = r->next_;
  } else if (resources_ == r) {
    resources_ = r->next_;
  } else {
    return;  // not attached
  }
  if (r->next_) r->next_->prev_ = r->prev_;
  r->prev_ = r->next_ = nullptr;
}

void EventLoop::release_resources() {
  // Each loop_closed() detaches its resource (and may free it).
  while (detail::LoopResource* r = resources_) {
    detach_resource(r);
    r->loop_closed();
  }
}

bool EventLoop::remove_watcher(int fd, bool writer) {
  if (vt_->is_closed(loop_)) return false;
  int32_t rc = writer ? vt_->remove_writer(loop_, fd) : vt_->remove_reader(loop_, fd);
  auto& map = writer ? writers_ : readers_;
  auto it = map.find(fd);
  if (it != map.end()) {
    retire(it->second);
    map.erase(it);
  }
  return rc == 1;
}

bool EventLoop::remove_reader(int fd) { return remove_watcher(fd, false); }
bool EventLoop::remove_writer(int fd) { return remove_watcher(fd, true); }

// ---- Errors and debug ----

void EventLoop::set_exception_handler(ExceptionHandler handler) { handler_ = std::move(handler); }

void EventLoop::call_exception_handler(const ExceptionContext& context) {
  if (!handler_) {
    default_exception_handler(context);
    return;
  }
  try {
    handler_(*this, context);
  } catch (...) {
    ExceptionContext inner;
    inner.message = "Unhandled error in exception handler";
    inner.exception = std::current_exception();
    default_exception_handler(inner);
    default_exception_handler(context);
  }
}

void EventLoop::default_exception_handler(const ExceptionContext& context) {
  std::string msg = context.message.empty() ? "Unhandled exception in event loop" : context.message;
  if (!context.handle.empty()) msg += "\nhandle: " + context.handle;
  if (!context.task.empty()) msg += "\ntask: " + context.task;
  if (!context.future.empty()) msg += "\nfuture: " + context.future;
  if (context.exception) msg += "\nException: " + exception_text(context.exception);
  log(EDDY_LOG_ERROR, msg);
}

void EventLoop::set_debug(bool enabled) {
  debug_ = enabled;
  // asyncio's set_debug works on a closed loop too.
  int32_t rc = vt_->set_debug(loop_, enabled ? 1 : 0, slow_callback_.count());
  if (rc != EDDY_ERR_CLOSED) raise_for_code(rc, "set_debug");
}

void EventLoop::set_slow_callback_duration(std::chrono::nanoseconds d) {
  if (d.count() <= 0) throw ValueError("slow_callback_duration must be positive");
  slow_callback_ = d;
  raise_for_code(vt_->set_debug(loop_, debug_ ? 1 : 0, d.count()), "set_debug");
}

void EventLoop::set_current_description(std::string_view d) {
  if (debug_) last_description_.assign(d.data(), d.size());
}

void* EventLoop::native_handle(std::string_view kind) const {
  if (!vt_->native_handle) return nullptr;
  const char* k = nullptr;
  void* out = nullptr;
  if (vt_->native_handle(loop_, &k, &out) != 0 || !k || kind != k) return nullptr;
  return out;
}

void EventLoop::on_backend_error(void* arg, const eddy_error_context* ctx) {
  auto* loop = static_cast<EventLoop*>(arg);
  ExceptionContext c;
  c.message = absl::StrFormat("%s: %s", ctx->message ? ctx->message : "backend error",
                              eddy_strerror(ctx->code));
  loop->call_exception_handler(c);
}

void EventLoop::on_slow_callback(void* arg, eddy_handle*, int64_t ns) {
  auto* loop = static_cast<EventLoop*>(arg);
  const std::string& what = loop->last_description_.empty() ? std::string("callback")
                                                            : loop->last_description_;
  log(EDDY_LOG_WARNING, absl::StrFormat("Executing <%s> took %.3f seconds", what,
                                        static_cast<double>(ns) * 1e-9));
}

// ---- The current loop ----

namespace detail {
EventLoop* running_loop() { return t_running_loop; }
}  // namespace detail

EventLoop& get_running_loop() {
  if (!t_running_loop) throw RuntimeError("no running event loop");
  return *t_running_loop;
}

EventLoop& get_event_loop() {
  if (t_running_loop) return *t_running_loop;
  if (t_current_loop) return *t_current_loop;
  bool main_thread = ::getpid() == static_cast<pid_t>(::syscall(SYS_gettid));
  if (!main_thread) {
    throw RuntimeError("There is no current event loop in this thread; call set_event_loop()");
  }
  // asyncio's legacy behaviour: the main thread gets a loop on first use. It
  // lives until the thread (process) ends.
  static thread_local std::unique_ptr<EventLoop> main_loop;
  main_loop = std::make_unique<EventLoop>();
  t_current_loop = main_loop.get();
  return *t_current_loop;
}

void set_event_loop(EventLoop* loop) { t_current_loop = loop; }

std::unique_ptr<EventLoop> new_event_loop(const LoopOptions& options) {
  return std::make_unique<EventLoop>(options);
}

}  // namespace eddy
