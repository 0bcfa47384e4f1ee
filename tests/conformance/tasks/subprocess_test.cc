// Subprocesses (asyncio.subprocess), on every backend: exec and shell, each
// stdio mode, return codes, communicate, signals to the child, errors,
// leaks (descriptors, zombies) and a large transfer.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "task_fixture.h"

namespace eddy {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

class SubprocessTest : public testing::TaskTest {
 protected:
  void TearDown() override { detail::force_threaded_child_watcher(false); }
};

SubprocessOptions pipes(bool in, bool out, bool err) {
  SubprocessOptions o;
  if (in) o.std_in = PIPE;
  if (out) o.std_out = PIPE;
  if (err) o.std_err = PIPE;
  return o;
}

// (stdout, stderr, returncode) of a finished child.
struct Ran {
  std::string out, err;
  int rc = -1000;
};

// FNV-1a over a string, to compare large payloads cheaply.
uint64_t fnv1a(std::string_view s, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

Coro<Ran> exec_and_communicate(std::vector<std::string> argv, SubprocessOptions o,
                               std::string input) {
  Process p = co_await create_subprocess_exec(std::move(argv), std::move(o));
  auto [out, err] = co_await p.communicate(std::move(input));
  co_return Ran{std::move(out), std::move(err), p.returncode().value_or(-1000)};
}

Coro<Ran> shell_and_communicate(std::string cmd, SubprocessOptions o, std::string input) {
  Process p = co_await create_subprocess_shell(std::move(cmd), std::move(o));
  auto [out, err] = co_await p.communicate(std::move(input));
  co_return Ran{std::move(out), std::move(err), p.returncode().value_or(-1000)};
}

TEST_P(SubprocessTest, ExecCapturesStdout) {
  Ran r = run_coro(exec_and_communicate({"echo", "hello", "world"}, pipes(false, true, false), ""));
  EXPECT_EQ(r.out, "hello world\n");
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.rc, 0);
}

TEST_P(SubprocessTest, ExecWithProgramAndArgsSpelling) {
  auto body = []() -> Coro<std::string> {
    SubprocessOptions o;
    o.std_out = PIPE;
    std::string prog = "printf";
    std::vector<std::string> args = {"%s-%s", "a", "b"};
    Process p = co_await create_subprocess_exec(prog, args, o);
    std::string out = co_await p.std_out().read();
    co_await p.wait();
    co_return out;
  };
  EXPECT_EQ(run_coro(body()), "a-b");
}

TEST_P(SubprocessTest, ShellRunsThroughBinSh) {
  Ran r = run_coro(shell_and_communicate("echo $((6 * 7)); exit 3", pipes(false, true, false), ""));
  EXPECT_EQ(r.out, "42\n");
  EXPECT_EQ(r.rc, 3);
}

TEST_P(SubprocessTest, CommunicateFeedsStdin) {
  Ran r = run_coro(exec_and_communicate({"cat"}, pipes(true, true, false), "some input\nline 2"));
  EXPECT_EQ(r.out, "some input\nline 2");
  EXPECT_EQ(r.rc, 0);
}

TEST_P(SubprocessTest, StderrPipe) {
  Ran r = run_coro(shell_and_communicate("echo out; echo err >&2", pipes(false, true, true), ""));
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
}

TEST_P(SubprocessTest, StderrToStdout) {
  SubprocessOptions o;
  o.std_out = PIPE;
  o.std_err = STDOUT;
  Ran r = run_coro(shell_and_communicate("echo out; echo err >&2", o, ""));
  EXPECT_EQ(r.out, "out\nerr\n");
  EXPECT_EQ(r.err, "");
}

TEST_P(SubprocessTest, DevNull) {
  SubprocessOptions o;
  o.std_in = DEVNULL;
  o.std_out = PIPE;
  o.std_err = DEVNULL;
  // cat sees EOF at once; the message to stderr goes nowhere.
  Ran r = run_coro(shell_and_communicate("cat; echo done; echo lost >&2", o, ""));
  EXPECT_EQ(r.out, "done\n");
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.rc, 0);
}

