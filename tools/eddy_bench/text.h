// text.h -- small text helpers of eddy-bench's terminal output: readable
// durations and padding that counts UTF-8 characters ("µs", "±", "×"), not
// bytes.
//
// Thread-safety: pure functions.
#ifndef EDDY_TOOLS_EDDY_BENCH_TEXT_H_
#define EDDY_TOOLS_EDDY_BENCH_TEXT_H_

#include <string>

namespace eddy::bench_tool {

// 3 significant digits in ns, µs, ms or s: "4.36 ns", "24.2 µs", "227 ms".
std::string format_duration(double ns);

// Characters on screen of a UTF-8 string.
size_t display_width(const std::string& s);

// `s` padded with spaces to `width` characters, on the right (left-aligned)
// or on the left (right-aligned).
std::string pad_right(const std::string& s, size_t width);
std::string pad_left(const std::string& s, size_t width);

}  // namespace eddy::bench_tool

#endif  // EDDY_TOOLS_EDDY_BENCH_TEXT_H_
