// echo_check.h -- the echo load generator's check of the bytes that come
// back: one received chunk against the message in flight.
//
// A connection sends message `seq` (message_pattern.h), `sent` of its
// `size` bytes so far, and has had `received` of them echoed and checked.
// A chunk of n > 0 bytes is then an error if the peer sent more than it was
// sent, or if any byte differs from the message at its offset; otherwise
// it advances `received`, and the message is complete when all `size`
// bytes are back. The error names the first wrong byte. End of file and
// socket errors are the caller's (they are not bytes).
//
// Kept apart from LoadClient so that tests/fuzz/echo_check_fuzz.cc can feed
// it arbitrary replies (short, split, corrupt, too long).
//
// Thread-safety: pure function.
#ifndef EDDY_BENCH_ECHO_ECHO_CHECK_H_
#define EDDY_BENCH_ECHO_ECHO_CHECK_H_

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <string>

namespace eddy::echo {

enum class EchoVerdict { kPartial, kComplete, kError };

// Checks buf[0..n) against message[*received ..], where sent <= size bytes
// of the message were sent. Advances *received unless it is an error, and
// then describes it in *error.
inline EchoVerdict check_echo(const char* message, size_t size, size_t sent, size_t* received,
                              const char* buf, size_t n, std::string* error) {
  if (n > sent - *received) {
    *error =
        "the server sent " + std::to_string(*received + n - sent) + " bytes more than it was sent";
    return EchoVerdict::kError;
  }
  if (std::memcmp(buf, message + *received, n) != 0) {
    size_t at = 0;
    while (buf[at] == message[*received + at]) ++at;
    char what[128];
    std::snprintf(what, sizeof what, "byte %zu of %zu is 0x%02x, expected 0x%02x", *received + at,
                  size, static_cast<unsigned char>(buf[at]),
                  static_cast<unsigned char>(message[*received + at]));
    *error = what;
    return EchoVerdict::kError;
  }
  *received += n;
  return *received < size ? EchoVerdict::kPartial : EchoVerdict::kComplete;
}

}  // namespace eddy::echo

#endif  // EDDY_BENCH_ECHO_ECHO_CHECK_H_
