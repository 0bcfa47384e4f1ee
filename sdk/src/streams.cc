#include "eddy/streams.h"

#include <algorithm>
#include <coroutine>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "eddy/locks.h"

namespace eddy {
namespace detail {
namespace {

// The bytes a reader holds: a string read from `head_` on. Consuming moves
// the head; the dead prefix is dropped when it is at least as long as the
// live data (so every byte is moved at most once more) or when the buffer
// empties. Appends are amortized O(1); nothing is O(n) per consume.
class ByteBuffer {
 public:
  explicit ByteBuffer(size_t keep_capacity) : keep_capacity_(keep_capacity) {}

  size_t size() const { return data_.size() - head_; }
  bool empty() const { return head_ == data_.size(); }
  std::string_view view() const { return std::string_view(data_).substr(head_); }

  void append(std::string_view data) {
    if (head_ != 0 && head_ >= size()) {
      data_.erase(0, head_);
      head_ = 0;
    }
    data_.append(data);
  }
  // Removes and returns the first n bytes (n <= size()).
  std::string take(size_t n) {
    if (n == size()) return take_all();
    std::string out(data_, head_, n);
    head_ += n;
    return out;
  }
  std::string take_all() {
    std::string out;
    if (head_ == 0) {
      out = std::exchange(data_, std::string());
    } else {
      out.assign(data_, head_);
      clear();
    }
    head_ = 0;
    return out;
  }
  void drop(size_t n) {
    head_ += n;
    if (head_ == data_.size()) clear();
  }
  void clear() {
    head_ = 0;
    data_.clear();
    // A burst may have grown the string far beyond what the stream needs.
    if (data_.capacity() > keep_capacity_) data_.shrink_to_fit();
  }

 private:
  std::string data_;
  size_t head_ = 0;
  size_t keep_capacity_;
};

// Where readuntil() found a separator: [start, end) is the separator.
struct Match {
  size_t start;
  size_t end;
};

constexpr char kRead[] = "read";
constexpr char kReaduntil[] = "readuntil";
constexpr char kReadexactly[] = "readexactly";

}  // namespace

struct StreamReaderState {
  explicit StreamReaderState(size_t limit)
      : limit_(limit), buffer_(std::min(limit, SIZE_MAX / 4) * 4) {}

  void raise_if_exception() const {
    if (exception_) std::rethrow_exception(exception_);
  }

  // asyncio's _wakeup_waiter: the slot is freed at once.
  void wakeup_waiter() {
    Waiter* w = waiter_.pop_front();
    if (w && !w->cancelled()) w->set_result();
  }

  void maybe_resume_transport() {
    if (paused_ && buffer_.size() <= limit_) {
      paused_ = false;
      if (transport_) transport_->resume_reading();
    }
  }

  // The checks of asyncio's _wait_for_data before it creates its future.
  void prepare_wait(const char* func) {
    // Not in CPython, whose reader would wait forever here: the data that
    // woke it came with an exception it does not look at again.
    raise_if_exception();
    if (!waiter_.empty()) {
      throw RuntimeError(std::string(func) +
                         "() called while another coroutine is already waiting for incoming data");
    }
    // Waiting while paused would deadlock (readexactly(n) with n > limit).
    if (paused_) {
      paused_ = false;
      if (transport_) transport_->resume_reading();
    }
  }

  // Removes n bytes, then resumes the transport if the buffer is now low.
  std::string take(size_t n) {
    std::string out = buffer_.take(std::min(n, buffer_.size()));
    maybe_resume_transport();
    return out;
  }

