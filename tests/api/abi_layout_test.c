/* The loop ABI v1 as plain C99: both headers compile under -std=c99
 * -pedantic -Werror, and every struct keeps the x86_64 layout it was released
 * with. A failed _Static_assert here means the ABI changed: append fields,
 * never move them. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "eddy/errors.h"
#include "eddy/loop_abi.h"

#define CHECK_OFFSET(type, field, off) \
  _Static_assert(offsetof(type, field) == (off), #type "." #field " moved")
#define CHECK_SIZE(type, size) _Static_assert(sizeof(type) == (size), #type " changed size")

#if defined(__x86_64__) || defined(__aarch64__)
CHECK_OFFSET(eddy_handle, struct_size, 0);
CHECK_OFFSET(eddy_handle, loop_state, 4);
CHECK_OFFSET(eddy_handle, callback, 8);
CHECK_OFFSET(eddy_handle, loop_next, 16);
CHECK_OFFSET(eddy_handle, loop_prev, 24);
CHECK_SIZE(eddy_handle, 32);

CHECK_OFFSET(eddy_timer, struct_size, 0);
CHECK_OFFSET(eddy_timer, loop_index, 4);
CHECK_OFFSET(eddy_timer, when, 8);
CHECK_OFFSET(eddy_timer, loop_seq, 16);
CHECK_OFFSET(eddy_timer, handle, 24);
CHECK_SIZE(eddy_timer, 56);

CHECK_OFFSET(eddy_host, struct_size, 0);
CHECK_OFFSET(eddy_host, reserved, 4);
CHECK_OFFSET(eddy_host, arg, 8);
CHECK_OFFSET(eddy_host, log, 16);
CHECK_SIZE(eddy_host, 24);

CHECK_OFFSET(eddy_event, token, 0);
CHECK_OFFSET(eddy_event, kind, 8);
CHECK_OFFSET(eddy_event, events, 12);
CHECK_OFFSET(eddy_event, result, 16);
CHECK_SIZE(eddy_event, 24);

CHECK_OFFSET(eddy_error_context, struct_size, 0);
CHECK_OFFSET(eddy_error_context, code, 4);
CHECK_OFFSET(eddy_error_context, message, 8);
CHECK_OFFSET(eddy_error_context, handle, 16);
CHECK_SIZE(eddy_error_context, 24);

CHECK_OFFSET(eddy_loop_config, struct_size, 0);
CHECK_OFFSET(eddy_loop_config, flags, 4);
CHECK_OFFSET(eddy_loop_config, slow_callback_ns, 8);
CHECK_OFFSET(eddy_loop_config, host, 16);
CHECK_OFFSET(eddy_loop_config, hook_arg, 24);
CHECK_OFFSET(eddy_loop_config, exception_handler, 32);
CHECK_OFFSET(eddy_loop_config, slow_callback, 40);
CHECK_SIZE(eddy_loop_config, 48);

CHECK_OFFSET(eddy_loop_vtable, struct_size, 0);
CHECK_OFFSET(eddy_loop_vtable, reserved, 4);
CHECK_OFFSET(eddy_loop_vtable, loop_create, 8);
CHECK_OFFSET(eddy_loop_vtable, loop_destroy, 16);
CHECK_OFFSET(eddy_loop_vtable, call_soon, 24);
CHECK_OFFSET(eddy_loop_vtable, call_soon_threadsafe, 32);
CHECK_OFFSET(eddy_loop_vtable, cancel, 40);
CHECK_OFFSET(eddy_loop_vtable, call_at, 48);
CHECK_OFFSET(eddy_loop_vtable, time, 56);
CHECK_OFFSET(eddy_loop_vtable, add_reader, 64);
CHECK_OFFSET(eddy_loop_vtable, add_writer, 72);
CHECK_OFFSET(eddy_loop_vtable, remove_reader, 80);
CHECK_OFFSET(eddy_loop_vtable, remove_writer, 88);
CHECK_OFFSET(eddy_loop_vtable, run_once, 96);
CHECK_OFFSET(eddy_loop_vtable, run_forever, 104);
CHECK_OFFSET(eddy_loop_vtable, stop, 112);
CHECK_OFFSET(eddy_loop_vtable, close, 120);
CHECK_OFFSET(eddy_loop_vtable, is_running, 128);
CHECK_OFFSET(eddy_loop_vtable, is_closed, 136);
CHECK_OFFSET(eddy_loop_vtable, set_debug, 144);
CHECK_OFFSET(eddy_loop_vtable, native_handle, 152);
CHECK_OFFSET(eddy_loop_vtable, get_extension, 160);
CHECK_SIZE(eddy_loop_vtable, 168);

CHECK_OFFSET(eddy_negotiate_in, struct_size, 0);
CHECK_OFFSET(eddy_negotiate_in, abi_min, 4);
CHECK_OFFSET(eddy_negotiate_in, abi_max, 8);
CHECK_OFFSET(eddy_negotiate_in, reserved, 12);
CHECK_OFFSET(eddy_negotiate_in, host, 16);
CHECK_SIZE(eddy_negotiate_in, 24);

CHECK_OFFSET(eddy_backend_desc, struct_size, 0);
CHECK_OFFSET(eddy_backend_desc, abi_version, 4);
CHECK_OFFSET(eddy_backend_desc, name, 8);
CHECK_OFFSET(eddy_backend_desc, version, 16);
CHECK_OFFSET(eddy_backend_desc, description, 24);
CHECK_OFFSET(eddy_backend_desc, capabilities, 32);
CHECK_OFFSET(eddy_backend_desc, priority, 40);
CHECK_OFFSET(eddy_backend_desc, reserved, 44);
CHECK_OFFSET(eddy_backend_desc, probe, 48);
CHECK_OFFSET(eddy_backend_desc, vtable, 56);
CHECK_SIZE(eddy_backend_desc, 64);
#endif

/* Values are ABI too: codes, flags and bits never change meaning. */
#define CHECK_VALUE(expr, value) _Static_assert((expr) == (value), #expr " changed value")
CHECK_VALUE(EDDY_ERR_BASE, -10000);
CHECK_VALUE(EDDY_ERR_INCOMPATIBLE, -10001);
CHECK_VALUE(EDDY_ERR_NOT_SUPPORTED, -10002);
CHECK_VALUE(EDDY_ERR_INTERNAL, -10003);
CHECK_VALUE(EDDY_ERR_CLOSED, -10004);
CHECK_VALUE(EDDY_ERR_RUNNING, -10005);
CHECK_VALUE(EDDY_ERR_BUSY, -10006);
CHECK_VALUE(EDDY_ERR_NOT_QUEUED, -10007);
CHECK_VALUE(EDDY_ERR_CANCELLED, -10008);
CHECK_VALUE(EDDY_ERR_BAD_STRUCT, -10009);
CHECK_VALUE(EDDY_ERR_NOT_PLUGIN, -10010);
CHECK_VALUE(EDDY_ERR_UNAVAILABLE, -10011);
CHECK_VALUE(EDDY_ERR_NOT_FOUND, -10012);
CHECK_VALUE(EDDY_ERR_CLOSE_RUNNING, -10013);
CHECK_VALUE(EDDY_ERR_STOPPED, -10014);
CHECK_VALUE(EDDY_READABLE, 0x1u);
CHECK_VALUE(EDDY_WRITABLE, 0x2u);
CHECK_VALUE(EDDY_ERROR, 0x4u);
CHECK_VALUE(EDDY_HANGUP, 0x8u);
CHECK_VALUE(EDDY_EVENT_READINESS, 1u);
CHECK_VALUE(EDDY_EVENT_COMPLETION, 2u);
CHECK_VALUE(EDDY_LOOP_FLAG_DEBUG, 0x1u);
CHECK_VALUE(EDDY_CAP_THREADSAFE_WAKEUP, 0x1ull);
CHECK_VALUE(EDDY_CAP_NS_TIMERS, 0x2ull);
CHECK_VALUE(EDDY_CAP_NATIVE_HANDLE, 0x4ull);
CHECK_VALUE(EDDY_CAP_SIGNALS, 0x8ull);
CHECK_VALUE(EDDY_CAP_CHILD_WATCH, 0x10ull);
CHECK_VALUE(EDDY_CAP_COMPLETION_IO, 0x20ull);
CHECK_VALUE(EDDY_CAP_FORK_REINIT, 0x40ull);
CHECK_VALUE(EDDY_LOG_DEBUG, 10);
CHECK_VALUE(EDDY_LOG_ERROR, 40);