TEST_P(SubprocessTest, FileDescriptorAndInherit) {
  // stdout to a file of ours; stdin and stderr inherited (no pipe objects).
  int fd = ::memfd_create("eddy-subprocess-test", MFD_CLOEXEC);
  ASSERT_GE(fd, 0);
  auto body = [](int fd) -> Coro<int> {
    SubprocessOptions o;
    o.std_out = fd;
    std::string cmd = "echo to-file";
    Process p = co_await create_subprocess_shell(cmd, o);
    EXPECT_FALSE(p.has_std_in());
    EXPECT_FALSE(p.has_std_out());
    EXPECT_FALSE(p.has_std_err());
    // Python's None: using it is an error.
    EXPECT_THROW(p.std_in(), RuntimeError);
    EXPECT_THROW(p.std_out(), RuntimeError);
    EXPECT_THROW(p.std_err(), RuntimeError);
    co_return co_await p.wait();
  };
  EXPECT_EQ(run_coro(body(fd)), 0);
  char buf[64] = {};
  ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
  ::close(fd);
  EXPECT_EQ(std::string(buf, n > 0 ? n : 0), "to-file\n");
}

TEST_P(SubprocessTest, CwdAndEnv) {
  SubprocessOptions o = pipes(false, true, false);
  o.cwd = "/";
  o.env = std::map<std::string, std::string>{{"EDDY_TEST_VAR", "value 1"}};
  Ran r = run_coro(exec_and_communicate({"/bin/sh", "-c", "pwd; echo \"$EDDY_TEST_VAR\"; echo ${HOME:-nohome}"},
                                        o, ""));
  EXPECT_EQ(r.out, "/\nvalue 1\nnohome\n");
}

// A temporary directory with executable scripts, removed at the end.
struct ScriptDir {
  std::string path;
  std::vector<std::string> files;
  ScriptDir() {
    char tmpl[] = "/tmp/eddy-subprocess-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~ScriptDir() {
    for (const std::string& f : files) ::unlink(f.c_str());
    ::rmdir(path.c_str());
  }
  void add(const std::string& name, const std::string& body, mode_t mode = 0755) {
    std::string file = path + "/" + name;
    std::ofstream(file) << "#!/bin/sh\n" << body << "\n";
    ::chmod(file.c_str(), mode);
    files.push_back(file);
  }
};

TEST_P(SubprocessTest, CustomEnvironmentPathFindsTheProgram) {
  // As Python's subprocess: the program is looked up on the PATH of the
  // child's environment, not the parent's.
  ScriptDir a, b;
  a.add("eddy-path-probe", "echo not executable", 0644);
  b.add("eddy-path-probe", "echo found in env PATH");
  SubprocessOptions o = pipes(false, true, false);
  o.env = std::map<std::string, std::string>{{"PATH", "/nonexistent:" + a.path + ":" + b.path}};
  // A non-executable candidate first: skipped, the next one runs.
  Ran r = run_coro(exec_and_communicate({"eddy-path-probe"}, o, ""));
  EXPECT_EQ(r.out, "found in env PATH\n");
  EXPECT_EQ(r.rc, 0);
  // Only the non-executable one: the first error that is not ENOENT.
  o.env = std::map<std::string, std::string>{{"PATH", "/nonexistent:" + a.path}};
  EXPECT_THROW(run_coro(exec_and_communicate({"eddy-path-probe"}, o, "")), PermissionError);
  // `true` is on the parent's PATH, not on the child's.
  o.env = std::map<std::string, std::string>{{"PATH", "/nonexistent"}};
  try {
    run_coro(exec_and_communicate({"true"}, o, ""));
    ADD_FAILURE() << "no exception";
  } catch (const FileNotFoundError& e) {
    EXPECT_THAT(e.what(), HasSubstr("'true'"));
  }
  // No PATH at all: os.defpath (/bin:/usr/bin).
  o.env = std::map<std::string, std::string>{{"EDDY_X", "1"}};
  r = run_coro(exec_and_communicate({"sh", "-c", "echo $EDDY_X"}, o, ""));
  EXPECT_EQ(r.out, "1\n");
  // An empty entry is the child's working directory.
  o.env = std::map<std::string, std::string>{{"PATH", ":/nonexistent"}};
  o.cwd = b.path;
  r = run_coro(exec_and_communicate({"eddy-path-probe"}, o, ""));
  EXPECT_EQ(r.out, "found in env PATH\n");
  // A name with a slash is not searched.
  o.cwd.clear();
  o.env = std::map<std::string, std::string>{{"PATH", b.path}};
  r = run_coro(exec_and_communicate({b.path + "/eddy-path-probe"}, o, ""));
  EXPECT_EQ(r.out, "found in env PATH\n");
}

