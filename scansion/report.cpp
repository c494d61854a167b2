#include "scansion/report.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <optional>

#include "scansion/matcher.hpp"
#include "scansion/xml.hpp"

namespace mucd::scansion {

namespace {

using Attributes = std::map<std::string, std::string>;  // sorted by name

std::vector<pugi::xml_node> element_children(pugi::xml_node node) {
  std::vector<pugi::xml_node> children;
  for (auto child : node.children()) {
    if (child.type() == pugi::node_element) children.push_back(child);
  }
  return children;
}

// The namespace `node` would have if it declared none.
std::string inherited_namespace(pugi::xml_node node) {
  auto parent = node.parent();
  if (parent && parent.type() == pugi::node_element) return namespace_of(parent);
  return std::string(kClientNamespace);
}

// The element's own attributes worth showing: no directives, no redundant xmlns.
Attributes visible_attributes(pugi::xml_node node) {
  Attributes attrs;
  for (auto attr : node.attributes()) {
    std::string_view name = attr.name();
    if (name.starts_with("scansion:")) continue;
    if (name == "xmlns" && attr.value() == inherited_namespace(node)) continue;
    attrs[attr.name()] = attr.value();
  }
  return attrs;
}

struct Renderer {
  std::vector<std::string>& lines;

  void element(int depth, std::string_view name, const Attributes& attrs, std::string_view text,
               const std::function<void(int)>& children, bool has_children) {
    std::string indent(static_cast<std::size_t>(depth) * 2, ' ');
    std::string open = fmt::format("{}<{}", indent, name);
    for (const auto& [key, value] : attrs) open += fmt::format(" {}=\"{}\"", key, escape(value));
    if (!has_children) {
      if (text.empty()) {
        lines.push_back(open + "/>");
      } else {
        lines.push_back(fmt::format("{}>{}</{}>", open, escape(text), name));
      }
      return;
    }
    lines.push_back(open + ">");
    if (!text.empty()) lines.push_back(fmt::format("{}  {}", indent, escape(text)));
    children(depth + 1);
    lines.push_back(fmt::format("{}</{}>", indent, name));
  }

  void whole(pugi::xml_node node, int depth) {
    auto children = element_children(node);
    element(
        depth, node.name(), visible_attributes(node), trim(text_of(node)),
        [&](int d) {
          for (auto child : children) whole(child, d);
        },
        !children.empty());
  }
};

void render_pair(pugi::xml_node expected, pugi::xml_node received, int depth, AlignedPair& out) {
  Attributes want = visible_attributes(expected);
  Attributes got;
  for (auto& [name, value] : want) {
    if (name == "xmlns") {
      got[name] = namespace_of(received);
      continue;
    }
    auto attr = received.attribute(name.c_str());
    if (!attr) continue;
    got[name] = attr.value();
    if (value == kAnyValue) value = attr.value();
  }
  std::string want_text(trim(text_of(expected)));
  std::string got_text = want_text.empty() ? "" : std::string(trim(text_of(received)));

  auto want_children = element_children(expected);
  auto got_children = element_children(received);
  std::vector<int> pairing;
  if (std::strcmp(expected.name(), received.name()) == 0) {
    pairing = pair_children(expected, received);
  } else {
    pairing.assign(want_children.size(), -1);
  }

  Renderer left{out.expected};
  left.element(
      depth, expected.name(), want, want_text,
      [&](int d) {
        for (std::size_t i = 0; i < want_children.size(); ++i) {
          if (pairing[i] >= 0) {
            AlignedPair sub;
            render_pair(want_children[i], got_children[static_cast<std::size_t>(pairing[i])], d,
                        sub);
            out.expected.insert(out.expected.end(), sub.expected.begin(), sub.expected.end());
            out.received.insert(out.received.end(), sub.received.begin(), sub.received.end());
          } else {
            left.whole(want_children[i], d);
          }
        }
      },
      !want_children.empty());
  // The expected side rendered its paired children into both lists as it went; the received side
  // is rendered in two parts around them, so build it separately and splice.
  std::vector<std::string> head;
  std::vector<std::string> tail;
  std::vector<bool> used(got_children.size(), false);
  for (int j : pairing) {
    if (j >= 0) used[static_cast<std::size_t>(j)] = true;
  }
  bool has_children = !got_children.empty();
  std::string indent(static_cast<std::size_t>(depth) * 2, ' ');
  std::string open = fmt::format("{}<{}", indent, received.name());
  for (const auto& [key, value] : got) open += fmt::format(" {}=\"{}\"", key, escape(value));
  if (!has_children) {
    head.push_back(got_text.empty()
                       ? open + "/>"
                       : fmt::format("{}>{}</{}>", open, escape(got_text), received.name()));
  } else {
    head.push_back(open + ">");
    if (!got_text.empty()) head.push_back(fmt::format("{}  {}", indent, escape(got_text)));
    Renderer right{tail};
    for (std::size_t j = 0; j < got_children.size(); ++j) {
      if (!used[j]) right.whole(got_children[j], depth + 1);
    }
    tail.push_back(fmt::format("{}</{}>", indent, received.name()));
  }
  // out.received currently holds only the paired children's lines, in expected order.
  std::vector<std::string> received_lines = std::move(head);
  received_lines.insert(received_lines.end(), out.received.begin(), out.received.end());
  received_lines.insert(received_lines.end(), tail.begin(), tail.end());
  out.received = std::move(received_lines);
}

}  // namespace

AlignedPair align(pugi::xml_node expected, pugi::xml_node received) {
  AlignedPair out;
  render_pair(expected, received, 0, out);
  return out;
}

std::vector<std::string> pretty(pugi::xml_node node) {
  std::vector<std::string> lines;
  Renderer{lines}.whole(node, 0);
  return lines;
}

std::vector<std::string> line_diff(const std::vector<std::string>& a,
                                   const std::vector<std::string>& b) {
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
  std::vector<std::vector<int>> lcs(n + 1, std::vector<int>(m + 1, 0));
  for (std::size_t i = n; i-- > 0;) {
    for (std::size_t j = m; j-- > 0;) {
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  std::vector<std::string> out;
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] == b[j]) {
      out.push_back("  " + a[i++]);
      ++j;
    } else if (j < m && (i == n || lcs[i][j + 1] > lcs[i + 1][j])) {
      out.push_back("+ " + b[j++]);
    } else {
      out.push_back("- " + a[i++]);
    }
  }
  return out;
}

}  // namespace mucd::scansion
