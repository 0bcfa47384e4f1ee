// The libevent backend's plugin entry: BaseEventLoop over EventPoller.
#include <string>

#include "eddy/backend/export.h"
#include "event_poller.h"

namespace {

std::unique_ptr<eddy::backend::Poller> make_event_poller() {
  return std::make_unique<eddy::backends::event::EventPoller>();
}

// Names the libevent actually loaded, which may differ from the headers'.
const std::string kDescription = std::string("libevent ") + event_get_version() +
                                 ": persistent event per fd, evtimer timeout, eventfd wakeup";

const eddy::backend::PluginSpec kEventSpec = {
    "event",
    "1.0.0",
    kDescription.c_str(),
    EDDY_CAP_THREADSAFE_WAKEUP | EDDY_CAP_NATIVE_HANDLE,
    40,
    &eddy::backends::event::probe,
    &make_event_poller,
};

}  // namespace

EDDY_BACKEND_PLUGIN(event, kEventSpec)
