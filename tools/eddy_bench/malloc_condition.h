// malloc_condition.h -- the allocator condition every echo server runs
// under, stated in the set-up block and the JSON file.
//
// glibc's malloc serves a request above its mmap threshold (128 KiB at
// start) with a fresh mmap, and raises that threshold (and the trim
// threshold, to twice it) only when such a chunk is freed whole. CPython's
// asyncio receives with sock.recv(256 KiB): the 256 KiB buffer is mmapped,
// shrunk by realloc (mremap) to what arrived, and freed (munmap), so the
// threshold never moves -- until one recv finds nothing and the buffer is
// freed whole, after which every buffer comes from the heap. One server
// thus runs in one of two modes, 1.3x or 6x raw C's CPU per message, by
// accident of timing. eddy-bench therefore fixes the thresholds for every
// server alike (kPinned): the mode a long-running process settles in,
// with no dynamic adjustment left to chance. --malloc=default leaves
// glibc's dynamic rule in charge, to show the other mode.
//
// Thread-safety: pure functions.
#ifndef EDDY_TOOLS_EDDY_BENCH_MALLOC_CONDITION_H_
#define EDDY_TOOLS_EDDY_BENCH_MALLOC_CONDITION_H_

#include <string>
#include <vector>

namespace eddy::bench_tool {

struct MallocCondition {
  std::string mode;            // "pinned" or "default"
  std::string glibc_version;   // gnu_get_libc_version()
  std::string glibc_tunables;  // what the servers get ("" for none)
  std::string description;     // one line for the set-up block
  // For ChildSpec: the environment entries servers are started with.
  std::vector<std::string> env_set;
  std::vector<std::string> env_unset;
};

// The condition of --malloc=MODE; false for a mode not known.
bool malloc_condition(const std::string& mode, MallocCondition* out);

// The modes --malloc accepts.
const char* malloc_modes();

}  // namespace eddy::bench_tool

#endif  // EDDY_TOOLS_EDDY_BENCH_MALLOC_CONDITION_H_
