// create_subprocess_exec / _shell and Process (see eddy/subprocess.h).
//
// Spawning is posix_spawn (glibc's uses CLONE_VFORK, so it is cheap even for
// a large parent, and it reports exec failures as its return value). The
// file actions dup the chosen descriptors onto 0-2 (a source that is itself
// one of 0-2 moves to a temporary above 2 first, so crossed descriptors
// cannot clobber one another), change directory, and close every descriptor
// from 3 up, so nothing the parent opened without O_CLOEXEC reaches the
// child. With the parent's environment the program is looked up by
// posix_spawnp; with an environment of the caller's, on that environment's
// PATH (as Python's subprocess), by trying posix_spawn on each candidate.
//
// Reaping: a Child record is shared by everything that may reap the child
// (the pidfd callback, the watcher thread, the background reaper of a
// Process dropped while its child ran). Reaping happens under its mutex and
// only once; kill() takes the same mutex and does nothing once reaped, so a
// signal can never reach a recycled pid.
#include "eddy/subprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>

#include "absl/strings/str_format.h"
#include "eddy/exceptions.h"
#include "eddy/executor.h"  // LoopGuard
#include "eddy/gather.h"
#include "eddy/log.h"
#include "eddy/streams.h"
#include "eddy/task.h"
#include "net/pipe_transport.h"
#include "stream_internal.h"

extern char** environ;

