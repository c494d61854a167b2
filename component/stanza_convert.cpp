#include "component/stanza_convert.hpp"

#include <strophe.h>

#include <algorithm>
#include <string>
#include <vector>

namespace mucd::component {

namespace {

struct Pending {
  xmpp_stanza_t* source;
  pugi::xml_node parent;
  // Points into libstrophe's tree, which outlives the conversion.
  std::string_view parent_ns;
};

// Copies the attributes of `source` except xmlns, which the caller writes from the namespace.
void copy_attributes(xmpp_stanza_t* source, pugi::xml_node target) {
  int count = xmpp_stanza_get_attribute_count(source);
  if (count <= 0) return;
  std::vector<const char*> pairs(static_cast<size_t>(count) * 2, nullptr);
  int filled = xmpp_stanza_get_attributes(source, pairs.data(), count * 2);
  for (int i = 0; i + 1 < filled; i += 2) {
    std::string_view name = pairs[i] ? pairs[i] : "";
    const char* value = pairs[i + 1] ? pairs[i + 1] : "";
    if (name.empty() || name == "xmlns") continue;
    const char* out_name = name == "lang" ? "xml:lang" : pairs[i];
    target.append_attribute(out_name).set_value(value);
  }
}

}  // namespace

std::optional<Stanza> from_strophe(xmpp_stanza_t* stanza) {
  if (stanza == nullptr || !xmpp_stanza_is_tag(stanza)) return std::nullopt;
  const char* root_name = xmpp_stanza_get_name(stanza);
  if (root_name == nullptr || *root_name == '\0') return std::nullopt;

  Stanza out{root_name};
  pugi::xml_node root = out.root();

  // The top element: its namespace is the stream's unless it says otherwise.
  const char* root_ns_c = xmpp_stanza_get_ns(stanza);
  std::string_view root_ns = root_ns_c ? root_ns_c : "";
  if (!root_ns.empty() && root_ns != kNsComponentAccept && root_ns != kNsClient) {
    root.append_attribute("xmlns").set_value(root_ns_c);
  }
  copy_attributes(stanza, root);

  // Iterative, so that a deeply nested stanza cannot exhaust the stack. Each element's children
  // are pushed in reverse, so they are popped, and appended, in document order.
  std::vector<Pending> stack;
  auto push_children = [&stack](xmpp_stanza_t* source, pugi::xml_node parent, std::string_view ns) {
    size_t first = stack.size();
    for (auto* child = xmpp_stanza_get_children(source); child;
         child = xmpp_stanza_get_next(child)) {
      stack.push_back({child, parent, ns});
    }
    std::reverse(stack.begin() + static_cast<std::ptrdiff_t>(first), stack.end());
  };
  push_children(stanza, root, root_ns);
  while (!stack.empty()) {
    Pending item = stack.back();
    stack.pop_back();
    if (xmpp_stanza_is_text(item.source)) {
      const char* text = xmpp_stanza_get_text_ptr(item.source);
      if (text && *text) item.parent.append_child(pugi::node_pcdata).set_value(text);
      continue;
    }
    const char* name = xmpp_stanza_get_name(item.source);
    if (name == nullptr || *name == '\0') continue;
    pugi::xml_node element = item.parent.append_child(name);
    const char* ns_c = xmpp_stanza_get_ns(item.source);
    std::string_view ns = ns_c ? std::string_view(ns_c) : item.parent_ns;
    if (ns != item.parent_ns) element.append_attribute("xmlns").set_value(ns_c);
    copy_attributes(item.source, element);

    push_children(item.source, element, ns);
  }
  return out;
}

}  // namespace mucd::component
