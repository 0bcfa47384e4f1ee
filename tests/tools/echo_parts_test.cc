// echo_parts_test.cc -- the parts of the TCP echo workloads that can be
// tested without a server: the load generator's latency histogram, its
// message patterns and its /proc CPU sampling (bench/echo/). How eddy-bench
// reads the load generator's JSON line is run_json_test.cc's.
#include <time.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "latency_histogram.h"
#include "message_pattern.h"
#include "proc_cpu.h"

namespace {

using eddy::echo::LatencyHistogram;

TEST(LatencyHistogram, BucketsAreContiguousAndNarrow) {
  // Every value maps to a bucket whose floor is at most the value and
  // within 1/32 of it.
  for (uint64_t v : {0ULL, 1ULL, 63ULL, 64ULL, 65ULL, 1000ULL, 123456ULL, 1ULL << 40, ~0ULL >> 1}) {
    int b = LatencyHistogram::bucket_of(v);
    uint64_t floor = LatencyHistogram::bucket_floor(b);
    EXPECT_LE(floor, v) << v;
    EXPECT_LE(static_cast<double>(v - floor), static_cast<double>(v) / 32 + 1) << v;
    EXPECT_GT(LatencyHistogram::bucket_floor(b + 1), v) << v;
  }
  for (int b = 0; b < 1000; ++b) {
    EXPECT_EQ(LatencyHistogram::bucket_of(LatencyHistogram::bucket_floor(b)), b);
  }
}

TEST(LatencyHistogram, PercentilesWithinThreePercent) {
  LatencyHistogram h;
  for (uint64_t v = 1; v <= 100000; ++v) h.record(v * 1000);  // 1 µs .. 100 ms
  EXPECT_EQ(h.count(), 100000u);
  EXPECT_NEAR(h.percentile(0.50), 50e6, 50e6 * 0.03);
  EXPECT_NEAR(h.percentile(0.99), 99e6, 99e6 * 0.03);
  EXPECT_EQ(h.max(), 100000000u);
  EXPECT_EQ(h.min(), 1000u);
  EXPECT_NEAR(h.mean(), 50000.5e3, 1);
  EXPECT_LE(h.percentile(1.0), 100e6);
  h.clear();
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(0.5), 0);
}

TEST(LatencyHistogram, OneValue) {
  LatencyHistogram h;
  h.record(12345);
  EXPECT_EQ(h.percentile(0.0), 12345);  // clipped to what was seen
  EXPECT_EQ(h.percentile(0.99), 12345);
}

TEST(MessagePattern, DiffersByConnectionAndMessage) {
  std::vector<char> a(1000), b(1000), c(1000);
  eddy::echo::fill_message(1, 7, a.data(), a.size());
  eddy::echo::fill_message(1, 8, b.data(), b.size());
  eddy::echo::fill_message(2, 7, c.data(), c.size());
  int same_ab = 0, same_ac = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    same_ab += a[i] == b[i];
    same_ac += a[i] == c[i];
  }
  // Random bytes agree 1 time in 256; allow a generous margin.
  EXPECT_LT(same_ab, 30);
  EXPECT_LT(same_ac, 30);
  // The same message is the same bytes, whatever the size asked for.
  std::vector<char> again(13);
  eddy::echo::fill_message(1, 7, again.data(), again.size());
  EXPECT_EQ(std::memcmp(again.data(), a.data(), again.size()), 0);
}

TEST(ProcCpu, SamplesThisProcess) {
  eddy::echo::CpuSample start = eddy::echo::sample_process_cpu(getpid());
  ASSERT_TRUE(start.ok);
  // Burn 30 ms of this process's CPU time (not wall time: on a loaded
  // machine the two differ).
  auto cpu_now = [] {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  };
  volatile double x = 0;
  const double until = cpu_now() + 0.03;
  while (cpu_now() < until) x = x + std::sqrt(x + 1);
  eddy::echo::CpuSample end = eddy::echo::sample_process_cpu(getpid());
  eddy::echo::CpuUsage used = eddy::echo::cpu_between(start, end);
  ASSERT_TRUE(used.ok);
  EXPECT_GT(used.total_s, 0.025);
  EXPECT_LT(used.total_s, 5.0);
  EXPECT_FALSE(eddy::echo::sample_process_cpu(-1).ok);
}

}  // namespace