// Puts `fd` in place of this process's descriptor `target` until restored
// (gtest output is flushed first and must not happen in between).
class SwapStdio {
 public:
  SwapStdio(int target, int fd) : target_(target) {
    std::fflush(stdout);
    std::fflush(stderr);
    saved_ = ::fcntl(target, F_DUPFD_CLOEXEC, 3);
    ::dup2(fd, target);
  }
  ~SwapStdio() { restore(); }
  void restore() {
    if (target_ < 0) return;
    if (saved_ >= 0) {
      ::dup2(saved_, target_);
      ::close(saved_);
    } else {
      ::close(target_);
    }
    target_ = -1;
  }

 private:
  int target_;
  int saved_ = -1;
};

std::string memfd_text(int fd) {
  char buf[256] = {};
  ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
  return std::string(buf, n > 0 ? static_cast<size_t>(n) : 0);
}

TEST_P(SubprocessTest, CrossedStdioDescriptorsDoNotClobberEachOther) {
  // The child's stdout is the parent's fd 2 and its stderr the parent's
  // fd 1. Dup'ed naively in order (dup2(2, 1), then dup2(1, 2)) both would
  // end up on the parent's fd 2.
  int one = ::memfd_create("eddy-fd1", MFD_CLOEXEC);
  int two = ::memfd_create("eddy-fd2", MFD_CLOEXEC);
  ASSERT_GE(one, 0);
  ASSERT_GE(two, 0);
  SubprocessOptions o;
  o.std_out = 2;
  o.std_err = 1;
  Ran r;
  {
    SwapStdio s1(1, one), s2(2, two);
    r = run_coro(shell_and_communicate("echo to-stdout; echo to-stderr >&2", o, ""));
  }
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(memfd_text(two), "to-stdout\n");
  EXPECT_EQ(memfd_text(one), "to-stderr\n");

  // stdin a pipe, stdout the parent's fd 0: a naive dup2(pipe, 0) first
  // would make the child's stdout the pipe's read end.
  int zero = ::memfd_create("eddy-fd0", MFD_CLOEXEC);
  SubprocessOptions o2;
  o2.std_in = PIPE;
  o2.std_out = 0;
  o2.std_err = STDOUT;  // follows the child's stdout: the parent's fd 0
  {
    SwapStdio s0(0, zero);
    r = run_coro(shell_and_communicate("cat; echo err >&2", o2, "through cat\n"));
  }
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(memfd_text(zero), "through cat\nerr\n");

  // A descriptor already in place stays (stdout = 1) while another of 0-2
  // moves (stderr = the parent's fd 0).
  int three = ::memfd_create("eddy-fd-in", MFD_CLOEXEC);
  int four = ::memfd_create("eddy-fd-out", MFD_CLOEXEC);
  SubprocessOptions o3;
  o3.std_out = 1;
  o3.std_err = 0;
  {
    SwapStdio s0(0, three), s1(1, four);
    r = run_coro(shell_and_communicate("echo out; echo err >&2", o3, ""));
  }
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(memfd_text(four), "out\n");
  EXPECT_EQ(memfd_text(three), "err\n");
  for (int fd : {zero, one, two, three, four}) ::close(fd);
}

Coro<std::vector<std::string>> read_lines() {
  SubprocessOptions o;
  o.std_out = PIPE;
  std::string cmd = "printf 'one\\ntwo\\nthree'";
  Process p = co_await create_subprocess_shell(cmd, o);
  std::vector<std::string> lines;
  StreamReader out = p.std_out();
  while (!out.at_eof()) {
    std::string line = co_await out.readline();
    if (line.empty()) break;
    lines.push_back(line);
  }
  lines.push_back(std::to_string(co_await p.wait()));
  co_return lines;
}

TEST_P(SubprocessTest, ReadlineAndAtEof) {
  EXPECT_EQ(run_coro(read_lines()), (std::vector<std::string>{"one\n", "two\n", "three", "0"}));
}

Coro<std::string> interactive() {
  // Line by line through `cat`: write, drain, read the echo back.
  std::vector<std::string> argv = {"cat"};
  Process p = co_await create_subprocess_exec(argv, pipes(true, true, false));
  StreamWriter in = p.std_in();
  StreamReader out = p.std_out();
  std::string got;
  for (int i = 0; i < 3; ++i) {
    std::string line = "line " + std::to_string(i) + "\n";
    in.write(line);
    co_await in.drain();
    got += co_await out.readline();
  }
  in.close();
  co_await in.wait_closed();
  std::string rest = co_await out.read();
  got += "rest=" + rest;
  int rc = co_await p.wait();
  got += " rc=" + std::to_string(rc);
  co_return got;
}

Coro<StreamReader> reader_of_dropped_process() {
  std::string cmd = "echo early; exec sleep 30";
  Process p = co_await create_subprocess_shell(cmd, pipes(false, true, false));
  StreamReader out = p.std_out();
  std::string first = co_await out.readline();
  EXPECT_EQ(first, "early\n");
  co_return out;  // the Process goes away here, its child still running
}

