#include "bench_util.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "eddy/backends.h"

namespace eddy::bench {

std::vector<std::string> backend_names() {
  std::vector<std::string> out;
  for (const BackendInfo& b : available_backends()) {
    if (b.available && std::find(out.begin(), out.end(), b.name) == out.end()) {
      out.push_back(b.name);
    }
  }
  return out;
}

void register_per_backend(const char* name, BackendBenchmark fn) {
  for (const std::string& b : backend_names()) {
    benchmark::RegisterBenchmark((std::string(name) + "/" + b).c_str(),
                                 [fn, b](benchmark::State& s) { fn(s, b); });
  }
}

SocketPair::SocketPair() {
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd) != 0) {
    std::perror("socketpair");
    std::abort();
  }
}

SocketPair::~SocketPair() {
  ::close(fd[0]);
  ::close(fd[1]);
}

}  // namespace eddy::bench
