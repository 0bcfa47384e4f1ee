// The libuv backend's plugin entry: BaseEventLoop over UvPoller.
#include <string>

#include "eddy/backend/export.h"
#include "uv_poller.h"

namespace {

std::unique_ptr<eddy::backend::Poller> make_uv_poller() {
  return std::make_unique<eddy::backends::uv::UvPoller>();
}

// Names the libuv actually loaded, which may differ from the headers'.
const std::string kDescription = std::string("libuv ") + uv_version_string() +
                                 ": uv_poll_t per fd, one-shot uv_timer_t, eventfd wakeup";

const eddy::backend::PluginSpec kUvSpec = {
    "uv",
    "1.0.0",
    kDescription.c_str(),
    EDDY_CAP_THREADSAFE_WAKEUP | EDDY_CAP_NATIVE_HANDLE,
    50,
    &eddy::backends::uv::probe,
    &make_uv_poller,
};

}  // namespace

EDDY_BACKEND_PLUGIN(uv, kUvSpec)
