// An owned XMPP stanza: a pugixml document holding exactly one top-level element.
//
// The link converts every libstrophe stanza into a Stanza before the engine sees it, and the engine
// answers with Stanzas; no libstrophe type crosses into the engine.
#pragma once

#include <optional>
#include <pugixml.hpp>
#include <string>
#include <string_view>

namespace mucd {

class Stanza {
 public:
  // An empty stanza element `<name/>`.
  explicit Stanza(std::string_view name);

  Stanza(const Stanza& other);
  Stanza& operator=(const Stanza& other);
  Stanza(Stanza&&) noexcept = default;
  Stanza& operator=(Stanza&&) noexcept = default;

  // Parses one element from XML text. Returns nullopt when the text is not well-formed or holds
  // anything but a single element.
  static std::optional<Stanza> parse(std::string_view xml);

  // A deep copy of `node` as a stand-alone stanza.
  static Stanza copy_of(pugi::xml_node node);

  pugi::xml_node root() { return doc_.document_element(); }
  pugi::xml_node root() const { return doc_.document_element(); }

  std::string_view name() const { return root().name(); }
  // Empty when the attribute is absent.
  std::string_view attr(const char* name) const { return root().attribute(name).value(); }
  bool has_attr(const char* name) const { return !root().attribute(name).empty(); }
  void set_attr(const char* name, std::string_view value);
  void remove_attr(const char* name) { root().remove_attribute(name); }

  std::string_view from() const { return attr("from"); }
  std::string_view to() const { return attr("to"); }
  std::string_view type() const { return attr("type"); }
  std::string_view id() const { return attr("id"); }

  // Compact serialization without XML declaration, suitable for the wire.
  std::string to_string() const;

 private:
  pugi::xml_document doc_;
};

// The first child of `parent` named `name` whose xmlns attribute equals `ns` (empty node if none).
pugi::xml_node child_ns(pugi::xml_node parent, std::string_view name, std::string_view ns);

// Appends a child `<name xmlns='ns'/>` (xmlns omitted when empty) and returns it.
pugi::xml_node add_child(pugi::xml_node parent, std::string_view name, std::string_view ns = {});

// Appends `<name>text</name>` and returns it.
pugi::xml_node add_text_child(pugi::xml_node parent, std::string_view name, std::string_view text);

// Serializes a node compactly (no declaration, no indentation).
std::string node_to_string(pugi::xml_node node);

}  // namespace mucd
