// Streams over transports (see eddy/stream_writer.h): the internal
// StreamReaderProtocol with asyncio's FlowControlMixin, StreamWriter's
// drain() / wait_closed(), and open_connection / start_server with their
// unix variants. The control flow follows CPython 3.12's streams.py; the
// comments name where eddy differs and why.
#include "eddy/stream_writer.h"

#include <cerrno>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "eddy/event_loop.h"
#include "eddy/exceptions.h"
#include "eddy/task.h"
#include "eddy/tasks.h"
#include "stream_internal.h"

namespace eddy {
namespace detail {

// asyncio's StreamReaderProtocol (with FlowControlMixin). It is also the
// ReadFlowControl the reader pauses and resumes, forwarding to the
// transport. Without a reader it serves a writer alone (asyncio's
// StreamWriter with reader=None, as a subprocess's stdin): flow control for
// drain() and the close waiter for wait_closed().
//
// Ownership: the transport owns the protocol (until it is destroyed), a
// writer owns both; the protocol only observes the transport (weak), so
// nothing forms a cycle even when the loop closes with the connection open
// and connection_lost never comes. The reader holds a plain pointer to the
// protocol, which detaches itself in connection_lost and its destructor.
class StreamProtocol final : public Protocol,
                             public ReadFlowControl,
                             public std::enable_shared_from_this<StreamProtocol> {
 public:
  StreamProtocol(std::optional<StreamReader> reader, std::shared_ptr<const ClientConnected> cb)
      : reader_(std::move(reader)), cb_(std::move(cb)) {}
  ~StreamProtocol() override {
    if (registered_) reader_->set_transport(nullptr);
  }

  // ---- Protocol ----
  void connection_made(Transport& transport) override;
  void data_received(std::string_view data) override {
    if (reader_) reader_->feed_data(data);
  }
  bool eof_received() override {
    if (reader_) reader_->feed_eof();
    // Keep the transport open: the writer may still write (half-close).
    // asyncio returns false only over SSL, which eddy streams do not do.
    return true;
  }
  void connection_lost(std::exception_ptr exc) override;
  void pause_writing() override { paused_ = true; }
  void resume_writing() override {
    paused_ = false;
    // Every drain waiting now returns.
    while (Waiter* w = drain_waiters_.pop_front()) {
      if (!w->done()) w->set_result();
    }
  }

  // ---- ReadFlowControl (the reader pausing the transport) ----
  void pause_reading() override {
    if (auto t = transport_.lock()) t->pause_reading();
  }
  void resume_reading() override {
    if (auto t = transport_.lock()) t->resume_reading();
  }

  // The loop waiters park on: the transport's, once connected.
  EventLoop*& bound_loop() { return loop_; }

  std::optional<StreamReader> reader_;  // none: a writer alone
  std::weak_ptr<Transport> transport_;
  std::shared_ptr<const ClientConnected> cb_;  // server side only, until used
  EventLoop* loop_ = nullptr;
  WaiterList drain_waiters_;   // asyncio's _drain_waiters
  WaiterList closed_waiters_;  // wait_closed() callers
  std::exception_ptr closed_exc_;
  bool paused_ = false;           // by the transport's high-water mark
  bool connection_lost_ = false;  // asyncio's _connection_lost
  bool closed_ = false;           // asyncio's _closed future is done
  bool registered_ = false;       // with the reader, as its ReadFlowControl
};

struct StreamAccess {
  static StreamWriter make(std::shared_ptr<Transport> t, std::shared_ptr<StreamProtocol> p) {
    return StreamWriter(std::move(t), std::move(p));
  }
  static StreamProtocol& protocol(const StreamWriter& w) { return *w.protocol_; }
  static Transport& transport(const StreamWriter& w) { return *w.transport_; }
};

namespace {

// asyncio 3.12's report for a client_connected_cb that failed.
void report_cb_failure(EventLoop& loop, std::exception_ptr exc) {
  ExceptionContext ctx;
  ctx.message = "Unhandled exception in client_connected_cb";
  ctx.exception = std::move(exc);
  loop.call_exception_handler(ctx);
}

}  // namespace

void StreamProtocol::connection_made(Transport& transport) {
  std::shared_ptr<Transport> t = transport.shared();
  transport_ = t;
  loop_ = &t->get_loop();
  if (reader_) {
    reader_->set_transport(this);
    registered_ = true;
  }
  if (!cb_) return;
  // A server's connection: hand the streams to the callback, as a task if
  // it is a coroutine.
  std::shared_ptr<const ClientConnected> cb = std::move(cb_);
  Coro<void> coro;
  try {
    coro = (*cb)(*reader_, StreamAccess::make(t, shared_from_this()));
  } catch (...) {
    // asyncio lets this escape connection_made (the loop reports it and
    // the connection stays open, unserved); eddy reports it as it does a
    // failed task and closes the connection.
    report_cb_failure(*loop_, std::current_exception());
    t->close();
    return;
  }
  if (!coro) return;  // a plain function: done
  Task<void> task = create_task(*loop_, std::move(coro));
  task.add_done_callback([t](Future<void> f) {
    if (f.cancelled()) {
      t->close();
      return;
    }
    if (std::exception_ptr exc = f.exception()) {
      report_cb_failure(t->get_loop(), exc);
      t->close();
    }
  });
}

void StreamProtocol::connection_lost(std::exception_ptr exc) {
  if (reader_ && exc) {
    reader_->set_exception(exc);
  } else if (reader_) {
    reader_->feed_eof();
  }
  if (!closed_) {
    closed_ = true;
    closed_exc_ = exc;
    while (Waiter* w = closed_waiters_.pop_front()) {
      if (!w->done()) w->set_result();  // the waiter raises closed_exc_
    }
  }
  // FlowControlMixin: wake the drains if writing was paused.
  connection_lost_ = true;
  if (paused_) {
    while (Waiter* w = drain_waiters_.pop_front()) {
      if (w->done()) continue;
      if (exc) {
        w->set_exception(exc);
      } else {
        w->set_result();
      }
    }
  }
  if (registered_) {
    reader_->set_transport(nullptr);
    registered_ = false;
  }
  transport_.reset();
}

// ---- Writers over transports made elsewhere (stream_internal.h) ----

std::shared_ptr<Protocol> make_stream_protocol(std::optional<StreamReader> reader) {
  return std::make_shared<StreamProtocol>(std::move(reader), nullptr);
}

StreamWriter make_stream_writer(std::shared_ptr<Transport> transport,
                                std::shared_ptr<Protocol> protocol) {
  auto stream = std::dynamic_pointer_cast<StreamProtocol>(std::move(protocol));
  if (!stream) throw TypeError("make_stream_writer: not a protocol of make_stream_protocol()");
  return StreamAccess::make(std::move(transport), std::move(stream));
}

// ---- drain() ----

namespace {

Coro<void> drain_coro(StreamWriter w) {
  StreamDrain drain = w.drain();
  co_await drain;
}

// drain() on a closing transport: one loop iteration first, so that the
// connection_lost it has scheduled runs, then the usual check.
Coro<void> drain_after_yield(StreamWriter w) {
  auto zero = std::chrono::nanoseconds(0);
  co_await sleep(zero);
  StreamDrain rest(&w, /*after_yield=*/true);
  co_await rest;
}

}  // namespace

bool StreamDrain::await_ready() {
  StreamProtocol& p = StreamAccess::protocol(*writer_);
  if (!after_yield_) {
    if (p.reader_) {
      if (std::exception_ptr exc = p.reader_->exception()) std::rethrow_exception(exc);
    }
    if (StreamAccess::transport(*writer_).is_closing()) {
      slow_ = drain_after_yield(*writer_);
      return false;
    }
  }
  // asyncio's _drain_helper.
  if (p.connection_lost_) throw ConnectionResetError(ECONNRESET, "Connection lost");
  return !p.paused_;
}

std::coroutine_handle<> StreamDrain::await_suspend(std::coroutine_handle<> h) {
  if (slow_) return std::move(slow_).operator co_await().await_suspend(h);
  StreamProtocol& p = StreamAccess::protocol(*writer_);
  park_.emplace(waiting_loop(p.bound_loop(), "StreamWriter"));
  p.drain_waiters_.push_back(&park_->waiter);
  try {
    park_->awaiter.await_suspend(h);
  } catch (...) {
    park_.reset();  // unlinks the waiter
    throw;
  }
  return std::noop_coroutine();
}

void StreamDrain::await_resume() {
  if (slow_) {
    std::move(slow_).operator co_await().await_resume();
    return;
  }
  if (!park_) return;  // not paused: the fast path
  StreamAccess::protocol(*writer_).drain_waiters_.remove(&park_->waiter);
  park_->awaiter.await_resume();
}

Coro<void> StreamDrain::as_coro() && { return drain_coro(*writer_); }

// ---- wait_closed() ----

namespace {

Coro<void> wait_closed_coro(StreamWriter w) {
  StreamWaitClosed closed = w.wait_closed();
  co_await closed;
}

}  // namespace

bool StreamWaitClosed::await_ready() {
  StreamProtocol& p = StreamAccess::protocol(*writer_);
  if (!p.closed_) return false;
  if (p.closed_exc_) std::rethrow_exception(p.closed_exc_);
  return true;
}

void StreamWaitClosed::await_suspend(std::coroutine_handle<> h) {
  StreamProtocol& p = StreamAccess::protocol(*writer_);
  park_.emplace(waiting_loop(p.bound_loop(), "StreamWriter"));
  p.closed_waiters_.push_back(&park_->waiter);
  try {
    park_->awaiter.await_suspend(h);
  } catch (...) {
    park_.reset();
    throw;
  }
}

void StreamWaitClosed::await_resume() {
  if (!park_) return;
  StreamProtocol& p = StreamAccess::protocol(*writer_);
  p.closed_waiters_.remove(&park_->waiter);
  park_->awaiter.await_resume();
  if (p.closed_exc_) std::rethrow_exception(p.closed_exc_);
}

Coro<void> StreamWaitClosed::as_coro() && { return wait_closed_coro(*writer_); }

// ---- open_connection / start_server ----

namespace {

// The transport-side pair once create_connection returned.
StreamWriter writer_for(std::shared_ptr<Transport> transport,
                        const std::shared_ptr<StreamProtocol>& protocol) {
  return StreamAccess::make(std::move(transport), protocol);
}

ProtocolFactory server_factory(ClientConnected cb, int64_t limit) {
  auto shared_cb = std::make_shared<const ClientConnected>(std::move(cb));
  return [shared_cb, limit]() -> std::shared_ptr<BaseProtocol> {
    return std::make_shared<StreamProtocol>(StreamReader(limit), shared_cb);
  };
}

}  // namespace

Coro<std::pair<StreamReader, StreamWriter>> open_connection_impl(EventLoop* loop, std::string host,
                                                                 std::string port, int64_t limit,
                                                                 ConnectionOptions options) {
  StreamReader reader(limit);
  auto protocol = std::make_shared<StreamProtocol>(reader, nullptr);
  ProtocolFactory factory = [protocol]() -> std::shared_ptr<BaseProtocol> { return protocol; };
  // (g++ 12: no temporaries inside the co_await expression.)
  auto connecting = create_connection_impl(loop, std::move(factory), std::move(host),
                                           std::move(port), std::move(options));
  auto made = co_await std::move(connecting);
  co_return std::pair(std::move(reader), writer_for(std::move(made.first), protocol));
}

Coro<std::pair<StreamReader, StreamWriter>> open_unix_connection_impl(EventLoop* loop,
                                                                      std::string path,
                                                                      int64_t limit) {
  StreamReader reader(limit);
  auto protocol = std::make_shared<StreamProtocol>(reader, nullptr);
  ProtocolFactory factory = [protocol]() -> std::shared_ptr<BaseProtocol> { return protocol; };
  auto connecting = create_unix_connection_impl(loop, std::move(factory), std::move(path), -1);
  auto made = co_await std::move(connecting);
  co_return std::pair(std::move(reader), writer_for(std::move(made.first), protocol));
}

Coro<Server> start_server_impl(EventLoop* loop, ClientConnected cb, std::string host,
                               std::string port, ServerOptions options, int64_t limit) {
  if (limit <= 0) throw ValueError("Limit cannot be <= 0");
  Coro<Server> starting = create_server_impl(loop, server_factory(std::move(cb), limit),
                                             std::move(host), std::move(port), std::move(options));
  co_return co_await std::move(starting);
}

Coro<Server> start_unix_server_impl(EventLoop* loop, ClientConnected cb, std::string path,
                                    UnixServerOptions options, int64_t limit) {
  if (limit <= 0) throw ValueError("Limit cannot be <= 0");
  Coro<Server> starting = create_unix_server_impl(loop, server_factory(std::move(cb), limit),
                                                  std::move(path), std::move(options));
  co_return co_await std::move(starting);
}

}  // namespace detail
}  // namespace eddy
