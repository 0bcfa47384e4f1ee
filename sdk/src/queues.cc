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

// Trivial (constinit, no destructor), so an access is one %fs-relative load
// with no TLS initialisation guard: a thread_local with a destructor costs a
// __tls_get_addr call per access even with the initial-exec model.
struct FramePool {
  struct FreeList {
    std::array<void*, kKeep> frames;
    size_t n = 0;
  };
  std::array<FreeList, kClasses> lists{};
  bool reaper_armed = false;
};

// Set when this thread's pool is gone (thread exit): frames freed later, by
// loops destroyed after it, go straight to the heap. Trivial too, so it is
// readable at any point of thread teardown.
EDDY_FAST_TLS constinit thread_local bool t_pool_gone = false;
EDDY_FAST_TLS constinit thread_local FramePool t_pool;

// Frees the pool's frames at thread exit. Touched once per thread, when the
// pool first keeps a frame, which registers its destructor.
struct PoolReaper {
  ~PoolReaper() {
    for (FramePool::FreeList& l : t_pool.lists) {
      for (size_t i = 0; i < l.n; ++i) ::operator delete(l.frames[i]);
      l.n = 0;
    }
    t_pool_gone = true;
  }
};
thread_local PoolReaper t_reaper;

[[gnu::noinline]] void arm_reaper() {
  t_pool.reaper_armed = true;
  PoolReaper* volatile touch = &t_reaper;  // constructs it for this thread
  (void)touch;
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
      if (!t_pool.reaper_armed) arm_reaper();
      l.frames[l.n++] = p;
      return;
    }
  }
  ::operator delete(p);
}

}  // namespace eddy::detail
