// A libFuzzer target for StreamReader. The input is a script: random
// chunkings of random bytes, EOF, exceptions, and reads of every kind
// (readline, readuntil with one or two separators taken from the input,
// readexactly, read), started, resumed and cancelled in any order, with a
// second reader sometimes reading while the first waits. No loop: each read
// is a Coro stepped by hand (send / throw_), which is how a task drives it.
//
// Invariants checked after every step:
// - bytes come out in order, nothing lost or duplicated: every result (and
//   every IncompleteReadError partial, and what readline drops on a
//   ValueError) is the next slice of what was fed, and at the end what is
//   still buffered is exactly the rest;
// - each method's contract: a line ends at its first "\n" and fits the
//   limit, readuntil ends at the earliest separator end, readexactly gives n
//   bytes, LimitOverrunError leaves the buffer intact, and so on;
// - only the documented exceptions escape; pause/resume alternate and pause
//   happens only above 2 * limit. Anything else aborts.
//
// Thread-safety: test code.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "eddy/eddy.hpp"
#include "fuzz_check.h"

namespace {

using eddy::Coro;
using eddy::StreamReader;

enum class Kind { kRead, kReadline, kReaduntil, kReadexactly };

// The transport: checks that pause and resume alternate, and that pause only
// comes above 2 * limit.
class Transport : public eddy::ReadFlowControl {
 public:
  void pause_reading() override {
    CHECK(!paused);
    CHECK(*buffered > 2 * limit);
    paused = true;
  }
  void resume_reading() override {
    CHECK(paused);
    paused = false;
  }
  bool paused = false;
  size_t limit = 0;
  const size_t* buffered = nullptr;
};

// One read in progress.
struct Slot {
  Coro<std::string> coro;
  Kind kind = Kind::kRead;
  std::vector<std::string> seps;
  int64_t n = 0;
  bool parked = false;     // suspended on the reader
  bool linked = false;     // its waiter still holds the reader's slot
  bool disturbed = false;  // another read took data while it waited
};

class Script {
 public:
  explicit Script(FuzzedDataProvider& in)
      : in_(in),
        limit_(in.ConsumeIntegralInRange<size_t>(1, 64)),
        reader_(static_cast<int64_t>(limit_)) {
    transport_.limit = limit_;
    transport_.buffered = &buffered_;
    if (in_.ConsumeBool()) reader_.set_transport(&transport_);
  }

  void run() {
    while (in_.remaining_bytes() > 0) step();
    finish();
  }

 private:
  std::string_view shadow() const { return std::string_view(fed_).substr(taken_); }

  // `data` came out of the reader: it must be the next bytes fed.
  void consume(std::string_view data) {
    CHECK(shadow().substr(0, data.size()) == data);
    taken_ += data.size();
    buffered_ = fed_.size() - taken_;
  }

  void step() {
    switch (in_.ConsumeIntegralInRange(0, 11)) {
      case 0:
      case 1:
      case 2:
        feed();
        break;
      case 3:
        if (in_.ConsumeIntegralInRange(0, 3) == 0) feed_eof();
        break;
      case 4:
      case 5:
      case 6:
        start();
        break;
      case 7:
        resume_woken();
        break;
      case 8:
        cancel();
        break;
      case 9:
        if (in_.ConsumeIntegralInRange(0, 7) == 0) set_exception();
        break;
      case 10:
        check_state();
        break;
      default:
        feed();
        break;
    }
  }

  void feed() {
    size_t n = in_.ConsumeIntegralInRange<size_t>(0, 3 * limit_);
    std::string data = in_.ConsumeBytesAsString(n);
    if (eof_) {
      bool threw = false;
      try {
        reader_.feed_data(data);
      } catch (const eddy::RuntimeError&) {
        threw = true;
      }
      CHECK(threw);
      return;
    }
    fed_ += data;
    buffered_ = fed_.size() - taken_;
    reader_.feed_data(data);
    if (!data.empty()) wake_linked();
    if (in_.ConsumeBool()) resume_woken();
  }

  void feed_eof() {
    eof_ = true;
    reader_.feed_eof();
    wake_linked();
  }

  void set_exception() {
    if (error_) return;
    error_ = true;
    reader_.set_exception(eddy::ConnectionResetError(104, "fuzz"));
    CHECK(reader_.exception() != nullptr);
    wake_linked();
  }

  void wake_linked() {
    for (auto& s : slots_) {
      if (s && s->linked) s->linked = false;
    }
  }

  std::optional<Slot>* free_slot() {
    for (auto& s : slots_) {
      if (!s) return &s;
    }
    return nullptr;
  }