namespace eddy {
namespace detail {
namespace {

std::atomic<bool> g_force_threaded{false};

// One child process, as far as reaping goes.
struct Child {
  explicit Child(pid_t p) : pid(p) {}
  const pid_t pid;
  std::mutex mu;
  bool reaped = false;  // guarded by mu
  int returncode = 0;   // guarded by mu; valid once reaped
};

int returncode_of(int status) {
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 255;
}

// Reaps the child if it has exited (or, with `block`, once it does). True
// if it is reaped now, by this call or an earlier one.
bool try_reap(Child& c, bool block) {
  std::lock_guard<std::mutex> lock(c.mu);
  if (c.reaped) return true;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(c.pid, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == 0) return false;
  c.reaped = true;
  if (r < 0) {
    // Someone else reaped it (SIGCHLD set to SIG_IGN, or a stray
    // waitpid(-1)): the status is lost. Python reports 255 in this case.
    log(EDDY_LOG_WARNING,
        absl::StrFormat("child process pid %d exit status already read: will report returncode 255",
                        c.pid));
    c.returncode = 255;
  } else {
    c.returncode = returncode_of(status);
  }
  return true;
}

// Blocks (on its own thread) until the child has exited, without reaping.
void wait_exited(pid_t pid) {
  siginfo_t info;
  while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
  }
}

// Reaps a child nobody waits for any more, off the loop thread.
void reap_in_background(std::shared_ptr<Child> c) {
  if (try_reap(*c, false)) return;
  std::thread([c] {
    wait_exited(c->pid);
    try_reap(*c, false);
  }).detach();
}

// Reaps an exited child when destroyed (whatever thread that happens on).
struct ReapOnDestroy {
  std::shared_ptr<Child> child;
  ReapOnDestroy(std::shared_ptr<Child> c) : child(std::move(c)) {}  // NOLINT: implicit
  ReapOnDestroy(ReapOnDestroy&&) = default;
  ReapOnDestroy(const ReapOnDestroy&) = default;
  ~ReapOnDestroy() {
    if (child) try_reap(*child, false);
  }
};

int pidfd_open(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  errno = ENOSYS;
  return -1;
#endif
}

// A descriptor made for the child is moved above 0-2, so dup2 onto 0-2 in
// the child never clobbers another of the new descriptors.
int above_stdio(int fd) {
  if (fd > 2) return fd;
  int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  int err = errno;
  ::close(fd);
  if (moved < 0) raise_os_error(err);
  return moved;
}

// Descriptors owned during a spawn, closed on every path out.
struct FdSet {
  std::vector<int> fds;
  ~FdSet() {
    for (int fd : fds) ::close(fd);
  }
  int keep(int fd) {
    fds.push_back(fd);
    return fd;
  }
  int release(int fd) {
    std::erase(fds, fd);
    return fd;
  }
};

// The names to try for `program` when the child gets its own environment:
// as Python's subprocess (os.get_exec_path(env)), the PATH of that
// environment, else os.defpath; a name with a '/' is used as it is.
std::vector<std::string> exec_candidates(const std::string& program,
                                         const std::map<std::string, std::string>& env) {
  if (program.empty() || program.find('/') != std::string::npos) return {program};
  auto it = env.find("PATH");
  std::string_view path = it != env.end() ? std::string_view(it->second) : "/bin:/usr/bin";
  std::vector<std::string> out;
  while (true) {
    size_t colon = path.find(':');
    std::string_view dir = path.substr(0, colon);
    // An empty entry is the (child's) current directory.
    out.push_back(dir.empty() ? program : std::string(dir) + "/" + program);
    if (colon == std::string_view::npos) break;
    path.remove_prefix(colon + 1);
  }
  return out;
}

// Whether `candidate` can be skipped without a spawn: it does not exist (as
// the child will see it, from its working directory).
bool surely_missing(const std::string& candidate, const std::string& cwd) {
  std::string path = candidate;
  if (path.empty() || (path[0] != '/' && !cwd.empty())) path = cwd + "/" + candidate;
  struct stat st;
  return ::stat(path.c_str(), &st) < 0 && (errno == ENOENT || errno == ENOTDIR);
}

// The parent ends of the pipes of a spawned child.
struct Spawned {
  pid_t pid = -1;
  int in = -1, out = -1, err = -1;
};

Spawned spawn(const std::vector<std::string>& argv, const SubprocessOptions& o) {
  if (argv.empty()) throw ValueError("create_subprocess_exec: empty argument list");
  if (o.std_in.kind() == Stdio::Kind::kStdout || o.std_out.kind() == Stdio::Kind::kStdout) {
    throw ValueError("STDOUT is only valid for stderr");
  }
  FdSet owned;        // everything we opened
  Spawned parent;     // parent ends, moved out of `owned` on success
  int child_fd[3] = {-1, -1, -1};
  const Stdio* specs[3] = {&o.std_in, &o.std_out, &o.std_err};
  int devnull = -1;
  for (int i = 0; i < 3; ++i) {
    switch (specs[i]->kind()) {
      case Stdio::Kind::kInherit:
      case Stdio::Kind::kStdout:
        break;
      case Stdio::Kind::kFd:
        if (specs[i]->fd() < 0) throw ValueError(absl::StrFormat("bad file descriptor %d", specs[i]->fd()));
        child_fd[i] = specs[i]->fd();
        break;
      case Stdio::Kind::kDevNull:
        if (devnull < 0) {
          int fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
          if (fd < 0) raise_os_error(errno, "/dev/null");
          devnull = owned.keep(above_stdio(fd));
        }
        child_fd[i] = devnull;
        break;
      case Stdio::Kind::kPipe: {
        int p[2];
        if (::pipe2(p, O_CLOEXEC) < 0) raise_os_error(errno);
        owned.keep(p[0]);
        owned.keep(p[1]);
        for (int& e : p) {
          int moved = above_stdio(owned.release(e));
          e = owned.keep(moved);
        }
        int mine = i == 0 ? p[1] : p[0];
        int theirs = i == 0 ? p[0] : p[1];
        ::fcntl(mine, F_SETFL, ::fcntl(mine, F_GETFL) | O_NONBLOCK);
        child_fd[i] = theirs;
        (i == 0 ? parent.in : i == 1 ? parent.out : parent.err) = mine;
        break;
      }
    }
  }

  // Crossed descriptors: the child's stdout may have to be the parent's fd 2
  // while its stderr is fd 1, or its stdin a pipe while its stdout is the
  // parent's fd 0. Dup'ed in order onto 0-2, such a source would be
  // overwritten before its turn, so every source in 0-2 that is not already
  // in place moves to a temporary above 2 first (close-on-exec: the child
  // only gets the dup2 copy). Pipes and /dev/null are above 2 already.
  for (int i = 0; i < 3; ++i) {
    if (child_fd[i] < 0 || child_fd[i] > 2 || child_fd[i] == i) continue;
    int moved = ::fcntl(child_fd[i], F_DUPFD_CLOEXEC, 3);
    if (moved < 0) raise_os_error(errno);
    child_fd[i] = owned.keep(moved);
  }

  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  for (int i = 0; i < 3; ++i) {
    // (dup2 onto itself clears close-on-exec, so fd i is inherited.)
    if (child_fd[i] >= 0) posix_spawn_file_actions_adddup2(&fa, child_fd[i], i);
  }
  if (o.std_err.kind() == Stdio::Kind::kStdout) posix_spawn_file_actions_adddup2(&fa, 1, 2);
  if (!o.cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, o.cwd.c_str());
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
  // The child starts with no signal blocked and SIGPIPE at its default, as
  // Python's subprocess does (restore_signals): a parent that ignores SIGPIPE
  // must not hand that on to `yes | head`-style children.
  sigset_t empty, defaults;
  sigemptyset(&empty);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGXFSZ);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> cargv;
  for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  std::vector<std::string> env_strings;
  std::vector<char*> cenv;
  char** envp = environ;
  if (o.env) {
    for (const auto& [k, v] : *o.env) env_strings.push_back(k + "=" + v);
    for (std::string& s : env_strings) cenv.push_back(s.data());
    cenv.push_back(nullptr);
    envp = cenv.data();
  }
  pid_t pid = -1;
  int rc;
  if (!o.env) {
    // The parent's PATH: glibc's search is Python's.
    rc = ::posix_spawnp(&pid, argv[0].c_str(), &fa, &attr, cargv.data(), envp);
  } else {
    // The child's own PATH, which posix_spawnp would not look at. As
    // Python's child does, try each name in turn and report the first
    // error that is not "no such file", else ENOENT.
    rc = ENOENT;
    int first_error = 0;
    for (const std::string& candidate : exec_candidates(argv[0], *o.env)) {
      if (surely_missing(candidate, o.cwd)) continue;
      rc = ::posix_spawn(&pid, candidate.c_str(), &fa, &attr, cargv.data(), envp);
      if (rc == 0) break;
      if (rc != ENOENT && rc != ENOTDIR && first_error == 0) first_error = rc;
    }
    if (rc != 0 && first_error != 0) rc = first_error;
  }
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    // Python names the cwd when it is the directory that is missing.
    bool cwd_missing = rc == ENOENT && !o.cwd.empty() && ::access(o.cwd.c_str(), X_OK) != 0;
    raise_os_error(rc, cwd_missing ? o.cwd : argv[0]);
  }
  parent.pid = pid;
  for (int fd : {parent.in, parent.out, parent.err}) {
    if (fd >= 0) owned.release(fd);
  }
  return parent;  // `owned` now closes the child's ends and /dev/null
}

}  // namespace

