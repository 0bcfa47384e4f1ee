// fuzz_check.h -- CHECK(cond) for the libFuzzer targets: an invariant that
// fails prints where and what, then aborts, which libFuzzer reports as a
// crash and saves the input of.
//
// Thread-safety: test code.
#ifndef EDDY_TESTS_FUZZ_FUZZ_CHECK_H_
#define EDDY_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define CHECK(cond)                                                                     \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

#endif  // EDDY_TESTS_FUZZ_FUZZ_CHECK_H_
