// eddy/subprocess.h -- asyncio.subprocess: child processes on the loop.
//
//   SubprocessOptions o;
//   o.std_out = eddy::PIPE;
//   Process p = co_await eddy::create_subprocess_exec({"ls", "-l"}, o);
//   auto [out, err] = co_await p.communicate();
//   int rc = *p.returncode();
//
// create_subprocess_exec runs a program (searched on PATH) with its argument
// vector; create_subprocess_shell runs a command line with /bin/sh -c. Each of
// the child's standard streams is inherited (the default), a pipe to the
// parent (PIPE), /dev/null (DEVNULL), the child's stdout (STDOUT, for stderr
// only) or a file descriptor of the caller's. Every other descriptor is closed
// in the child, and the parent's ends of the pipes are close-on-exec, so no
// descriptor leaks either way. A program that cannot be started raises the
// OSError subclass Python raises (FileNotFoundError for a missing program).
//
// The child's exit is watched without a SIGCHLD handler: a pidfd
// (pidfd_open(2)) watched with add_reader, or, where the kernel has none, one
// thread per child that waits for the exit and posts it to the loop (asyncio's
// ThreadedChildWatcher). Either way the child is reaped exactly once, by eddy.
// returncode() is empty until then; a child killed by a signal has the
// negative signal number, as in Python.
//
// Pipes are PipeReader / PipeWriter: small non-blocking stream objects with
// the method names of asyncio's StreamReader / StreamWriter (read, readline,
// at_eof / write, drain, close), which the streams layer will replace.
//
// A Process whose last handle goes away while its child still runs kills the
// child (SIGKILL) and reaps it in the background, with a warning, as asyncio
// does for an unclosed subprocess transport.
//
// Thread-safety: a Process and its pipes belong to the loop thread that made
// them; only the child watcher thread of the fallback runs elsewhere, and it
// talks to the loop through call_soon_threadsafe.
#ifndef EDDY_SUBPROCESS_H_
#define EDDY_SUBPROCESS_H_

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "eddy/coro.h"
#include "eddy/event_loop.h"

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
  // The child's whole environment; unset: the parent's.
  std::optional<std::map<std::string, std::string>> env;
};
using ProcessOptions = SubprocessOptions;

namespace detail {
struct PipeReaderState;
struct PipeWriterState;
class ProcessState;
}  // namespace detail

// The read end of a pipe from a child (asyncio's StreamReader methods). A
// cheap copyable handle; an empty one (operator bool false) stands for
// Python's None when the stream is not a pipe.
class PipeReader {
 public:
  PipeReader() = default;
  explicit PipeReader(std::shared_ptr<detail::PipeReaderState> s) : s_(std::move(s)) {}
  explicit operator bool() const { return s_ != nullptr; }

  // Up to n bytes, waiting for at least one; "" at EOF. n < 0 reads to EOF.
  Coro<std::string> read(std::ptrdiff_t n = -1);
  // One line including its '\n'; at EOF what is left (maybe "").
  Coro<std::string> readline();
  // True once EOF was seen and the buffer is empty.
  bool at_eof() const;

 private:
  std::shared_ptr<detail::PipeReaderState> s_;
};

// The write end of a pipe to a child (asyncio's StreamWriter methods).
class PipeWriter {
 public:
  PipeWriter() = default;
  explicit PipeWriter(std::shared_ptr<detail::PipeWriterState> s) : s_(std::move(s)) {}
  explicit operator bool() const { return s_ != nullptr; }

  // Buffers data and writes what the pipe takes now; never blocks. Data
  // written after close() or after the reader went away is dropped.
  void write(std::string_view data);
  // Waits while the buffer is above the high-water mark (64 KiB); raises
  // BrokenPipeError once the child closed its end.
  Coro<> drain();
  // Closes the pipe once the buffered data is written (the child sees EOF).
  void close();
  void write_eof() { close(); }
  bool can_write_eof() const { return true; }
  bool is_closing() const;
  // Waits until the descriptor is closed (after close() and the flush).
  Coro<> wait_closed();
  size_t get_write_buffer_size() const;

 private:
  std::shared_ptr<detail::PipeWriterState> s_;
};

// asyncio.subprocess.Process: a copyable handle to one child.
class Process {
 public:
  Process() = default;
  explicit Process(std::shared_ptr<detail::ProcessState> s) : s_(std::move(s)) {}
  explicit operator bool() const { return s_ != nullptr; }

  int pid() const;
  // Empty while the child runs; its exit status, or -signal if killed.
  std::optional<int> returncode() const;
  // The pipes; empty handles for streams that are not PIPE.
  PipeWriter std_in() const;
  PipeReader std_out() const;
  PipeReader std_err() const;

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
