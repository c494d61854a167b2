#include "core/stanza.hpp"

#include <algorithm>
#include <sstream>

namespace mucd {

namespace {

struct StringWriter : pugi::xml_writer {
  std::string out;
  void write(const void* data, size_t size) override {
    out.append(static_cast<const char*>(data), size);
  }
};

constexpr unsigned kCompact = pugi::format_raw | pugi::format_no_declaration;

}  // namespace

Stanza::Stanza(std::string_view name) {
  doc_.append_child(std::string(name).c_str());
}

Stanza::Stanza(const Stanza& other) {
  doc_.reset(other.doc_);
}

Stanza& Stanza::operator=(const Stanza& other) {
  if (this != &other) doc_.reset(other.doc_);
  return *this;
}

std::optional<Stanza> Stanza::parse(std::string_view xml) {
  Stanza s{"x"};
  s.doc_.reset();
  auto result =
      s.doc_.load_buffer(xml.data(), xml.size(), pugi::parse_default | pugi::parse_ws_pcdata_single,
                         pugi::encoding_utf8);
  if (!result) return std::nullopt;
  int elements = 0;
  for (auto child : s.doc_.children()) {
    if (child.type() == pugi::node_element) ++elements;
  }
  if (elements != 1) return std::nullopt;
  return s;
}

Stanza Stanza::copy_of(pugi::xml_node node) {
  Stanza s{"x"};
  s.doc_.reset();
  s.doc_.append_copy(node);
  return s;
}

void Stanza::set_attr(const char* name, std::string_view value) {
  auto a = root().attribute(name);
  if (a.empty()) a = root().append_attribute(name);
  // Sized, so no temporary string; cut at a NUL as the C string it used to be (XML has none).
  a.set_value(value.data(), std::min(value.size(), value.find('\0')));
}

std::string Stanza::to_string() const {
  return node_to_string(root());
}

pugi::xml_node child_ns(pugi::xml_node parent, std::string_view name, std::string_view ns) {
  for (auto child : parent.children()) {
    if (child.type() == pugi::node_element && name == child.name() &&
        ns == child.attribute("xmlns").value()) {
      return child;
    }
  }
  return {};
}

pugi::xml_node add_child(pugi::xml_node parent, std::string_view name, std::string_view ns) {
  auto child = parent.append_child(std::string(name).c_str());
  if (!ns.empty()) child.append_attribute("xmlns").set_value(std::string(ns).c_str());
  return child;
}

pugi::xml_node add_text_child(pugi::xml_node parent, std::string_view name, std::string_view text) {
  auto child = parent.append_child(std::string(name).c_str());
  if (!text.empty()) child.text().set(std::string(text).c_str());
  return child;
}

std::string node_to_string(pugi::xml_node node) {
  StringWriter writer;
  node.print(writer, "", kCompact, pugi::encoding_utf8);
  return std::move(writer.out);
}

}  // namespace mucd
