// eddy/stream_writer.h -- asyncio's streams over transports: StreamWriter,
// open_connection, start_server and their unix variants (the StreamReader
// they pair with is in eddy/streams.h).
//
//   auto [reader, writer] = co_await eddy::open_connection("127.0.0.1", 8888);
//   writer.write("hello\n");
//   co_await writer.drain();
//   std::string line = co_await reader.readline();
//   writer.close();
//   co_await writer.wait_closed();
//
//   eddy::Coro<> handle(eddy::StreamReader r, eddy::StreamWriter w) {
//     while (true) {
//       std::string line = co_await r.readline();
//       if (line.empty()) break;
//       w.write(line);
//       co_await w.drain();
//     }
//     w.close();
//   }
//   eddy::Server server = co_await eddy::start_server(handle, "127.0.0.1", 0);
//
// The semantics are CPython 3.12's Lib/asyncio/streams.py: a
// StreamReaderProtocol (internal here) feeds the StreamReader from the
// transport and registers the transport with it for read flow control; at
// EOF it feeds EOF and keeps the transport open, so the other direction
// still works (half-close) until the writer is closed; when the connection
// is lost it feeds EOF (a clean close) or sets the exception on the reader
// (ConnectionResetError, ...).
//
// StreamWriter, as asyncio's:
// - write() / writelines() hand the bytes to the transport, which sends at
//   once what the socket takes and buffers the rest. They never wait and
//   never raise for a lost connection (the bytes are dropped); write()
//   after write_eof() raises RuntimeError.
// - drain() returns at once unless the transport's write buffer is above
//   its high-water mark (64 KiB by default); then it waits until the buffer
//   drains to the low-water mark. Any number of tasks may drain at once.
//   It raises the reader's exception if the connection failed; if the
//   transport is closing it first yields one loop iteration (so the pending
//   connection_lost runs) and then raises ConnectionResetError("Connection
//   lost") once the connection is gone -- so drain() after close() raises.
//   A drain waiting when the connection is lost raises its exception, or
//   returns if it was a clean close.
// - close() closes the transport (buffered data is still sent);
//   wait_closed() returns once connection_lost ran, raising the exception
//   the connection was lost with, if any (as asyncio does).
//
// start_server(cb, ...) calls cb(reader, writer) for each connection as it
// is made; when cb returns a Coro it runs as a task. If that task raises,
// the exception goes to the loop's exception handler ("Unhandled exception
// in client_connected_cb") and the transport is closed; if it is cancelled
// the transport is closed (asyncio 3.12). A cb that is a plain function
// (returns void) and throws is reported and closed the same way. The cb is
// any callable; a lambda that captures must not itself be a coroutine: let
// it call a coroutine function with the captured state as arguments.
//
// drain() and wait_closed() return small awaitables: awaited directly they
// allocate nothing (the waiter lives in the awaiting frame); they convert to
// a Coro<> where one is needed (create_task, wait_for, gather).
//
// Thread-safety: a writer belongs to its transport's loop thread.
#ifndef EDDY_STREAM_WRITER_H_
#define EDDY_STREAM_WRITER_H_

#include <concepts>
#include <coroutine>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "eddy/coro.h"
#include "eddy/locks.h"
#include "eddy/network.h"
#include "eddy/streams.h"
#include "eddy/transports.h"

namespace eddy {

class StreamWriter;

namespace detail {
class StreamProtocol;
struct StreamAccess;

// The type-erased client_connected_cb: an empty Coro means the callback was
// a plain function and has already run.
using ClientConnected = std::function<Coro<void>(StreamReader, StreamWriter)>;

// co_await writer.drain().
class [[nodiscard]] StreamDrain {
 public:
  explicit StreamDrain(const StreamWriter* writer, bool after_yield = false)
      : writer_(writer), after_yield_(after_yield) {}
  // Movable until awaited (a parked waiter is linked by address).
  StreamDrain(StreamDrain&& o) noexcept : writer_(o.writer_), after_yield_(o.after_yield_) {}
  bool await_ready();
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> h);
  void await_resume();
  Coro<void> as_coro() &&;
  operator Coro<void>() && { return std::move(*this).as_coro(); }