Coro<std::string> read_after_drop() {
  StreamReader out = co_await reader_of_dropped_process();
  // The child was killed and the pipe closed: EOF, not a hang.
  std::string rest = co_await out.read();
  co_return rest + (out.at_eof() ? "eof" : "open");
}

TEST_P(SubprocessTest, ReaderKeptPastItsProcessSeesEof) {
  LogSink old = set_log_sink([](int32_t, std::string_view) {});
  EXPECT_EQ(run_coro(read_after_drop()), "eof");
  set_log_sink(old);
}

Coro<std::string> small_limit() {
  SubprocessOptions o = pipes(false, true, false);
  o.limit = 8;
  std::string cmd = "echo short; echo a-line-longer-than-eight; echo end";
  Process p = co_await create_subprocess_shell(cmd, o);
  StreamReader out = p.std_out();
  std::string got = co_await out.readline();
  try {
    co_await out.readline();
    got += "no error";
  } catch (const ValueError&) {
    got += "ValueError,";
  }
  got += co_await out.readline();
  co_await p.wait();
  co_return got;
}

TEST_P(SubprocessTest, LimitBoundsTheReaders) {
  EXPECT_EQ(run_coro(small_limit()), "short\nValueError,end\n");
  SubprocessOptions o;
  o.limit = 0;
  EXPECT_THROW(run_coro(exec_and_communicate({"true"}, o, "")), ValueError);
}

TEST_P(SubprocessTest, InteractiveWriteDrainRead) {
  EXPECT_EQ(run_coro(interactive()), "line 0\nline 1\nline 2\nrest= rc=0");
}

Coro<std::vector<int>> kill_with(int how) {
  std::vector<std::string> argv = {"sleep", "30"};
  Process p = co_await create_subprocess_exec(argv);
  std::vector<int> out;
  out.push_back(p.returncode().has_value() ? 1 : 0);
  auto settle = 10ms;
  co_await sleep(settle);
  if (how == 0) p.terminate();
  if (how == 1) p.kill();
  if (how == 2) p.send_signal(SIGUSR1);
  out.push_back(co_await p.wait());
  out.push_back(*p.returncode());
  // Signalling a reaped child is a no-op, not ProcessLookupError.
  p.kill();
  p.terminate();
  p.send_signal(SIGUSR1);
  out.push_back(co_await p.wait());
  co_return out;
}

TEST_P(SubprocessTest, ReturncodeIsMinusTheSignal) {
  EXPECT_EQ(run_coro(kill_with(0)), (std::vector<int>{0, -SIGTERM, -SIGTERM, -SIGTERM}));
  EXPECT_EQ(run_coro(kill_with(1)), (std::vector<int>{0, -SIGKILL, -SIGKILL, -SIGKILL}));
  EXPECT_EQ(run_coro(kill_with(2)), (std::vector<int>{0, -SIGUSR1, -SIGUSR1, -SIGUSR1}));
}

Coro<int> exit_code(std::string cmd) {
  Process p = co_await create_subprocess_shell(std::move(cmd));
  co_return co_await p.wait();
}

TEST_P(SubprocessTest, ExitCodes) {
  EXPECT_EQ(run_coro(exit_code("exit 0")), 0);
  EXPECT_EQ(run_coro(exit_code("exit 7")), 7);
  EXPECT_EQ(run_coro(exit_code("exit 255")), 255);
  EXPECT_EQ(run_coro(exit_code("kill -9 $$")), -9);
}

Coro<> start_missing(std::string prog) {
  std::vector<std::string> argv = {prog};
  Process p = co_await create_subprocess_exec(argv);
  co_await p.wait();
}

TEST_P(SubprocessTest, MissingProgramRaisesFileNotFoundError) {
  try {
    run_coro(start_missing("/nonexistent/eddy-no-such-program"));
    FAIL() << "no exception";
  } catch (const FileNotFoundError& e) {
    EXPECT_EQ(e.error_code(), ENOENT);
    EXPECT_THAT(e.what(), HasSubstr("eddy-no-such-program"));
  }
  EXPECT_THROW(run_coro(start_missing("eddy-no-such-program-on-path")), FileNotFoundError);
  EXPECT_THROW(run_coro(start_missing("/etc/passwd")), PermissionError);  // not executable
  EXPECT_THROW(run_coro(start_missing("")), OSError);
}

