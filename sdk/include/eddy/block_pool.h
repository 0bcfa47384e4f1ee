// eddy/block_pool.h -- recycling of the task layer's small blocks (internal).
//
// Coroutine frames, task states and the frames of internal waits are
// allocated and freed at the rate tasks are made and finish. General
// allocators are slow at that in a bursty, multi-threaded process (glibc's
// per-thread cache holds 7 blocks per size; beyond it every allocation takes
// the arena lock, and task create+run+finish measured 52 or 110 ns depending
// on what the process had done before). So these blocks are recycled per
// thread: exact size classes of 16 bytes up to 1 KiB, each keeping at most
// 256 KiB of freed blocks, so that a burst of a thousand tasks is served
// from the pool the next time and an idle thread holds little.
//
// A block freed on another thread than the one that made it joins the
// freeing thread's pool. Every block comes from and can go back to the
// global operator new/delete, so pooled and unpooled blocks mix freely.
// Under AddressSanitizer and ThreadSanitizer nothing is recycled, so that
// they see every block's lifetime.
//
// Thread-safety: the functions are thread-safe (the pools are per thread).
#ifndef EDDY_BLOCK_POOL_H_
#define EDDY_BLOCK_POOL_H_

#include <cstddef>

namespace eddy::detail {

// A block of at least n bytes, aligned as operator new's.
void* pool_alloc(size_t n);
// Frees a block of pool_alloc(n) (n must be the same).
void pool_free(void* p, size_t n) noexcept;
// Hands this thread's cached blocks back to the global allocator (for
// measurements of what a task costs, and for a thread about to idle long).
void pool_release_cached() noexcept;
// Whether blocks are recycled in this build (not under a sanitizer).
bool pool_recycles() noexcept;

}  // namespace eddy::detail

#endif  // EDDY_BLOCK_POOL_H_
