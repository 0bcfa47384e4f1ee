// The SDK's plugin glue: guarded thunks from the C vtable to BaseEventLoop,
// and negotiation. Every entry from the host lands in a function of this file
// that catches all C++ exceptions, so none crosses the ABI (rule 4).
#include "eddy/backend/export.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>

#include "eddy/backend/base_event_loop.h"

namespace eddy::backend {
namespace {

BaseEventLoop* self(eddy_loop* loop) { return reinterpret_cast<BaseEventLoop*>(loop); }

// Runs f, turning any exception into an error code.
template <class F>
int32_t guarded(F&& f) noexcept {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return -ENOMEM;
  } catch (...) {
    return EDDY_ERR_INTERNAL;
  }
}

int32_t t_call_soon(eddy_loop* l, eddy_handle* h) {
  return guarded([&] { return self(l)->call_soon(h); });
}
int32_t t_call_soon_threadsafe(eddy_loop* l, eddy_handle* h) {
  return guarded([&] { return self(l)->call_soon_threadsafe(h); });
}
int32_t t_cancel(eddy_loop* l, eddy_handle* h) {
  return guarded([&] { return self(l)->cancel(h); });
}
int32_t t_call_at(eddy_loop* l, eddy_timer* t, int64_t when) {
  return guarded([&] { return self(l)->call_at(t, when); });
}
int64_t t_time(eddy_loop* l) { return self(l)->time(); }
int32_t t_add_reader(eddy_loop* l, int32_t fd, eddy_io_fn fn, void* arg) {
  return guarded([&] { return self(l)->add_reader(fd, fn, arg); });
}
int32_t t_add_writer(eddy_loop* l, int32_t fd, eddy_io_fn fn, void* arg) {
  return guarded([&] { return self(l)->add_writer(fd, fn, arg); });
}
int32_t t_remove_reader(eddy_loop* l, int32_t fd) {
  return guarded([&] { return self(l)->remove_reader(fd); });
}
int32_t t_remove_writer(eddy_loop* l, int32_t fd) {
  return guarded([&] { return self(l)->remove_writer(fd); });
}
int32_t t_run_once(eddy_loop* l, int64_t timeout_ns) {
  return guarded([&] { return self(l)->run_once(timeout_ns); });
}
int32_t t_run_forever(eddy_loop* l) {
  return guarded([&] { return self(l)->run_forever(); });
}
int32_t t_stop(eddy_loop* l) {
  return guarded([&] { return self(l)->stop(); });
}
int32_t t_close(eddy_loop* l) {
  return guarded([&] { return self(l)->close(); });
}
int32_t t_is_running(eddy_loop* l) { return self(l)->is_running() ? 1 : 0; }
int32_t t_is_closed(eddy_loop* l) { return self(l)->is_closed() ? 1 : 0; }
int32_t t_set_debug(eddy_loop* l, int32_t enabled, int64_t slow_ns) {
  return guarded([&] { return self(l)->set_debug(enabled != 0, slow_ns); });
}
int32_t t_native_handle(eddy_loop* l, const char** kind, void** out) {
  return guarded([&] { return self(l)->native_handle(kind, out); });
}
void t_loop_destroy(eddy_loop* l) {
  try {
    delete self(l);
  } catch (...) {
  }
}

void log_to_host(const eddy_host* host, int32_t level, const char* msg) {
  if (host && host->log) host->log(host->arg, level, msg);
}

}  // namespace

eddy_loop_vtable make_vtable(int32_t (*loop_create)(const eddy_loop_config*, eddy_loop**)) {
  eddy_loop_vtable vt{};
  vt.struct_size = sizeof(eddy_loop_vtable);
  vt.loop_create = loop_create;
  vt.loop_destroy = &t_loop_destroy;
  vt.call_soon = &t_call_soon;
  vt.call_soon_threadsafe = &t_call_soon_threadsafe;
  vt.cancel = &t_cancel;
  vt.call_at = &t_call_at;
  vt.time = &t_time;
  vt.add_reader = &t_add_reader;
  vt.add_writer = &t_add_writer;
  vt.remove_reader = &t_remove_reader;
  vt.remove_writer = &t_remove_writer;
  vt.run_once = &t_run_once;
  vt.run_forever = &t_run_forever;
  vt.stop = &t_stop;
  vt.close = &t_close;
  vt.is_running = &t_is_running;
  vt.is_closed = &t_is_closed;
  vt.set_debug = &t_set_debug;
  vt.native_handle = &t_native_handle;
  vt.get_extension = nullptr;
  return vt;
}

int32_t create_loop(const PluginSpec& spec, const eddy_loop_config* config, eddy_loop** out) {
  if (!config || !out || config->struct_size < offsetof(eddy_loop_config, host) + sizeof(void*) ||
      !config->host) {
    return EDDY_ERR_BAD_STRUCT;
  }
  *out = nullptr;
  return guarded([&]() -> int32_t {
    auto loop = std::make_unique<BaseEventLoop>(spec.make_poller(), *config);
    int32_t rc = loop->init();
    if (rc != 0) {
      char msg[256];
      std::snprintf(msg, sizeof msg, "eddy backend %s: cannot create a loop: %s", spec.name,
                    eddy_strerror(rc));
      log_to_host(config->host, EDDY_LOG_ERROR, msg);
      return rc;
    }
    *out = reinterpret_cast<eddy_loop*>(loop.release());
    return 0;
  });
}

int32_t negotiate(const PluginSpec& spec, const eddy_loop_vtable* vtable,
                  const eddy_negotiate_in* in, eddy_backend_desc* out) {
  return guarded([&]() -> int32_t {
    if (!in || !out || in->struct_size < sizeof(eddy_negotiate_in) || !in->host) {
      return EDDY_ERR_BAD_STRUCT;
    }
    if (out->struct_size < offsetof(eddy_backend_desc, vtable) + sizeof(void*)) {
      return EDDY_ERR_BAD_STRUCT;
    }
    // This SDK speaks ABI 1.0 (and, being append-only, any 1.x host accepts it).
    const uint32_t mine = EDDY_ABI_VERSION_CURRENT;
    if (in->abi_min > mine || EDDY_ABI_MAJOR(in->abi_max) < EDDY_ABI_MAJOR(mine)) {
      return EDDY_ERR_INCOMPATIBLE;
    }
    uint32_t chosen = in->abi_max < mine ? in->abi_max : mine;
    // Write only what the host's struct holds.
    eddy_backend_desc d{};
    d.struct_size = out->struct_size < sizeof(d) ? out->struct_size : sizeof(d);
    d.abi_version = chosen;
    d.name = spec.name;
    d.version = spec.version;
    d.description = spec.description;
    d.capabilities = spec.capabilities;
    d.priority = spec.priority;
    d.probe = spec.probe;
    d.vtable = vtable;
    std::memcpy(out, &d, d.struct_size);
    return 0;
  });
}

}  // namespace eddy::backend
