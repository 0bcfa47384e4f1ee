/* ref_event_echo.c -- an echo server written against libevent alone.
 *
 * Two ways of writing it, chosen with --variant:
 *   raw          (default) one persistent EV_READ event per connection; its
 *                callback reads into a 64 KiB stack buffer and writes the
 *                bytes straight back. A partial write parks the rest in the
 *                connection's buffer and swaps the read event for a
 *                persistent EV_WRITE one until it is flushed.
 *   bufferevent  libevent's buffered I/O: bufferevent_socket_new per
 *                connection, and a read callback that moves the input
 *                evbuffer into the output one (evbuffer_add_buffer moves the
 *                chains, it does not copy). The bufferevent writes on a
 *                later loop iteration, when the socket reports writable.
 * raw is the faster of the two on this workload (docs/BENCHMARKS.md, "TCP
 * echo"): bufferevent pays an ioctl(FIONREAD) per read and a deferred
 * write, so it takes an extra epoll round and event change per message.
 * eddy-bench runs raw; both are here so the choice can be checked.
 *
 * Part of eddy-bench's TCP echo workloads (ref_common.h describes the
 * command line).
 */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ref_common.h"

static const char* const kVariants[] = {"raw", "bufferevent", NULL};

typedef struct Conn {
  int fd;
  struct event* on_read;
  struct event* on_write;
  char* pending; /* what a partial write left over */
  size_t pending_len;
  size_t pending_off;
  size_t pending_cap;
} Conn;

static struct event_base* base;
static int corrupt;

/* ---- raw: events and read/write ---- */

static void conn_close(Conn* c) {
  event_free(c->on_read);
  event_free(c->on_write);
  close(c->fd);
  free(c->pending);
  free(c);
}

static void conn_stash(Conn* c, const char* data, size_t n) {
  if (c->pending_cap < n) {
    free(c->pending);
    c->pending = malloc(n);
    if (c->pending == NULL) {
      fprintf(stderr, "ref_event_echo: out of memory\n");
      exit(1);
    }
    c->pending_cap = n;
  }
  memcpy(c->pending, data, n);
  c->pending_len = n;
  c->pending_off = 0;
  event_del(c->on_read);
  event_add(c->on_write, NULL);
}

static void raw_on_readable(evutil_socket_t fd, short what, void* arg) {
  (void)what;
  Conn* c = arg;
  char buf[ECHO_READ_BUFFER];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n <= 0) {
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    conn_close(c);
    return;
  }
  if (corrupt) echo_maybe_corrupt(buf, (size_t)n);
  ssize_t w = write(fd, buf, (size_t)n);
  if (w == n) return;
  if (w < 0) {
    if (errno != EAGAIN) {
      conn_close(c);
      return;
    }
    w = 0;
  }
  conn_stash(c, buf + w, (size_t)(n - w));
}

static void raw_on_writable(evutil_socket_t fd, short what, void* arg) {
  (void)what;
  Conn* c = arg;
  ssize_t w = write(fd, c->pending + c->pending_off, c->pending_len - c->pending_off);
  if (w < 0) {
    if (errno != EAGAIN && errno != EINTR) conn_close(c);
    return;
  }
  c->pending_off += (size_t)w;
  if (c->pending_off == c->pending_len) {
    c->pending_len = c->pending_off = 0;
    event_del(c->on_write);
    event_add(c->on_read, NULL);
  }
}

static void raw_serve(int fd) {
  Conn* c = calloc(1, sizeof *c);
  if (c == NULL) {
    close(fd);
    return;
  }
  c->fd = fd;
  c->on_read = event_new(base, fd, EV_READ | EV_PERSIST, raw_on_readable, c);
  c->on_write = event_new(base, fd, EV_WRITE | EV_PERSIST, raw_on_writable, c);
  event_add(c->on_read, NULL);
}

/* ---- bufferevent ---- */

static void bev_on_read(struct bufferevent* bev, void* arg) {
  (void)arg;
  struct evbuffer* in = bufferevent_get_input(bev);
  if (corrupt) {
    size_t n = evbuffer_get_length(in);
    unsigned char* data = evbuffer_pullup(in, (ev_ssize_t)n);
    echo_maybe_corrupt((char*)data, n);
  }
  evbuffer_add_buffer(bufferevent_get_output(bev), in);
}

static void bev_on_event(struct bufferevent* bev, short what, void* arg) {
  (void)arg;
  if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) bufferevent_free(bev);
}

static void bev_serve(int fd) {
  struct bufferevent* bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
  if (bev == NULL) {
    close(fd);
    return;
  }
  bufferevent_setcb(bev, bev_on_read, NULL, bev_on_event, NULL);
  bufferevent_enable(bev, EV_READ);
}

/* ---- accepting ---- */

static void on_acceptable(evutil_socket_t lfd, short what, void* arg) {
  (void)what;
  int variant = *(int*)arg;
  for (;;) {
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;
    }
    echo_set_nodelay(fd);
    if (variant == 0) {
      raw_serve(fd);
    } else {
      bev_serve(fd);
    }
  }
}

int main(int argc, char** argv) {
  EchoArgs args;
  echo_parse_args(argc, argv, kVariants, &args);
  corrupt = args.corrupt;
  signal(SIGPIPE, SIG_IGN);
  echo_raise_fd_limit();
  base = event_base_new();
  if (base == NULL) {
    fprintf(stderr, "ref_event_echo: event_base_new failed\n");
    return 1;
  }
  int lfd = echo_listen(args.host, args.port);
  struct event* accept_ev = event_new(base, lfd, EV_READ | EV_PERSIST, on_acceptable, &args.variant);
  event_add(accept_ev, NULL);
  echo_announce(lfd);
  return event_base_dispatch(base) < 0 ? 1 : 0;
}
