/* ref_epoll_echo.c -- the practical limit: a minimal echo server on raw
 * epoll, in plain C.
 *
 * One thread, level-triggered epoll. A readable connection is read once
 * into a 64 KiB stack buffer and the bytes are written straight back. If
 * the write is partial, the rest is copied into that connection's own
 * buffer, the connection stops reading and waits for EPOLLOUT, and reading
 * resumes once the buffer is flushed: the memory a slow reader can pin is
 * bounded by one read. Connection state is an array indexed by descriptor,
 * so an event costs no lookup and nothing is allocated per message.
 *
 * eddy-bench's TCP echo workloads use it as one of the baselines every
 * other server is compared with (ref_common.h describes the command line).
 * --corrupt flips a byte of every 64th read, for testing that the load
 * generator checks what comes back.
 */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ref_common.h"

typedef struct Conn {
  char* pending; /* bytes a partial write left over, or NULL */
  size_t pending_len;
  size_t pending_off;
  size_t pending_cap;
} Conn;

static Conn* conns;
static size_t conn_count;
static int epfd;

static Conn* conn_for(int fd) {
  if ((size_t)fd >= conn_count) {
    size_t n = conn_count ? conn_count : 1024;
    while (n <= (size_t)fd) n *= 2;
    Conn* grown = realloc(conns, n * sizeof *conns);
    if (grown == NULL) {
      perror("ref_epoll_echo: realloc");
      exit(1);
    }
    memset(grown + conn_count, 0, (n - conn_count) * sizeof *conns);
    conns = grown;
    conn_count = n;
  }
  return &conns[fd];
}

static void watch(int fd, int op, unsigned events) {
  struct epoll_event ev;
  ev.events = events;
  ev.data.fd = fd;
  if (epoll_ctl(epfd, op, fd, &ev) != 0) {
    perror("ref_epoll_echo: epoll_ctl");
    exit(1);
  }
}

static void close_conn(int fd) {
  Conn* c = conn_for(fd);
  c->pending_len = c->pending_off = 0;
  close(fd); /* also removes it from the epoll set */
}

static void accept_all(int lfd) {
  for (;;) {
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return; /* EAGAIN, or out of descriptors: try again on the next event */
    }
    echo_set_nodelay(fd);
    conn_for(fd)->pending_len = 0;
    watch(fd, EPOLL_CTL_ADD, EPOLLIN);
  }
}

/* Keeps data[0..n) for later and switches the connection to EPOLLOUT. */
static void stash(int fd, const char* data, size_t n) {
  Conn* c = conn_for(fd);
  if (c->pending_cap < n) {
    free(c->pending);
    c->pending = malloc(n);
    if (c->pending == NULL) {
      perror("ref_epoll_echo: malloc");
      exit(1);
    }
    c->pending_cap = n;
  }
  memcpy(c->pending, data, n);
  c->pending_len = n;
  c->pending_off = 0;
  watch(fd, EPOLL_CTL_MOD, EPOLLOUT);
}

static void on_readable(int fd, int corrupt, int artefact) {
  char buf[ECHO_READ_BUFFER];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n <= 0) {
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    close_conn(fd);
    return;
  }
  if (corrupt) echo_maybe_corrupt(buf, (size_t)n);
  if (artefact) echo_artefact();
  ssize_t w = write(fd, buf, (size_t)n);
  if (w == n) return;
  if (w < 0) {
    if (errno != EAGAIN) {
      close_conn(fd);
      return;
    }
    w = 0;
  }
  stash(fd, buf + w, (size_t)(n - w));
}

static void on_writable(int fd) {
  Conn* c = conn_for(fd);
  ssize_t w = write(fd, c->pending + c->pending_off, c->pending_len - c->pending_off);
  if (w < 0) {
    if (errno != EAGAIN && errno != EINTR) close_conn(fd);
    return;
  }
  c->pending_off += (size_t)w;
  if (c->pending_off == c->pending_len) {
    c->pending_len = c->pending_off = 0;
    watch(fd, EPOLL_CTL_MOD, EPOLLIN);
  }
}

int main(int argc, char** argv) {
  EchoArgs args;
  echo_parse_args(argc, argv, NULL, &args);
  signal(SIGPIPE, SIG_IGN);
  echo_raise_fd_limit();
  int lfd = echo_listen(args.host, args.port);
  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) {
    perror("ref_epoll_echo: epoll_create1");
    return 1;
  }
  watch(lfd, EPOLL_CTL_ADD, EPOLLIN);
  echo_announce(lfd);
  struct epoll_event events[256];
  for (;;) {
    int n = epoll_wait(epfd, events, 256, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("ref_epoll_echo: epoll_wait");
      return 1;
    }
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == lfd) {
        accept_all(lfd);
      } else if (events[i].events & EPOLLOUT) {
        on_writable(fd);
      } else {
        on_readable(fd, args.corrupt, args.artefact); /* EPOLLIN, or EPOLLHUP/EPOLLERR: read says which */
      }
    }
  }
}
