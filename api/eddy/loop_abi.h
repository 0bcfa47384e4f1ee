/*
 * eddy/loop_abi.h -- the eddy loop ABI, version 1: asyncio's AbstractEventLoop in C.
 *
 * A backend plugin is a shared object that exports exactly one symbol,
 * eddy_backend_negotiate (see EDDY_BACKEND_ENTRY_SYMBOL). The host (eddy's
 * loader) calls it with the range of ABI versions it speaks and the services
 * it offers; the plugin picks a version and fills in a descriptor: its name,
 * version, capabilities, a probe function and the loop vtable. Everything the
 * host does with a loop afterwards goes through that vtable.
 *
 * Memory model. The loop never allocates per operation. Callbacks are
 * scheduled with caller-owned, intrusive records (eddy_handle, eddy_timer):
 * the loop links them into its queues through fields reserved for it and
 * hands them back exactly once:
 *   - by invoking the callback with status 0 (the callback ran), or
 *   - by invoking the callback with status EDDY_ERR_CANCELLED when the loop is
 *     closed or destroyed while the record is still queued (the callback must
 *     then only release what it owns and must not call back into the loop), or
 *   - by a successful cancel() call, after which the loop holds no reference.
 * Between scheduling and hand-back the caller must keep the record alive and
 * must not modify it. Once handed back it may be reused or freed at once, even
 * from inside its own callback.
 *
 * Versioning rules (see docs/backend-contract.md):
 *   - every struct starts with uint32_t struct_size and is append-only;
 *   - no enum, bool or bitfield appears in a struct; flags are uint32_t/uint64_t;
 *   - a reader tests a field with EDDY_HAS_FIELD and accepts larger structs;
 *   - an optional vtable slot may be NULL; the host treats NULL as
 *     EDDY_ERR_NOT_SUPPORTED.
 *
 * Thread-safety: every function of a loop's vtable must be called from the
 * thread that runs that loop (its "loop thread"), except call_soon_threadsafe,
 * which any thread may call at any time before destroy. Different loops are
 * independent: a plugin keeps no global mutable state, so two loops of two
 * different backends run on two threads of one process.
 *
 * Exceptions: no C++ exception may cross this ABI in either direction.
 * Callbacks invoked by a backend are C functions that must not throw.
 *
 * This header is plain C99.
 */
#ifndef EDDY_LOOP_ABI_H_
#define EDDY_LOOP_ABI_H_

#include <stddef.h>
#include <stdint.h>

#include "eddy/errors.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Versions ---------------------------------------------------------- */

#define EDDY_ABI_VERSION(major, minor) ((uint32_t)(((uint32_t)(major) << 16) | (uint32_t)(minor)))
#define EDDY_ABI_MAJOR(v) ((uint32_t)(v) >> 16)
#define EDDY_ABI_MINOR(v) ((uint32_t)(v)&0xffffu)
/* The version this header describes. */
#define EDDY_ABI_VERSION_CURRENT EDDY_ABI_VERSION(1, 0)

/* True when the struct pointed to by p (which starts with struct_size) is large
 * enough to contain the field. Use it before reading any field that was
 * appended after a struct's first release. */
#define EDDY_HAS_FIELD(p, type, field) \
  ((p)->struct_size >= offsetof(type, field) + sizeof(((type*)0)->field))

/* The one symbol a plugin exports. */
#define EDDY_BACKEND_ENTRY_SYMBOL "eddy_backend_negotiate"

/* ---- Host services ---------------------------------------------------- */

/* Log levels, as Python's logging module numbers them. */
#define EDDY_LOG_DEBUG 10
#define EDDY_LOG_INFO 20
#define EDDY_LOG_WARNING 30
#define EDDY_LOG_ERROR 40

/* Services the host offers to a plugin. The plugin must not assume any field
 * beyond struct_size; it may keep the pointer for the life of the process. */
typedef struct eddy_host {
  uint32_t struct_size;
  uint32_t reserved;
  /* Opaque argument passed back to every service below. */
  void* arg;
  /* Reports a message at a level (EDDY_LOG_*). The host copies msg; msg is a
   * NUL-terminated UTF-8 string. May be called from any thread. Never NULL. */
  void (*log)(void* arg, int32_t level, const char* msg);
} eddy_host;

