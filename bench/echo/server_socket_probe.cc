// server_socket_probe.cc -- pidfd_getfd over /proc/PID/fd.
#include "server_socket_probe.h"

#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace eddy::echo {
namespace {

int local_port(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return -1;
  if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  return -1;
}

bool is_tcp_stream(int fd) {
  int type = 0, protocol = 0;
  socklen_t len = sizeof type;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) return false;
  len = sizeof protocol;
  return getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) == 0 && protocol == IPPROTO_TCP;
}

bool connected(int fd) {
  sockaddr_storage peer{};
  socklen_t len = sizeof peer;
  return getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) == 0;
}

}  // namespace

ServerSockets probe_server_sockets(pid_t pid, int port) {
  ServerSockets out;
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) {
    out.error = std::string("pidfd_open: ") + std::strerror(errno);
    return out;
  }
  std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    out.error = "cannot read " + dir + ": " + std::strerror(errno);
    close(pidfd);
    return out;
  }
  out.ok = true;
  char target[64];
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::string link = dir + "/" + e->d_name;
    ssize_t n = readlink(link.c_str(), target, sizeof target - 1);
    if (n <= 0 || std::strncmp(target, "socket:", 7) != 0) continue;
    int fd = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, std::atoi(e->d_name), 0));
    if (fd < 0) {
      if (errno == EBADF) continue;  // closed meanwhile
      out.ok = false;
      out.error = std::string("pidfd_getfd: ") + std::strerror(errno) +
                  (errno == EPERM ? " (needs the right to ptrace the server)" : "");
      break;
    }
    if (is_tcp_stream(fd) && local_port(fd) == port && connected(fd)) {
      ++out.connections;
      int on = 0;
      socklen_t len = sizeof on;
      if (getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, &len) == 0 && on) ++out.nodelay;
    }
    close(fd);
  }
  closedir(d);
  close(pidfd);
  return out;
}

}  // namespace eddy::echo