TEST_P(SubprocessTest, MissingCwdRaisesFileNotFoundError) {
  SubprocessOptions o;
  o.cwd = "/nonexistent-eddy-dir";
  EXPECT_THROW(run_coro(exec_and_communicate({"true"}, o, "")), FileNotFoundError);
}

TEST_P(SubprocessTest, StdoutIsOnlyForStderr) {
  SubprocessOptions o;
  o.std_out = STDOUT;
  EXPECT_THROW(run_coro(exec_and_communicate({"true"}, o, "")), ValueError);
}

Coro<std::string> wait_for_times_out() {
  std::vector<std::string> argv = {"sleep", "30"};
  Process p = co_await create_subprocess_exec(argv);
  std::string out;
  try {
    auto limit = 50ms;
    co_await wait_for(p.wait(), limit);
    out = "finished?";
  } catch (const TimeoutError&) {
    out = "timeout";
  }
  // The cancelled wait() left the process alone; a new wait() works.
  p.kill();
  int rc = co_await p.wait();
  co_return out + " " + std::to_string(rc);
}

TEST_P(SubprocessTest, CancelledWaitLeavesTheChild) {
  EXPECT_EQ(run_coro(wait_for_times_out()), "timeout -9");
}

Coro<std::string> stdin_closed_early() {
  // `true` exits without reading: feeding 1 MiB must not fail communicate().
  std::vector<std::string> argv = {"true"};
  Process p = co_await create_subprocess_exec(argv, pipes(true, true, false));
  std::string big(1 << 20, 'x');
  auto [out, err] = co_await p.communicate(big);
  co_return out + std::to_string(*p.returncode());
}

TEST_P(SubprocessTest, BrokenStdinIsNotAnErrorForCommunicate) {
  EXPECT_EQ(run_coro(stdin_closed_early()), "0");
}

// The name of what `c` raised ("" if nothing).
Coro<std::string> what_it_raises(Coro<> c) {
  try {
    co_await std::move(c);
  } catch (const BrokenPipeError&) {
    co_return "BrokenPipeError";
  } catch (const ConnectionResetError&) {
    co_return "ConnectionResetError";
  }
  co_return "";
}

Coro<std::string> drain_after_the_child_exited() {
  // `true` exits without reading: the write finds no reader. No SIGPIPE
  // (it would end this test binary); asyncio's drain() raises
  // ConnectionResetError("Connection lost") once the pipe is gone.
  std::vector<std::string> argv = {"true"};
  Process p = co_await create_subprocess_exec(argv, pipes(true, false, false));
  co_await p.wait();
  StreamWriter in = p.std_in();
  std::string chunk(256 * 1024, 'y');
  in.write(chunk);
  Coro<> drained = in.drain();
  std::string raised = co_await what_it_raises(std::move(drained));
  EXPECT_TRUE(in.is_closing());
  // Lost with nothing buffered (the reader went first) or with a failed
  // write: wait_closed() tells which.
  Coro<> closing = in.wait_closed();
  std::string closed = co_await what_it_raises(std::move(closing));
  EXPECT_THAT(closed, ::testing::AnyOf("", "BrokenPipeError"));
  co_return raised;
}

TEST_P(SubprocessTest, DrainRaisesOnceTheChildClosedItsStdin) {
  EXPECT_EQ(run_coro(drain_after_the_child_exited()), "ConnectionResetError");
}

Coro<std::vector<std::string>> drain_waiting_when_the_child_exits() {
  // The child reads one byte and exits while 1 MiB waits in the buffer:
  // the waiting drain() raises the transport's BrokenPipeError, as does
  // wait_closed(); a later drain() raises ConnectionResetError.
  SubprocessOptions o = pipes(true, false, false);
  o.std_out = DEVNULL;
  std::vector<std::string> argv = {"head", "-c", "1"};
  Process p = co_await create_subprocess_exec(argv, o);
  StreamWriter in = p.std_in();
  std::string big(1 << 20, 'z');
  in.write(big);
  std::vector<std::string> got;
  got.push_back(in.transport()->get_write_buffer_size() > 0 ? "buffered" : "sent");
  Coro<> drained = in.drain();
  got.push_back(co_await what_it_raises(std::move(drained)));
  Coro<> closing = in.wait_closed();
  got.push_back(co_await what_it_raises(std::move(closing)));
  Coro<> drained_again = in.drain();
  got.push_back(co_await what_it_raises(std::move(drained_again)));
  in.write(big);  // dropped, not raised
  got.push_back(std::to_string(co_await p.wait()));
  co_return got;
}

