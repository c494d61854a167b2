// Small XML helpers shared by the scansion parser, matcher, reporter and recorder.
//
// Everything here works on pugixml trees and knows nothing about XMPP sessions. pugixml does not
// check namespaces, which is what lets scripts use the undeclared `scansion:` prefix.
#pragma once

#include <memory>
#include <pugixml.hpp>
#include <string>
#include <string_view>

namespace mucd::scansion {

// The namespace of a stanza element when nothing declares one.
inline constexpr std::string_view kClientNamespace = "jabber:client";

// Outcome of parsing one stanza. On failure `doc` is null, `error` says why and `offset` is the
// byte offset of the problem inside the parsed text.
struct ParsedXml {
  std::unique_ptr<pugi::xml_document> doc;
  std::string error;
  std::ptrdiff_t offset = 0;

  explicit operator bool() const { return doc != nullptr; }
  pugi::xml_node root() const { return doc ? doc->document_element() : pugi::xml_node{}; }
};

// Parses text that must hold exactly one element (surrounding whitespace and comments allowed).
ParsedXml parse_element(std::string_view text);

// Parses a stanza as serialized by libstrophe: like parse_element, and additionally renames the
// `lang` attributes libstrophe reports back to `xml:lang`.
ParsedXml parse_received(std::string_view text);

// The concatenated character data directly inside `node` (not its descendants).
std::string text_of(pugi::xml_node node);

// `s` without leading and trailing ASCII whitespace.
std::string_view trim(std::string_view s);

// The namespace in force for `node`: its own xmlns, else its nearest ancestor's, else
// jabber:client.
std::string namespace_of(pugi::xml_node node);

// Escapes text for an attribute value quoted with `"` (also safe as character data). Line breaks
// become character references so that a serialized stanza always fits on one line.
std::string escape(std::string_view text);

// Compact serialization: no declaration, no indentation, attributes in document order,
// whitespace-only text dropped.
std::string compact(pugi::xml_node node);

// The start tag of `node` with its attributes, self-closed, e.g. `<status code="110"/>`.
std::string start_tag(pugi::xml_node node);

}  // namespace mucd::scansion
