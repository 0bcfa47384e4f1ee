// json_reader.h -- a small JSON parser: the load generator's result line,
// and earlier eddy-bench runs for --compare and --plot --from.
//
// It reads RFC 8259 JSON into a tree of JsonValue. Numbers are doubles;
// \u escapes become UTF-8 (surrogate pairs included). Objects keep their
// keys in file order. Enough for files eddy-bench itself writes; it is not
// meant to be fast.
//
// Thread-safety: pure functions; a JsonValue is a plain value.
#ifndef EDDY_TOOLS_EDDY_BENCH_JSON_READER_H_
#define EDDY_TOOLS_EDDY_BENCH_JSON_READER_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eddy::bench_tool {

class JsonValue {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }

  // The value, or `fallback` if it is of another type.
  double number(double fallback = 0) const { return is_number() ? number_ : fallback; }
  bool boolean(bool fallback = false) const { return type_ == Type::kBool ? bool_ : fallback; }
  const std::string& string() const { return string_; }           // "" unless a string
  const std::vector<JsonValue>& array() const { return array_; }  // empty unless an array
  const std::vector<std::pair<std::string, JsonValue>>& members() const { return members_; }

  // The member `key` of an object, or a null value if absent.
  const JsonValue& operator[](std::string_view key) const;
  bool has(std::string_view key) const;

  static JsonValue make_null() { return JsonValue(); }
  static JsonValue make_bool(bool b);
  static JsonValue make_number(double d);
  static JsonValue make_string(std::string s);
  static JsonValue make_array(std::vector<JsonValue> items);
  static JsonValue make_object(std::vector<std::pair<std::string, JsonValue>> members);

 private:
  Type type_ = Type::kNull;
  bool bool_ = false;
  double number_ = 0;
  std::string string_;
  std::vector<JsonValue> array_;
  std::vector<std::pair<std::string, JsonValue>> members_;
};

// Parses `text` (one value, surrounding whitespace allowed). On error
// returns false with "line L, column C: what" in *error.
bool parse_json(std::string_view text, JsonValue* out, std::string* error);

// Reads and parses a file; the error names the file.
bool read_json_file(const std::string& path, JsonValue* out, std::string* error);

}  // namespace eddy::bench_tool

#endif  // EDDY_TOOLS_EDDY_BENCH_JSON_READER_H_
