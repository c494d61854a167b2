// Compares a received stanza with the one a script expects (the rules of SCANSION.md).
//
//  - element names are equal;
//  - where the expected element declares xmlns, the received element's namespace (declared or
//    inherited; jabber:client at the top) is equal;
//  - every expected attribute is present with the same value, `{scansion:any}` matching any value;
//    extra received attributes are ignored; `scansion:*` and `xmlns:*` are not matched;
//  - every expected child element matches a distinct received child, in any order; extra
//    received children are ignored unless the expected element says `scansion:strict="true"`,
//    which requires the same number of child elements;
//  - non-whitespace expected text equals the received text, both trimmed.
//
// Pure: no I/O, no state.
#pragma once

#include <pugixml.hpp>
#include <string>
#include <vector>

namespace mucd::scansion {

struct MatchResult {
  bool matched = false;
  // Rules satisfied, counted over the expected tree; ranks near misses ("closest received").
  int score = 0;
  // One line per broken rule, prefixed with the expected element's path, e.g.
  // `/presence/x/status: attribute code: expected "110", got "201"`.
  std::vector<std::string> differences;
};

MatchResult match(pugi::xml_node expected, pugi::xml_node received);

// How the element children of `expected` pair with those of `received`: for each expected child
// (in document order) the index of its received partner among the received element children, or
// -1. Exact matches are paired first (a maximum matching), then each remaining expected child takes
// the best-scoring unused received child of the same name. This is the pairing `match` reports on.
std::vector<int> pair_children(pugi::xml_node expected, pugi::xml_node received);

// The attribute value that matches anything present.
inline constexpr const char* kAnyValue = "{scansion:any}";

// True for attributes that are directives or namespace plumbing rather than values to compare
// (`xmlns`, `xmlns:*`, `scansion:*`).
bool is_meta_attribute(const char* name);

}  // namespace mucd::scansion
