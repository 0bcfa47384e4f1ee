// eddy/registry.h -- the loader's public types: which loop backends this
// process can use, and how one is picked.
//
// This is the plugin layer's own header (plugins/, compiled into libeddy):
// the loader and registry implement it, the task layer (eddy/backends.h,
// eddy/event_loop.h) and the tools include it. It depends on the loop ABI
// and Abseil only, never on the task layer.
//
// Backends are plugins found at run time (docs/architecture.md, "Discovery"):
// the built-in epoll backend, then every eddy-backend-*.so in, in this order,
// BackendRequest::plugin_path, the directories of EDDY_BACKEND_PATH (':'-
// separated), the install's plugin directory (eddy/backends beside the
// loaded libeddy, then the one configured at build time) and the build
// tree's (only for the build tree's own libeddy). The first plugin of a name
// wins; later ones of the same name are listed as shadowed. A plugin this
// tree builds that is found nowhere (say its Debian package is not
// installed) is listed as unavailable, "not installed".
//
// Selection: BackendRequest::backend if set, else $EDDY_BACKEND, else the
// available backend of highest priority. A name may also be a path to a
// plugin file.
//
// Thread-safety: all functions are thread-safe; discovery runs once per
// process (and again for each new explicit path).
#ifndef EDDY_REGISTRY_H_
#define EDDY_REGISTRY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "eddy/loop_abi.h"

namespace eddy {

struct BackendInfo {
  std::string name;         // "epoll"
  std::string version;      // the backend's own version
  std::string description;  // one line, e.g. "libuv 1.44.2"
  std::string path;         // plugin file, or "(built-in)"
  uint32_t abi_version = 0; // negotiated, EDDY_ABI_VERSION(major, minor)
  uint64_t capabilities = 0;
  int32_t priority = 0;
  bool available = false;
  std::string reason;  // why not available (empty when available)
};

// Names of the capability bits set in `caps`, e.g. "threadsafe-wakeup,ns-timers".
std::string capability_names(uint64_t caps);

// Every backend the loader found, available or not, in selection-priority order.
std::vector<BackendInfo> available_backends();

namespace plugins {

// A negotiated, probed backend: the descriptor the plugin filled in.
struct LoadedBackend {
  BackendInfo info;
  const eddy_loop_vtable* vtable = nullptr;
};

// What to select: the loop-independent part of eddy::LoopOptions.
struct BackendRequest {
  std::string backend;      // name or plugin path; empty: $EDDY_BACKEND, then default
  std::string plugin_path;  // extra directory searched first
};

// Resolves a request to a usable backend, or a clear error naming what was
// asked for, what was found and why it is unusable.
absl::StatusOr<LoadedBackend> select_backend(const BackendRequest& request);

// Loads one plugin file outside the registry (eddy-conformance does this).
absl::StatusOr<LoadedBackend> load_plugin_file(const std::string& path);

// The host services handed to every plugin (logs to eddy's log sink).
const eddy_host* host_services();

}  // namespace plugins
}  // namespace eddy

#endif  // EDDY_REGISTRY_H_
