// eddy/pipes.h -- asyncio's loop.connect_read_pipe / connect_write_pipe:
// transports over one end of a pipe (or a FIFO, a socket, a character
// device such as a terminal).
//
//   struct Lines : eddy::Protocol {
//     void data_received(std::string_view data) override { ... }
//     void connection_lost(std::exception_ptr exc) override { ... }
//   };
//   int p[2];
//   pipe2(p, O_CLOEXEC);
//   auto [rt, reader] = co_await eddy::connect_read_pipe(
//       [] { return std::make_shared<Lines>(); }, p[0]);
//   auto [wt, writer] = co_await eddy::connect_write_pipe(
//       [] { return std::make_shared<eddy::Protocol>(); }, p[1]);
//   wt->write("hello\n");
//   wt->close();  // flushes, then closes: the reader sees EOF
//
// The descriptor is taken over: it is made non-blocking and closed by the
// transport, or, if connecting fails (ValueError for a regular file or a
// directory, as asyncio checks: only pipes, FIFOs, sockets and character
// devices), before the error is raised. The factory's protocol must be a
// Protocol or a BufferedProtocol. Both functions return once
// connection_made() has run.
//
// The transports are eddy::Transport objects with CPython 3.12's
// _UnixReadPipeTransport / _UnixWritePipeTransport semantics:
// - Read pipe: each readiness reads up to 256 KiB (one read(2)) and passes
//   it to data_received (or into a BufferedProtocol's buffer). At EOF the
//   transport is closing at once, and eof_received() (whose answer is
//   ignored: a pipe has no write side to keep) then connection_lost(nullptr)
//   follow from the loop. A read error other than EIO is reported to the
//   loop's exception handler; either way connection_lost gets it.
//   pause_reading / resume_reading / is_reading work as on a socket. The
//   write methods (write, writelines, write_eof, set_write_buffer_limits)
//   raise RuntimeError; can_write_eof() is false, the buffer size 0, and
//   abort() is close().
// - Write pipe: write() writes at once when nothing is buffered, buffers
//   what the pipe does not take and writes it when the pipe turns writable.
//   Above the high-water mark (64 KiB) the protocol's pause_writing() is
//   called, and resume_writing() once the buffer is back at the low-water
//   mark (high / 4). write_eof() and close() are the same: the transport
//   closes once the buffer is flushed, then connection_lost(nullptr).
//   abort() drops the buffer and closes at once. Writes after close() or
//   after the connection was lost are dropped (a warning is logged after
//   five), as asyncio does.
//   The transport also watches its descriptor for the reading end going
//   away, as asyncio does: it then closes, with connection_lost(nullptr) if
//   nothing was buffered, else connection_lost(BrokenPipeError). A write
//   that fails because the reader is gone also closes the transport with
//   BrokenPipeError -- never with SIGPIPE: the write blocks SIGPIPE on the
//   calling thread for the call (sockets use MSG_NOSIGNAL), so no signal
//   disposition of the process changes. Broken pipes and resets are not
//   reported to the exception handler (asyncio logs them in debug mode
//   only). The read methods are no-ops, and is_reading() is false.
// - get_extra_info("pipe") is the descriptor (still owned by the transport),
//   std::monostate once closed.
// - An exception thrown by data_received, buffer_updated or get_buffer is
//   reported to the loop's exception handler and closes the transport with
//   it, as eddy's socket transport does.
// - Lifetimes are those of eddy/transports.h: an open transport keeps itself
//   and its protocol alive until connection_lost() has returned; it lets go
//   of the protocol then (asyncio's `self._protocol = None`), so a protocol
//   that holds a shared_ptr to its transport makes no lasting cycle. When the
//   loop is closed with a pipe transport open, its descriptor is closed
//   without a connection_lost call.
//
// Thread-safety: a pipe transport and its protocol belong to one loop's
// thread.
#ifndef EDDY_PIPES_H_
#define EDDY_PIPES_H_

#include <memory>
#include <utility>

#include "eddy/coro.h"
#include "eddy/network.h"
#include "eddy/transports.h"

namespace eddy {

class EventLoop;

namespace detail {
// loop null: the running loop.
Coro<std::pair<std::shared_ptr<Transport>, std::shared_ptr<BaseProtocol>>> connect_read_pipe_impl(
    EventLoop* loop, ProtocolFactory factory, int fd);
Coro<std::pair<std::shared_ptr<Transport>, std::shared_ptr<BaseProtocol>>> connect_write_pipe_impl(
    EventLoop* loop, ProtocolFactory factory, int fd);
}  // namespace detail

// Wraps the read end `fd` in a transport feeding the factory's protocol.
template <class F>
auto connect_read_pipe(EventLoop& loop, F factory, int fd) {
  return detail::cast_protocol<detail::FactoryProtocol<F>>(
      detail::connect_read_pipe_impl(&loop, detail::erase_factory(std::move(factory)), fd));
}
template <class F>
auto connect_read_pipe(F factory, int fd) {
  return detail::cast_protocol<detail::FactoryProtocol<F>>(
      detail::connect_read_pipe_impl(nullptr, detail::erase_factory(std::move(factory)), fd));
}

// Wraps the write end `fd` in a transport that the factory's protocol (and
// anyone else) writes to.
template <class F>
auto connect_write_pipe(EventLoop& loop, F factory, int fd) {
  return detail::cast_protocol<detail::FactoryProtocol<F>>(
      detail::connect_write_pipe_impl(&loop, detail::erase_factory(std::move(factory)), fd));
}
template <class F>
auto connect_write_pipe(F factory, int fd) {
  return detail::cast_protocol<detail::FactoryProtocol<F>>(
      detail::connect_write_pipe_impl(nullptr, detail::erase_factory(std::move(factory)), fd));
}

}  // namespace eddy

#endif  // EDDY_PIPES_H_
