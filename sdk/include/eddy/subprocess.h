// eddy/subprocess.h -- asyncio.subprocess: child processes on the loop.
//
//   eddy::SubprocessOptions o;
//   o.std_out = eddy::PIPE;
//   // (A local, not a braced list inside co_await: g++ 12 miscompiles that.)
//   std::vector<std::string> argv = {"ls", "-l"};
//   eddy::Process p = co_await eddy::create_subprocess_exec(argv, o);
//   auto [out, err] = co_await p.communicate();
//   int rc = *p.returncode();
//
//   // Line by line:
//   eddy::StreamReader lines = p.std_out();
//   while (true) {
//     std::string line = co_await lines.readline();
//     if (line.empty()) break;  // EOF
//   }
//
// create_subprocess_exec runs a program with its argument vector; the program
// is searched on PATH -- the parent's, or, when `env` gives the child its own
// environment, that environment's PATH (/bin:/usr/bin if it has none), as
// Python's subprocess does. create_subprocess_shell runs a command line with
// /bin/sh -c. Each of the child's standard streams is inherited (the
// default), a pipe to the parent (PIPE), /dev/null (DEVNULL), the child's
// stdout (STDOUT, for stderr only) or a file descriptor of the caller's; any
// combination works, crossed ones included (stdout = 2 with stderr = 1, or
// stdout = 0 with a stdin pipe). Every other descriptor is closed in the
// child, and the parent's ends of the pipes are close-on-exec, so no
// descriptor leaks either way. A program that cannot be started raises the
// OSError subclass Python raises (FileNotFoundError for a missing program,
// PermissionError for one that is not executable).
//
// The child's exit is watched without a SIGCHLD handler: a pidfd
// (pidfd_open(2)) watched with add_reader, or, where the kernel has none, one
// thread per child that waits for the exit and posts it to the loop (asyncio's
// ThreadedChildWatcher). Either way the child is reaped exactly once, by eddy.
// returncode() is empty until then; a child killed by a signal has the
// negative signal number, as in Python.
//
// The pipes, as in asyncio: std_out() and std_err() are StreamReaders
// (eddy/streams.h) fed by read pipe transports (eddy/pipes.h), with the
// reader's flow control -- the pipe is not read while more than twice
// `limit` bytes wait to be consumed. std_in() is a StreamWriter
// (eddy/stream_writer.h) over a write pipe transport, with asyncio's
// reader-less semantics: write() sends what the pipe takes and buffers the
// rest; drain() waits while the buffer is above the high-water mark (64
// KiB); write_eof() and close() close the pipe once the buffer is flushed
// (the child sees EOF); get_extra_info("pipe") is the descriptor. A write
// to a child that closed its stdin never raises SIGPIPE: the pipe's
// transport closes, a drain() waiting then raises BrokenPipeError, a later
// one ConnectionResetError ("Connection lost"), and wait_closed() raises
// the BrokenPipeError if data was lost. A stream that is not PIPE is
// Python's None: std_in() / std_out() / std_err() raise RuntimeError for
// it, and has_std_in() & co. tell which are pipes.
//
// communicate(input) writes the input and closes stdin (a child that stops
// reading early is not an error), reads stdout and stderr to EOF at the same
// time, then waits for the exit. wait() only waits for the exit: a child
// blocked on a full pipe that nobody reads never exits (read it, or use
// communicate()), as in Python.
//
// A Process whose last handle goes away while its child still runs kills the
// child (SIGKILL) and reaps it in the background, with a warning, as asyncio
// does for an unclosed subprocess transport; its pipes are closed (a
// StreamReader kept from it sees EOF).
//
// Thread-safety: a Process and its pipes belong to the loop thread that made
// them; only the child watcher thread of the fallback runs elsewhere, and it
// talks to the loop through call_soon_threadsafe.
#ifndef EDDY_SUBPROCESS_H_
#define EDDY_SUBPROCESS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "eddy/coro.h"
#include "eddy/event_loop.h"
#include "eddy/stream_writer.h"
#include "eddy/streams.h"

