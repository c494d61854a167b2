// Script variables: `${Name's full JID}` and `${Name's JID}` inside a step's XML.
//
// The parser checks every variable names a known client; the runner substitutes the values once
// the client's JID is known (the full JID only after it has bound a resource).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mucd::scansion {

struct Variable {
  std::string client;
  bool full = false;  // `full JID` rather than the bare `JID`
};

// One `${...}` occurrence in a text.
struct VariableUse {
  std::size_t offset = 0;            // of the `$`
  std::size_t length = 0;            // of the whole `${...}`
  std::string text;                  // what is between the braces
  std::optional<Variable> variable;  // nullopt when `text` is not `<Name>'s [full ]JID`
};

// Every `${...}` in `text`, in order. An unclosed `${` is reported with an empty `variable` and a
// length reaching the end of the text.
std::vector<VariableUse> find_variables(std::string_view text);

// Returns the value of a variable, or nullopt with `error` set when it has none (yet).
using VariableLookup =
    std::function<std::optional<std::string>(const Variable&, std::string& error)>;

struct Substituted {
  std::string text;
  std::string error;  // empty on success
};

// Replaces each variable in `xml` with its value, XML-escaped. Stops at the first variable that
// has no value or is malformed and reports it in `error`.
Substituted substitute(std::string_view xml, const VariableLookup& lookup);

}  // namespace mucd::scansion
