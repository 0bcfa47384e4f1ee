// latency_histogram.h -- round-trip latencies of the echo load generator,
// kept without allocating per message.
//
// A log-linear histogram over nanoseconds: values below 64 ns have a bucket
// each; above that every power of two is split into 32 equal buckets, so a
// bucket is at most 1/32 (about 3%) of its value wide. 2,048 counters cover
// up to 2^63 ns. A percentile is the middle of the bucket it falls in,
// clipped to the smallest and largest value seen, so it is within 1.6% of
// the exact one.
//
// Thread-safety: one histogram per thread.
#ifndef EDDY_BENCH_ECHO_LATENCY_HISTOGRAM_H_
#define EDDY_BENCH_ECHO_LATENCY_HISTOGRAM_H_

#include <array>
#include <cstdint>

namespace eddy::echo {

class LatencyHistogram {
 public:
  void record(uint64_t ns) {
    ++counts_[bucket_of(ns)];
    ++total_;
    sum_ += ns;
    if (ns < min_) min_ = ns;
    if (ns > max_) max_ = ns;
  }
  void clear();

  uint64_t count() const { return total_; }
  // The value below which a fraction q (0..1) of the recorded values lie;
  // 0 when nothing was recorded.
  double percentile(double q) const;
  double mean() const { return total_ ? static_cast<double>(sum_) / total_ : 0.0; }
  uint64_t max() const { return total_ ? max_ : 0; }
  uint64_t min() const { return total_ ? min_ : 0; }

  // The bucket of a value, and the smallest value of a bucket (exposed for
  // the tests).
  static int bucket_of(uint64_t ns);
  static uint64_t bucket_floor(int bucket);

 private:
  static constexpr int kSubBits = 5;  // 32 buckets per power of two
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kBuckets = (64 - kSubBits) * kSub;

  std::array<uint64_t, kBuckets> counts_{};
  uint64_t total_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

}  // namespace eddy::echo

#endif  // EDDY_BENCH_ECHO_LATENCY_HISTOGRAM_H_