  bool any_pending(Kind kind) const {
    for (const auto& s : slots_) {
      if (s && s->kind == kind) return true;
    }
    return false;
  }

  void start() {
    std::optional<Slot>* place = free_slot();
    if (!place) return;
    bool other_pending = slots_[0].has_value() || slots_[1].has_value();
    Slot s;
    s.kind = static_cast<Kind>(in_.ConsumeIntegralInRange(0, 3));
    // readline's ValueError drops data by rules that another reader's
    // concurrent read makes unpredictable here: no second reader then.
    if (other_pending && (s.kind == Kind::kReadline || any_pending(Kind::kReadline))) return;
    switch (s.kind) {
      case Kind::kRead:
        // read(-1) drops the blocks it took if it is cancelled or fails
        // while it waits for more (as in CPython), which would defeat the
        // byte accounting: it only runs after EOF, where it never waits.
        s.n = eof_ && in_.ConsumeBool() ? -1 : in_.ConsumeIntegralInRange<int64_t>(0, 2 * limit_);
        s.coro = reader_.read(s.n);
        break;
      case Kind::kReadline:
        s.coro = reader_.readline();
        break;
      case Kind::kReaduntil: {
        int count = in_.ConsumeIntegralInRange(1, 3);
        for (int i = 0; i < count; ++i) {
          s.seps.push_back(in_.ConsumeBytesAsString(in_.ConsumeIntegralInRange<size_t>(0, 3)));
        }
        s.coro = count == 1 ? reader_.readuntil(s.seps[0]) : reader_.readuntil(s.seps);
        break;
      }
      case Kind::kReadexactly:
        s.n = in_.ConsumeIntegralInRange<int64_t>(-1, 3 * limit_);
        s.coro = reader_.readexactly(s.n);
        break;
    }
    place->emplace(std::move(s));
    advance(**place, nullptr);
  }

  // Resumes one slot whose waiter completed.
  void resume_woken() {
    for (auto& s : slots_) {
      if (s && s->parked && !s->linked) {
        advance(*s, nullptr);
        return;
      }
    }
  }

  void cancel() {
    for (auto& s : slots_) {
      if (s && s->parked) {
        advance(*s, std::make_exception_ptr(eddy::CancelledError()));
        return;
      }
    }
  }

  // Steps a slot (with `inject` thrown in, if any) and checks its outcome.
  void advance(Slot& s, std::exception_ptr inject) {
    size_t before = taken_;
    if (inject) {
      s.coro.throw_(inject);
    } else {
      s.coro.send();
    }
    if (!s.coro.done()) {
      s.parked = true;
      s.linked = true;
      return;
    }
    std::optional<Slot>* place = &slots_[0];
    if (&**place != &s) place = &slots_[1];
    std::exception_ptr error;
    std::string value;
    try {
      value = s.coro.result();
    } catch (...) {
      error = std::current_exception();
    }
    check_outcome(s, value, error, inject != nullptr);
    if (taken_ != before) {
      for (auto& other : slots_) {
        if (other && &*other != &s) other->disturbed = true;
      }
    }
    place->reset();
  }

  void check_outcome(const Slot& s, const std::string& value, std::exception_ptr error,
                     bool cancelled) {
    const std::string_view buf = shadow();
    if (!error) {
      CHECK(!cancelled);
      check_value(s, value, buf);
      consume(value);
      return;
    }
    try {
      std::rethrow_exception(error);
    } catch (const eddy::CancelledError&) {
      CHECK(cancelled);
    } catch (const eddy::ConnectionResetError&) {
      CHECK(error_);
    } catch (const eddy::RuntimeError& e) {
      // A second waiting reader.
      CHECK(std::string_view(e.what()).find("already waiting for incoming data") !=
            std::string_view::npos);
    } catch (const eddy::IncompleteReadError& e) {
      CHECK(s.kind == Kind::kReaduntil || s.kind == Kind::kReadexactly);
      CHECK(eof_);
      CHECK(e.partial() == buf);  // everything buffered, and the buffer emptied
      if (s.kind == Kind::kReadexactly) {
        CHECK(e.expected() == std::optional<size_t>(static_cast<size_t>(s.n)));
        CHECK(e.partial().size() < static_cast<size_t>(s.n));
      } else {
        CHECK(!e.expected().has_value());
      }
      consume(e.partial());
      CHECK(reader_.at_eof());
    } catch (const eddy::LimitOverrunError& e) {
      CHECK(s.kind == Kind::kReaduntil);
      CHECK(e.consumed() > limit_);
      CHECK(e.consumed() <= buf.size());  // the buffer is left as it was
    } catch (const eddy::ValueError& e) {
      check_value_error(s, e, buf);
    } catch (...) {
      CHECK(false && "an undocumented exception escaped");
    }
  }

