// proc_cpu.cc -- reads /proc/<pid>/stat and the threads' schedstat.
#include "proc_cpu.h"

#include <dirent.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace eddy::echo {
namespace {

// The whole of a small /proc file, or "" if it cannot be read.
std::string read_small_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "re");
  if (f == nullptr) return "";
  char buf[1024];
  size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  return std::string(buf, n);
}

// utime and stime (fields 14 and 15 of proc(5)); the command name, field 2,
// is in parentheses and may hold spaces, so fields count from the last ')'.
bool parse_stat(const std::string& text, uint64_t* utime, uint64_t* stime) {
  size_t paren = text.rfind(')');
  if (paren == std::string::npos) return false;
  // Fields from 3 (the state) on, separated by single spaces.
  std::vector<std::string_view> fields;
  std::string_view rest = std::string_view(text).substr(paren + 2);
  while (!rest.empty() && fields.size() < 13) {
    size_t space = rest.find(' ');
    fields.push_back(rest.substr(0, space));
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
  }
  if (fields.size() < 13) return false;
  *utime = std::strtoull(std::string(fields[14 - 3]).c_str(), nullptr, 10);
  *stime = std::strtoull(std::string(fields[15 - 3]).c_str(), nullptr, 10);
  return true;
}

}  // namespace

CpuSample sample_process_cpu(pid_t pid) {
  CpuSample s;
  std::string dir = "/proc/" + std::to_string(pid);
  if (!parse_stat(read_small_file(dir + "/stat"), &s.utime_ticks, &s.stime_ticks)) return s;
  s.ok = true;
  DIR* tasks = opendir((dir + "/task").c_str());
  if (tasks == nullptr) return s;
  bool all = true;
  while (dirent* e = readdir(tasks)) {
    if (e->d_name[0] == '.') continue;
    std::string text = read_small_file(dir + "/task/" + e->d_name + "/schedstat");
    if (text.empty()) {
      all = false;  // a thread that just exited, or no schedstat at all
      continue;
    }
    s.run_ns += std::strtoull(text.c_str(), nullptr, 10);
  }
  closedir(tasks);
  s.have_schedstat = all && s.run_ns > 0;
  return s;
}

CpuUsage cpu_between(const CpuSample& start, const CpuSample& end) {
  CpuUsage u;
  if (!start.ok || !end.ok) return u;
  u.ok = true;
  static const double ticks_per_s = static_cast<double>(sysconf(_SC_CLK_TCK));
  double user_ticks = static_cast<double>(end.utime_ticks - start.utime_ticks);
  double sys_ticks = static_cast<double>(end.stime_ticks - start.stime_ticks);
  double tick_total = user_ticks + sys_ticks;
  u.exact_total = start.have_schedstat && end.have_schedstat && end.run_ns >= start.run_ns;
  u.total_s = u.exact_total ? static_cast<double>(end.run_ns - start.run_ns) * 1e-9
                            : tick_total / ticks_per_s;
  if (tick_total > 0) {
    u.user_s = u.total_s * user_ticks / tick_total;
    u.system_s = u.total_s * sys_ticks / tick_total;
  } else {
    u.user_s = u.system_s = std::nan("");
  }
  return u;
}

}  // namespace eddy::echo
