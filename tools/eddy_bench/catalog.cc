// catalog.cc -- names, labels and units of the workloads; the listing of
// the registered benchmark instances.
#include "catalog.h"

#include <benchmark/benchmark.h>

#include <cstring>

#include "absl/strings/str_split.h"
#include "gbench.h"

namespace eddy::bench_tool {
namespace {

struct Label {
  const char* workload;  // exact workload key, or a family name
  const char* label;
  const char* per;
  bool slow;
};

// Exact keys first (a family with arguments), then families.
constexpr Label kLabels[] = {
    {"QueuePingPong/1", "queue ping-pong, maxsize 1", "item", false},
    {"QueuePingPong/64", "queue ping-pong, maxsize 64", "item", false},
    {"AbiCallSoonRun", "call_soon, ABI handle", "callback", false},
    {"CallSoonLambda", "call_soon, C++ lambda", "callback", false},
    {"TimerScheduleFire", "timer schedule+fire", "timer", false},
    {"ThreadsafeWakeup", "cross-thread wakeup", "wakeup", false},
    {"SocketpairPingPong", "socketpair ping-pong", "round trip", false},
    {"TaskCreateRunFinish", "task create+run+finish", "task", false},
    {"TaskResume", "task resume, sleep(0)", "resume", false},
    {"SuspendedTaskBytes", "suspend 10k tasks", "batch", false},
    {"Gather", "gather of 100k coroutines", "child", false},
    {"ExecutorRoundTrip", "executor round trip", "round trip", false},
    {"SpawnWait", "spawn+wait /bin/true", "child", false},
    {"SpawnWaitConcurrent", "spawn+wait, 16 at once", "child", false},
    {"SleepingTasks", "1M sleeping tasks", "task", true},
};

const Label* find_label(const std::string& workload, const std::string& family) {
  for (const Label& l : kLabels) {
    if (workload == l.workload) return &l;
  }
  for (const Label& l : kLabels) {
    if (family == l.workload) return &l;
  }
  return nullptr;
}

// Parts Google Benchmark appends that say how, not what: they are not part
// of the workload's key.
bool is_decoration(const std::string& part) {
  return part == "real_time" || part == "manual_time" || part.rfind("iterations:", 0) == 0 ||
         part.rfind("min_time:", 0) == 0 || part.rfind("repeats:", 0) == 0 ||
         part.rfind("threads:", 0) == 0;
}

}  // namespace

bool parse_instance(const std::string& name, Instance* out) {
  std::vector<std::string> parts = absl::StrSplit(name, '/');
  if (parts.size() < 2 || parts[0].rfind("BM_", 0) != 0 || parts[1].empty()) return false;
  std::string family = parts[0].substr(3);
  std::string workload = family;
  for (size_t i = 2; i < parts.size(); ++i) {
    if (!is_decoration(parts[i])) workload += "/" + parts[i];
  }
  out->name = name;
  out->workload = workload;
  out->backend = parts[1];
  if (const Label* l = find_label(workload, family)) {
    out->label = l->label;
    out->per = l->per;
    out->slow = l->slow;
  } else {
    out->label = workload;
    out->per = "op";
    out->slow = false;
  }
  return true;
}

std::vector<Instance> list_instances() {
  std::vector<Instance> out;
  for (const std::string& name : list_benchmark_names()) {
    Instance i;
    if (parse_instance(name, &i)) out.push_back(i);
  }
  return out;
}

std::vector<std::string> raw_twin_names() {
  std::vector<std::string> names;
#ifdef EDDY_BENCH_RAW_UV
  names.push_back("raw_libuv");
#endif
#ifdef EDDY_BENCH_RAW_EVENT
  names.push_back("raw_libevent");
#endif
  return names;
}

}  // namespace eddy::bench_tool