void force_threaded_child_watcher(bool on) { g_force_threaded.store(on); }

// The protocol of a child's stdout or stderr pipe: the reading half of
// asyncio's SubprocessStreamProtocol. It feeds the StreamReader, lets the
// reader pause and resume the transport (ReadFlowControl), and ends the
// stream when the pipe is lost: EOF for a clean close, else the exception.
// It only observes the transport (weak), so nothing forms a cycle.
class SubprocessReadProtocol final : public Protocol, public ReadFlowControl {
 public:
  explicit SubprocessReadProtocol(StreamReader reader) : reader_(std::move(reader)) {}
  ~SubprocessReadProtocol() override {
    if (registered_) reader_.set_transport(nullptr);
  }

  void connection_made(Transport& transport) override {
    transport_ = transport.shared();
    reader_.set_transport(this);
    registered_ = true;
  }
  void data_received(std::string_view data) override { reader_.feed_data(data); }
  void connection_lost(std::exception_ptr exc) override {
    if (exc) {
      reader_.set_exception(exc);
    } else {
      reader_.feed_eof();
    }
    if (registered_) {
      reader_.set_transport(nullptr);
      registered_ = false;
    }
    transport_.reset();
  }
  void pause_reading() override {
    if (auto t = transport_.lock()) t->pause_reading();
  }
  void resume_reading() override {
    if (auto t = transport_.lock()) t->resume_reading();
  }

