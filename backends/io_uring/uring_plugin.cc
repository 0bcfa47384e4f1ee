// The io_uring backend's plugin entry: BaseEventLoop over UringPoller.
#include "eddy/backend/export.h"
#include "uring_poller.h"

namespace {

std::unique_ptr<eddy::backend::Poller> make_uring_poller() {
  return std::make_unique<eddy::backends::io_uring::UringPoller>();
}

const eddy::backend::PluginSpec kUringSpec = {
    "io_uring",
    "1.0.0",
    "io_uring (liburing " EDDY_LIBURING_VERSION "): one-shot POLL_ADD readiness, ns timeouts",
    EDDY_CAP_THREADSAFE_WAKEUP | EDDY_CAP_NS_TIMERS | EDDY_CAP_NATIVE_HANDLE,
    60,
    &eddy::backends::io_uring::probe,
    &make_uring_poller,
};

}  // namespace

EDDY_BACKEND_PLUGIN(io_uring, kUringSpec)
