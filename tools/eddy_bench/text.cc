// text.cc -- durations and UTF-8-aware padding for the table.
#include "text.h"

#include <cstdio>

namespace eddy::bench_tool {

std::string format_duration(double ns) {
  static constexpr const char* kUnits[] = {"ns", "µs", "ms", "s"};
  double v = ns;
  int unit = 0;
  while (v >= 999.5 && unit < 3) {
    v /= 1000;
    ++unit;
  }
  char buf[32];
  const char* fmt = v < 9.995 ? "%.2f %s" : v < 99.95 ? "%.1f %s" : "%.0f %s";
  std::snprintf(buf, sizeof buf, fmt, v, kUnits[unit]);
  return buf;
}

size_t display_width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;  // count every byte but UTF-8 continuations
  }
  return n;
}

std::string pad_right(const std::string& s, size_t width) {
  size_t w = display_width(s);
  return w >= width ? s : s + std::string(width - w, ' ');
}

std::string pad_left(const std::string& s, size_t width) {
  size_t w = display_width(s);
  return w >= width ? s : std::string(width - w, ' ') + s;
}

}  // namespace eddy::bench_tool