 private:
  StreamReader reader_;
  std::weak_ptr<Transport> transport_;
  bool registered_ = false;
};

// The shared state behind a Process.
class ProcessState : public std::enable_shared_from_this<ProcessState> {
 public:
  ProcessState(EventLoop& loop, pid_t pid)
      : loop_(&loop), guard_(loop.loop_guard()), child_(std::make_shared<Child>(pid)) {}

  ~ProcessState() {
    // Closes the pipes (asyncio's subprocess transport close()): stdin
    // once its buffer is flushed, the readers at once (their readers see
    // EOF). Once the loop is closed the transports have let go already.
    if (guard_->loop && !loop_->is_closed()) {
      for (const std::shared_ptr<Transport>& t : {stdin_.transport(), stdout_transport_,
                                                  stderr_transport_}) {
        if (t) t->close();
      }
    }
    if (pidfd_ >= 0) {
      if (watching_ && guard_->loop && !loop_->is_closed()) loop_->remove_reader(pidfd_);
      ::close(pidfd_);
    }
    if (returncode_ || try_reap(*child_, false)) return;
    {
      std::lock_guard<std::mutex> lock(child_->mu);
      if (child_->reaped) return;
      // asyncio's transport kills a child it is closed on (with a
      // ResourceWarning for the unclosed transport); do the same.
      ::kill(child_->pid, SIGKILL);
    }
    log(EDDY_LOG_WARNING,
        absl::StrFormat("Process pid %d was dropped while running: killed it", child_->pid));
    // The threaded watcher, if any, reaps it when it wakes up.
    if (!threaded_) reap_in_background(child_);
  }

  // Starts watching for the exit.
  void watch() {
    if (!g_force_threaded.load()) {
      pidfd_ = pidfd_open(child_->pid);
      if (pidfd_ < 0 && errno != ENOSYS) raise_os_error(errno, "pidfd_open");
    }
    if (pidfd_ >= 0) {
      loop_->add_reader(pidfd_, [this] { on_pidfd_readable(); });
      watching_ = true;
      return;
    }
    // asyncio's ThreadedChildWatcher: a thread waits for the exit without
    // reaping, then the loop reaps. Should the loop be gone by then, the
    // thread reaps, so no zombie is left either way.
    threaded_ = true;
    std::weak_ptr<ProcessState> weak = weak_from_this();
    std::shared_ptr<Child> child = child_;
    std::shared_ptr<LoopGuard> guard = guard_;
    std::thread([weak, child, guard] {
      wait_exited(child->pid);
      {
        std::lock_guard<std::mutex> lock(guard->mu);
        if (guard->loop) {
          try {
            // The callback may be dropped unrun (the loop closes first);
            // its capture then reaps as it is destroyed.
            guard->loop->call_soon_threadsafe([weak, reaper = ReapOnDestroy{child}] {
              if (std::shared_ptr<ProcessState> s = weak.lock()) s->on_exit();
            });
            return;
          } catch (const RuntimeError&) {
            // The loop is closed: reap here.
          }
        }
      }
      try_reap(*child, false);
    }).detach();
  }

