// Human-readable explanations of a failed match: an aligned, indented rendering of the expected
// and the received stanza and a line diff of the two.
//
// The received side is shown through the expected one: its children are reordered to sit beside
// the expected children they were paired with, and attributes the script does not mention are
// left out (extra children are kept, at the end). The full received stanza is shown separately.
#pragma once

#include <pugixml.hpp>
#include <string>
#include <vector>

namespace mucd::scansion {

struct AlignedPair {
  std::vector<std::string> expected;  // one line per element, indented two spaces per level
  std::vector<std::string> received;
};

AlignedPair align(pugi::xml_node expected, pugi::xml_node received);

// A line diff (longest common subsequence): lines only in `a` start with "- ", lines only in `b`
// with "+ ", common lines with "  ".
std::vector<std::string> line_diff(const std::vector<std::string>& a,
                                   const std::vector<std::string>& b);

// Indented rendering of one element (attributes sorted, `scansion:*` left out).
std::vector<std::string> pretty(pugi::xml_node node);

}  // namespace mucd::scansion
