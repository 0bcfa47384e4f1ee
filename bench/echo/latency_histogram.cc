// latency_histogram.cc -- bucket arithmetic and percentiles of the
// load generator's latency histogram.
#include "latency_histogram.h"

#include <algorithm>
#include <bit>

namespace eddy::echo {

int LatencyHistogram::bucket_of(uint64_t ns) {
  if (ns < 2 * kSub) return static_cast<int>(ns);
  int msb = 63 - std::countl_zero(ns);
  int shift = msb - kSubBits;  // >= 1
  return (shift + 1) * kSub + static_cast<int>((ns >> shift) - kSub);
}

uint64_t LatencyHistogram::bucket_floor(int bucket) {
  if (bucket < 2 * kSub) return static_cast<uint64_t>(bucket);
  int shift = bucket / kSub - 1;
  return static_cast<uint64_t>(bucket % kSub + kSub) << shift;
}

void LatencyHistogram::clear() {
  counts_.fill(0);
  total_ = sum_ = max_ = 0;
  min_ = UINT64_MAX;
}

double LatencyHistogram::percentile(double q) const {
  if (total_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // The rank of the wanted value, 1-based: the smallest value has rank 1.
  uint64_t rank =
      std::max<uint64_t>(1, static_cast<uint64_t>(q * static_cast<double>(total_) + 0.5));
  uint64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += counts_[b];
    if (seen < rank) continue;
    double lo = static_cast<double>(bucket_floor(b));
    double hi = b + 1 < kBuckets ? static_cast<double>(bucket_floor(b + 1)) : lo;
    double mid = b < 2 * kSub ? lo : (lo + hi) / 2;
    return std::clamp(mid, static_cast<double>(min_), static_cast<double>(max_));
  }
  return static_cast<double>(max_);
}

}  // namespace eddy::echo
