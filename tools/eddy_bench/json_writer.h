// json_writer.h -- a minimal streaming JSON emitter (objects, arrays,
// strings, numbers, booleans), indented two spaces. Enough for eddy-bench's
// results file; it checks nothing, so callers must nest correctly.
//
// Thread-safety: one writer per thread.
#ifndef EDDY_TOOLS_EDDY_BENCH_JSON_WRITER_H_
#define EDDY_TOOLS_EDDY_BENCH_JSON_WRITER_H_

#include <cstdint>
#include <ostream>
#include <string_view>
#include <vector>

namespace eddy::bench_tool {

class JsonWriter {
 public:
  explicit JsonWriter(std::ostream& out) : out_(out) {}

  void begin_object();
  void end_object();
  void begin_array();
  void end_array();
  // The key of the next value, inside an object.
  void key(std::string_view k);
  void value(std::string_view s);
  void value(const char* s) { value(std::string_view(s)); }
  void value(double d);  // NaN and infinities are written as null
  void value(int64_t i);
  void value(int i) { value(static_cast<int64_t>(i)); }
  void value(bool b);

 private:
  void before_value();
  void newline();
  void write_string(std::string_view s);

  std::ostream& out_;
  std::vector<bool> first_;  // per open container: nothing written in it yet
  bool after_key_ = false;
};

}  // namespace eddy::bench_tool

#endif  // EDDY_TOOLS_EDDY_BENCH_JSON_WRITER_H_
