// workloads.h -- registers every micro-benchmark with Google Benchmark.
//
// The workloads (loop_bench.cc, task_bench.cc, queue_bench.cc,
// subprocess_bench.cc and the raw libuv/libevent twins) live in one static
// library shared by eddy_micro and eddy-bench; this is its one entry point.
// Benchmarks are named "BM_<Workload>/<backend>[/<args>]": the second part
// of the name is always the backend ("epoll", "uv", ..., or "raw_libuv" /
// "raw_libevent" for a program written against the library alone).
//
// Thread-safety: call once, from main(), before running any benchmark.
#ifndef EDDY_BENCH_WORKLOADS_H_
#define EDDY_BENCH_WORKLOADS_H_

namespace eddy::bench {

// Registers every workload on every available backend, plus the raw twins
// this build has (see EDDY_BENCH_RAW_UV / EDDY_BENCH_RAW_EVENT).
void register_all_benchmarks();

}  // namespace eddy::bench

#endif  // EDDY_BENCH_WORKLOADS_H_
