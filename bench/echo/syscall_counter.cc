// syscall_counter.cc -- per-thread tracepoint counters through
// perf_event_open(2).
#include "syscall_counter.h"

#include <dirent.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace eddy::echo {
namespace {

constexpr const char* kTracefsDirs[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};
constexpr const char kEnterPrefix[] = "sys_enter_";

// The calls counted by name: what an event-loop server can make per
// message (I/O, readiness and completion waits, the allocator's, locks and
// wake-ups, connection set-up). Every other call is counted in the total
// (raw_syscalls:sys_enter) and shows as "other". Not every tracepoint:
// closing a tracepoint counter waits for an RCU grace period (~20 ms here),
// so the ~360 of them would take seconds to close after every count.
constexpr const char* kNamed[] = {
    "read",        "write",           "readv",        "writev",     "recvfrom",   "sendto",
    "recvmsg",     "sendmsg",         "recvmmsg",     "sendmmsg",   "epoll_wait", "epoll_pwait", "epoll_pwait2",
    "epoll_ctl",   "poll",            "ppoll",        "select",     "io_uring_enter",
    "mmap",        "munmap",          "mremap",       "brk",        "madvise",    "futex",
    "ioctl",       "getpid",          "accept4",      "close",      "setsockopt", "fcntl",
    "sched_yield", "clock_nanosleep", "rt_sigprocmask"};

bool is_dir(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// The directory of the syscall tracepoints, mounting tracefs first when it
// is missing and this process may; "" if there is none.
std::string syscall_events_dir() {
  for (const char* dir : kTracefsDirs) {
    if (is_dir(std::string(dir) + "/events/syscalls")) return std::string(dir) + "/events/syscalls";
  }
  if (geteuid() == 0 && is_dir(kTracefsDirs[0]) &&
      mount("nodev", kTracefsDirs[0], "tracefs", 0, nullptr) == 0 &&
      is_dir(std::string(kTracefsDirs[0]) + "/events/syscalls")) {
    return std::string(kTracefsDirs[0]) + "/events/syscalls";
  }
  return "";
}

std::vector<std::string> dir_entries(const std::string& path) {
  std::vector<std::string> out;
  DIR* d = opendir(path.c_str());
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') out.push_back(e->d_name);
  }
  closedir(d);
  return out;
}

std::string paranoid_level() {
  std::ifstream in("/proc/sys/kernel/perf_event_paranoid");
  std::string level;
  return in >> level ? level : "unknown";
}

int open_counter(uint64_t tracepoint_id, pid_t tid) {
  perf_event_attr attr{};
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_TRACEPOINT;
  attr.config = tracepoint_id;
  attr.disabled = 1;
  attr.inherit = 1;  // threads the process starts later count too
  return static_cast<int>(
      syscall(SYS_perf_event_open, &attr, tid, -1, -1, PERF_FLAG_FD_CLOEXEC));
}

std::string open_failure(int err, pid_t pid) {
  std::string what = "perf_event_open on pid " + std::to_string(pid) + ": " + std::strerror(err);
  if (err == EACCES || err == EPERM) {
    what += " (kernel.perf_event_paranoid = " + paranoid_level() +
            "; counting another process's syscall tracepoints needs root or CAP_PERFMON, or "
            "perf_event_paranoid = -1)";
  } else if (err == EMFILE || err == ENFILE) {
    what += " (one descriptor per syscall per thread is needed; raise the open-file limit)";
  }
  return what;
}

}  // namespace

SyscallCounter::~SyscallCounter() {
  for (Event& e : events_) {
    for (int fd : e.fds) ::close(fd);
  }
}

bool SyscallCounter::open(pid_t pid, std::string* error) {
  std::string events_dir = syscall_events_dir();
  if (events_dir.empty()) {
    *error =
        "no syscall tracepoints: tracefs is not mounted (as root: mount -t tracefs nodev "
        "/sys/kernel/tracing) or the kernel lacks CONFIG_FTRACE_SYSCALLS";
    return false;
  }
  std::vector<pid_t> threads;
  for (const std::string& t : dir_entries("/proc/" + std::to_string(pid) + "/task")) {
    threads.push_back(static_cast<pid_t>(std::stol(t)));
  }
  if (threads.empty()) {
    *error = "process " + std::to_string(pid) + " not found";
    return false;
  }
  // The total first, then each named call whose tracepoint this kernel has.
  std::vector<std::pair<std::string, std::string>> wanted = {
      {"", events_dir + "/../raw_syscalls/sys_enter/id"}};
  for (const char* name : kNamed) {
    wanted.emplace_back(name, events_dir + "/" + kEnterPrefix + name + "/id");
  }
  for (const auto& [name, id_path] : wanted) {
    std::ifstream id_file(id_path);
    uint64_t id = 0;
    if (!(id_file >> id)) {
      if (name.empty()) {
        *error = "no raw_syscalls:sys_enter tracepoint (" + id_path + ")";
        return false;
      }
      continue;
    }
    Event event{name, {}};
    for (pid_t tid : threads) {
      int fd = open_counter(id, tid);
      if (fd < 0) {
        if (errno == ESRCH) continue;  // a thread that ended meanwhile
        *error = open_failure(errno, pid);
        for (int f : event.fds) ::close(f);
        return false;
      }
      event.fds.push_back(fd);
    }
    events_.push_back(std::move(event));
  }
  return true;
}

void SyscallCounter::enable() {
  for (Event& e : events_) {
    for (int fd : e.fds) ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
  }
}

void SyscallCounter::disable() {
  // In reverse: the total (events_[0]) is enabled first and disabled last,
  // so its window holds every named counter's and it is never below their sum.
  for (auto e = events_.rbegin(); e != events_.rend(); ++e) {
    for (int fd : e->fds) ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
  }
}

std::vector<std::pair<std::string, uint64_t>> SyscallCounter::counts() const {
  std::vector<std::pair<std::string, uint64_t>> out;
  uint64_t total = 0, named = 0;
  for (const Event& e : events_) {
    uint64_t sum = 0;
    for (int fd : e.fds) {
      uint64_t value = 0;
      if (::read(fd, &value, sizeof value) == static_cast<ssize_t>(sizeof value)) sum += value;
    }
    if (e.name.empty()) {
      total = sum;
      continue;
    }
    named += sum;
    if (sum > 0) out.emplace_back(e.name, sum);
  }
  if (total > named) out.emplace_back("other", total - named);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  return out;
}

nlohmann::ordered_json syscall_counts_json(
    const std::vector<std::pair<std::string, uint64_t>>& counts) {
  uint64_t total = 0;
  nlohmann::ordered_json by_name = nlohmann::ordered_json::object();
  for (const auto& [name, n] : counts) {
    total += n;
    by_name[name] = n;
  }
  return {{"total", total}, {"by_name", std::move(by_name)}};
}

}  // namespace eddy::echo
