// Just enough JSON for the operator tools' room dumps (dump.hpp): a value tree, a strict parser
// and a string quoter. Numbers keep the text they were written with, so 64-bit integers survive
// (a double would not hold them).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/status.hpp"

namespace mucd::storage::json {

struct Value {
  enum class Kind { Null, Bool, Number, String, Array, Object };

  Kind kind = Kind::Null;
  bool boolean = false;
  std::string text;                                    // a string's contents, a number's digits
  std::vector<Value> items;                            // an array's elements
  std::vector<std::pair<std::string, Value>> members;  // an object's members, in file order

  bool is_string() const { return kind == Kind::String; }
  bool is_array() const { return kind == Kind::Array; }
  bool is_object() const { return kind == Kind::Object; }
  // The first member named `key` of an object; nullptr when absent or not an object.
  const Value* find(std::string_view key) const;
  // A Number written as an integer that fits, else nullopt.
  std::optional<int64_t> as_int64() const;
  std::optional<uint64_t> as_uint64() const;
};

// Parses one JSON text (RFC 8259), surrounded by optional whitespace. Refuses anything else,
// nesting deeper than 64 levels, and strings that are not UTF-8 once unescaped. Errors are
// InvalidArgument with the byte offset: "JSON error at byte 17: expected ':'".
Result<Value> parse(std::string_view text);

// `s` as a JSON string literal, with quotes; control characters, '"' and '\' escaped. Bytes
// that are not UTF-8 are written as U+FFFD (stored XMPP text is UTF-8, so this never happens
// for data mucd wrote).
std::string quote(std::string_view s);

}  // namespace mucd::storage::json
