// malloc_condition.cc -- the GLIBC_TUNABLES of each --malloc mode.
#include "malloc_condition.h"

#include <gnu/libc-version.h>

#include <cstdlib>

namespace eddy::bench_tool {
namespace {

// 1 MiB is above the largest buffer any server allocates per message
// (asyncio's 256 KiB recv buffer; eddy's, libuv's and the C servers' are
// 64 KiB), and the trim threshold keeps glibc's own 2x relation. Setting
// either tunable also turns glibc's dynamic adjustment off.
constexpr const char kPinnedTunables[] =
    "glibc.malloc.mmap_threshold=1048576:glibc.malloc.trim_threshold=2097152";

}  // namespace

const char* malloc_modes() { return "pinned, default"; }

bool malloc_condition(const std::string& mode, MallocCondition* out) {
  MallocCondition c;
  c.mode = mode;
  c.glibc_version = gnu_get_libc_version();
  if (mode == "pinned") {
    c.glibc_tunables = kPinnedTunables;
    c.env_set = {std::string("GLIBC_TUNABLES=") + kPinnedTunables};
    c.description = "glibc " + c.glibc_version + ", every server with GLIBC_TUNABLES=" +
                    kPinnedTunables + " (pinned: no dynamic mmap threshold; --malloc=default " +
                    "for glibc's own)";
  } else if (mode == "default") {
    const char* inherited = std::getenv("GLIBC_TUNABLES");
    c.glibc_tunables = inherited ? inherited : "";
    c.description = "glibc " + c.glibc_version + ", its default dynamic mmap and trim thresholds" +
                    (inherited ? std::string(" (GLIBC_TUNABLES=") + inherited + " inherited)"
                               : std::string()) +
                    "; a server's mode can depend on timing (see docs/BENCHMARKS.md)";
  } else {
    return false;
  }
  *out = c;
  return true;
}

}  // namespace eddy::bench_tool