namespace eddy {

// Where one standard stream of a child goes. An int converts to "this file
// descriptor of the parent" (dup'ed into the child, left open in the parent).
class Stdio {
 public:
  enum class Kind { kInherit, kPipe, kDevNull, kStdout, kFd };
  constexpr Stdio(Kind kind = Kind::kInherit) : kind_(kind) {}  // NOLINT: implicit
  constexpr Stdio(int fd) : kind_(Kind::kFd), fd_(fd) {}        // NOLINT: implicit
  constexpr Kind kind() const { return kind_; }
  constexpr int fd() const { return fd_; }

 private:
  Kind kind_;
  int fd_ = -1;
};

inline constexpr Stdio PIPE{Stdio::Kind::kPipe};
inline constexpr Stdio DEVNULL{Stdio::Kind::kDevNull};
inline constexpr Stdio STDOUT{Stdio::Kind::kStdout};  // std_err only
inline constexpr Stdio INHERIT{Stdio::Kind::kInherit};

struct SubprocessOptions {
  // `stdin` & co. are C macros, hence the spelling.
  Stdio std_in = INHERIT;
  Stdio std_out = INHERIT;
  Stdio std_err = INHERIT;
  // The child's working directory; empty: the parent's.
  std::string cwd;
  // The child's whole environment; unset: the parent's. The program is
  // looked up on its PATH (or /bin:/usr/bin without one), as Python does.
  std::optional<std::map<std::string, std::string>> env;
  // The limit of the std_out / std_err StreamReaders (asyncio's `limit`).
  int64_t limit = StreamReader::kDefaultLimit;
};
using ProcessOptions = SubprocessOptions;

namespace detail {
class ProcessState;
}  // namespace detail

// asyncio.subprocess.Process: a copyable handle to one child.
class Process {
 public:
  Process() = default;
  explicit Process(std::shared_ptr<detail::ProcessState> s) : s_(std::move(s)) {}
  explicit operator bool() const { return s_ != nullptr; }

  int pid() const;
  // Empty while the child runs; its exit status, or -signal if killed.
  std::optional<int> returncode() const;
  // The pipes (see the file comment). Each raises RuntimeError for a
  // stream that is not PIPE (Python's None); has_std_in() & co. tell which
  // are.
  StreamWriter std_in() const;
  StreamReader std_out() const;
  StreamReader std_err() const;
  bool has_std_in() const;
  bool has_std_out() const;
  bool has_std_err() const;

  // Waits for the child to exit; its returncode.
  Coro<int> wait();
  // Writes `input` to stdin (if a pipe) and closes it, reads stdout and
  // stderr (if pipes) to EOF, then waits for the exit. A child that stops
  // reading its stdin early is not an error.
  Coro<std::pair<std::string, std::string>> communicate(std::string input);
  Coro<std::pair<std::string, std::string>> communicate();
  // No-ops once the child has been reaped, as in Python.
  void send_signal(int sig);
  void terminate();  // SIGTERM
  void kill();       // SIGKILL

 private:
  std::shared_ptr<detail::ProcessState> s_;
};

// Starts argv[0] (searched on PATH) with arguments argv on the running loop.
//
// The overloads without options stand in for default arguments: g++ 12
// miscompiles a class-type default argument made inside a co_await
// expression (it is destroyed twice), and these are always awaited.
Coro<Process> create_subprocess_exec(std::vector<std::string> argv, SubprocessOptions options);
Coro<Process> create_subprocess_exec(std::vector<std::string> argv);
// The api-map spelling: program and arguments apart.
Coro<Process> create_subprocess_exec(std::string program, std::vector<std::string> args,
                                     SubprocessOptions options);
Coro<Process> create_subprocess_exec(std::string program, std::vector<std::string> args);
// Runs `cmd` with /bin/sh -c.
Coro<Process> create_subprocess_shell(std::string cmd, SubprocessOptions options);
Coro<Process> create_subprocess_shell(std::string cmd);

namespace detail {
// Tests only: make new children use the thread-per-child watcher even where
// pidfd_open works (the ENOSYS fallback path).
void force_threaded_child_watcher(bool on);
}  // namespace detail

}  // namespace eddy

#endif  // EDDY_SUBPROCESS_H_
