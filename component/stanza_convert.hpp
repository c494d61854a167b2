// Conversion of libstrophe's parsed stanzas into our owned Stanza.
//
// libstrophe's stanza dies when its callback returns, and its tree has two quirks this undoes:
// every element carries its namespace (even when inherited), and `xml:lang` arrives as `lang`
// because its parser drops attribute namespaces.
#pragma once

#include <optional>
#include <string_view>

#include "core/stanza.hpp"

struct _xmpp_stanza_t;

namespace mucd::component {

// The stream namespaces a top-level stanza may carry; its xmlns is dropped when it is one of them.
inline constexpr std::string_view kNsComponentAccept = "jabber:component:accept";
inline constexpr std::string_view kNsClient = "jabber:client";

// Copies `stanza` (a tag, not a text node) into a Stanza:
//  - `xmlns` appears on an element only where its namespace differs from its parent's, and not
//    on the top element when that is jabber:component:accept or jabber:client;
//  - the attribute `lang` becomes `xml:lang` (an un-namespaced `lang` cannot be told apart);
//  - text is kept as is (pugixml escapes it again when serializing).
// Returns nullopt for a text node or a nameless element.
std::optional<Stanza> from_strophe(_xmpp_stanza_t* stanza);

}  // namespace mucd::component