/* ---- Callback records ---------------------------------------------------- */

typedef struct eddy_handle eddy_handle;

/* The callback of a handle or timer. status is 0 when the callback is run,
 * EDDY_ERR_CANCELLED when the record is handed back unrun (loop closed). The
 * callback receives the record itself; it finds its own context from it
 * (typically by embedding the record in a larger struct). */
typedef void (*eddy_handle_fn)(eddy_handle* handle, int32_t status);

/* A callback scheduled with call_soon / call_soon_threadsafe. Caller-owned;
 * initialise with eddy_handle_init() before first use. Reusable after it has
 * been handed back. */
struct eddy_handle {
  uint32_t struct_size;
  uint32_t loop_state; /* loop-private: which queue the record is on */
  eddy_handle_fn callback;
  eddy_handle* loop_next; /* loop-private links */
  eddy_handle* loop_prev;
};

/* A callback scheduled with call_at. The callback is handle.callback and
 * receives &timer->handle. Caller-owned; initialise with eddy_timer_init(). */
typedef struct eddy_timer {
  uint32_t struct_size;
  uint32_t loop_index; /* loop-private: position in the timer heap */
  int64_t when;        /* deadline in ns of the loop clock; written by call_at */
  uint64_t loop_seq;   /* loop-private: FIFO order among equal deadlines */
  eddy_handle handle;
} eddy_timer;

static inline void eddy_handle_init(eddy_handle* h, eddy_handle_fn callback) {
  h->struct_size = (uint32_t)sizeof(eddy_handle);
  h->loop_state = 0;
  h->callback = callback;
  h->loop_next = 0;
  h->loop_prev = 0;
}

static inline void eddy_timer_init(eddy_timer* t, eddy_handle_fn callback) {
  t->struct_size = (uint32_t)sizeof(eddy_timer);
  t->loop_index = 0;
  t->when = 0;
  t->loop_seq = 0;
  eddy_handle_init(&t->handle, callback);
}

/* Readiness bits for add_reader/add_writer callbacks and eddy_event.events. */
#define EDDY_READABLE 0x1u
#define EDDY_WRITABLE 0x2u
#define EDDY_ERROR 0x4u  /* error condition on the fd (EPOLLERR) */
#define EDDY_HANGUP 0x8u /* peer hung up (EPOLLHUP / EPOLLRDHUP) */

/* An fd watcher callback: the fd is ready for what events says. Runs from the
 * loop's ready queue like any other callback, so it may add or remove any
 * watcher, including its own. */
typedef void (*eddy_io_fn)(void* arg, int32_t fd, uint32_t events);

/* One event as a poller reports it. kind EDDY_EVENT_READINESS carries fd
 * readiness in events; kind EDDY_EVENT_COMPLETION (reserved for completion-
 * based I/O) carries an operation's result. token identifies the watcher or
 * operation. */
#define EDDY_EVENT_READINESS 1u
#define EDDY_EVENT_COMPLETION 2u
typedef struct eddy_event {
  uint64_t token;
  uint32_t kind;
  uint32_t events;
  int64_t result;
} eddy_event;

/* ---- Loop configuration ---------------------------------------------------- */

/* What the host tells a backend when it reports an error it could not return
 * to a caller (a failed poll, a broken wakeup): asyncio's exception-handler
 * context, in C. All pointers are valid only during the call. */
typedef struct eddy_error_context {
  uint32_t struct_size;
  int32_t code;        /* an eddy or -errno code */
  const char* message; /* never NULL */
  eddy_handle* handle; /* the handle involved, or NULL */
} eddy_error_context;

#define EDDY_LOOP_FLAG_DEBUG 0x1u

/* Passed to loop_create. The backend copies what it needs. */
typedef struct eddy_loop_config {
  uint32_t struct_size;
  uint32_t flags; /* EDDY_LOOP_FLAG_* */
  /* Debug mode: callbacks running longer than this are reported (ns). */
  int64_t slow_callback_ns;
  const eddy_host* host; /* never NULL */
  /* Context for the hooks below. */
  void* hook_arg;
  /* Called on the loop thread for errors the backend cannot return (NULL:
   * they are logged through host->log). */
  void (*exception_handler)(void* hook_arg, const eddy_error_context* ctx);
  /* In debug mode, called on the loop thread after a callback ran longer than
   * slow_callback_ns, so the host can name it (NULL: logged generically). */
  void (*slow_callback)(void* hook_arg, eddy_handle* handle, int64_t duration_ns);
} eddy_loop_config;

