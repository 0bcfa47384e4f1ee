// StreamReader: asyncio's semantics (CPython 3.12, with 3.13's readuntil over
// several separators) on every backend -- every method, the limit cases,
// IncompleteReadError, exceptions and cancellation while waiting, feeding
// from loop callbacks, and the flow-control thresholds.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "task_fixture.h"

namespace eddy {
namespace {

using namespace std::chrono_literals;

class StreamReaderTest : public testing::TaskTest {};

using testing::settle;

// Awaits `c` and returns what it raised (null if it returned).
Coro<std::exception_ptr> raised(Coro<std::string> c) {
  try {
    co_await std::move(c);
  } catch (...) {
    co_return std::current_exception();
  }
  co_return nullptr;
}

// Whether `p` holds an E; its message goes to *what.
template <class E>
bool holds(std::exception_ptr p, std::string* what = nullptr) {
  try {
    if (p) std::rethrow_exception(p);
  } catch (const E& e) {
    if (what) *what = e.what();
    return true;
  } catch (...) {
  }
  return false;
}

std::optional<IncompleteReadError> incomplete(std::exception_ptr p) {
  try {
    if (p) std::rethrow_exception(p);
  } catch (const IncompleteReadError& e) {
    return e;
  } catch (...) {
  }
  return std::nullopt;
}

std::optional<LimitOverrunError> overrun(std::exception_ptr p) {
  try {
    if (p) std::rethrow_exception(p);
  } catch (const LimitOverrunError& e) {
    return e;
  } catch (...) {
  }
  return std::nullopt;
}

// Records the transport calls a reader makes.
class FakeTransport : public ReadFlowControl {
 public:
  void pause_reading() override { calls.push_back("pause"); }
  void resume_reading() override { calls.push_back("resume"); }
  std::vector<std::string> calls;
};

using Calls = std::vector<std::string>;

// ---- Construction and the producer side ----

TEST(StreamReaderBasics, LimitAndEofState) {
  StreamReader r;
  EXPECT_EQ(r.limit(), 65536u);
  EXPECT_THROW(StreamReader(0), ValueError);
  EXPECT_THROW(StreamReader(-1), ValueError);
  EXPECT_FALSE(r.at_eof());
  r.feed_data("x");
  r.feed_eof();
  EXPECT_FALSE(r.at_eof());  // data is still buffered
  EXPECT_THROW(r.feed_data("y"), RuntimeError);
  EXPECT_EQ(r.exception(), nullptr);
  FakeTransport t1, t2;
  r.set_transport(&t1);
  EXPECT_THROW(r.set_transport(&t2), RuntimeError);
}

TEST(StreamReaderBasics, ErrorMessagesAreAsyncios) {
  EXPECT_STREQ(IncompleteReadError("abc", 5).what(), "3 bytes read on a total of 5 expected bytes");
  EXPECT_STREQ(IncompleteReadError("", std::nullopt).what(),
               "0 bytes read on a total of undefined expected bytes");
  IncompleteReadError e("ab", std::nullopt);
  const EOFError& as_eof = e;  // IncompleteReadError is an EOFError
  EXPECT_EQ(std::string(as_eof.what()).substr(0, 7), "2 bytes");
  EXPECT_EQ(LimitOverrunError("m", 7).consumed(), 7u);
}

// ---- read ----

Coro<> read_basics() {
  StreamReader r;
  EXPECT_EQ(co_await r.read(0), "");  // at once, even with nothing buffered
  r.feed_data("hello world");
  EXPECT_EQ(co_await r.read(5), "hello");
  EXPECT_EQ(co_await r.read(100), " world");  // what there is, not 100
  r.feed_data("abc");
  r.feed_eof();
  EXPECT_EQ(co_await r.read(1), "a");
  EXPECT_EQ(co_await r.read(-1), "bc");
  EXPECT_TRUE(r.at_eof());
  EXPECT_EQ(co_await r.read(10), "");
  EXPECT_EQ(co_await r.read(), "");
}

TEST_P(StreamReaderTest, ReadReturnsWhatIsBufferedAndEmptyAtEof) { run_coro(read_basics()); }

Coro<> read_all_beyond_limit() {
  // read() to EOF is not bounded by the limit (asyncio reads limit-sized
  // blocks), with data arriving while it waits.
  StreamReader r(4);
  std::string big(1000, 'x');
  EventLoop& loop = get_running_loop();
  loop.call_soon([r, big]() mutable { r.feed_data(big); });
  auto later = 5ms;
  loop.call_later(later, [r]() mutable {
    r.feed_data("tail");
    r.feed_eof();
  });
  std::string all = co_await r.read();
  EXPECT_EQ(all, big + "tail");
  EXPECT_TRUE(r.at_eof());
}

TEST_P(StreamReaderTest, ReadToEofIsNotBoundedByTheLimit) { run_coro(read_all_beyond_limit()); }

Coro<> read_waits_for_data() {
  StreamReader r;
  EventLoop& loop = get_running_loop();
  auto later = 2ms;
  loop.call_later(later, [r]() mutable { r.feed_data("late"); });
  EXPECT_EQ(co_await r.read(100), "late");
  loop.call_soon([r]() mutable { r.feed_eof(); });
  EXPECT_EQ(co_await r.read(100), "");  // woken by EOF
}

TEST_P(StreamReaderTest, ReadWaitsForDataOrEofFedFromCallbacks) { run_coro(read_waits_for_data()); }

// ---- readline ----

Coro<> readline_basics() {
  StreamReader r;
  r.feed_data("one\ntwo\nthr");
  EXPECT_EQ(co_await r.readline(), "one\n");
  EXPECT_EQ(co_await r.readline(), "two\n");
  EventLoop& loop = get_running_loop();
  loop.call_soon([r]() mutable { r.feed_data("ee\nfo"); });
  EXPECT_EQ(co_await r.readline(), "three\n");
  loop.call_soon([r]() mutable { r.feed_eof(); });
  EXPECT_EQ(co_await r.readline(), "fo");  // EOF mid-line: the partial line
  EXPECT_TRUE(r.at_eof());
  EXPECT_EQ(co_await r.readline(), "");
}

TEST_P(StreamReaderTest, ReadlineSplitsLinesAndReturnsThePartialLineAtEof) {
  run_coro(readline_basics());
}

Coro<> readline_limits() {
  StreamReader r(5);
  // Exactly at the limit: 5 bytes before the newline are fine.
  r.feed_data("abcde\n");
  EXPECT_EQ(co_await r.readline(), "abcde\n");
  // The newline found beyond the limit: that line is dropped through its
  // newline, the next one survives.
  r.feed_data("abcdefg\nxyz\n");
  std::string what;
  EXPECT_TRUE(holds<ValueError>(co_await raised(r.readline()), &what));
  EXPECT_EQ(what, "Separator is found, but chunk is longer than limit");
  EXPECT_EQ(co_await r.readline(), "xyz\n");
  // No newline and more than the limit buffered: everything is dropped.
  r.feed_data("abcdefgh");
  EXPECT_TRUE(holds<ValueError>(co_await raised(r.readline()), &what));
  EXPECT_EQ(what, "Separator is not found, and chunk exceed the limit");
  r.feed_data("ok\n");
  EXPECT_EQ(co_await r.readline(), "ok\n");
  // Exactly `limit` bytes without a newline: still waiting, not an error.
  r.feed_data("12345");
  EventLoop& loop = get_running_loop();
  loop.call_soon([r]() mutable { r.feed_data("\n"); });
  EXPECT_EQ(co_await r.readline(), "12345\n");
}

TEST_P(StreamReaderTest, ReadlineLimitCasesRaiseValueErrorAndDropTheLine) {
  run_coro(readline_limits());
}

Coro<> readline_overrun_resumes_transport() {
  StreamReader r(2);
  FakeTransport t;
  r.set_transport(&t);
  r.feed_data("abcdefgh");  // 8 > 2 * 2: paused
  EXPECT_EQ(t.calls, (Calls{"pause"}));
  EXPECT_TRUE(holds<ValueError>(co_await raised(r.readline())));
  EXPECT_EQ(t.calls, (Calls{"pause", "resume"}));  // the buffer was cleared
}

TEST_P(StreamReaderTest, ReadlineOverrunClearsAndResumes) {
  run_coro(readline_overrun_resumes_transport());
}

Coro<> megabyte_line(double* seconds) {
  // One readline over 1 MiB fed a byte at a time, the reader waking every
  // 64 bytes: linear work (no rescans, no O(n) per append).
  constexpr size_t kSize = size_t{1} << 20;
  StreamReader r(2 * kSize);
  auto feeder = [](StreamReader r) -> Coro<> {
    auto zero = 0ms;
    char byte[1] = {'a'};
    for (size_t i = 0; i < kSize; ++i) {
      byte[0] = static_cast<char>('a' + i % 26);
      r.feed_data(std::string_view(byte, 1));
      if (i % 64 == 63) co_await sleep(zero);
    }
    r.feed_data("\n");
  };
  auto start = std::chrono::steady_clock::now();
  Task<> f = create_task(feeder(r));
  std::string line = co_await r.readline();
  co_await f;
  *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(line.size(), kSize + 1);
  if (line.size() == kSize + 1) {
    for (size_t i = 0; i < kSize; i += 4099) EXPECT_EQ(line[i], static_cast<char>('a' + i % 26));
    EXPECT_EQ(line.back(), '\n');
  }
}

TEST_P(StreamReaderTest, AMegabyteLineFedByteByByteIsLinear) {
  double seconds = 0;
  run_coro(megabyte_line(&seconds));
  EXPECT_LT(seconds, 30.0);  // generous: under ASan on a busy machine
}

// ---- readuntil ----

Coro<> readuntil_basics() {
  StreamReader r;
  EventLoop& loop = get_running_loop();
  r.feed_data("ab|");
  loop.call_soon([r]() mutable { r.feed_data("|cd||"); });
  EXPECT_EQ(co_await r.readuntil("||"), "ab||");  // the separator spans two feeds
  EXPECT_EQ(co_await r.readuntil("||"), "cd||");
  r.feed_data("x\ny");
  EXPECT_EQ(co_await r.readuntil(), "x\n");  // "\n" by default
  EXPECT_TRUE(holds<ValueError>(co_await raised(r.readuntil(""))));
  std::vector<std::string> none;
  EXPECT_TRUE(holds<ValueError>(co_await raised(r.readuntil(none))));
  // EOF without a separator: IncompleteReadError, the buffer emptied.
  r.feed_data("|z");
  r.feed_eof();
  auto e = incomplete(co_await raised(r.readuntil("||")));
  EXPECT_TRUE(e.has_value());
  if (e) {
    EXPECT_EQ(e->partial(), "y|z");  // may hold part of the separator
    EXPECT_FALSE(e->expected().has_value());
  }
  EXPECT_TRUE(r.at_eof());
}

TEST_P(StreamReaderTest, ReaduntilFindsSplitSeparatorsAndRaisesIncompleteAtEof) {
  run_coro(readuntil_basics());
}

Coro<> readuntil_complete_at_eof() {
  // The last chunk before EOF completes the separator: found, not an error.
  StreamReader r;
  r.feed_data("end\r");
  EventLoop& loop = get_running_loop();
  loop.call_soon([r]() mutable {
    r.feed_data("\n");
    r.feed_eof();
  });
  EXPECT_EQ(co_await r.readuntil("\r\n"), "end\r\n");
  EXPECT_TRUE(r.at_eof());
}

TEST_P(StreamReaderTest, ReaduntilSeesASeparatorCompletedBeforeEof) {
  run_coro(readuntil_complete_at_eof());
}

Coro<> readuntil_limits() {
  StreamReader r(5);
  r.feed_data("abcdefg||rest");
  auto e = overrun(co_await raised(r.readuntil("||")));
  EXPECT_TRUE(e.has_value());
  if (e) {
    EXPECT_EQ(e->consumed(), 7u);
    EXPECT_STREQ(e->what(), "Separator is found, but chunk is longer than limit");
  }
  EXPECT_EQ(co_await r.read(100), "abcdefg||rest");  // the buffer is kept
  // Not found: consumed is what can be skipped, len - (seplen - 1).
  r.feed_data("abcdefgh");
  e = overrun(co_await raised(r.readuntil("||")));
  EXPECT_TRUE(e.has_value());
  if (e) {
    EXPECT_EQ(e->consumed(), 7u);
    EXPECT_STREQ(e->what(), "Separator is not found, and chunk exceed the limit");
  }
  EXPECT_EQ(co_await r.read(100), "abcdefgh");
  // Exactly at the limit: 5 bytes before the separator.
  r.feed_data("abcde||");
  EXPECT_EQ(co_await r.readuntil("||"), "abcde||");
  // 5 + 1 bytes with a 2-byte separator: the last byte may start one, so
  // only 5 are known separator-free; wait rather than raise.
  r.feed_data("abcde|");
  EventLoop& loop = get_running_loop();
  loop.call_soon([r]() mutable { r.feed_data("|"); });
  EXPECT_EQ(co_await r.readuntil("||"), "abcde||");
}

TEST_P(StreamReaderTest, ReaduntilLimitOverrunKeepsTheBuffer) { run_coro(readuntil_limits()); }

Coro<> readuntil_many() {
  StreamReader r;
  r.feed_data("12345ab");
  // The earliest end wins, not the first separator listed.
  // Braced lists outside the co_await expressions (g++ 12).
  Coro<std::string> first = r.readuntil({"5ab", "34"});
  EXPECT_EQ(co_await std::move(first), "1234");
  Coro<std::string> second = r.readuntil({"b", "5a"});
  EXPECT_EQ(co_await std::move(second), "5a");
  r.feed_data("line\r\nnext\n");
  std::vector<std::string> eols = {"\r\n", "\n"};
  EXPECT_EQ(co_await r.readuntil(eols), "bline\r\n");
  EXPECT_EQ(co_await r.readuntil(eols), "next\n");
  // A separator split across feeds, the longest one deciding how far a
  // scan may skip.
  r.feed_data("ab\r");
  EventLoop& loop = get_running_loop();
  loop.call_soon([r]() mutable { r.feed_data("\nz"); });
  Coro<std::string> split = r.readuntil({"\r\n", "\n"});
  EXPECT_EQ(co_await std::move(split), "ab\r\n");
  Coro<std::string> empty_one = r.readuntil({"x", ""});
  EXPECT_TRUE(holds<ValueError>(co_await raised(std::move(empty_one))));
}

TEST_P(StreamReaderTest, ReaduntilWithSeveralSeparatorsTakesTheEarliestEnd) {
  run_coro(readuntil_many());
}

Coro<> readuntil_many_tie() {
  // Equal ends: the shorter separator counts as the match, so its start is
  // what the limit is checked against (3 > 2: overrun, though "xxab"
  // itself starts at 0).
  StreamReader r(2);
  r.feed_data("xxab");
  Coro<std::string> tie = r.readuntil({"xxab", "b"});
  auto e = overrun(co_await raised(std::move(tie)));
  EXPECT_TRUE(e.has_value());
  if (e) {
    EXPECT_EQ(e->consumed(), 3u);
  }
}

TEST_P(StreamReaderTest, ReaduntilTiesGoToTheShorterSeparator) { run_coro(readuntil_many_tie()); }

// ---- readexactly ----

Coro<> readexactly_basics() {
  StreamReader r(4);
  EXPECT_TRUE(holds<ValueError>(co_await raised(r.readexactly(-1))));
  EXPECT_EQ(co_await r.readexactly(0), "");
  EventLoop& loop = get_running_loop();
  r.feed_data("abc");
  loop.call_soon([r]() mutable { r.feed_data("defghij"); });
  EXPECT_EQ(co_await r.readexactly(5), "abcde");  // beyond the limit is fine
  EXPECT_EQ(co_await r.readexactly(2), "fg");
  r.feed_eof();
  auto e = incomplete(co_await raised(r.readexactly(10)));
  EXPECT_TRUE(e.has_value());
  if (e) {
    EXPECT_EQ(e->partial(), "hij");
    EXPECT_EQ(e->expected(), std::optional<size_t>(10));
    EXPECT_STREQ(e->what(), "3 bytes read on a total of 10 expected bytes");
  }
  EXPECT_TRUE(r.at_eof());
}

TEST_P(StreamReaderTest, ReadexactlyWaitsAndRaisesIncompleteReadErrorAtEof) {
  run_coro(readexactly_basics());
}

// ---- flow control ----

Coro<> pause_resume_thresholds() {
  StreamReader r(10);
  FakeTransport t;
  r.set_transport(&t);
  r.feed_data(std::string(20, 'a'));  // 20 = 2 * limit: not above it
  EXPECT_TRUE(t.calls.empty());
  r.feed_data("b");  // 21: paused
  EXPECT_EQ(t.calls, (Calls{"pause"}));
  r.feed_data("c");  // already paused: no second call
  EXPECT_EQ(t.calls, (Calls{"pause"}));
  EXPECT_EQ((co_await r.read(11)).size(), 11u);  // 11 left > limit
  EXPECT_EQ(t.calls, (Calls{"pause"}));
  EXPECT_EQ((co_await r.read(1)).size(), 1u);  // 10 = limit: resumed
  EXPECT_EQ(t.calls, (Calls{"pause", "resume"}));
  r.feed_data(std::string(11, 'd'));  // 21 again
  EXPECT_EQ(t.calls, (Calls{"pause", "resume", "pause"}));
  r.set_transport(nullptr);  // detached: nothing more is called
  EXPECT_EQ((co_await r.read(100)).size(), 21u);
  EXPECT_EQ(t.calls, (Calls{"pause", "resume", "pause"}));
}

TEST_P(StreamReaderTest, PausesAboveTwiceTheLimitAndResumesAtTheLimit) {
  run_coro(pause_resume_thresholds());
}

Coro<> wait_resumes_paused_transport() {
  // readexactly(n) with n > 2 * limit would deadlock if the transport
  // stayed paused: waiting for data resumes it.
  StreamReader r(4);
  FakeTransport t;
  r.set_transport(&t);
  r.feed_data(std::string(9, 'a'));
  EXPECT_EQ(t.calls, (Calls{"pause"}));
  EventLoop& loop = get_running_loop();
  loop.call_soon([r]() mutable { r.feed_data(std::string(11, 'b')); });  // 20 > 8: paused
  std::string got = co_await r.readexactly(20);
  EXPECT_EQ(got, std::string(9, 'a') + std::string(11, 'b'));
  EXPECT_EQ(t.calls, (Calls{"pause", "resume", "pause", "resume"}));
}

TEST_P(StreamReaderTest, WaitingForDataResumesAPausedTransport) {
  run_coro(wait_resumes_paused_transport());
}

// ---- exceptions, concurrency, cancellation ----

Coro<std::string> line_of(StreamReader r) { co_return co_await r.readline(); }
Coro<std::string> await_task(Task<std::string> t) { co_return co_await t; }

Coro<> exception_while_waiting() {
  StreamReader r;
  r.feed_data("partial");
  Task<std::string> t = create_task(line_of(r));
  co_await settle();
  r.set_exception(ConnectionResetError(ECONNRESET, "reset"));
  std::exception_ptr e = co_await raised(await_task(t));
  EXPECT_TRUE(holds<ConnectionResetError>(e));
  EXPECT_NE(r.exception(), nullptr);
  // Every later read raises it, before looking at the buffer.
  EXPECT_TRUE(holds<ConnectionResetError>(co_await raised(r.read(1))));
  EXPECT_TRUE(holds<ConnectionResetError>(co_await raised(r.read(0))));
  EXPECT_TRUE(holds<ConnectionResetError>(co_await raised(r.readline())));
  EXPECT_TRUE(holds<ConnectionResetError>(co_await raised(r.readexactly(1))));
  EXPECT_TRUE(holds<ConnectionResetError>(co_await raised(r.readuntil("x"))));
}

TEST_P(StreamReaderTest, AnExceptionSetWhileWaitingIsRaisedThereAndLater) {
  run_coro(exception_while_waiting());
}

Coro<> data_then_exception() {
  // data_received then connection_lost(exc) in one loop iteration: the
  // reader is woken by the data, finds no newline, and must not wait again
  // (CPython would wait forever here).
  StreamReader r;
  Task<std::string> t = create_task(line_of(r));
  co_await settle();
  r.feed_data("no newline");
  r.set_exception(ConnectionResetError(ECONNRESET, "reset"));
  EXPECT_TRUE(holds<ConnectionResetError>(co_await raised(await_task(t))));
  // A complete line fed with the exception is still returned: the reader
  // only raises when it would have to wait.
  StreamReader r2;
  Task<std::string> t2 = create_task(line_of(r2));
  co_await settle();
  r2.feed_data("line\n");
  r2.set_exception(ConnectionResetError(ECONNRESET, "reset"));
  EXPECT_EQ(co_await t2, "line\n");
}

TEST_P(StreamReaderTest, DataThenAnExceptionInOneIterationDoesNotHang) {
  run_coro(data_then_exception());
}

Coro<> second_reader() {
  StreamReader r;
  Task<std::string> a = create_task(line_of(r));
  co_await settle();
  std::string what;
  EXPECT_TRUE(holds<RuntimeError>(co_await raised(r.read(5)), &what));
  EXPECT_EQ(what, "read() called while another coroutine is already waiting for incoming data");
  EXPECT_TRUE(holds<RuntimeError>(co_await raised(r.readexactly(5)), &what));
  EXPECT_EQ(what,
            "readexactly() called while another coroutine is already waiting for incoming data");
  EXPECT_TRUE(holds<RuntimeError>(co_await raised(r.readline()), &what));
  EXPECT_EQ(what,
            "readuntil() called while another coroutine is already waiting for incoming data");
  r.feed_data("hi\n");
  EXPECT_EQ(co_await a, "hi\n");  // the first reader is unaffected
}

TEST_P(StreamReaderTest, ASecondWaitingReaderRaisesRuntimeError) { run_coro(second_reader()); }

Coro<> cancel_while_waiting() {
  StreamReader r;
  r.feed_data("no newline yet");
  Task<std::string> a = create_task(line_of(r));
  co_await settle();
  a.cancel();
  co_await settle();
  EXPECT_TRUE(a.cancelled());
  // The buffer is untouched and the next reader proceeds.
  r.feed_data("\n");
  EXPECT_EQ(co_await r.readline(), "no newline yet\n");
  // Woken, then cancelled before it ran: the data stays for the next read.
  Task<std::string> b = create_task(line_of(r));
  co_await settle();
  r.feed_data("kept\n");
  b.cancel();
  co_await settle();
  EXPECT_TRUE(b.cancelled());
  EXPECT_EQ(co_await r.readline(), "kept\n");
  // wait_for's timeout cancels the waiting read the same way.
  bool timed_out = false;
  try {
    auto d = 5ms;
    co_await wait_for(r.readexactly(3), d);
  } catch (const TimeoutError&) {
    timed_out = true;
  }
  EXPECT_TRUE(timed_out);
  r.feed_data("abc");
  EXPECT_EQ(co_await r.readexactly(3), "abc");
}

TEST_P(StreamReaderTest, CancellingAWaitingReaderKeepsTheStreamUsable) {
  run_coro(cancel_while_waiting());
}

Coro<> many_feeders() {
  // Feeds from call_soon and call_later callbacks while a task reads lines.
  StreamReader r;
  EventLoop& loop = get_running_loop();
  for (int i = 0; i < 50; ++i) {
    std::string piece = "l" + std::to_string(i) + (i % 3 == 2 ? "\n" : "-");
    if (i % 2) {
      loop.call_soon([r, piece]() mutable { r.feed_data(piece); });
    } else {
      auto d = std::chrono::microseconds(100 * i);
      loop.call_later(d, [r, piece]() mutable { r.feed_data(piece); });
    }
  }
  auto end = 10ms;
  loop.call_later(end, [r]() mutable { r.feed_eof(); });
  std::string all;
  for (;;) {
    std::string line = co_await r.readline();
    if (line.empty()) break;
    if (!r.at_eof()) {
      EXPECT_EQ(line.back(), '\n');
    }
    all += line;
  }
  EXPECT_EQ(std::count(all.begin(), all.end(), '\n'), 16);
  EXPECT_EQ(std::count(all.begin(), all.end(), 'l'), 50);
}

TEST_P(StreamReaderTest, FeedingFromCallbacksWhileATaskReads) { run_coro(many_feeders()); }

EDDY_INSTANTIATE_TASK_SUITE(StreamReaderTest);

}  // namespace
}  // namespace eddy
