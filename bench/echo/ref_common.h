/* ref_common.h -- what the C reference echo servers share: their command
 * line, the listening socket and the "PORT <n>" announcement.
 *
 * Every echo server of eddy-bench (bench/echo/) speaks the same small
 * protocol with the program that starts it: it takes "--port N" (0 picks a
 * free port), listens on 127.0.0.1, prints "PORT <n>" on stdout, flushed,
 * once it accepts connections, then echoes every byte it reads on every
 * connection until SIGTERM (the default disposition ends it). These helpers
 * keep that protocol in one place for the three C servers, so each server
 * file holds only its event loop.
 *
 * Thread-safety: call from the main thread, before the loop starts.
 */
#ifndef EDDY_BENCH_ECHO_REF_COMMON_H_
#define EDDY_BENCH_ECHO_REF_COMMON_H_

#include <stddef.h>

/* The size of the buffer a server reads into: one read takes up to this. */
#define ECHO_READ_BUFFER 65536

typedef struct EchoArgs {
  const char* host; /* "127.0.0.1" unless --host */
  int port;         /* --port, 0 = any free port */
  int corrupt;      /* --corrupt: flip a byte now and then (for tests) */
  int artefact;     /* --artefact: an mmap and a munmap per read (for tests) */
  int variant;      /* server-specific --variant index, 0 by default */
} EchoArgs;

/* Parses argv. `variants` is a NULL-terminated list of the names
 * --variant accepts (NULL: the server has none); the first is the default.
 * Prints usage and exits with status 2 on a bad command line. */
void echo_parse_args(int argc, char** argv, const char* const* variants, EchoArgs* out);

/* Raises the soft limit on open descriptors to the hard limit, so a
 * thousand connections fit. */
void echo_raise_fd_limit(void);

/* A non-blocking, close-on-exec TCP socket listening on host:port with the
 * largest backlog the system allows; exits with a message on failure. */
int echo_listen(const char* host, int port);

/* Prints "PORT <n>" for the listening socket fd on stdout and flushes. */
void echo_announce(int listen_fd);

/* Sets TCP_NODELAY on a connection (asyncio does so on every TCP
 * transport; the C servers match it so all servers send alike). */
void echo_set_nodelay(int fd);

/* For --corrupt: flips one byte of data[0..n) on every 64th call. */
void echo_maybe_corrupt(char* data, size_t n);

/* For --artefact: what CPython's sock.recv(256 KiB) costs per message under
 * glibc's dynamic mmap threshold, on purpose: maps 256 KiB, touches its
 * first page and unmaps it. eddy-bench's tests check that its syscall count
 * shows one mmap and one munmap per message. */
void echo_artefact(void);

#endif /* EDDY_BENCH_ECHO_REF_COMMON_H_ */
