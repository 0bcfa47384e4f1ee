// syscall_counter.h -- counts another process's system calls, by name, over
// a window the caller opens and closes: what `perf stat -e
// 'syscalls:sys_enter_*' -p PID` counts, done in-process so that the count
// covers exactly the load generator's measured window.
//
// It opens counting perf events (perf_event_open(2), type
// PERF_TYPE_TRACEPOINT) on every thread of the process, disabled and with
// `inherit` set (threads the process starts later are counted too, when
// they end): raw_syscalls:sys_enter for the total, and
// syscalls:sys_enter_<name> for each of the ~30 calls an event-loop server
// makes per message (the list is in syscall_counter.cc); the rest of the
// total is reported as "other". enable() and disable() start and stop all
// of them; counts() reads them. Counting a tracepoint costs the counted
// process a little on every system call, which is why eddy-bench counts in
// a separate round whose figures feed no timing column.
//
// What it needs, and the reason open() gives when it is missing:
// - the syscall tracepoints' ids, under tracefs (/sys/kernel/tracing, or
//   /sys/kernel/debug/tracing); when tracefs is not mounted and this process
//   is root, open() mounts it at /sys/kernel/tracing (as perf does);
// - permission to count another process's tracepoints: root or
//   CAP_PERFMON, or kernel.perf_event_paranoid = -1.
//
// Thread-safety: one thread.
#ifndef EDDY_BENCH_ECHO_SYSCALL_COUNTER_H_
#define EDDY_BENCH_ECHO_SYSCALL_COUNTER_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace eddy::echo {

class SyscallCounter {
 public:
  SyscallCounter() = default;
  ~SyscallCounter();
  SyscallCounter(const SyscallCounter&) = delete;
  SyscallCounter& operator=(const SyscallCounter&) = delete;

  // Opens the counters on every thread of `pid`, disabled. False, with the
  // reason in *error, when they cannot be opened.
  bool open(pid_t pid, std::string* error);

  void enable();
  void disable();

  // The counts since enable(), by syscall name ("recvfrom", and "other"
  // for the calls not counted by name), the non-zero ones, largest first
  // (ties by name).
  std::vector<std::pair<std::string, uint64_t>> counts() const;

 private:
  struct Event {
    std::string name;
    std::vector<int> fds;  // one per thread
  };
  std::vector<Event> events_;
};

// The JSON value of a count: {"total": N, "by_name": {"recvfrom": n, ...}},
// the names in the order given (largest first).
nlohmann::ordered_json syscall_counts_json(
    const std::vector<std::pair<std::string, uint64_t>>& counts);

}  // namespace eddy::echo

#endif  // EDDY_BENCH_ECHO_SYSCALL_COUNTER_H_