  // One pass of readuntil's loop: the earliest-ending match at or after
  // `offset`, or nullopt if the reader must wait for more data. Throws
  // LimitOverrunError (buffer kept) or, at EOF, IncompleteReadError
  // (buffer emptied). `seps` is sorted by length. Signed arithmetic: a
  // concurrent read() may have shrunk the buffer below `offset`.
  std::optional<Match> scan(std::span<const std::string> seps, int64_t& offset) {
    const int64_t min_len = static_cast<int64_t>(seps.front().size());
    const int64_t max_len = static_cast<int64_t>(seps.back().size());
    std::string_view buf = buffer_.view();
    const int64_t buflen = static_cast<int64_t>(buf.size());
    if (buflen - offset >= min_len) {
      std::optional<Match> best;
      for (const std::string& sep : seps) {
        size_t at = buf.find(sep, static_cast<size_t>(offset));
        if (at == std::string_view::npos) continue;
        size_t end = at + sep.size();
        if (!best || end < best->end) best = Match{at, end};
      }
      if (best) return best;
      // A separator may still begin in the last max_len - 1 bytes.
      offset = std::max<int64_t>(0, buflen + 1 - max_len);
      if (offset > static_cast<int64_t>(limit_)) {
        throw LimitOverrunError("Separator is not found, and chunk exceed the limit",
                                static_cast<size_t>(offset));
      }
    }
    // Checked after the scan: the last chunk may have completed a separator.
    if (eof_) throw IncompleteReadError(buffer_.take_all(), std::nullopt);
    return std::nullopt;
  }

  std::string take_match(const Match& m) {
    if (m.start > limit_) {
      throw LimitOverrunError("Separator is found, but chunk is longer than limit", m.start);
    }
    return take(m.end);
  }

  const size_t limit_;
  ByteBuffer buffer_;
  bool eof_ = false;
  bool paused_ = false;
  std::exception_ptr exception_;
  ReadFlowControl* transport_ = nullptr;
  WaiterList waiter_;  // asyncio's _waiter: at most one
  EventLoop* loop_ = nullptr;
};

namespace {

using StatePtr = std::shared_ptr<StreamReaderState>;

// co_await DataWait(state, "read"): asyncio's _wait_for_data. The waiter is
// a future in the awaiting frame, so cancelling the task cancels it.
class DataWait {
 public:
  DataWait(StreamReaderState* s, const char* func) : s_(s), func_(func) {}
  DataWait(const DataWait&) = delete;
  DataWait& operator=(const DataWait&) = delete;

  bool await_ready() {
    s_->prepare_wait(func_);  // may throw before anything is parked
    return false;
  }
  void await_suspend(std::coroutine_handle<> h) {
    park_.emplace(waiting_loop(s_->loop_, "StreamReader"));
    s_->waiter_.push_back(&park_->waiter);
    try {
      park_->awaiter.await_suspend(h);
    } catch (...) {
      park_.reset();  // unlinks the waiter
      throw;
    }
  }
  void await_resume() {
    // asyncio's `finally: self._waiter = None`, but only if the slot still
    // holds this waiter (a woken waiter already left it).
    s_->waiter_.remove(&park_->waiter);
    park_->awaiter.await_resume();
  }

