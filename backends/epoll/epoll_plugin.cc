// The epoll backend's plugin entry: BaseEventLoop over EpollPoller.
#include "eddy/backend/export.h"
#include "epoll_poller.h"

namespace {

std::unique_ptr<eddy::backend::Poller> make_epoll_poller() {
  return std::make_unique<eddy::backends::epoll::EpollPoller>();
}

const eddy::backend::PluginSpec kEpollSpec = {
    "epoll",
    "1.0.0",
    "Linux epoll(7) + eventfd wakeup, ns timeouts via epoll_pwait2",
    EDDY_CAP_THREADSAFE_WAKEUP | EDDY_CAP_NS_TIMERS | EDDY_CAP_NATIVE_HANDLE,
    100,
    &eddy::backends::epoll::probe,
    &make_epoll_poller,
};

}  // namespace

EDDY_BACKEND_PLUGIN(epoll, kEpollSpec)
