#include "eddy/block_pool.h"

#include <array>
#include <cstdint>
#include <new>

#include "fast_tls.h"

namespace eddy::detail {
namespace {

// The sanitizers must see every block freed and made anew: AddressSanitizer
// to report a use after free, ThreadSanitizer to know that a reused block's
// old and new lives are unrelated. Recycling is for real builds.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kRecycle = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kRecycle = false;
#else
constexpr bool kRecycle = true;
#endif
#else
constexpr bool kRecycle = true;
#endif

constexpr size_t kGranule = 16;  // operator new's alignment on x86-64 and aarch64
constexpr size_t kClasses = 64;  // up to 1 KiB
constexpr size_t kKeepBytes = 256 * 1024;

// A freed block holds the link to the next one.
struct FreeBlock {
  FreeBlock* next;
};

// The pool lives on the heap and the thread_locals are a pointer and a flag:
// trivial (constinit, no destructor), so an access is one %fs-relative load
// with no initialisation guard, and small, so libeddy's initial-exec TLS fits
// glibc's static TLS surplus when libeddy is dlopen'ed (fast_tls.h).
struct Pool {
  std::array<FreeBlock*, kClasses> heads{};
  std::array<uint32_t, kClasses> counts{};
};

EDDY_FAST_TLS constinit thread_local Pool* t_pool = nullptr;
// Set when this thread's pool is gone (thread exit): blocks freed later, by
// objects destroyed after it, go straight to the heap.
EDDY_FAST_TLS constinit thread_local bool t_pool_gone = false;

void release(Pool* pool) noexcept {
  for (size_t c = 0; c < kClasses; ++c) {
    while (FreeBlock* b = pool->heads[c]) {
      pool->heads[c] = b->next;
      ::operator delete(b);
    }
    pool->counts[c] = 0;
  }
}

// Frees the pool and its blocks at thread exit. Touched once per thread,
// when the pool is made, which registers its destructor.
struct PoolReaper {
  ~PoolReaper() {
    if (Pool* pool = t_pool) {
      release(pool);
      delete pool;
    }
    t_pool = nullptr;
    t_pool_gone = true;
  }
};
thread_local PoolReaper t_reaper;

[[gnu::noinline]] Pool* make_pool() {
  PoolReaper* volatile touch = &t_reaper;  // constructs it for this thread
  (void)touch;
  t_pool = new Pool;
  return t_pool;
}

// The size class of n bytes (0-based), or kClasses if too big to recycle.
size_t size_class(size_t n) { return n == 0 ? 0 : (n - 1) / kGranule; }
size_t class_bytes(size_t c) { return (c + 1) * kGranule; }

}  // namespace

void* pool_alloc(size_t n) {
  size_t c = size_class(n);
  if (!kRecycle || c >= kClasses) return ::operator new(n);
  if (Pool* pool = t_pool) {
    if (FreeBlock* b = pool->heads[c]) {
      pool->heads[c] = b->next;
      --pool->counts[c];
      return b;
    }
  }
  return ::operator new(class_bytes(c));
}

void pool_free(void* p, size_t n) noexcept {
  size_t c = size_class(n);
  if (kRecycle && c < kClasses && !t_pool_gone) {
    Pool* pool = t_pool;
    if (!pool) {
      try {
        pool = make_pool();
      } catch (const std::bad_alloc&) {
        ::operator delete(p);
        return;
      }
    }
    if (pool->counts[c] < kKeepBytes / class_bytes(c)) {
      pool->heads[c] = new (p) FreeBlock{pool->heads[c]};
      ++pool->counts[c];
      return;
    }
  }
  ::operator delete(p);
}

bool pool_recycles() noexcept { return kRecycle; }

void pool_release_cached() noexcept {
  if (Pool* pool = t_pool) release(pool);
}

}  // namespace eddy::detail
