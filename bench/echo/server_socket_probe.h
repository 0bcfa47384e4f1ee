// server_socket_probe.h -- checks from outside that a server treats its
// connections as every other server does: how many of its connected TCP
// sockets on the port it listens on have TCP_NODELAY set.
//
// It walks /proc/PID/fd, takes a copy of each socket with pidfd_getfd(2)
// (Linux 5.6+; needs the right to ptrace the server: the same user with
// ptrace not restricted by Yama, or root), and asks the copy with
// getsockname, getpeername and getsockopt. The server is not disturbed: the
// copies are closed at once.
//
// Thread-safety: pure function (reads /proc, makes system calls).
#ifndef EDDY_BENCH_ECHO_SERVER_SOCKET_PROBE_H_
#define EDDY_BENCH_ECHO_SERVER_SOCKET_PROBE_H_

#include <sys/types.h>

#include <string>

namespace eddy::echo {

struct ServerSockets {
  bool ok = false;
  std::string error;    // why not, when !ok
  int connections = 0;  // connected TCP sockets whose local port is `port`
  int nodelay = 0;      // of them, those with TCP_NODELAY
};

ServerSockets probe_server_sockets(pid_t pid, int port);

}  // namespace eddy::echo

#endif  // EDDY_BENCH_ECHO_SERVER_SOCKET_PROBE_H_
