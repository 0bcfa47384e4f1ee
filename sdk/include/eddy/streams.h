// eddy/streams.h -- asyncio.StreamReader: a byte buffer that a producer
// (a transport's protocol) fills and one coroutine at a time reads from.
//
//   eddy::StreamReader reader;                   // limit 64 KiB (2**16)
//   reader.feed_data("GET / HTTP/1.1\r\n");      // producer side
//   std::string line = co_await reader.readline();
//   std::string head = co_await reader.readuntil("\r\n\r\n");
//   std::string body = co_await reader.readexactly(length);
//   std::string rest = co_await reader.read();  // up to EOF
//
// The semantics are CPython 3.12's Lib/asyncio/streams.py, with 3.13's
// readuntil() over several separators (the earliest end of a match wins; on
// equal ends the shorter separator). In short:
// - read(n) returns up to n bytes as soon as at least one is buffered ("" at
//   EOF); read() / read(-1) reads to EOF; read(0) returns "" at once.
// - readexactly(n) returns n bytes or, at EOF, raises IncompleteReadError
//   with what there was (partial) and n (expected); the buffer is emptied.
// - readuntil(sep) returns data up to and including the separator. At EOF
//   without a separator it raises IncompleteReadError (expected empty) and
//   empties the buffer. If no separator occurs within `limit` bytes, or one
//   occurs only beyond them, it raises LimitOverrunError and leaves the
//   buffer as it was. An empty separator (or list) is a ValueError.
// - readline() is readuntil("\n") except that at EOF it returns the partial
//   line, and on a limit overrun it drops the long line (through its "\n"
//   if that is buffered, else the whole buffer) and raises ValueError.
// - An exception given to set_exception() is raised by every later read and
//   by the read waiting now; data still buffered is not returned.
// - Only one coroutine may wait for data at a time: a second one gets
//   RuntimeError("<method>() called while another coroutine is already
//   waiting for incoming data"). A reader cancelled while it waits leaves
//   the buffer untouched, and the next read proceeds normally.
//
// Flow control: a transport that implements ReadFlowControl and registers
// with set_transport() is paused when the buffer grows beyond 2 * limit and
// resumed once reads bring it down to limit (or when a read must wait for
// data, so that readexactly(n) with n > 2 * limit cannot deadlock), as
// asyncio calls transport.pause_reading() / resume_reading().
//
// A StreamReader is a cheap copyable handle to shared state (like a Python
// reference); pending reads keep that state alive. The buffer appends in
// amortized O(1) and consumes from the front without moving the rest, so
// many small feeds cost linear time. As asyncio does, a reader binds to the
// loop of the first task that waits on it.
//
// Departures from CPython, both where it would hang:
// - a read about to wait raises the exception set_exception() stored (in
//   CPython, a reader woken by data and then given an exception in the same
//   loop iteration -- data_received then connection_lost(exc) -- misses the
//   exception and waits forever);
// - a reader that was woken but has not run yet no longer clears the waiter
//   slot of a second reader that started waiting meanwhile (CPython loses
//   that reader's wake-up).
//
// Thread-safety: a reader belongs to one loop's thread; feed it from that
// thread (from another, post through EventLoop::call_soon_threadsafe).
#ifndef EDDY_STREAMS_H_
#define EDDY_STREAMS_H_

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "eddy/coro.h"
#include "eddy/exceptions.h"

namespace eddy {

// What a StreamReader calls on the transport that feeds it to apply
// backpressure (asyncio's ReadTransport.pause_reading / resume_reading).
// The reader calls pause_reading() once when its buffer exceeds 2 * limit
// and resume_reading() once when it drops back to limit or a read has to
// wait; the calls alternate, starting with pause_reading(). A transport that
// cannot pause simply does not register.
class ReadFlowControl {
 public:
  virtual void pause_reading() = 0;
  virtual void resume_reading() = 0;

 protected:
  ~ReadFlowControl() = default;
};

namespace detail {
struct StreamReaderState;
}  // namespace detail

class StreamReader {
 public:
  // asyncio's _DEFAULT_LIMIT: 64 KiB.
  static constexpr int64_t kDefaultLimit = int64_t{1} << 16;

  // `limit` bounds a line (readuntil, readline) and half the buffer before
  // the transport is paused. ValueError if limit <= 0.
  explicit StreamReader(int64_t limit = kDefaultLimit);

  // ---- Producer side ----

  // Appends data and wakes the waiting reader. RuntimeError after
  // feed_eof() (CPython asserts). Empty data is ignored.
  void feed_data(std::string_view data);
  // Marks the end of the stream and wakes the waiting reader.
  void feed_eof();
  // Makes every later read raise `e`, and the waiting one now.
  void set_exception(std::exception_ptr e);
  template <class E>
  requires std::derived_from<E, std::exception>
  void set_exception(E e) { set_exception(std::make_exception_ptr(std::move(e))); }
  // What set_exception() stored, or null.
  std::exception_ptr exception() const;
  // Whether feed_eof() was called and the buffer is empty.
  bool at_eof() const;
  // Registers the transport to pause and resume (null detaches it). It
  // must stay valid until detached. RuntimeError if one is already set.
  void set_transport(ReadFlowControl* transport);
  size_t limit() const;

  // ---- Consumer side (one waiting coroutine at a time) ----

  // Up to n bytes, waiting for at least one ("" at EOF); n < 0 reads to
  // EOF; n == 0 returns "" at once. Not bounded by the limit.
  Coro<std::string> read(std::ptrdiff_t n = -1);
  // One line with its "\n"; at EOF the partial line ("" if none). A line
  // longer than the limit is dropped and raises ValueError.
  Coro<std::string> readline();
  // Data up to and including the separator ("\n" without argument).
  Coro<std::string> readuntil();
  Coro<std::string> readuntil(std::string_view separator);
  // The shortest data that ends with any of the separators (Python 3.13's
  // tuple form). ValueError for an empty list or an empty separator.
  Coro<std::string> readuntil(std::initializer_list<std::string_view> separators);
  Coro<std::string> readuntil(std::vector<std::string> separators);
  // Exactly n bytes, or IncompleteReadError at EOF. ValueError if n < 0.
  // Not bounded by the limit.
  Coro<std::string> readexactly(std::ptrdiff_t n);

 private:
  std::shared_ptr<detail::StreamReaderState> s_;
};

}  // namespace eddy

#endif  // EDDY_STREAMS_H_