TEST_P(SubprocessTest, WaitingDrainRaisesBrokenPipeError) {
  EXPECT_EQ(run_coro(drain_waiting_when_the_child_exits()),
            (std::vector<std::string>{"buffered", "BrokenPipeError", "BrokenPipeError",
                                      "ConnectionResetError", "0"}));
}

Coro<std::string> stdin_writer_basics() {
  std::vector<std::string> argv = {"cat"};
  Process p = co_await create_subprocess_exec(argv, pipes(true, true, false));
  StreamWriter in = p.std_in();
  EXPECT_TRUE(p.has_std_in());
  // A write pipe transport: the descriptor as "pipe", no socket addresses.
  ExtraInfo fd = in.get_extra_info("pipe");
  EXPECT_TRUE(std::holds_alternative<int>(fd) && std::get<int>(fd) > 2);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(in.get_extra_info("peername")));
  EXPECT_TRUE(in.can_write_eof());
  EXPECT_FALSE(in.is_closing());
  EXPECT_EQ(in.transport()->get_write_buffer_limits(),
            (std::pair<size_t, size_t>(16 * 1024, 64 * 1024)));
  std::vector<std::string> parts = {"a", "b", "c\n"};
  in.writelines(parts);
  in.write("more");
  in.write_eof();  // the child sees EOF once this is flushed
  EXPECT_TRUE(in.is_closing());
  std::string out = co_await p.std_out().read();
  co_await in.wait_closed();
  EXPECT_TRUE(std::holds_alternative<std::monostate>(in.get_extra_info("pipe")));
  // Closed cleanly: wait_closed() again returns at once.
  co_await in.wait_closed();
  int rc = co_await p.wait();
  co_return out + " rc=" + std::to_string(rc);
}

TEST_P(SubprocessTest, StdinIsAStreamWriterOverAWritePipe) {
  EXPECT_EQ(run_coro(stdin_writer_basics()), "abc\nmore rc=0");
}

Coro<std::string> close_then_wait_closed() {
  // wc counts what it got once stdin closes; close() flushes first.
  std::string cmd = "wc -c";
  Process p = co_await create_subprocess_shell(cmd, pipes(true, true, false));
  StreamWriter in = p.std_in();
  std::string data(100000, 'q');
  in.write(data);
  in.close();
  co_await in.wait_closed();
  EXPECT_EQ(in.transport()->get_write_buffer_size(), 0u);
  std::string out = co_await p.std_out().read();
  co_await p.wait();
  co_return out;
}

TEST_P(SubprocessTest, CloseFlushesThenWaitClosedReturns) {
  std::string out = run_coro(close_then_wait_closed());
  EXPECT_EQ(std::atoi(out.c_str()), 100000) << out;
}

// Writes `data` in chunks, draining after each; the largest write buffer
// seen, or 0 if a drain returned above the low-water mark.
Coro<size_t> feed_in_chunks(StreamWriter w, std::string data, size_t chunk) {
  size_t most = 0;
  for (size_t at = 0; at < data.size(); at += chunk) {
    w.write(std::string_view(data).substr(at, chunk));
    most = std::max(most, w.transport()->get_write_buffer_size());
    co_await w.drain();
    if (w.transport()->get_write_buffer_size() > 16 * 1024) co_return 0;
  }
  w.close();
  co_await w.wait_closed();
  co_return most;
}

Coro<std::string> read_slowly(StreamReader r) {
  std::string all;
  while (true) {
    std::string part = co_await r.read(32 * 1024);
    if (part.empty()) break;
    all += part;
    auto zero = 0ms;
    co_await sleep(zero);
  }
  co_return all;
}

Coro<std::pair<size_t, std::string>> drain_through_cat(std::string data) {
  std::vector<std::string> argv = {"cat"};
  Process p = co_await create_subprocess_exec(argv, pipes(true, true, false));
  auto both = gather(feed_in_chunks(p.std_in(), data, 256 * 1024), read_slowly(p.std_out()));
  auto [most, out] = co_await both;
  co_await p.wait();
  co_return std::make_pair(most, std::move(out));
}

TEST_P(SubprocessTest, DrainAppliesBackpressureThroughCat) {
  std::string input;
  for (int i = 0; input.size() < (4u << 20); ++i) input += std::to_string(i) + ";";
  auto [most, out] = run_coro(drain_through_cat(input));
  // Each 256 KiB write overfills the pipe, so drain() had to wait, and
  // returned only at the low-water mark.
  EXPECT_GT(most, 64u * 1024);
  ASSERT_EQ(out.size(), input.size());
  EXPECT_EQ(fnv1a(out), fnv1a(input));
}

