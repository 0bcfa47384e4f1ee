#include "eddy/log.h"

#include <cstdio>
#include <string>

#include <mutex>
#include "eddy/loop_abi.h"

namespace eddy {
namespace {

std::mutex& sink_mutex() {
  static std::mutex* mu = new std::mutex;
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
  std::lock_guard<std::mutex> lock(sink_mutex());
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
  std::lock_guard<std::mutex> lock(sink_mutex());
  LogSink old = std::move(sink());
  sink() = std::move(s);
  return old;
}

}  // namespace eddy
