// echo_catalog.h -- the TCP echo workloads: which servers exist, where
// their programs are, which of them can run here, and which runs the
// options select.
//
// A run is one server, one message size and one connection count. Its
// name is "Echo/<server>/<mode>/<size>/<connections>" and its workload key
// "Echo/<mode>/<size>/<connections>" (the key --workloads matches, as
// "Echo/protocols/1024/100"; the name and the label are matched too, so
// "uvloop" or "Echo/ref_" select servers). The servers:
//   <backend>   eddy's echo server (bench/echo/eddy_echo_server.cc) on each
//               eddy backend, in modes protocols and streams (in the quick
//               suite) and sockets (selected by --workloads only);
//   ref_epoll, ref_uv, ref_event   raw C servers on epoll, libuv, libevent:
//               the baseline every run is compared with, so they run for
//               every size and connection count any selected run uses;
//   asio        Boost.Asio C++20 coroutines;
//   asyncio, uvloop   Python's asyncio, on its own loop and on uvloop, in
//               modes protocols and streams.
// A server whose program was not built or cannot run (no Python, no uvloop,
// an eddy mode not built yet) is skipped with the reason.
//
// Thread-safety: main thread only (discovery runs child processes).
#ifndef EDDY_TOOLS_EDDY_BENCH_ECHO_CATALOG_H_
#define EDDY_TOOLS_EDDY_BENCH_ECHO_CATALOG_H_

#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "options.h"
#include "skipped.h"

namespace eddy::bench_tool {

enum class EchoKind {
  kEddy,       // eddy's server on one backend
  kRawC,       // a raw C server: the baseline
  kReference,  // another library or language
};

struct EchoServer {
  std::string server;  // "epoll", "ref_uv", "uvloop", ...
  std::string mode;    // "protocols", "streams", "sockets", "raw", "coroutines"
  EchoKind kind = EchoKind::kEddy;
  std::string label;                 // "eddy protocols, epoll", "raw libuv (C)", ...
  std::vector<std::string> command;  // argv, without --port
  bool quick = true;                 // in the quick default suite
};

struct EchoInstance {
  EchoServer server;
  int size = 0;
  int connections = 0;
  std::string name;      // "Echo/epoll/protocols/1024/100"
  std::string workload;  // "Echo/protocols/1024/100"
};

// Where the programs are, and what the environment has.
struct EchoPrograms {
  std::string dir;                      // "" if no directory holds eddy-echo-load
  std::string searched;                 // the directories looked in, for the message
  std::string load;                     // eddy-echo-load
  std::string eddy_server;              // eddy-echo-server
  std::vector<std::string> eddy_modes;  // the modes it was built with
  std::string python;                   // --python
  std::string python_version;           // "" if it does not run
  std::string python_error;
  std::string uvloop_version;  // "" if it cannot be imported
  std::string uvloop_error;
};

// The reference names --references accepts.
const std::vector<std::string>& echo_reference_names();

// Every server eddy-bench knows, for the given eddy backends and
// references (empty: all), whether or not its program exists.
std::vector<EchoServer> echo_servers(const std::vector<std::string>& eddy_backends,
                                     const std::vector<std::string>& references,
                                     const EchoPrograms& programs);

// Looks for the programs (--echo-dir, else beside the executable: a build
// tree's bench/echo/, an install's libexec/eddy/). Runs nothing.
EchoPrograms locate_echo_programs(const Options& o);

// Asks eddy-echo-server for its modes and Python for its and uvloop's
// versions (a child process each, a few tens of milliseconds).
void probe_echo_programs(EchoPrograms* programs);

// Why `server` cannot run here, or "" if it can. Needs the probe.
std::string echo_unavailable(const EchoServer& server, const EchoPrograms& programs);

// The runs the options select, in plan order (for each size and connection
// count: eddy's servers backend by backend, then the references), with
// the raw C baseline added wherever a run was selected. `regex_given`
// false means the quick suite.
std::vector<EchoInstance> select_echo(const std::vector<EchoServer>& servers, const Options& o,
                                      bool regex_given, const std::regex& re);

// "1 KiB", "64 B", "16 KiB", "1.5 KiB".
std::string size_text(int bytes);

}  // namespace eddy::bench_tool

#endif  // EDDY_TOOLS_EDDY_BENCH_ECHO_CATALOG_H_
