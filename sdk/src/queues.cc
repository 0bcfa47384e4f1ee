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

// The pool lives on the heap and the thread_locals are a pointer and a flag:
// trivial (constinit, no destructor), so an access is one %fs-relative load
// with no initialisation guard (a thread_local with a destructor costs a
// __tls_get_addr call per access even with the initial-exec model), and
// small, so libeddy's initial-exec TLS fits glibc's static TLS surplus when
// libeddy is dlopen'ed (fast_tls.h).
struct FramePool {
  struct FreeList {
    std::array<void*, kKeep> frames;
    size_t n = 0;
  };
  std::array<FreeList, kClasses> lists{};
};

EDDY_FAST_TLS constinit thread_local FramePool* t_pool = nullptr;
// Set when this thread's pool is gone (thread exit): frames freed later, by
// loops destroyed after it, go straight to the heap.
EDDY_FAST_TLS constinit thread_local bool t_pool_gone = false;

// Frees the pool and its frames at thread exit. Touched once per thread,
// when the pool is made, which registers its destructor.
struct PoolReaper {
  ~PoolReaper() {
    if (FramePool* pool = t_pool) {
      for (FramePool::FreeList& l : pool->lists) {
        for (size_t i = 0; i < l.n; ++i) ::operator delete(l.frames[i]);
      }
      delete pool;
    }
    t_pool = nullptr;
    t_pool_gone = true;
  }
};
thread_local PoolReaper t_reaper;

[[gnu::noinline]] FramePool* make_pool() {
  PoolReaper* volatile touch = &t_reaper;  // constructs it for this thread
  (void)touch;
  t_pool = new FramePool;
  return t_pool;
}

// The size class of n bytes (1-based), or 0 if too big to recycle.
size_t size_class(size_t n) {
  size_t c = (n + kGranule - 1) / kGranule;
  return c <= kClasses ? c : 0;
}

}  // namespace

void* wait_frame_alloc(size_t n) {
  size_t c = kRecycle ? size_class(n) : 0;
  FramePool* pool = t_pool;
  if (c == 0 || !pool) return ::operator new(c ? c * kGranule : n);
  FramePool::FreeList& l = pool->lists[c - 1];
  if (l.n > 0) return l.frames[--l.n];
  return ::operator new(c * kGranule);
}

void wait_frame_free(void* p, size_t n) noexcept {
  size_t c = kRecycle ? size_class(n) : 0;
  if (c != 0 && !t_pool_gone) {
    FramePool* pool = t_pool;
    if (!pool) {
      try {
        pool = make_pool();
      } catch (const std::bad_alloc&) {
        ::operator delete(p);
        return;
      }
    }
    FramePool::FreeList& l = pool->lists[c - 1];
    if (l.n < kKeep) {
      l.frames[l.n++] = p;
      return;
    }
  }
  ::operator delete(p);
}

}  // namespace eddy::detail
