// fast_tls.h -- the TLS model for libeddy's hot thread-locals.
//
// In a shared library, thread_local defaults to the general-dynamic model:
// every access calls __tls_get_addr (7% of a queue ping-pong in perf). The
// initial-exec model makes an access one %fs-relative load. It puts the
// variable in the static TLS block: free when libeddy is linked by the
// program, and taken from glibc's small static TLS surplus when libeddy is
// dlopen'ed (as a dependency of a plugin or an extension module) -- so only
// a few pointer-sized variables may use it (they total under 64 bytes).
// Backends are dlopen'ed themselves and must not use it.
//
// Thread-safety: n/a (a macro).
#ifndef EDDY_SDK_SRC_FAST_TLS_H_
#define EDDY_SDK_SRC_FAST_TLS_H_

#define EDDY_FAST_TLS __attribute__((tls_model("initial-exec")))

#endif  // EDDY_SDK_SRC_FAST_TLS_H_