  void check_value(const Slot& s, const std::string& value, std::string_view buf) {
    switch (s.kind) {
      case Kind::kRead:
        if (s.n == 0) {
          CHECK(value.empty());
        } else if (s.n > 0) {
          CHECK(value.size() <= static_cast<size_t>(s.n));
          // Empty only at EOF, or when a concurrent read took the data
          // between this one's wake-up and its resumption.
          CHECK(!value.empty() || (eof_ && buf.empty()) || s.disturbed);
        } else {
          CHECK(eof_ && value.size() == buf.size());  // everything, to EOF
        }
        break;
      case Kind::kReadexactly:
        CHECK(s.n >= 0 && value.size() == static_cast<size_t>(s.n));
        break;
      case Kind::kReadline:
        if (!value.empty() && value.back() == '\n') {
          CHECK(value.size() - 1 <= limit_);
          CHECK(value.find('\n') == value.size() - 1);
        } else {
          CHECK(eof_ && value.size() == buf.size());  // the partial last line
          CHECK(value.find('\n') == std::string::npos);
          CHECK(value.size() <= limit_);
        }
        break;
      case Kind::kReaduntil: {
        // Ends with a separator; the shortest one ending there starts
        // within the limit; none ends earlier (unless another reader took
        // data from under this one, which skips data as in CPython).
        std::optional<size_t> start;
        for (const std::string& sep : s.seps) {
          CHECK(!sep.empty());
          if (value.size() >= sep.size() && value.ends_with(sep)) {
            size_t at = value.size() - sep.size();
            if (!start || at > *start) start = at;
          }
          if (!s.disturbed) {
            size_t first = value.find(sep);
            CHECK(first == std::string::npos || first + sep.size() >= value.size());
          }
        }
        CHECK(start.has_value());
        if (!s.disturbed) CHECK(*start <= limit_);
        break;
      }
    }
  }

  void check_value_error(const Slot& s, const eddy::ValueError& e, std::string_view buf) {
    std::string_view what = e.what();
    if (s.kind == Kind::kReadexactly) {
      CHECK(s.n < 0);
      return;
    }
    if (s.kind == Kind::kReaduntil) {
      bool empty_sep = false;
      for (const std::string& sep : s.seps) empty_sep |= sep.empty();
      CHECK(empty_sep);
      return;
    }
    CHECK(s.kind == Kind::kReadline);
    // The line is dropped through its newline, or the whole buffer.
    size_t nl = buf.find('\n');
    if (what == "Separator is found, but chunk is longer than limit") {
      CHECK(nl != std::string_view::npos && nl > limit_);
      consume(buf.substr(0, nl + 1));
    } else {
      CHECK(what == "Separator is not found, and chunk exceed the limit");
      CHECK(nl == std::string_view::npos && buf.size() > limit_);
      consume(buf);
    }
  }

  void check_state() {
    CHECK(reader_.at_eof() == (eof_ && buffered_ == 0));
    // Still paused with a low buffer only after an IncompleteReadError
    // emptied it at EOF (CPython does not resume there either).
    if (transport_.paused) CHECK(buffered_ > limit_ || eof_);
  }

  // Ends every read, then checks that what is left is exactly the rest.
  void finish() {
    if (!eof_) feed_eof();
    for (int round = 0; round < 4; ++round) resume_woken();
    for (auto& s : slots_) CHECK(!s);  // after EOF nothing waits
    if (error_) return;
    Coro<std::string> rest = reader_.read(-1);
    rest.send();
    CHECK(rest.done());
    std::string tail = rest.result();
    CHECK(tail == shadow());
    consume(tail);
    CHECK(reader_.at_eof());
    CHECK(taken_ == fed_.size());
  }

  FuzzedDataProvider& in_;
  size_t limit_;
  StreamReader reader_;
  Transport transport_;
  std::string fed_;
  size_t taken_ = 0;
  size_t buffered_ = 0;
  bool eof_ = false;
  bool error_ = false;
  std::optional<Slot> slots_[2];
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // A waiter that was woken with the exception and then cancelled reports
  // "Future exception was never retrieved", as asyncio would; not a failure.
  eddy::set_log_sink([](int32_t, std::string_view) {});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  Script script(in);
  script.run();
  return 0;
}
