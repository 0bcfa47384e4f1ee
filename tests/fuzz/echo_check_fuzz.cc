// A libFuzzer target for the echo load generator's byte check
// (bench/echo/echo_check.h). The input scripts one connection of the
// closed loop: the client sends its messages in pieces, and the "server"
// replies with chunks that are the right next bytes, short or split
// anywhere, one byte flipped, arbitrary bytes, more than was sent, or
// another connection's message. A byte-by-byte model decides what each
// chunk should do, and the check must agree:
// - it reports an error exactly when a chunk goes past what was sent or a
//   byte differs, and the error names the first wrong byte's offset;
// - otherwise it advances by the chunk and completes a message exactly
//   when all of it is back;
// - the message pattern tells messages apart: a whole echo of another
//   message (another connection or sequence number, in the ranges the
//   load generator uses) is always caught.
// Anything else aborts.
//
// Thread-safety: test code.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "echo_check.h"
#include "fuzz_check.h"
#include "message_pattern.h"

namespace {

using eddy::echo::check_echo;
using eddy::echo::EchoVerdict;
using eddy::echo::fill_message;

// The load generator numbers connections with 32 bits (it opens far fewer
// than 2^24) and messages with a 64-bit counter (far below 2^40 in any
// run); distinctness is promised in those ranges.
constexpr uint32_t kMaxConn = 1u << 24;
constexpr uint64_t kMaxSeq = uint64_t{1} << 40;

class Connection {
 public:
  explicit Connection(FuzzedDataProvider& in)
      : in_(in),
        size_(in.ConsumeIntegralInRange<size_t>(1, 4096)),
        conn_(in.ConsumeIntegralInRange<uint32_t>(0, kMaxConn - 1)),
        seq_(in.ConsumeIntegralInRange<uint64_t>(0, kMaxSeq - 2)),
        message_(size_, '\0') {
    begin();
  }

  void run() {
    while (in_.remaining_bytes() > 0 && !failed_) step();
  }

 private:
  void begin() {
    fill_message(conn_, seq_, message_.data(), size_);
    sent_ = 0;
    received_ = 0;
  }

  void step() {
    // The client sends some more of the message first (possibly nothing).
    if (sent_ < size_ && in_.ConsumeBool()) {
      sent_ += in_.ConsumeIntegralInRange<size_t>(1, size_ - sent_);
    }
    std::string chunk;
    switch (in_.ConsumeIntegralInRange(0, 5)) {
      case 0:
      case 1:  // the right next bytes, possibly more than were sent
        chunk = message_.substr(received_, in_.ConsumeIntegralInRange<size_t>(1, size_));
        break;
      case 2: {  // the right bytes with one flipped
        chunk = message_.substr(received_, in_.ConsumeIntegralInRange<size_t>(1, size_));
        if (chunk.empty()) chunk.push_back('\0');
        size_t at = in_.ConsumeIntegralInRange<size_t>(0, chunk.size() - 1);
        chunk[at] ^= static_cast<char>(in_.ConsumeIntegralInRange<int>(1, 255));
        break;
      }
      case 3:  // arbitrary bytes
        chunk = in_.ConsumeBytesAsString(in_.ConsumeIntegralInRange<size_t>(1, 64));
        if (chunk.empty()) chunk.push_back('\0');
        break;
      case 4:
        other_message();
        return;
      default:  // the rest of what was sent, in one go
        if (sent_ == received_) return;
        chunk = message_.substr(received_, sent_ - received_);
        break;
    }
    deliver(chunk);
  }

  // The model: what this chunk must do.
  void deliver(const std::string& chunk) {
    bool too_long = chunk.size() > sent_ - received_;
    size_t first_bad = chunk.size();
    for (size_t i = 0; i < chunk.size() && received_ + i < size_; ++i) {
      if (chunk[i] != message_[received_ + i]) {
        first_bad = i;
        break;
      }
    }
    size_t before = received_;
    std::string error;
    EchoVerdict v =
        check_echo(message_.data(), size_, sent_, &received_, chunk.data(), chunk.size(), &error);
    if (too_long || first_bad < chunk.size()) {
      CHECK(v == EchoVerdict::kError);
      CHECK(received_ == before);
      CHECK(!error.empty());
      if (!too_long) {
        std::string where = "byte " + std::to_string(before + first_bad) + " of ";
        CHECK(error.rfind(where, 0) == 0);
      }
      failed_ = true;  // the load generator closes the connection
      return;
    }
    CHECK(error.empty());
    CHECK(received_ == before + chunk.size());
    CHECK((v == EchoVerdict::kComplete) == (received_ == size_));
    CHECK(v != EchoVerdict::kError);
    if (v == EchoVerdict::kComplete) {
      ++seq_;
      if (seq_ >= kMaxSeq - 1) seq_ = 0;
      begin();
    }
  }

  // A whole echo of another message in place of this one, as a server
  // that mixed up connections would send: caught when messages are at
  // least one 8-byte word long (shorter ones are too short to tell every
  // message apart).
  void other_message() {
    uint32_t conn = in_.ConsumeIntegralInRange<uint32_t>(0, kMaxConn - 1);
    uint64_t seq = in_.ConsumeIntegralInRange<uint64_t>(0, kMaxSeq - 1);
    if ((conn == conn_ && seq == seq_) || size_ < 8) return;
    std::string other(size_, '\0');
    fill_message(conn, seq, other.data(), size_);
    CHECK(other != message_);
    size_t received = 0;
    std::string error;
    EchoVerdict v =
        check_echo(message_.data(), size_, size_, &received, other.data(), size_, &error);
    CHECK(v == EchoVerdict::kError);
  }

  FuzzedDataProvider& in_;
  size_t size_;
  uint32_t conn_;
  uint64_t seq_;
  std::string message_;
  size_t sent_ = 0;
  size_t received_ = 0;
  bool failed_ = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  Connection c(in);
  c.run();
  return 0;
}
