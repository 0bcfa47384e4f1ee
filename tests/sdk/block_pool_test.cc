// The per-thread block pool (eddy/block_pool.h): blocks are recycled by
// size class, bounded, released on request, and shared freely with the
// global allocator. Recycling is off under ASan and TSan; the tests that
// depend on it skip there.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "eddy/block_pool.h"

namespace eddy::detail {
namespace {

TEST(BlockPoolTest, BlocksAreUsableAndAligned) {
  for (size_t n : {1u, 16u, 17u, 80u, 176u, 1024u, 1025u, 5000u}) {
    void* p = pool_alloc(n);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 16, 0u) << n;
    std::memset(p, 0xab, n);
    pool_free(p, n);
  }
}

TEST(BlockPoolTest, AFreedBlockIsReusedForTheSameSizeClass) {
  if (!pool_recycles()) GTEST_SKIP() << "no recycling under a sanitizer";
  pool_release_cached();
  void* a = pool_alloc(176);
  pool_free(a, 176);
  EXPECT_EQ(pool_alloc(170), a) << "170 and 176 bytes share the 176-byte class";
  pool_free(a, 176);
  void* b = pool_alloc(80);
  EXPECT_NE(b, a) << "another class";
  pool_free(b, 80);
  pool_release_cached();
  // Large blocks are never pooled (and must still work).
  void* big = pool_alloc(4096);
  pool_free(big, 4096);
}

TEST(BlockPoolTest, ABurstIsServedFromThePoolTheSecondTime) {
  if (!pool_recycles()) GTEST_SKIP() << "no recycling under a sanitizer";
  pool_release_cached();
  std::vector<void*> first;
  for (int i = 0; i < 1000; ++i) first.push_back(pool_alloc(80));
  for (void* p : first) pool_free(p, 80);
  std::vector<void*> second;
  for (int i = 0; i < 1000; ++i) second.push_back(pool_alloc(80));
  std::sort(first.begin(), first.end());
  for (void* p : second) EXPECT_TRUE(std::binary_search(first.begin(), first.end(), p));
  for (void* p : second) pool_free(p, 80);
  pool_release_cached();
}

TEST(BlockPoolTest, BlocksMayBeFreedOnAnotherThread) {
  std::vector<void*> blocks;
  for (int i = 0; i < 100; ++i) blocks.push_back(pool_alloc(96));
  std::thread t([&] {
    for (void* p : blocks) pool_free(p, 96);
    // The thread's pool is freed at its exit; a block freed after that
    // point would go straight to the heap.
  });
  t.join();
}

}  // namespace
}  // namespace eddy::detail
