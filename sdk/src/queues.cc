#include "eddy/queues.h"

#include <array>
#include <cstddef>
#include <new>

#include "fast_tls.h"

namespace eddy::detail {
namespace {

// AddressSanitizer must see every frame freed, or it could not report a
// use after free; recycling is for real builds.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kRecycle = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kRecycle = false;
#else
constexpr bool kRecycle = true;
#endif
#else
constexpr bool kRecycle = true;
#endif

// Frames are recycled in 64-byte size classes up to 1 KiB, at most 64 per
// class and thread: enough for the waiters a thread has at once in a busy
// program, small enough that an idle thread holds little.
constexpr size_t kGranule = 64;
constexpr size_t kClasses = 16;
constexpr size_t kKeep = 64;

struct FramePool {
  struct FreeList {
    std::array<void*, kKeep> frames;
    size_t n = 0;
  };
  std::array<FreeList, kClasses> lists{};
  ~FramePool();
};

// Set when this thread's pool is gone (thread exit): frames freed later, by
// loops destroyed after it, go straight to the heap. A trivial thread_local,
// so it is readable at any point of thread teardown.
EDDY_FAST_TLS constinit thread_local bool t_pool_gone = false;
EDDY_FAST_TLS thread_local FramePool t_pool;

FramePool::~FramePool() {
  for (FreeList& l : lists) {
    for (size_t i = 0; i < l.n; ++i) ::operator delete(l.frames[i]);
    l.n = 0;
  }
  t_pool_gone = true;
}

// The size class of n bytes (1-based), or 0 if too big to recycle.
size_t size_class(size_t n) {
  size_t c = (n + kGranule - 1) / kGranule;
  return c <= kClasses ? c : 0;
}

}  // namespace

void* wait_frame_alloc(size_t n) {
  size_t c = kRecycle && !t_pool_gone ? size_class(n) : 0;
  if (c == 0) return ::operator new(n);
  FramePool::FreeList& l = t_pool.lists[c - 1];
  if (l.n > 0) return l.frames[--l.n];
  return ::operator new(c * kGranule);
}

void wait_frame_free(void* p, size_t n) noexcept {
  size_t c = kRecycle && !t_pool_gone ? size_class(n) : 0;
  if (c != 0) {
    FramePool::FreeList& l = t_pool.lists[c - 1];
    if (l.n < kKeep) {
      l.frames[l.n++] = p;
      return;
    }
  }
  ::operator delete(p);
}

}  // namespace eddy::detail
