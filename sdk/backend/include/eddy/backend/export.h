// eddy/backend/export.h -- turning a Poller into a plugin.
//
// A backend describes itself with a PluginSpec and writes, in one .cc file:
//
//   EDDY_BACKEND_PLUGIN(epoll, kEpollSpec)
//
// The macro defines `eddy_backend_negotiate_epoll` (hidden, for linking the
// backend statically into a host) and, when EDDY_BUILDING_PLUGIN is defined,
// the one exported entry symbol `eddy_backend_negotiate`. Negotiation, the
// loop vtable and every thunk come from the SDK: each thunk converts the C
// call into a BaseEventLoop call and catches every C++ exception, turning it
// into EDDY_ERR_INTERNAL (or -ENOMEM for std::bad_alloc) and a log line, so
// none ever crosses the ABI.
//
// Thread-safety: negotiate and probe may be called from any thread; the rest
// follows loop_abi.h.
#ifndef EDDY_BACKEND_EXPORT_H_
#define EDDY_BACKEND_EXPORT_H_

#include <cstdint>
#include <memory>

#include "eddy/backend/poller.h"
#include "eddy/loop_abi.h"

#define EDDY_EXPORT __attribute__((visibility("default")))

namespace eddy::backend {

struct PluginSpec {
  const char* name;
  const char* version;
  const char* description;
  uint64_t capabilities;
  int32_t priority;
  // Whether the backend can run here; fills `reason` when not. Must not throw
  // (a throw is caught and reported as a probe failure all the same).
  int32_t (*probe)(const eddy_host* host, char* reason, size_t reason_size);
  // Makes a fresh, uninitialised poller.
  std::unique_ptr<Poller> (*make_poller)();
};

// The generic loop vtable: every slot but loop_create. The SDK fills it.
eddy_loop_vtable make_vtable(int32_t (*loop_create)(const eddy_loop_config*, eddy_loop**));

// Creates a BaseEventLoop over spec.make_poller(). Guarded.
int32_t create_loop(const PluginSpec& spec, const eddy_loop_config* config, eddy_loop** out);

// Negotiation for a spec and its vtable. Guarded.
int32_t negotiate(const PluginSpec& spec, const eddy_loop_vtable* vtable,
                  const eddy_negotiate_in* in, eddy_backend_desc* out);

}  // namespace eddy::backend

#define EDDY__BACKEND_ENTRY_EXPORT(id)                                                  \
  extern "C" EDDY_EXPORT int32_t eddy_backend_negotiate(const eddy_negotiate_in* in,    \
                                                        eddy_backend_desc* out) {       \
    return eddy_backend_negotiate_##id(in, out);                                        \
  }

#ifdef EDDY_BUILDING_PLUGIN
#define EDDY__BACKEND_MAYBE_EXPORT(id) EDDY__BACKEND_ENTRY_EXPORT(id)
#else
#define EDDY__BACKEND_MAYBE_EXPORT(id)
#endif

#define EDDY_BACKEND_PLUGIN(id, spec)                                                    \
  namespace {                                                                            \
  int32_t eddy__loop_create_##id(const eddy_loop_config* config, eddy_loop** out) {      \
    return ::eddy::backend::create_loop(spec, config, out);                              \
  }                                                                                      \
  const eddy_loop_vtable eddy__vtable_##id = ::eddy::backend::make_vtable(               \
      &eddy__loop_create_##id);                                                          \
  }                                                                                      \
  extern "C" int32_t eddy_backend_negotiate_##id(const eddy_negotiate_in* in,            \
                                                 eddy_backend_desc* out) {               \
    return ::eddy::backend::negotiate(spec, &eddy__vtable_##id, in, out);                \
  }                                                                                      \
  EDDY__BACKEND_MAYBE_EXPORT(id)

#endif  // EDDY_BACKEND_EXPORT_H_
