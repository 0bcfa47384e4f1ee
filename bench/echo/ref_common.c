/* ref_common.c -- command line, listening socket and port announcement of
 * the C reference echo servers (see ref_common.h). */
#include "ref_common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static void usage(const char* prog, const char* const* variants) {
  fprintf(stderr, "usage: %s [--port N] [--host ADDR] [--corrupt] [--artefact]", prog);
  if (variants != NULL) {
    fprintf(stderr, " [--variant ");
    for (int i = 0; variants[i] != NULL; ++i) fprintf(stderr, "%s%s", i ? "|" : "", variants[i]);
    fprintf(stderr, "]");
  }
  fprintf(stderr, "\n");
  exit(2);
}

void echo_parse_args(int argc, char** argv, const char* const* variants, EchoArgs* out) {
  out->host = "127.0.0.1";
  out->port = 0;
  out->corrupt = 0;
  out->artefact = 0;
  out->variant = 0;
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    if (strcmp(a, "--corrupt") == 0) {
      out->corrupt = 1;
    } else if (strcmp(a, "--artefact") == 0) {
      out->artefact = 1;
    } else if (strcmp(a, "--port") == 0 && i + 1 < argc) {
      char* end = NULL;
      long p = strtol(argv[++i], &end, 10);
      if (*end != '\0' || p < 0 || p > 65535) usage(argv[0], variants);
      out->port = (int)p;
    } else if (strcmp(a, "--host") == 0 && i + 1 < argc) {
      out->host = argv[++i];
    } else if (strcmp(a, "--variant") == 0 && i + 1 < argc && variants != NULL) {
      const char* v = argv[++i];
      int found = -1;
      for (int k = 0; variants[k] != NULL; ++k) {
        if (strcmp(variants[k], v) == 0) found = k;
      }
      if (found < 0) usage(argv[0], variants);
      out->variant = found;
    } else {
      usage(argv[0], variants);
    }
  }
}

void echo_raise_fd_limit(void) {
  struct rlimit r;
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

int echo_listen(const char* host, int port) {
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)port);
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
    fprintf(stderr, "echo: not an IPv4 address: %s\n", host);
    exit(1);
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      bind(fd, (struct sockaddr*)&addr, sizeof addr) != 0 || listen(fd, SOMAXCONN) != 0) {
    perror("echo: listen");
    exit(1);
  }
  return fd;
}

void echo_announce(int listen_fd) {
  struct sockaddr_in addr;
  socklen_t len = sizeof addr;
  if (getsockname(listen_fd, (struct sockaddr*)&addr, &len) != 0) {
    perror("echo: getsockname");
    exit(1);
  }
  printf("PORT %d\n", ntohs(addr.sin_port));
  fflush(stdout);
}

void echo_set_nodelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

void echo_maybe_corrupt(char* data, size_t n) {
  static unsigned calls;
  if (n > 0 && ++calls % 64 == 0) data[n / 2] ^= 0x5a;
}

void echo_artefact(void) {
  size_t size = 256 * 1024;
  char* p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return;
  p[0] = 1;
  munmap(p, size);
}
