// message_pattern.h -- the bytes of each message the echo load generator
// sends, so that every byte that comes back can be checked.
//
// Message `seq` of connection `conn` is a Weyl sequence of 64-bit words
// started from a mix of both numbers: two messages differ in (almost)
// every word, and a byte echoed to the wrong connection, echoed twice,
// dropped, reordered or flipped no longer matches. Filling costs one add
// and one store per 8 bytes.
//
// Thread-safety: pure functions.
#ifndef EDDY_BENCH_ECHO_MESSAGE_PATTERN_H_
#define EDDY_BENCH_ECHO_MESSAGE_PATTERN_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace eddy::echo {

// splitmix64's finalizer: a cheap, well-spread 64-bit mix.
inline uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Writes message `seq` of connection `conn` into out[0..size).
inline void fill_message(uint32_t conn, uint64_t seq, char* out, size_t size) {
  uint64_t word = mix64((static_cast<uint64_t>(conn) << 40) ^ seq ^ 0x6564647965636821ULL);
  constexpr uint64_t kStep = 0x9e3779b97f4a7c15ULL;
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    std::memcpy(out + i, &word, 8);
    word += kStep;
  }
  if (i < size) std::memcpy(out + i, &word, size - i);
}

}  // namespace eddy::echo

#endif  // EDDY_BENCH_ECHO_MESSAGE_PATTERN_H_
