// alloc_counter.h -- counts heap allocations in a benchmark binary.
//
// alloc_counter.cc replaces the global operator new/delete of the program it
// is linked into; every benchmark reads the counter before and after its
// timed loop and reports allocations per operation ("allocs/op"), so a
// steady-state allocation on a hot path shows up as a number, not a hunch.
//
// The counters are per thread and plain (no atomics): a locked add on every
// allocation cost about a third of a task's create+run+finish, which made
// the benchmarks measure the counter. Benchmarks read them on the loop
// thread, which is where the steady-state claims are made.
//
// Thread-safety: each thread reads its own counters.
#ifndef EDDY_BENCH_ALLOC_COUNTER_H_
#define EDDY_BENCH_ALLOC_COUNTER_H_

#include <cstdint>

namespace eddy::bench {

// Allocations this thread made through operator new since it started.
uint64_t allocation_count();
// Bytes this thread requested through operator new since it started.
uint64_t allocated_bytes();

}  // namespace eddy::bench

#endif  // EDDY_BENCH_ALLOC_COUNTER_H_
