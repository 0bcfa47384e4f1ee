/*
 * eddy/errors.h -- error codes of the eddy loop ABI.
 *
 * Every ABI function that can fail returns an int32_t: 0 means success,
 * a negative errno value (-EBADF, -EINVAL, ...) reports an operating-system
 * error, and the reserved block from EDDY_ERR_BASE downwards reports eddy's own
 * conditions. One X-macro table below gives every eddy code its name and
 * message, so the host, the SDK and plugins all describe errors the same way
 * without linking any library: eddy_strerror() is header-only.
 *
 * Thread-safety: everything here is a pure function of its argument.
 *
 * This header is plain C99.
 */
#ifndef EDDY_ERRORS_H_
#define EDDY_ERRORS_H_

#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The reserved block: eddy's own codes lie in (EDDY_ERR_BASE - 1000, EDDY_ERR_BASE]. */
#define EDDY_ERR_BASE (-10000)

/* X(symbol, value, message). Append only: values are part of the ABI. */
#define EDDY_ERROR_TABLE(X)                                                          \
  X(EDDY_ERR_INCOMPATIBLE, EDDY_ERR_BASE - 1, "incompatible ABI version")            \
  X(EDDY_ERR_NOT_SUPPORTED, EDDY_ERR_BASE - 2, "operation not supported by backend") \
  X(EDDY_ERR_INTERNAL, EDDY_ERR_BASE - 3, "internal error in backend")               \
  X(EDDY_ERR_CLOSED, EDDY_ERR_BASE - 4, "Event loop is closed")                      \
  X(EDDY_ERR_RUNNING, EDDY_ERR_BASE - 5, "This event loop is already running")       \
  X(EDDY_ERR_BUSY, EDDY_ERR_BASE - 6, "handle is already scheduled")                 \
  X(EDDY_ERR_NOT_QUEUED, EDDY_ERR_BASE - 7, "handle is not scheduled on this loop")  \
  X(EDDY_ERR_CANCELLED, EDDY_ERR_BASE - 8, "handle discarded without running")       \
  X(EDDY_ERR_BAD_STRUCT, EDDY_ERR_BASE - 9, "ABI struct too small or malformed")     \
  X(EDDY_ERR_NOT_PLUGIN, EDDY_ERR_BASE - 10, "not an eddy backend plugin")           \
  X(EDDY_ERR_UNAVAILABLE, EDDY_ERR_BASE - 11, "backend unavailable on this system")  \
  X(EDDY_ERR_NOT_FOUND, EDDY_ERR_BASE - 12, "no such backend")                       \
  X(EDDY_ERR_CLOSE_RUNNING, EDDY_ERR_BASE - 13, "Cannot close a running event loop") \
  X(EDDY_ERR_STOPPED, EDDY_ERR_BASE - 14, "Event loop stopped before Future completed.")

enum { EDDY_OK = 0 };
#define EDDY__ERR_ENUM(sym, val, msg) sym = (val),
enum eddy__error_codes { EDDY_ERROR_TABLE(EDDY__ERR_ENUM) EDDY__ERR_LAST = 0 };
#undef EDDY__ERR_ENUM

/* The symbolic name of an eddy code ("EDDY_ERR_CLOSED"), "EDDY_OK" for 0,
 * "errno" for a negative errno value, "unknown" otherwise. Never NULL. */
static inline const char* eddy_err_name(int32_t code) {
#define EDDY__ERR_NAME(sym, val, msg) \
  if (code == (val)) return #sym;
  EDDY_ERROR_TABLE(EDDY__ERR_NAME)
#undef EDDY__ERR_NAME
  if (code == 0) return "EDDY_OK";
  if (code < 0 && code > -4096) return "errno";
  return "unknown";
}

/* A human-readable message for any code: eddy's own from the table, strerror()
 * for a negative errno value. Never NULL. The returned string is static or
 * owned by the C library; do not free it. */
static inline const char* eddy_strerror(int32_t code) {
#define EDDY__ERR_MSG(sym, val, msg) \
  if (code == (val)) return msg;
  EDDY_ERROR_TABLE(EDDY__ERR_MSG)
#undef EDDY__ERR_MSG
  if (code == 0) return "success";
  if (code < 0 && code > -4096) return strerror(-code);
  return "unknown error";
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* EDDY_ERRORS_H_ */
