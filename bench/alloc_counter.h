// alloc_counter.h -- counts heap allocations in a benchmark binary.
//
// alloc_counter.cc replaces the global operator new/delete of the program it
// is linked into; every benchmark reads the counter before and after its
// timed loop and reports allocations per operation ("allocs/op"), so a
// steady-state allocation on a hot path shows up as a number, not a hunch.
//
// Thread-safety: the counter is a relaxed atomic; reading it is thread-safe.
#ifndef EDDY_BENCH_ALLOC_COUNTER_H_
#define EDDY_BENCH_ALLOC_COUNTER_H_

#include <cstdint>

namespace eddy::bench {

// Allocations made through operator new since the program started.
uint64_t allocation_count();
// Bytes requested through operator new since the program started.
uint64_t allocated_bytes();

}  // namespace eddy::bench

#endif  // EDDY_BENCH_ALLOC_COUNTER_H_