  void on_pidfd_readable() {
    if (!try_reap(*child_, false)) return;  // spurious wake-up
    loop_->remove_reader(pidfd_);
    watching_ = false;
    ::close(pidfd_);
    pidfd_ = -1;
    on_exit();
  }

  void on_exit() {
    if (returncode_) return;
    if (!try_reap(*child_, false)) return;
    {
      std::lock_guard<std::mutex> lock(child_->mu);
      returncode_ = child_->returncode;
    }
    std::vector<Future<int>> ws = std::move(waiters_);
    waiters_.clear();
    for (Future<int>& w : ws) {
      if (!w.done()) w.set_result(*returncode_);
    }
  }

  void send_signal(int sig) {
    if (returncode_) return;
    std::lock_guard<std::mutex> lock(child_->mu);
    if (child_->reaped) return;
    if (::kill(child_->pid, sig) < 0 && errno != ESRCH) raise_os_error(errno);
  }

  EventLoop* loop_;
  std::shared_ptr<LoopGuard> guard_;
  std::shared_ptr<Child> child_;
  int pidfd_ = -1;
  bool watching_ = false;
  bool threaded_ = false;
  std::optional<int> returncode_;
  std::vector<Future<int>> waiters_;
  StreamWriter stdin_;  // empty unless a pipe
  std::optional<StreamReader> stdout_, stderr_;
  std::shared_ptr<Transport> stdout_transport_, stderr_transport_;
};

namespace {

Coro<int> process_wait(std::shared_ptr<ProcessState> s) {
  if (s->returncode_) co_return *s->returncode_;
  if (!s->guard_->loop) throw RuntimeError("the Process's event loop no longer exists");
  Future<int> f(*s->loop_);
  s->waiters_.push_back(f);
  int rc = co_await f;
  co_return rc;
}

// asyncio's Process._feed_stdin.
Coro<> feed_stdin(StreamWriter w, std::string input) {
  if (!w) co_return;
  try {
    w.write(input);
    detail::StreamDrain drained = w.drain();
    co_await drained;
  } catch (const BrokenPipeError&) {
    // The child does not read its input: not an error for communicate().
  } catch (const ConnectionResetError&) {
  }
  w.close();
}

// asyncio's Process._read_stream: reads to EOF, then closes the pipe.
Coro<std::string> read_all(std::optional<StreamReader> r, std::shared_ptr<Transport> t) {
  if (!r) co_return std::string();
  std::string all = co_await r->read();
  if (t) t->close();
  co_return all;
}

Coro<std::pair<std::string, std::string>> process_communicate(std::shared_ptr<ProcessState> s,
                                                              std::string input) {
  auto both = gather(feed_stdin(s->stdin_, std::move(input)),
                     read_all(s->stdout_, s->stdout_transport_),
                     read_all(s->stderr_, s->stderr_transport_));
  auto results = co_await both;
  co_await process_wait(s);
  co_return std::make_pair(std::move(std::get<1>(results)), std::move(std::get<2>(results)));
}

Coro<Process> start(std::vector<std::string> argv, SubprocessOptions options) {
  EventLoop& loop = get_running_loop();
  if (options.limit <= 0) throw ValueError("Limit cannot be <= 0");
  Spawned sp = spawn(argv, options);
  auto s = std::make_shared<ProcessState>(loop, sp.pid);
  // From here the state owns the child: should anything below throw, its
  // destructor kills and reaps it.
  // The pipes, as asyncio's connect_write_pipe / connect_read_pipe:
  // connection_made (which registers a reader for flow control) has run
  // when the Process is returned.
  const int fds[3] = {sp.in, sp.out, sp.err};
  Future<> connected[3];
  for (int i = 0; i < 3; ++i) {
    if (fds[i] < 0) continue;
    std::optional<StreamReader> reader;
    std::shared_ptr<Protocol> protocol;
    std::shared_ptr<PipeTransport> t;
    try {
      if (i == 0) {
        // stdin: a StreamWriter without a reader, as asyncio's.
        protocol = make_stream_protocol(std::nullopt);
        t = std::make_shared<WritePipeTransport>(loop, fds[i], protocol, /*is_socket=*/false);
      } else {
        reader.emplace(options.limit);
        protocol = std::make_shared<SubprocessReadProtocol>(*reader);
        t = std::make_shared<ReadPipeTransport>(loop, fds[i], protocol);
      }
    } catch (...) {
      // This descriptor and the ones not yet handed to a transport.
      for (int j = i; j < 3; ++j) {
        if (fds[j] >= 0) ::close(fds[j]);
      }
      throw;
    }
    connected[i] = Future<>(loop);
    t->start(connected[i]);
    if (i == 0) {
      s->stdin_ = make_stream_writer(std::move(t), std::move(protocol));
    } else {
      (i == 1 ? s->stdout_ : s->stderr_) = std::move(reader);
      (i == 1 ? s->stdout_transport_ : s->stderr_transport_) = std::move(t);
    }
  }
  s->watch();
  for (Future<>& f : connected) {
    if (f.state() != nullptr) co_await f;
  }
  co_return Process(std::move(s));
}

}  // namespace
}  // namespace detail

