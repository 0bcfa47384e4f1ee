/* ref_uv_echo.c -- an echo server written against libuv alone.
 *
 * The idiomatic libuv echo: uv_listen, uv_accept, uv_read_start and, for
 * every read, one uv_write of the bytes just read. The read buffers are
 * what makes it cheap: alloc_cb hands out the buffer of a pooled write
 * slot (a uv_write_t followed by 64 KiB), read_cb writes that very buffer
 * back with the slot's request (no copy), and write_cb returns the slot to
 * a free list. libuv writes at once when the connection's write queue is
 * empty and only defers the callback, so a slot is busy for one loop
 * iteration; the pool grows to the number of reads in flight and nothing
 * is allocated per message after that. Connections set TCP_NODELAY, as the
 * other servers do.
 *
 * Part of eddy-bench's TCP echo workloads (ref_common.h describes the
 * command line).
 */
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

#include "ref_common.h"

typedef struct Slot {
  uv_write_t req; /* first, so a request is its slot */
  struct Slot* next_free;
  char data[ECHO_READ_BUFFER];
} Slot;

static Slot* free_slots;
static int corrupt;

static Slot* slot_get(void) {
  Slot* s = free_slots;
  if (s != NULL) {
    free_slots = s->next_free;
    return s;
  }
  s = malloc(sizeof *s);
  if (s == NULL) {
    fprintf(stderr, "ref_uv_echo: out of memory\n");
    exit(1);
  }
  return s;
}

static void slot_put(Slot* s) {
  s->next_free = free_slots;
  free_slots = s;
}

static Slot* slot_of(char* base) { return (Slot*)(base - offsetof(Slot, data)); }

static void on_alloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf) {
  (void)handle;
  (void)suggested;
  Slot* s = slot_get();
  *buf = uv_buf_init(s->data, sizeof s->data);
}

static void on_closed(uv_handle_t* handle) { free(handle); }

static void on_written(uv_write_t* req, int status) {
  (void)status; /* a failed write shows up as a failed read, which closes */
  slot_put((Slot*)req);
}

static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  if (nread > 0) {
    Slot* s = slot_of(buf->base);
    if (corrupt) echo_maybe_corrupt(buf->base, (size_t)nread);
    uv_buf_t out = uv_buf_init(buf->base, (unsigned)nread);
    if (uv_write(&s->req, stream, &out, 1, on_written) != 0) {
      slot_put(s);
      if (!uv_is_closing((uv_handle_t*)stream)) uv_close((uv_handle_t*)stream, on_closed);
    }
    return;
  }
  if (buf->base != NULL) slot_put(slot_of(buf->base));
  if (nread < 0 && !uv_is_closing((uv_handle_t*)stream)) {
    uv_close((uv_handle_t*)stream, on_closed);
  }
}

static void on_connection(uv_stream_t* server, int status) {
  if (status < 0) return;
  uv_tcp_t* client = malloc(sizeof *client);
  if (client == NULL) return;
  uv_tcp_init(server->loop, client);
  if (uv_accept(server, (uv_stream_t*)client) != 0) {
    uv_close((uv_handle_t*)client, on_closed);
    return;
  }
  uv_tcp_nodelay(client, 1);
  uv_read_start((uv_stream_t*)client, on_alloc, on_read);
}

int main(int argc, char** argv) {
  EchoArgs args;
  echo_parse_args(argc, argv, NULL, &args);
  corrupt = args.corrupt;
  signal(SIGPIPE, SIG_IGN);
  echo_raise_fd_limit();
  uv_loop_t* loop = uv_default_loop();
  uv_tcp_t server;
  struct sockaddr_in addr;
  uv_tcp_init(loop, &server);
  int rc = uv_ip4_addr(args.host, args.port, &addr);
  if (rc == 0) rc = uv_tcp_bind(&server, (const struct sockaddr*)&addr, 0);
  if (rc == 0) rc = uv_listen((uv_stream_t*)&server, SOMAXCONN, on_connection);
  uv_os_fd_t fd;
  if (rc == 0) rc = uv_fileno((uv_handle_t*)&server, &fd);
  if (rc != 0) {
    fprintf(stderr, "ref_uv_echo: listen: %s\n", uv_strerror(rc));
    return 1;
  }
  echo_announce(fd);
  return uv_run(loop, UV_RUN_DEFAULT);
}