 private:
  StreamReaderState* s_;
  const char* func_;
  std::optional<Park> park_;
};

const std::string& newline() {
  static const std::string* const kNewline = new std::string("\n");
  return *kNewline;
}

Coro<std::string> read_coro(StatePtr s, std::ptrdiff_t n) {
  s->raise_if_exception();
  if (n == 0) co_return std::string();
  if (n > 0) {
    if (s->buffer_.empty() && !s->eof_) co_await DataWait(s.get(), kRead);
    co_return s->take(static_cast<size_t>(n));
  }
  // asyncio reads limit-sized blocks until one comes back empty, checking
  // for an exception before each.
  std::string out;
  for (;;) {
    s->raise_if_exception();
    if (s->buffer_.empty() && !s->eof_) co_await DataWait(s.get(), kRead);
    std::string block = s->take(s->limit_);
    if (block.empty()) break;
    if (out.empty()) {
      out = std::move(block);
    } else {
      out += block;
    }
  }
  co_return out;
}

Coro<std::string> readexactly_coro(StatePtr s, std::ptrdiff_t n) {
  if (n < 0) throw ValueError("readexactly size can not be less than zero");
  s->raise_if_exception();
  if (n == 0) co_return std::string();
  const size_t want = static_cast<size_t>(n);
  while (s->buffer_.size() < want) {
    if (s->eof_) throw IncompleteReadError(s->buffer_.take_all(), want);
    co_await DataWait(s.get(), kReadexactly);
  }
  co_return s->take(want);
}

// One separator is the common case: it is kept inline, not in a vector.
using Separators = absl::InlinedVector<std::string, 1>;

Coro<std::string> readuntil_coro(StatePtr s, Separators seps) {
  if (seps.empty()) throw ValueError("Separator should contain at least one element");
  // Shortest first, so that on equal ends the shorter separator wins.
  std::stable_sort(seps.begin(), seps.end(),
                   [](const std::string& a, const std::string& b) { return a.size() < b.size(); });
  if (seps.front().empty()) throw ValueError("Separator should be at least one-byte string");
  s->raise_if_exception();
  int64_t offset = 0;
  for (;;) {
    if (std::optional<Match> m = s->scan(seps, offset)) co_return s->take_match(*m);
    co_await DataWait(s.get(), kReaduntil);
  }
}

Coro<std::string> readline_coro(StatePtr s) {
  std::span<const std::string> seps(&newline(), 1);
  try {
    s->raise_if_exception();
    int64_t offset = 0;
    for (;;) {
      if (std::optional<Match> m = s->scan(seps, offset)) co_return s->take_match(*m);
      co_await DataWait(s.get(), kReaduntil);
    }
  } catch (const IncompleteReadError& e) {
    co_return e.partial();
  } catch (const LimitOverrunError& e) {
    // Drop the long line: through its newline if that is buffered right
    // where the overrun was found, else everything.
    std::string_view buf = s->buffer_.view();
    size_t consumed = e.consumed();
    if (consumed < buf.size() && buf[consumed] == '\n') {
      s->buffer_.drop(consumed + 1);
    } else {
      s->buffer_.clear();
    }
    s->maybe_resume_transport();
    throw ValueError(e.what());
  }
}

}  // namespace
}  // namespace detail

StreamReader::StreamReader(int64_t limit) {
  if (limit <= 0) throw ValueError("Limit cannot be <= 0");
  s_ = std::make_shared<detail::StreamReaderState>(static_cast<size_t>(limit));
}

void StreamReader::feed_data(std::string_view data) {
  detail::StreamReaderState& s = *s_;
  if (s.eof_) throw RuntimeError("feed_data after feed_eof");
  if (data.empty()) return;
  s.buffer_.append(data);
  s.wakeup_waiter();
  // size > 2 * limit, without overflowing for huge limits.
  size_t size = s.buffer_.size();
  if (s.transport_ && !s.paused_ && size > s.limit_ && size - s.limit_ > s.limit_) {
    s.transport_->pause_reading();
    s.paused_ = true;
  }
}

void StreamReader::feed_eof() {
  s_->eof_ = true;
  s_->wakeup_waiter();
}

void StreamReader::set_exception(std::exception_ptr e) {
  s_->exception_ = e;
  detail::Waiter* w = s_->waiter_.pop_front();
  if (w && !w->cancelled()) w->set_exception(std::move(e));
}

std::exception_ptr StreamReader::exception() const { return s_->exception_; }

bool StreamReader::at_eof() const { return s_->eof_ && s_->buffer_.empty(); }

void StreamReader::set_transport(ReadFlowControl* transport) {
  if (transport && s_->transport_) throw RuntimeError("Transport already set");
  s_->transport_ = transport;
  if (!transport) s_->paused_ = false;
}

size_t StreamReader::limit() const { return s_->limit_; }

Coro<std::string> StreamReader::read(std::ptrdiff_t n) { return detail::read_coro(s_, n); }

Coro<std::string> StreamReader::readline() { return detail::readline_coro(s_); }

Coro<std::string> StreamReader::readuntil() {
  return detail::readuntil_coro(s_, detail::Separators{detail::newline()});
}

Coro<std::string> StreamReader::readuntil(std::string_view separator) {
  return detail::readuntil_coro(s_, detail::Separators{std::string(separator)});
}

Coro<std::string> StreamReader::readuntil(std::initializer_list<std::string_view> separators) {
  return detail::readuntil_coro(s_, detail::Separators(separators.begin(), separators.end()));
}

Coro<std::string> StreamReader::readuntil(std::vector<std::string> separators) {
  return detail::readuntil_coro(s_, detail::Separators(std::make_move_iterator(separators.begin()),
                                                       std::make_move_iterator(separators.end())));
}

Coro<std::string> StreamReader::readexactly(std::ptrdiff_t n) {
  return detail::readexactly_coro(s_, n);
}

}  // namespace eddy
