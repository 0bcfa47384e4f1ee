// echo_catalog.cc -- the echo servers, their programs and the selection of
// echo runs.
#include "echo_catalog.h"

#include <limits.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "process.h"

#ifndef EDDY_ECHO_INSTALL_DIR
#define EDDY_ECHO_INSTALL_DIR ""
#endif

namespace eddy::bench_tool {
namespace {

const char* const kEddyModes[] = {"protocols", "streams", "sockets"};
const char* const kPythonModes[] = {"protocols", "streams"};

bool wanted(const std::vector<std::string>& references, const std::string& name) {
  if (references.empty()) return true;
  return std::find(references.begin(), references.end(), name) != references.end();
}

std::string real_path(const std::string& path) {
  char buf[PATH_MAX];
  return realpath(path.c_str(), buf) != nullptr ? std::string(buf) : path;
}

// The output of a short-lived child, or false with what went wrong.
bool capture(const std::vector<std::string>& argv, double timeout_s, std::string* out,
             std::string* error) {
  Child child;
  if (!child.start({argv, -1}, error)) return false;
  std::string line;
  bool timed_out = false;
  while (child.read_line(timeout_s, &line, &timed_out)) *out += line + "\n";
  if (timed_out) {
    child.terminate(1);
    *error = "no answer within " + std::to_string(static_cast<int>(timeout_s)) + " s";
    return false;
  }
  child.wait(timeout_s);
  if (child.exit_status() != 0) {
    std::string err = child.stderr_text(400);
    *error = err.empty() ? child.exit_text() : err;
    return false;
  }
  return true;
}

// The last line of a (Python) error message: "ModuleNotFoundError: ...".
std::string last_line(const std::string& text) {
  std::string t = text;
  while (!t.empty() && t.back() == '\n') t.pop_back();
  size_t nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

}  // namespace

const std::vector<std::string>& echo_reference_names() {
  static const std::vector<std::string> kNames = {"ref_epoll", "ref_uv",  "ref_event",
                                                  "asio",      "asyncio", "uvloop"};
  return kNames;
}

std::vector<EchoServer> echo_servers(const std::vector<std::string>& eddy_backends,
                                     const std::vector<std::string>& references,
                                     const EchoPrograms& p) {
  std::vector<EchoServer> out;
  for (const char* mode : kEddyModes) {
    for (const std::string& b : eddy_backends) {
      out.push_back({b,
                     mode,
                     EchoKind::kEddy,
                     std::string("eddy ") + mode + ", " + b,
                     {p.eddy_server, "--backend", b, "--mode", mode},
                     std::string(mode) != "sockets"});
    }
  }
  std::vector<std::string> refs = references;
  if (refs.size() == 1 && refs[0] == "none") return out;
  const std::string dir = p.dir + "/";
  if (wanted(refs, "ref_epoll")) {
    out.push_back(
        {"ref_epoll", "raw", EchoKind::kRawC, "raw epoll (C)", {dir + "ref_epoll_echo"}, true});
  }
  if (wanted(refs, "ref_uv")) {
    out.push_back({"ref_uv", "raw", EchoKind::kRawC, "raw libuv (C)", {dir + "ref_uv_echo"}, true});
  }
  if (wanted(refs, "ref_event")) {
    out.push_back(
        {"ref_event", "raw", EchoKind::kRawC, "raw libevent (C)", {dir + "ref_event_echo"}, true});
  }
  if (wanted(refs, "asio")) {
    out.push_back({"asio",
                   "coroutines",
                   EchoKind::kReference,
                   "Boost.Asio coroutines",
                   {dir + "ref_asio_echo"},
                   true});
  }
  for (const char* name : {"asyncio", "uvloop"}) {
    if (!wanted(refs, name)) continue;
    for (const char* mode : kPythonModes) {
      EchoServer s{name,
                   mode,
                   EchoKind::kReference,
                   std::string(name) + " " + mode,
                   {p.python, dir + "ref_asyncio_echo.py", "--mode", mode},
                   true};
      if (std::string(name) == "uvloop") s.command.push_back("--uvloop");
      out.push_back(s);
    }
  }
  // Test hooks (options.h): a reference that flips a byte now and then,
  // and one that makes an mmap and a munmap per message.
  const std::pair<const char*, const char*> hooks[] = {{"EDDY_BENCH_ECHO_CORRUPT", "--corrupt"},
                                                       {"EDDY_BENCH_ECHO_ARTEFACT", "--artefact"}};
  for (const auto& [variable, flag] : hooks) {
    const char* name = std::getenv(variable);
    if (name == nullptr) continue;
    for (EchoServer& s : out) {
      if (s.server == name && s.kind == EchoKind::kRawC) s.command.push_back(flag);
    }
  }
  return out;
}

EchoPrograms locate_echo_programs(const Options& o) {
  EchoPrograms p;
  p.python = o.python;
  std::vector<std::string> dirs;
  if (!o.echo_dir.empty()) {
    dirs.push_back(o.echo_dir);
  } else {
    std::string exe = executable_dir();
    if (!exe.empty()) {
      dirs.push_back(exe + "/../bench/echo");    // a build tree: tools/ beside bench/echo/
      dirs.push_back(exe + "/../libexec/eddy");  // an install: bin/ beside libexec/eddy/
    }
    if (std::string(EDDY_ECHO_INSTALL_DIR) != "") dirs.push_back(EDDY_ECHO_INSTALL_DIR);
  }
  for (const std::string& d : dirs) {
    p.searched += (p.searched.empty() ? "" : ", ") + d;
    if (is_executable(d + "/eddy-echo-load")) {
      p.dir = real_path(d);
      break;
    }
  }
  if (p.dir.empty()) return p;
  p.load = p.dir + "/eddy-echo-load";
  p.eddy_server = p.dir + "/eddy-echo-server";
  return p;
}

void probe_echo_programs(EchoPrograms* p) {
  std::string out, error;
  if (is_executable(p->eddy_server) &&
      capture({p->eddy_server, "--list-modes"}, 10, &out, &error)) {
    std::istringstream modes(out);
    for (std::string m; modes >> m;) p->eddy_modes.push_back(m);
  }
  if (!is_executable(p->python)) {
    p->python_error = p->python + " is not an executable file";
    return;
  }
  static const char kProbe[] =
      "import sys\n"
      "print('python', sys.version.split()[0])\n"
      "try:\n"
      "    import uvloop\n"
      "    print('uvloop', uvloop.__version__)\n"
      "except Exception as e:\n"
      "    print('uvloop-error', type(e).__name__ + ': ' + str(e))\n";
  out.clear();
  if (!capture({p->python, "-c", kProbe}, 20, &out, &error)) {
    p->python_error = p->python + " does not run: " + last_line(error);
    return;
  }
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    size_t space = line.find(' ');
    std::string key = line.substr(0, space);
    std::string value = space == std::string::npos ? "" : line.substr(space + 1);
    if (key == "python") p->python_version = value;
    if (key == "uvloop") p->uvloop_version = value;
    if (key == "uvloop-error") p->uvloop_error = value;
  }
  if (p->python_version.empty()) p->python_error = p->python + " printed no version";
}

std::string echo_unavailable(const EchoServer& s, const EchoPrograms& p) {
  if (s.kind == EchoKind::kEddy) {
    if (!is_executable(p.eddy_server)) return "eddy-echo-server is not built";
    if (std::find(p.eddy_modes.begin(), p.eddy_modes.end(), s.mode) == p.eddy_modes.end()) {
      return "eddy-echo-server was built without the " + s.mode +
             " mode (it needs eddy/transports.h)";
    }
    return "";
  }
  if (s.server == "asyncio" || s.server == "uvloop") {
    if (!p.python_error.empty()) return p.python_error;
    if (!is_executable(s.command[1]) && !std::ifstream(s.command[1])) {
      return s.command[1] + " is missing";
    }
    if (s.server == "uvloop" && p.uvloop_version.empty()) {
      return "uvloop cannot be imported by " + p.python + ": " + p.uvloop_error;
    }
    return "";
  }
  if (is_executable(s.command[0])) return "";
  if (s.server == "ref_uv") return "not built (libuv was not found at build time)";
  if (s.server == "ref_event") return "not built (libevent was not found at build time)";
  if (s.server == "asio") {
    return "not built (Boost.Asio with C++20 coroutines was not found at build time)";
  }
  return s.command[0] + " is missing";
}

std::vector<EchoInstance> select_echo(const std::vector<EchoServer>& servers, const Options& o,
                                      bool regex_given, const std::regex& re) {
  std::vector<EchoInstance> out;
  for (int size : o.sizes) {
    for (int conns : o.connections) {
      std::vector<EchoInstance> group;
      std::vector<bool> chosen;
      for (const EchoServer& s : servers) {
        EchoInstance i;
        i.server = s;
        i.size = size;
        i.connections = conns;
        // (Appended, not "/" + ...: g++ 12 warns wrongly about that form.)
        std::string tail = "/";
        tail += std::to_string(size);
        tail += "/";
        tail += std::to_string(conns);
        i.name = "Echo/" + s.server + "/" + s.mode + tail;
        i.workload = "Echo/" + s.mode + tail;
        bool pick = regex_given
                        ? std::regex_search(i.workload, re) || std::regex_search(i.name, re) ||
                              std::regex_search(s.label, re)
                        : s.quick;
        group.push_back(i);
        chosen.push_back(pick);
      }
      if (std::find(chosen.begin(), chosen.end(), true) == chosen.end()) continue;
      for (size_t k = 0; k < group.size(); ++k) {
        if (chosen[k] || group[k].server.kind == EchoKind::kRawC) out.push_back(group[k]);
      }
    }
  }
  return out;
}

std::string size_text(int bytes) {
  if (bytes >= 1048576 && bytes % 1048576 == 0) return std::to_string(bytes / 1048576) + " MiB";
  if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes / 1024) + " KiB";
  return std::to_string(bytes) + " B";
}

}  // namespace eddy::bench_tool