int Process::pid() const { return s_->child_->pid; }
std::optional<int> Process::returncode() const { return s_->returncode_; }
StreamWriter Process::std_in() const {
  if (!s_->stdin_) throw RuntimeError("Process::std_in(): the child's stdin is not a PIPE");
  return s_->stdin_;
}
StreamReader Process::std_out() const {
  if (!s_->stdout_) throw RuntimeError("Process::std_out(): the child's stdout is not a PIPE");
  return *s_->stdout_;
}
StreamReader Process::std_err() const {
  if (!s_->stderr_) throw RuntimeError("Process::std_err(): the child's stderr is not a PIPE");
  return *s_->stderr_;
}
bool Process::has_std_in() const { return static_cast<bool>(s_->stdin_); }
bool Process::has_std_out() const { return s_->stdout_.has_value(); }
bool Process::has_std_err() const { return s_->stderr_.has_value(); }
Coro<int> Process::wait() { return detail::process_wait(s_); }
Coro<std::pair<std::string, std::string>> Process::communicate(std::string input) {
  return detail::process_communicate(s_, std::move(input));
}
Coro<std::pair<std::string, std::string>> Process::communicate() {
  return detail::process_communicate(s_, std::string());
}
void Process::send_signal(int sig) { s_->send_signal(sig); }
void Process::terminate() { s_->send_signal(SIGTERM); }
void Process::kill() { s_->send_signal(SIGKILL); }

Coro<Process> create_subprocess_exec(std::vector<std::string> argv, SubprocessOptions options) {
  return detail::start(std::move(argv), std::move(options));
}

Coro<Process> create_subprocess_exec(std::string program, std::vector<std::string> args,
                                     SubprocessOptions options) {
  args.insert(args.begin(), std::move(program));
  return detail::start(std::move(args), std::move(options));
}

Coro<Process> create_subprocess_exec(std::vector<std::string> argv) {
  return detail::start(std::move(argv), SubprocessOptions());
}

Coro<Process> create_subprocess_exec(std::string program, std::vector<std::string> args) {
  return create_subprocess_exec(std::move(program), std::move(args), SubprocessOptions());
}

Coro<Process> create_subprocess_shell(std::string cmd) {
  return create_subprocess_shell(std::move(cmd), SubprocessOptions());
}

Coro<Process> create_subprocess_shell(std::string cmd, SubprocessOptions options) {
  std::vector<std::string> argv = {"/bin/sh", "-c", std::move(cmd)};
  return detail::start(std::move(argv), std::move(options));
}

}  // namespace eddy
