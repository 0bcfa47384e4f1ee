// plugins/loader.h -- loading one backend: dlopen, entry lookup, negotiation, probe.
//
// Every failure comes back as an absl::Status whose message names the file
// and the reason; nothing here crashes on a bad plugin. Calls into the plugin
// (negotiate, probe) are guarded: a C++ exception escaping from them becomes
// an error too. Plugins are opened with RTLD_NODELETE and never closed.
// A plugin's strings are read at most this far, NUL or not: 33 bytes of the
// name (longer is malformed), 255 of the version and the description (the
// rest is cut off).
//
// Thread-safety: the functions are thread-safe.
#ifndef EDDY_PLUGINS_LOADER_H_
#define EDDY_PLUGINS_LOADER_H_

#include <string>

#include "absl/status/statusor.h"
#include "eddy/registry.h"
#include "eddy/loop_abi.h"

namespace eddy::plugins {

// Negotiates with an entry point already in memory (a built-in backend, or
// one found in a plugin file) and probes it. The returned info has
// available=false and a reason when the probe fails; a status error means the
// entry is unusable (incompatible, malformed, throwing).
absl::StatusOr<LoadedBackend> negotiate_entry(eddy_backend_negotiate_fn entry,
                                              const std::string& path);

// dlopens `path`, finds EDDY_BACKEND_ENTRY_SYMBOL and negotiates.
absl::StatusOr<LoadedBackend> load_plugin(const std::string& path);

}  // namespace eddy::plugins

#endif  // EDDY_PLUGINS_LOADER_H_
