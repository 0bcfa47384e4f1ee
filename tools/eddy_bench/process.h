// process.h -- the child processes of the TCP echo workloads: a server and
// a load generator per run, each pinned to its own CPU.
//
// A Child is started with fork + exec. Between the two, the child pins
// itself with sched_setaffinity (so the program starts, and allocates its
// memory, on the CPU it will run on), puts stdout on a pipe the parent
// reads line by line with a timeout, and stderr in an unlinked temporary
// file the parent reads afterwards for error messages (a pipe nobody
// drains could block a chatty child). stdin is /dev/null.
//
// Thread-safety: one thread. fork() happens with everything prepared
// beforehand; the child calls only async-signal-safe functions before exec.
#ifndef EDDY_TOOLS_EDDY_BENCH_PROCESS_H_
#define EDDY_TOOLS_EDDY_BENCH_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace eddy::bench_tool {

struct ChildSpec {
  std::vector<std::string> argv;  // argv[0] is the program's path
  int cpu = -1;                   // pin to this CPU; -1: inherit
  // "NAME=VALUE" entries set in the child's environment on top of this
  // process's (an entry replaces an inherited variable of its name), and
  // names removed from it.
  std::vector<std::string> env_set;
  std::vector<std::string> env_unset;
};

class Child {
 public:
  Child() = default;
  ~Child();  // kills (SIGKILL) and reaps a child still running
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // Starts the program. False, with the reason, if it cannot be started
  // (an exec failure shows up as exit status 127 and a message on stderr).
  bool start(const ChildSpec& spec, std::string* error);
  pid_t pid() const { return pid_; }

  // The next line of stdout, without its newline. False on end of file or
  // when `timeout_s` passes first (*timed_out tells which).
  bool read_line(double timeout_s, std::string* line, bool* timed_out);

  // Whether the child has exited (reaping it if so); exit_text() then says how.
  bool exited();
  // Waits up to timeout_s for the child to exit. False if it is still running.
  bool wait(double timeout_s);
  // SIGTERM, up to `grace_s` to exit, then SIGKILL; reaps it.
  void terminate(double grace_s);

  // "exit status 1", "killed by signal 9 (Killed)", or "running".
  std::string exit_text() const;
  // The exit status, or -1 if it has not exited normally.
  int exit_status() const;
  // What the child wrote on stderr (the last `max_bytes` of it).
  std::string stderr_text(size_t max_bytes = 4000) const;

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  int status_ = 0;
  bool reaped_ = false;
  std::string buffered_;  // stdout read but not yet returned
};

// The directory of the running executable (from /proc/self/exe), or "".
std::string executable_dir();

// Whether `path` names an executable regular file.
bool is_executable(const std::string& path);

}  // namespace eddy::bench_tool

#endif  // EDDY_TOOLS_EDDY_BENCH_PROCESS_H_
