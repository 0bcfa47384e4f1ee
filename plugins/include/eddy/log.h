// eddy/log.h -- where eddy's diagnostics go.
//
// eddy reports what asyncio would log (an exception nobody retrieved, a slow
// callback in debug mode, a plugin's own messages) through one sink. The
// default sink writes "eddy: LEVEL: message" lines to stderr; tests and
// applications may install their own. Levels are Python logging's numbers
// (EDDY_LOG_DEBUG .. EDDY_LOG_ERROR from eddy/loop_abi.h).
//
// Thread-safety: log() and set_log_sink() are thread-safe; the sink is called
// under a lock, so it must not call set_log_sink.
#ifndef EDDY_LOG_H_
#define EDDY_LOG_H_

#include <cstdint>
#include <functional>
#include <string_view>

namespace eddy {

using LogSink = std::function<void(int32_t level, std::string_view message)>;

void log(int32_t level, std::string_view message);
// Installs a sink; an empty function restores the default. Returns the old one.
LogSink set_log_sink(LogSink sink);

}  // namespace eddy

#endif  // EDDY_LOG_H_
