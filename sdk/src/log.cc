#include "eddy/log.h"

#include <cstdio>
#include <string>

#include "absl/synchronization/mutex.h"
#include "eddy/loop_abi.h"

namespace eddy {
namespace {

absl::Mutex& sink_mutex() {
  static absl::Mutex* mu = new absl::Mutex;
  return *mu;
}
LogSink& sink() {
  static LogSink* s = new LogSink;
  return *s;
}

const char* level_name(int32_t level) {
  if (level >= EDDY_LOG_ERROR) return "ERROR";
  if (level >= EDDY_LOG_WARNING) return "WARNING";
  if (level >= EDDY_LOG_INFO) return "INFO";
  return "DEBUG";
}

}  // namespace

void log(int32_t level, std::string_view message) {
  absl::MutexLock lock(&sink_mutex());
  if (sink()) {
    sink()(level, message);
    return;
  }
  std::string line = "eddy: ";
  line += level_name(level);
  line += ": ";
  line += message;
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
}

LogSink set_log_sink(LogSink s) {
  absl::MutexLock lock(&sink_mutex());
  LogSink old = std::move(sink());
  sink() = std::move(s);
  return old;
}

}  // namespace eddy
