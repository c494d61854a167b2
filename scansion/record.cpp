#include "scansion/record.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>

#include "scansion/xml.hpp"

namespace mucd::scansion {

namespace {

bool is_jid_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' || c == '_';
}

void collect_ids(pugi::xml_node node, std::set<std::string>& ids) {
  for (auto child : node.children()) {
    if (child.type() != pugi::node_element) continue;
    if (auto id = child.attribute("id")) ids.insert(id.value());
    collect_ids(child, ids);
  }
}

}  // namespace

void Normaliser::add_client(std::string_view name, std::string_view bare_jid,
                            std::string_view full_jid) {
  if (!full_jid.empty()) jids_.emplace_back(full_jid, fmt::format("${{{}'s full JID}}", name));
  if (!bare_jid.empty()) jids_.emplace_back(bare_jid, fmt::format("${{{}'s JID}}", name));
  std::stable_sort(jids_.begin(), jids_.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
}

std::string Normaliser::replace_jids(std::string_view text) const {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    bool replaced = false;
    bool boundary_before = pos == 0 || !is_jid_char(text[pos - 1]);
    if (boundary_before) {
      for (const auto& [literal, variable] : jids_) {
        if (text.substr(pos, literal.size()) != literal) continue;
        auto end = pos + literal.size();
        if (end < text.size() && is_jid_char(text[end])) continue;  // a longer name
        out += variable;
        pos = end;
        replaced = true;
        break;
      }
    }
    if (!replaced) out += text[pos++];
  }
  return out;
}

std::string Normaliser::canonical(pugi::xml_node node, const std::string& inherited_ns) const {
  std::map<std::string, std::string> attrs;
  std::string ns = inherited_ns;
  const bool occupant_id = std::strcmp(node.name(), "occupant-id") == 0;
  for (auto attr : node.attributes()) {
    std::string_view name = attr.name();
    std::string value = attr.value();
    if (name == "xmlns") {
      ns = value;
      if (value == inherited_ns) continue;
    } else if (name == "id") {
      if (occupant_id) {
        value = "{occupant-id}";
      } else if (!kept_ids_.contains(value)) {
        value = "{id}";
      }
    } else if (name == "stamp") {
      value = "{stamp}";
    } else if (name == "sessionid") {
      value = "{sessionid}";
    } else {
      value = replace_jids(value);
    }
    attrs[std::string(name)] = value;
  }
  std::vector<std::string> children;
  for (auto child : node.children()) {
    if (child.type() == pugi::node_element) children.push_back(canonical(child, ns));
  }
  std::sort(children.begin(), children.end());

  std::string out = fmt::format("<{}", node.name());
  for (const auto& [name, value] : attrs) out += fmt::format(" {}=\"{}\"", name, escape(value));
  std::string text = text_of(node);
  std::string body = trim(text).empty() ? "" : escape(replace_jids(text));
  for (const auto& child : children) body += child;
  if (body.empty()) return out + "/>";
  return fmt::format("{}>{}</{}>", out, body, node.name());
}

std::string Normaliser::operator()(pugi::xml_node stanza) const {
  return canonical(stanza, std::string(kClientNamespace));
}

std::set<std::string> ids_in(const std::vector<std::string>& step_xml) {
  std::set<std::string> ids;
  for (const auto& xml : step_xml) {
    auto parsed = parse_element(xml);
    if (parsed) collect_ids(*parsed.doc, ids);
  }
  return ids;
}

}  // namespace mucd::scansion