 private:
  const StreamWriter* writer_;
  bool after_yield_;  // the sleep(0) of a closing transport is done
  std::optional<Park> park_;
  Coro<void> slow_;  // the closing-transport path
};

// co_await writer.wait_closed().
class [[nodiscard]] StreamWaitClosed {
 public:
  explicit StreamWaitClosed(const StreamWriter* writer) : writer_(writer) {}
  StreamWaitClosed(StreamWaitClosed&& o) noexcept : writer_(o.writer_) {}
  bool await_ready();
  void await_suspend(std::coroutine_handle<> h);
  void await_resume();
  Coro<void> as_coro() &&;
  operator Coro<void>() && { return std::move(*this).as_coro(); }

 private:
  const StreamWriter* writer_;
  std::optional<Park> park_;
};

Coro<std::pair<StreamReader, StreamWriter>> open_connection_impl(EventLoop* loop, std::string host,
                                                                 std::string port, int64_t limit,
                                                                 ConnectionOptions options);
Coro<std::pair<StreamReader, StreamWriter>> open_unix_connection_impl(EventLoop* loop,
                                                                      std::string path,
                                                                      int64_t limit);
Coro<Server> start_server_impl(EventLoop* loop, ClientConnected cb, std::string host,
                               std::string port, ServerOptions options, int64_t limit);
Coro<Server> start_unix_server_impl(EventLoop* loop, ClientConnected cb, std::string path,
                                    UnixServerOptions options, int64_t limit);
}  // namespace detail

// asyncio.StreamWriter: a cheap copyable handle (copies share the
// connection). A default-constructed writer is empty: only operator bool
// may be used on it.
class StreamWriter {
 public:
  StreamWriter() = default;

  // The transport (asyncio's writer.transport), e.g. for
  // get_write_buffer_size() or set_write_buffer_limits().
  const std::shared_ptr<Transport>& transport() const { return transport_; }

  void write(std::string_view data) const { transport_->write(data); }
  // One send for all of it when nothing is buffered.
  void writelines(std::span<const std::string_view> data) const { transport_->writelines(data); }
  void writelines(std::initializer_list<std::string_view> data) const {
    transport_->writelines(std::span<const std::string_view>(data.begin(), data.size()));
  }
  // Any range of strings (std::vector<std::string>, ...).
  template <std::ranges::input_range R>
  requires std::convertible_to<std::ranges::range_reference_t<R>, std::string_view>
  void writelines(R&& data) const {
    absl::InlinedVector<std::string_view, 16> views;
    for (auto&& d : data) views.push_back(std::string_view(d));
    transport_->writelines(std::span<const std::string_view>(views.data(), views.size()));
  }
  // Shuts the write side down once the buffer is flushed.
  void write_eof() const { transport_->write_eof(); }
  bool can_write_eof() const { return transport_->can_write_eof(); }
  void close() const { transport_->close(); }
  bool is_closing() const { return transport_->is_closing(); }
  // "peername", "sockname", "socket"; "pipe" over a pipe (see
  // Transport::get_extra_info).
  ExtraInfo get_extra_info(std::string_view name) const { return transport_->get_extra_info(name); }

  // co_await writer.drain(): waits while the write buffer is above the
  // high-water mark (see the file comment).
  detail::StreamDrain drain() const { return detail::StreamDrain(this); }
  // co_await writer.wait_closed(): returns once the connection is gone.
  detail::StreamWaitClosed wait_closed() const { return detail::StreamWaitClosed(this); }

  explicit operator bool() const { return transport_ != nullptr; }

 private:
  friend struct detail::StreamAccess;
  StreamWriter(std::shared_ptr<Transport> transport,
               std::shared_ptr<detail::StreamProtocol> protocol)
      : transport_(std::move(transport)), protocol_(std::move(protocol)) {}

  std::shared_ptr<Transport> transport_;
  std::shared_ptr<detail::StreamProtocol> protocol_;
};

