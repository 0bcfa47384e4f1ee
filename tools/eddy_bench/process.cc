// process.cc -- fork, pin, exec; stdout lines with a timeout; stopping.
#include "process.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace eddy::bench_tool {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// An unlinked temporary file: the child's stderr.
int temp_file() {
  char path[] = "/tmp/eddy-bench-stderr-XXXXXX";
  int fd = mkostemp(path, O_CLOEXEC);
  if (fd >= 0) unlink(path);
  return fd;
}

// The child's environment: this process's, with spec.env_unset removed and
// spec.env_set put over it. Built before fork, so the child only execs.
std::vector<std::string> child_environment(const ChildSpec& spec) {
  auto name_of = [](const std::string& entry) { return entry.substr(0, entry.find('=')); };
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    std::string name = name_of(entry);
    bool dropped = false;
    for (const std::string& u : spec.env_unset) dropped = dropped || u == name;
    for (const std::string& s : spec.env_set) dropped = dropped || name_of(s) == name;
    if (!dropped) env.push_back(entry);
  }
  env.insert(env.end(), spec.env_set.begin(), spec.env_set.end());
  return env;
}

}  // namespace

Child::~Child() {
  if (pid_ > 0 && !reaped_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
  }
  if (stdout_fd_ >= 0) close(stdout_fd_);
  if (stderr_fd_ >= 0) close(stderr_fd_);
}

bool Child::start(const ChildSpec& spec, std::string* error) {
  if (spec.argv.empty()) {
    *error = "no program given";
    return false;
  }
  std::vector<char*> argv;
  for (const std::string& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_strings = child_environment(spec);
  std::vector<char*> envp;
  for (const std::string& e : env_strings) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  if (spec.cpu >= 0) CPU_SET(spec.cpu, &cpus);

  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    *error = std::string("pipe: ") + std::strerror(errno);
    return false;
  }
  int err = temp_file();
  int null_in = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (err < 0 || null_in < 0) {
    *error = std::string("temporary file: ") + std::strerror(errno);
    close(out[0]);
    close(out[1]);
    if (err >= 0) close(err);
    if (null_in >= 0) close(null_in);
    return false;
  }
  pid_t pid = fork();
  if (pid < 0) {
    *error = std::string("fork: ") + std::strerror(errno);
    close(out[0]);
    close(out[1]);
    close(err);
    close(null_in);
    return false;
  }
  if (pid == 0) {
    // The child: async-signal-safe calls only.
    if (spec.cpu >= 0) sched_setaffinity(0, sizeof cpus, &cpus);
    dup2(null_in, STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    execve(argv[0], argv.data(), envp.data());
    static const char kMsg[] = "exec failed: ";
    (void)!write(STDERR_FILENO, kMsg, sizeof kMsg - 1);
    (void)!write(STDERR_FILENO, argv[0], strlen(argv[0]));
    (void)!write(STDERR_FILENO, "\n", 1);
    _exit(127);
  }
  close(out[1]);
  close(null_in);
  pid_ = pid;
  stdout_fd_ = out[0];
  stderr_fd_ = err;
  reaped_ = false;
  buffered_.clear();
  return true;
}

bool Child::read_line(double timeout_s, std::string* line, bool* timed_out) {
  *timed_out = false;
  const auto start = Clock::now();
  for (;;) {
    size_t nl = buffered_.find('\n');
    if (nl != std::string::npos) {
      *line = buffered_.substr(0, nl);
      buffered_.erase(0, nl + 1);
      return true;
    }
    double left = timeout_s - seconds_since(start);
    if (left <= 0) {
      *timed_out = true;
      return false;
    }
    pollfd p{stdout_fd_, POLLIN, 0};
    int n = poll(&p, 1, static_cast<int>(left * 1000) + 1);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) continue;  // the loop checks the time
    char buf[4096];
    ssize_t got = read(stdout_fd_, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      if (buffered_.empty()) return false;
      *line = std::move(buffered_);  // a last line without its newline
      buffered_.clear();
      return true;
    }
    buffered_.append(buf, static_cast<size_t>(got));
  }
}

bool Child::exited() {
  if (pid_ <= 0 || reaped_) return true;
  pid_t r = waitpid(pid_, &status_, WNOHANG);
  if (r == pid_) reaped_ = true;
  return reaped_;
}

bool Child::wait(double timeout_s) {
  const auto start = Clock::now();
  while (!exited()) {
    if (seconds_since(start) >= timeout_s) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

void Child::terminate(double grace_s) {
  if (exited()) return;
  kill(pid_, SIGTERM);
  if (wait(grace_s)) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, &status_, 0);
  reaped_ = true;
}

std::string Child::exit_text() const {
  if (!reaped_) return "running";
  if (WIFEXITED(status_)) return "exit status " + std::to_string(WEXITSTATUS(status_));
  if (WIFSIGNALED(status_)) {
    int sig = WTERMSIG(status_);
    return "killed by signal " + std::to_string(sig) + " (" + strsignal(sig) + ")";
  }
  return "status " + std::to_string(status_);
}

int Child::exit_status() const { return reaped_ && WIFEXITED(status_) ? WEXITSTATUS(status_) : -1; }

std::string Child::stderr_text(size_t max_bytes) const {
  if (stderr_fd_ < 0) return "";
  struct stat st;
  if (fstat(stderr_fd_, &st) != 0 || st.st_size == 0) return "";
  size_t size = static_cast<size_t>(st.st_size);
  size_t from = size > max_bytes ? size - max_bytes : 0;
  std::string text(size - from, '\0');
  ssize_t n = pread(stderr_fd_, text.data(), text.size(), static_cast<off_t>(from));
  text.resize(n > 0 ? static_cast<size_t>(n) : 0);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

std::string executable_dir() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  std::string path(buf, static_cast<size_t>(n));
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

bool is_executable(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

}  // namespace eddy::bench_tool
