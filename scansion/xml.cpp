#include "scansion/xml.hpp"

#include <fmt/core.h>

namespace mucd::scansion {

namespace {

void rename_lang(pugi::xml_node node) {
  for (auto element : node.children()) {
    if (element.type() != pugi::node_element) continue;
    if (auto lang = element.attribute("lang")) lang.set_name("xml:lang");
    rename_lang(element);
  }
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

void write_compact(pugi::xml_node node, std::string& out) {
  out += '<';
  out += node.name();
  for (auto attr : node.attributes()) {
    out += fmt::format(" {}=\"{}\"", attr.name(), escape(attr.value()));
  }
  std::string body;
  for (auto child : node.children()) {
    if (child.type() == pugi::node_element) {
      write_compact(child, body);
    } else if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
      if (!trim(child.value()).empty()) body += escape(child.value());
    }
  }
  if (body.empty()) {
    out += "/>";
  } else {
    out += '>';
    out += body;
    out += fmt::format("</{}>", node.name());
  }
}

}  // namespace

ParsedXml parse_element(std::string_view text) {
  ParsedXml parsed;
  auto doc = std::make_unique<pugi::xml_document>();
  auto result =
      doc->load_buffer(text.data(), text.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!result) {
    parsed.error = result.description();
    parsed.offset = result.offset;
    return parsed;
  }
  int elements = 0;
  std::ptrdiff_t second_offset = 0;
  for (auto child : doc->children()) {
    if (child.type() == pugi::node_element) {
      ++elements;
      if (elements == 2) second_offset = child.offset_debug();
    } else if (child.type() == pugi::node_pcdata && !trim(child.value()).empty()) {
      parsed.error = "text outside the element";
      parsed.offset = child.offset_debug();
      return parsed;
    }
  }
  if (elements == 0) {
    parsed.error = "no element";
    return parsed;
  }
  if (elements > 1) {
    parsed.error = "more than one element (one stanza per step)";
    parsed.offset = second_offset;
    return parsed;
  }
  parsed.doc = std::move(doc);
  return parsed;
}

ParsedXml parse_received(std::string_view text) {
  auto parsed = parse_element(text);
  if (parsed) rename_lang(*parsed.doc);
  return parsed;
}

std::string text_of(pugi::xml_node node) {
  std::string text;
  for (auto child : node.children()) {
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata)
      text += child.value();
  }
  return text;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string namespace_of(pugi::xml_node node) {
  for (auto n = node; n && n.type() == pugi::node_element; n = n.parent()) {
    if (auto xmlns = n.attribute("xmlns")) return xmlns.value();
  }
  return std::string(kClientNamespace);
}

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\n':
        out += "&#10;";
        break;  // keeps a serialized stanza on one line
      case '\r':
        out += "&#13;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string compact(pugi::xml_node node) {
  std::string out;
  if (node.type() == pugi::node_element) write_compact(node, out);
  return out;
}

std::string start_tag(pugi::xml_node node) {
  std::string out = fmt::format("<{}", node.name());
  for (auto attr : node.attributes()) {
    out += fmt::format(" {}=\"{}\"", attr.name(), escape(attr.value()));
  }
  out += "/>";
  return out;
}

}  // namespace mucd::scansion
