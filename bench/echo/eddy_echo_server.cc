// eddy_echo_server.cc -- eddy's TCP echo server for eddy-bench.
//
//   eddy-echo-server --backend uv --mode protocols --port 0
//
// Runs one mode of the echo server (eddy_echo.h lists them) on the loop
// backend --backend names (default: eddy's default choice), through
// eddy::run with RunOptions::backend, exactly as an application picks its
// loop. Like every echo server of eddy-bench (bench/echo/ref_common.h), it
// prints "PORT <n>" on stdout once it listens and echoes until SIGTERM.
// A backend that cannot load ends it with status 77 and the loader's reason
// on stderr, which eddy-bench reports as "skipped"; --list-modes prints the
// modes this build has.
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

#include "eddy/exceptions.h"
#include "eddy/runners.h"
#include "eddy_echo.h"

namespace eddy::echo {

void announce_port(int port) {
  std::printf("PORT %d\n", port);
  std::fflush(stdout);
}

namespace {

constexpr int kSkipped = 77;

const char* modes() { return "sockets|protocols|streams"; }

[[noreturn]] void usage(const char* prog) {
  std::fprintf(stderr,
               "usage: %s [--backend NAME] [--mode %s] [--port N] [--host ADDR]\n"
               "       %s --list-modes\n",
               prog, modes(), prog);
  std::exit(2);
}

bool mode_built(const std::string& mode) {
  std::string all = std::string("|") + modes() + "|";
  return all.find("|" + mode + "|") != std::string::npos;
}

Coro<> serve(const std::string& mode, ServerArgs args) {
  if (mode == "protocols") return serve_protocols(args);
  if (mode == "streams") return serve_streams(args);
  return serve_sockets(args);
}

void raise_fd_limit() {
  rlimit r;
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

int server_main(int argc, char** argv) {
  RunOptions options;
  ServerArgs args;
  std::string mode = "sockets";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--list-modes") {  // for eddy-bench: the modes this build has
      std::string list = modes();
      for (char& c : list) c = c == '|' ? ' ' : c;
      std::printf("%s\n", list.c_str());
      return 0;
    }
    if (i + 1 >= argc) usage(argv[0]);
    std::string v = argv[++i];
    if (a == "--backend") {
      options.backend = v;
    } else if (a == "--mode") {
      mode = v;
    } else if (a == "--port") {
      args.port = std::atoi(v.c_str());
    } else if (a == "--host") {
      args.host = v;
    } else {
      usage(argv[0]);
    }
  }
  if (!mode_built(mode)) {
    std::fprintf(stderr, "eddy-echo-server: mode '%s' is not built in (modes: %s)\n", mode.c_str(),
                 modes());
    return kSkipped;
  }
  std::signal(SIGPIPE, SIG_IGN);
  raise_fd_limit();
  try {
    eddy::run(serve(mode, args), options);
  } catch (const BackendError& e) {
    std::fprintf(stderr, "eddy-echo-server: backend '%s' unavailable: %s\n",
                 options.backend.c_str(), e.what());
    return kSkipped;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eddy-echo-server: %s\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace eddy::echo

int main(int argc, char** argv) { return eddy::echo::server_main(argc, argv); }