Coro<std::vector<int>> many_at_once(int n) {
  std::vector<Coro<int>> waits;
  for (int i = 0; i < n; ++i) waits.push_back(exit_code("exit " + std::to_string(i)));
  auto all = gather(std::move(waits));
  co_return co_await all;
}

TEST_P(SubprocessTest, ConcurrentChildren) {
  std::vector<int> want;
  for (int i = 0; i < 20; ++i) want.push_back(i);
  EXPECT_EQ(run_coro(many_at_once(20)), want);
}

int open_fd_count() {
  int n = 0;
  DIR* d = ::opendir("/proc/self/fd");
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(d);
  return n - 1;  // the directory's own descriptor
}

// Children of this process in state Z (zombies), from /proc.
std::set<int> zombie_children() {
  std::set<int> out;
  DIR* d = ::opendir("/proc");
  while (dirent* e = ::readdir(d)) {
    int pid = std::atoi(e->d_name);
    if (pid <= 0) continue;
    std::ifstream f("/proc/" + std::string(e->d_name) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    char state = 0;
    int ppid = 0;
    rest >> state >> ppid;
    if (state == 'Z' && ppid == ::getpid()) out.insert(pid);
  }
  ::closedir(d);
  return out;
}

Coro<std::vector<int>> spawn_in_a_row(int n, bool with_pipes) {
  std::vector<int> pids;
  for (int i = 0; i < n; ++i) {
    SubprocessOptions o = pipes(with_pipes, with_pipes, with_pipes);
    std::vector<std::string> argv = {"/bin/true"};
    Process p = co_await create_subprocess_exec(argv, o);
    pids.push_back(p.pid());
    if (with_pipes) {
      co_await p.communicate();
    } else {
      int rc = co_await p.wait();
      if (rc != 0) throw std::runtime_error("rc " + std::to_string(rc));
    }
  }
  co_return pids;
}

TEST_P(SubprocessTest, AThousandChildrenLeakNoDescriptorAndNoZombie) {
  // A warm-up run first: the loop's own descriptors and pools settle.
  run_coro(spawn_in_a_row(2, true));
  int before = open_fd_count();
  std::vector<int> pids = run_coro(spawn_in_a_row(900, false));
  std::vector<int> piped = run_coro(spawn_in_a_row(100, true));
  pids.insert(pids.end(), piped.begin(), piped.end());
  EXPECT_EQ(open_fd_count(), before);
  std::set<int> zombies = zombie_children();
  for (int pid : pids) EXPECT_EQ(zombies.count(pid), 0u) << "zombie " << pid;
}

TEST_P(SubprocessTest, HundredMebibytesOfOutput) {
  constexpr size_t kSize = 100u << 20;
  Ran r = run_coro(shell_and_communicate(
      "yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c " + std::to_string(kSize),
      pipes(false, true, true), ""));
  EXPECT_EQ(r.rc, 0);
  ASSERT_EQ(r.out.size(), kSize);
  std::string line = "0123456789abcdefghijklmnopqrstuvwxyz\n";
  std::string want;
  want.reserve(kSize);
  while (want.size() < kSize) want += line;
  want.resize(kSize);
  EXPECT_EQ(fnv1a(r.out), fnv1a(want));
  EXPECT_EQ(r.err, "");
}

TEST_P(SubprocessTest, LargeInputRoundTripsThroughCat) {
  std::string input;
  for (int i = 0; input.size() < (16u << 20); ++i) input += std::to_string(i) + ",";
  Ran r = run_coro(exec_and_communicate({"cat"}, pipes(true, true, true), input));
  EXPECT_EQ(r.rc, 0);
  ASSERT_EQ(r.out.size(), input.size());
  EXPECT_EQ(fnv1a(r.out), fnv1a(input));
}

TEST_P(SubprocessTest, ThreadedChildWatcherFallback) {
  detail::force_threaded_child_watcher(true);
  Ran r = run_coro(exec_and_communicate({"cat"}, pipes(true, true, false), "via thread"));
  EXPECT_EQ(r.out, "via thread");
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(run_coro(kill_with(1)), (std::vector<int>{0, -SIGKILL, -SIGKILL, -SIGKILL}));
  int before = open_fd_count();
  std::vector<int> pids = run_coro(spawn_in_a_row(50, false));
  EXPECT_EQ(open_fd_count(), before);
  std::set<int> zombies = zombie_children();
  for (int pid : pids) EXPECT_EQ(zombies.count(pid), 0u) << "zombie " << pid;
}

bool process_gone(int pid) {
  // Gone means reaped: no /proc entry left (a zombie still has one).
  return ::access(("/proc/" + std::to_string(pid)).c_str(), F_OK) != 0;
}

bool eventually_gone(int pid) {
  for (int i = 0; i < 1000 && !process_gone(pid); ++i) std::this_thread::sleep_for(10ms);
  return process_gone(pid);
}

Coro<int> drop_running_child() {
  std::vector<std::string> argv = {"sleep", "30"};
  Process p = co_await create_subprocess_exec(argv);
  co_return p.pid();  // the last handle goes away here, the child still runs
}

Coro<Process> keep_running_child() {
  std::vector<std::string> argv = {"sleep", "30"};
  Process p = co_await create_subprocess_exec(argv, pipes(true, true, true));
  co_return p;
}

Coro<int> wait_on(Process p) { co_return co_await p.wait(); }

TEST_P(SubprocessTest, DroppingARunningChildKillsAndReapsIt) {
  std::vector<std::string> logged;
  LogSink old = set_log_sink([&](int32_t, std::string_view m) { logged.emplace_back(m); });
  int pid = run_coro(drop_running_child());
  EXPECT_TRUE(eventually_gone(pid));

  // A Process that outlives its loop: nothing crashes, nothing leaks.
  Process p = run_coro(keep_running_child());
  int pid2 = p.pid();
  EXPECT_FALSE(p.returncode());
  // Its loop is gone: awaiting it is an error, not a crash.
  EXPECT_THROW(run_coro(wait_on(p)), RuntimeError);
  p = Process();
  EXPECT_TRUE(eventually_gone(pid2));
  set_log_sink(old);
  ASSERT_FALSE(logged.empty());
  EXPECT_THAT(logged[0], HasSubstr("killed"));
}

Coro<std::weak_ptr<Transport>> drop_process_with_buffered_stdin() {
  std::vector<std::string> argv = {"sleep", "30"};
  Process p = co_await create_subprocess_exec(argv, pipes(true, false, false));
  StreamWriter in = p.std_in();
  std::string big(1 << 20, 'w');
  in.write(big);
  EXPECT_GT(in.transport()->get_write_buffer_size(), 0u);
  co_return std::weak_ptr<Transport>(in.transport());
}  // the Process and its writer go away: the child runs, 1 MiB is buffered

Coro<bool> stdin_transport_freed() {
  std::weak_ptr<Transport> t = co_await drop_process_with_buffered_stdin();
  // The child is killed, so the pipe's reader goes and the transport
  // closes and lets go of itself -- while the loop runs, not at its close.
  for (int i = 0; i < 500 && !t.expired(); ++i) {
    auto tick = 10ms;
    co_await sleep(tick);
  }
  co_return t.expired();
}

Coro<StreamWriter> stdin_of_dropped_process() {
  std::vector<std::string> argv = {"sleep", "30"};
  Process p = co_await create_subprocess_exec(argv, pipes(true, false, false));
  co_return p.std_in();
}

Coro<std::string> use_stdin_after_drop() {
  StreamWriter in = co_await stdin_of_dropped_process();
  // Its Process closed it (nothing was buffered: a clean close).
  EXPECT_TRUE(in.is_closing());
  Coro<> closing = in.wait_closed();
  std::string got = co_await what_it_raises(std::move(closing));
  in.write("dropped");
  Coro<> drained = in.drain();
  got += "," + co_await what_it_raises(std::move(drained));
  co_return got;
}

TEST_P(SubprocessTest, DroppedProcessClosesAndFreesItsStdin) {
  LogSink old = set_log_sink([](int32_t, std::string_view) {});
  int before = open_fd_count();
  EXPECT_TRUE(run_coro(stdin_transport_freed()));
  EXPECT_EQ(run_coro(use_stdin_after_drop()), ",ConnectionResetError");
  EXPECT_EQ(open_fd_count(), before);
  set_log_sink(old);
}

TEST_P(SubprocessTest, ThreadedWatcherOutlivingItsLoop) {
  detail::force_threaded_child_watcher(true);
  LogSink old = set_log_sink([](int32_t, std::string_view) {});
  int pid = run_coro(drop_running_child());
  EXPECT_TRUE(eventually_gone(pid));
  Process p = run_coro(keep_running_child());
  int pid2 = p.pid();
  p = Process();
  EXPECT_TRUE(eventually_gone(pid2));
  set_log_sink(old);
}

EDDY_INSTANTIATE_TASK_SUITE(SubprocessTest);

}  // namespace
}  // namespace eddy