/* ---- The loop vtable ----------------------------------------------------- */

typedef struct eddy_loop eddy_loop; /* opaque, backend-defined */

/* Capability bits (eddy_backend_desc.capabilities). */
#define EDDY_CAP_THREADSAFE_WAKEUP 0x1ull /* call_soon_threadsafe wakes a sleeping loop */
#define EDDY_CAP_NS_TIMERS 0x2ull         /* the poller sleeps with ns precision */
#define EDDY_CAP_NATIVE_HANDLE 0x4ull     /* native_handle is implemented */
#define EDDY_CAP_SIGNALS 0x8ull           /* reserved: native signal watching */
#define EDDY_CAP_CHILD_WATCH 0x10ull      /* reserved: native child-process watching */
#define EDDY_CAP_COMPLETION_IO 0x20ull    /* reserved: completion-based I/O */
#define EDDY_CAP_FORK_REINIT 0x40ull      /* reserved: re-initialise after fork() */

/* The loop's functions. Unless said otherwise every function is called on the
 * loop thread, returns 0 or an error code, and fails with EDDY_ERR_CLOSED once
 * the loop is closed. Slots after the mandatory block may be NULL. */
typedef struct eddy_loop_vtable {
  uint32_t struct_size;
  uint32_t reserved;

  /* Creates a loop. On success stores it in *out and returns 0; the calling
   * thread becomes the loop thread until the loop is destroyed. */
  int32_t (*loop_create)(const eddy_loop_config* config, eddy_loop** out);
  /* Closes the loop if needed (handing back every queued record with
   * EDDY_ERR_CANCELLED) and frees it. The pointer is invalid afterwards. */
  void (*loop_destroy)(eddy_loop* loop);

  /* Appends handle to the ready queue: it runs in the next iteration, after
   * every callback scheduled before it (FIFO). EDDY_ERR_BUSY if it is already
   * scheduled. Allocates nothing. */
  int32_t (*call_soon)(eddy_loop* loop, eddy_handle* handle);
  /* Like call_soon, but may be called from any thread, and wakes the loop if
   * it is blocked polling. Safe to call while another thread closes the loop:
   * a handle that arrives after close is handed back with
   * EDDY_ERR_CANCELLED on the loop thread or returns EDDY_ERR_CLOSED. */
  int32_t (*call_soon_threadsafe)(eddy_loop* loop, eddy_handle* handle);
  /* Unschedules a handle given to call_soon (or a timer's handle). Returns 0
   * if it was queued and is now handed back, EDDY_ERR_NOT_QUEUED otherwise
   * (already run or never scheduled). Loop thread only, even for a handle
   * given to call_soon_threadsafe. */
  int32_t (*cancel)(eddy_loop* loop, eddy_handle* handle);

  /* Schedules timer to run at or after the loop time `when` (ns): never
   * before. Timers with equal deadlines run in the order they were scheduled.
   * Due timers run in the iteration that finds them due, after the callbacks
   * that were already ready. EDDY_ERR_BUSY if it is already scheduled.
   * Cancel with cancel(loop, &timer->handle). */
  int32_t (*call_at)(eddy_loop* loop, eddy_timer* timer, int64_t when);
  /* The loop's monotonic clock in ns (CLOCK_MONOTONIC), read now. */
  int64_t (*time)(eddy_loop* loop);

  /* Starts calling fn(arg, fd, events) whenever fd is readable (writable),
   * replacing any previous reader (writer) callback of that fd. Level-
   * triggered: it is called in every iteration while the fd stays ready.
   * -EBADF/-EPERM etc. when the fd cannot be watched. */
  int32_t (*add_reader)(eddy_loop* loop, int32_t fd, eddy_io_fn fn, void* arg);
  int32_t (*add_writer)(eddy_loop* loop, int32_t fd, eddy_io_fn fn, void* arg);
  /* Stops watching; returns 1 if a callback was registered, 0 if not. A
   * pending call of the removed callback in the current iteration does not
   * happen. */
  int32_t (*remove_reader)(eddy_loop* loop, int32_t fd);
  int32_t (*remove_writer)(eddy_loop* loop, int32_t fd);

  /* Runs one iteration: polls (blocking for at most the time until the next
   * timer, not at all if callbacks are ready or a stop is pending, at most
   * timeout_ns if that is >= 0), moves due timers and ready fds onto the ready
   * queue and runs exactly the callbacks that were ready when the run phase
   * began. EDDY_ERR_RUNNING when called from inside a callback. */
  int32_t (*run_once)(eddy_loop* loop, int64_t timeout_ns);
  /* Runs iterations until stop() is called. A stop() requested before
   * run_forever is entered makes it run one iteration and return. Returns
   * EDDY_ERR_RUNNING if the loop is already running. */
  int32_t (*run_forever)(eddy_loop* loop);
  /* Asks run_forever to return after the current iteration. */
  int32_t (*stop)(eddy_loop* loop);
  /* Closes the loop: hands back every queued handle and timer with
   * EDDY_ERR_CANCELLED, forgets every watcher. EDDY_ERR_CLOSE_RUNNING while
   * running. Closing a closed loop is a no-op returning 0. */
  int32_t (*close)(eddy_loop* loop);
  /* 1 or 0. Valid on a closed loop. */
  int32_t (*is_running)(eddy_loop* loop);
  int32_t (*is_closed)(eddy_loop* loop);
  /* Turns debug mode (slow-callback reports) on or off. */
  int32_t (*set_debug)(eddy_loop* loop, int32_t enabled, int64_t slow_callback_ns);

  /* ---- Optional slots (may be NULL) ---- */

  /* Stores the native loop object and a static string naming its type
   * ("epoll_fd" (pointer to the int fd), "uv_loop_t", "event_base"). */
  int32_t (*native_handle)(eddy_loop* loop, const char** kind, void** out);
  /* Looks up a named extension: a backend-specific, versioned table of
   * functions. EDDY_ERR_NOT_SUPPORTED if unknown. */
  int32_t (*get_extension)(eddy_loop* loop, const char* name, const void** out);
} eddy_loop_vtable;

