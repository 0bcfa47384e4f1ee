// eddy/backends.h -- which loop backends this process can use, and the
// options a new event loop is made with.
//
// The backend types and functions (BackendInfo, available_backends(),
// capability_names()) come from the plugin layer's eddy/registry.h; this
// header adds LoopOptions, the task layer's settings for new_event_loop()
// and run(). Backend selection is described in eddy/registry.h.
//
// Thread-safety: see eddy/registry.h; LoopOptions is a plain value.
#ifndef EDDY_BACKENDS_H_
#define EDDY_BACKENDS_H_

#include <chrono>
#include <string>

#include "eddy/registry.h"

namespace eddy {

// Options for new_event_loop() and run().
struct LoopOptions {
  std::string backend;      // name or plugin path; empty: $EDDY_BACKEND, then default
  std::string plugin_path;  // extra directory searched first
  bool debug = false;       // asyncio debug mode; also on with EDDY_DEBUG=1
  std::chrono::nanoseconds slow_callback_duration = std::chrono::milliseconds(100);

  // The part of these options the plugin layer selects a backend by.
  plugins::BackendRequest backend_request() const { return {backend, plugin_path}; }
};

}  // namespace eddy

#endif  // EDDY_BACKENDS_H_
