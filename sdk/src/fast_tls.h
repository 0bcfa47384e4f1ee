// fast_tls.h -- the TLS model for libeddy's hot thread-locals.
//
// In a shared library, thread_local defaults to the general-dynamic model:
// every access calls __tls_get_addr (7% of a queue ping-pong in perf).
// libeddy is linked by programs, not dlopen'ed, so the initial-exec model is
// safe and makes an access one %fs-relative load. (Backends are dlopen'ed;
// they must not use this.)
//
// Thread-safety: n/a (a macro).
#ifndef EDDY_SDK_SRC_FAST_TLS_H_
#define EDDY_SDK_SRC_FAST_TLS_H_

#define EDDY_FAST_TLS __attribute__((tls_model("initial-exec")))

#endif  // EDDY_SDK_SRC_FAST_TLS_H_
