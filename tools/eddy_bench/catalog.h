// catalog.h -- the benchmarks eddy-bench can run, as rows and columns.
//
// Google Benchmark names every instance "BM_<Family>/<backend>[/<arg>...]"
// (bench/workloads.h). The catalog splits such a name into its workload
// (the row: family plus arguments, e.g. "QueuePingPong/1") and its backend
// (the column), and gives each workload a readable label, the unit of one
// operation, and whether it is slow (left out of the quick default suite).
//
// Thread-safety: the functions are pure, except list_instances() (below).
#ifndef EDDY_TOOLS_EDDY_BENCH_CATALOG_H_
#define EDDY_TOOLS_EDDY_BENCH_CATALOG_H_

#include <string>
#include <vector>

namespace eddy::bench_tool {

struct Instance {
  std::string name;      // "BM_QueuePingPong/epoll/1"
  std::string workload;  // "QueuePingPong/1"
  std::string backend;   // "epoll"
  std::string label;     // "queue ping-pong, maxsize 1"
  std::string per;       // what one operation is: "item"
  bool slow = false;
};

// Parses a Google Benchmark instance name; false if it is not of the form
// BM_<Family>/<backend>[/...].
bool parse_instance(const std::string& name, Instance* out);

// Every registered instance, in registration order. Asks Google Benchmark
// (which must be initialized and have the workloads registered) to list them.
std::vector<Instance> list_instances();

// The raw-library twins this build has ("raw_libuv", "raw_libevent").
std::vector<std::string> raw_twin_names();

}  // namespace eddy::bench_tool

#endif  // EDDY_TOOLS_EDDY_BENCH_CATALOG_H_