/* ---- Negotiation --------------------------------------------------------- */

/* What the host offers. */
typedef struct eddy_negotiate_in {
  uint32_t struct_size;
  uint32_t abi_min; /* lowest ABI version the host accepts */
  uint32_t abi_max; /* highest ABI version the host speaks */
  uint32_t reserved;
  const eddy_host* host; /* never NULL; valid for the life of the process */
} eddy_negotiate_in;

/* What the plugin answers. The host sets struct_size to the size it knows;
 * the plugin writes no field beyond it. Strings and the vtable are static:
 * the plugin is never unloaded. */
typedef struct eddy_backend_desc {
  uint32_t struct_size;
  uint32_t abi_version; /* chosen version, in [abi_min, abi_max] */
  const char* name;     /* short lowercase identifier: "epoll", "uv" */
  const char* version;  /* the backend's own version, e.g. "1.0.0" */
  const char* description; /* one line, may name the library version */
  uint64_t capabilities;   /* EDDY_CAP_* */
  int32_t priority;        /* higher is preferred by default selection */
  uint32_t reserved;
  /* Checks whether the backend can run here. Returns 0 if it can; otherwise
   * an error code, with a NUL-terminated reason written into
   * reason[0..reason_size). May be called from any thread. */
  int32_t (*probe)(const eddy_host* host, char* reason, size_t reason_size);
  const eddy_loop_vtable* vtable;
} eddy_backend_desc;

/* The entry point. Returns 0 and fills *out, or EDDY_ERR_INCOMPATIBLE when
 * no version in [in->abi_min, in->abi_max] is spoken, or EDDY_ERR_BAD_STRUCT
 * when a struct is too small. Called once per process per plugin. */
typedef int32_t (*eddy_backend_negotiate_fn)(const eddy_negotiate_in* in, eddy_backend_desc* out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* EDDY_LOOP_ABI_H_ */