static int failures = 0;
#define EXPECT(cond)                                              \
  do {                                                            \
    if (!(cond)) {                                                \
      fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                 \
    }                                                             \
  } while (0)

int main(void) {
  eddy_timer t;
  eddy_backend_desc small;
  EXPECT(EDDY_ABI_MAJOR(EDDY_ABI_VERSION_CURRENT) == 1);
  EXPECT(EDDY_ABI_VERSION(1, 2) == 0x10002u);
  EXPECT(EDDY_ABI_MINOR(EDDY_ABI_VERSION(3, 7)) == 7);
  EXPECT(strcmp(eddy_err_name(EDDY_ERR_CLOSED), "EDDY_ERR_CLOSED") == 0);
  EXPECT(strcmp(eddy_strerror(EDDY_ERR_CLOSED), "Event loop is closed") == 0);
  EXPECT(strcmp(eddy_err_name(0), "EDDY_OK") == 0);
  EXPECT(strcmp(eddy_err_name(-9), "errno") == 0);
  EXPECT(strlen(eddy_strerror(-9)) > 0); /* strerror(EBADF) */
  EXPECT(strcmp(eddy_strerror(12345), "unknown error") == 0);
  EXPECT(strcmp(eddy_err_name(12345), "unknown") == 0);
  EXPECT(strcmp(eddy_strerror(0), "success") == 0);
  EXPECT(strcmp(eddy_err_name(EDDY_ERR_STOPPED), "EDDY_ERR_STOPPED") == 0);
  EXPECT(strcmp(eddy_strerror(EDDY_ERR_CLOSE_RUNNING), "Cannot close a running event loop") == 0);
  EXPECT(strcmp(eddy_strerror(EDDY_ERR_RUNNING), "This event loop is already running") == 0);
  EXPECT(EDDY_ERR_INCOMPATIBLE < EDDY_ERR_BASE && EDDY_ERR_STOPPED > EDDY_ERR_BASE - 1000);

  eddy_timer_init(&t, 0);
  EXPECT(t.struct_size == sizeof(eddy_timer));
  EXPECT(t.handle.struct_size == sizeof(eddy_handle));
  EXPECT(t.handle.loop_next == 0 && t.handle.loop_state == 0);

  /* EDDY_HAS_FIELD against a struct an older host would pass. */
  small.struct_size = (uint32_t)offsetof(eddy_backend_desc, probe);
  EXPECT(EDDY_HAS_FIELD(&small, eddy_backend_desc, priority));
  EXPECT(!EDDY_HAS_FIELD(&small, eddy_backend_desc, probe));
  EXPECT(!EDDY_HAS_FIELD(&small, eddy_backend_desc, vtable));

  if (failures) return 1;
  printf("ABI v1 layout and helpers: ok\n");
  return 0;
}