namespace detail {
template <class F>
ClientConnected erase_client_cb(F cb) {
  using R = std::invoke_result_t<F&, StreamReader, StreamWriter>;
  static_assert(std::is_same_v<R, Coro<void>> || std::is_void_v<R>,
                "client_connected_cb(StreamReader, StreamWriter) must return Coro<> or void");
  if constexpr (std::is_void_v<R>) {
    return [f = std::move(cb)](StreamReader r, StreamWriter w) mutable -> Coro<void> {
      f(std::move(r), std::move(w));
      return Coro<void>();
    };
  } else {
    return ClientConnected(std::move(cb));
  }
}
}  // namespace detail

// ---- Clients ----

// Connects to host:port (create_connection) and returns the stream pair.
// `limit` is the reader's (64 KiB by default).
inline Coro<std::pair<StreamReader, StreamWriter>> open_connection(
    EventLoop& loop, std::string_view host, uint16_t port,
    int64_t limit = StreamReader::kDefaultLimit, ConnectionOptions options = {}) {
  return detail::open_connection_impl(&loop, std::string(host), std::to_string(port), limit,
                                      std::move(options));
}
inline Coro<std::pair<StreamReader, StreamWriter>> open_connection(
    std::string_view host, uint16_t port, int64_t limit = StreamReader::kDefaultLimit,
    ConnectionOptions options = {}) {
  return detail::open_connection_impl(nullptr, std::string(host), std::to_string(port), limit,
                                      std::move(options));
}

// Connects to the unix socket at path ('\0'-prefixed: abstract namespace).
inline Coro<std::pair<StreamReader, StreamWriter>> open_unix_connection(
    EventLoop& loop, std::string_view path, int64_t limit = StreamReader::kDefaultLimit) {
  return detail::open_unix_connection_impl(&loop, std::string(path), limit);
}
inline Coro<std::pair<StreamReader, StreamWriter>> open_unix_connection(
    std::string_view path, int64_t limit = StreamReader::kDefaultLimit) {
  return detail::open_unix_connection_impl(nullptr, std::string(path), limit);
}

// ---- Servers ----

// Serves host:port (create_server; host "" = every interface, port 0 = a
// free one, read back from server.sockets()[0].port()), calling
// cb(StreamReader, StreamWriter) for each connection.
template <class F>
Coro<Server> start_server(EventLoop& loop, F cb, std::string_view host, uint16_t port,
                          ServerOptions options = {}, int64_t limit = StreamReader::kDefaultLimit) {
  return detail::start_server_impl(&loop, detail::erase_client_cb(std::move(cb)), std::string(host),
                                   std::to_string(port), std::move(options), limit);
}
template <class F>
requires(!std::is_base_of_v<EventLoop, std::remove_cvref_t<F>>) Coro<Server> start_server(
    F cb, std::string_view host, uint16_t port, ServerOptions options = {},
    int64_t limit = StreamReader::kDefaultLimit) {
  return detail::start_server_impl(nullptr, detail::erase_client_cb(std::move(cb)),
                                   std::string(host), std::to_string(port), std::move(options),
                                   limit);
}

// Serves a unix socket path (create_unix_server).
template <class F>
Coro<Server> start_unix_server(EventLoop& loop, F cb, std::string_view path,
                               UnixServerOptions options = {},
                               int64_t limit = StreamReader::kDefaultLimit) {
  return detail::start_unix_server_impl(&loop, detail::erase_client_cb(std::move(cb)),
                                        std::string(path), std::move(options), limit);
}
template <class F>
requires(!std::is_base_of_v<EventLoop, std::remove_cvref_t<F>>) Coro<Server> start_unix_server(
    F cb, std::string_view path, UnixServerOptions options = {},
    int64_t limit = StreamReader::kDefaultLimit) {
  return detail::start_unix_server_impl(nullptr, detail::erase_client_cb(std::move(cb)),
                                        std::string(path), std::move(options), limit);
}

}  // namespace eddy

#endif  // EDDY_STREAM_WRITER_H_
