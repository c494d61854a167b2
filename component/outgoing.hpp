// What the link will and will not send to the host server.
//
// Prosody closes the whole component stream when a component sends a stanza whose `from` is
// outside the component's domain, and bounces a stanza without `to`; one engine bug must not
// disconnect every room, so the link checks each outgoing stanza and drops the bad ones.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/stanza.hpp"

namespace mucd::component {

// Prosody's default stanza size limit; bigger stanzas would cost us the stream.
inline constexpr std::size_t kMaxStanzaBytes = 512 * 1024;

// True when `jid` is `domain` itself or a JID at it (node@domain, domain/res, node@domain/res).
// `domain` must be prepared (lowercase); `jid` is compared as written, without preparing it.
bool is_at_domain(std::string_view jid, std::string_view domain);

// Why a stanza with this `from` and `to` must not be sent by the component `domain`, or nullopt
// when it may.
std::optional<std::string> outgoing_problem(std::string_view from, std::string_view to,
                                            std::string_view domain);

// The name, from and to of the first start tag in serialized XML, for checking text handed to
// Outbox::send_raw without parsing all of it. Entities in the values are left as written (a
// domain cannot contain any). Returns nullopt when the text does not begin (after whitespace) with
// a well-formed start tag.
struct StartTag {
  std::string_view name;
  std::optional<std::string_view> from;
  std::optional<std::string_view> to;
};
std::optional<StartTag> scan_start_tag(std::string_view xml);

// message, presence or iq.
bool is_stanza_name(std::string_view name);

// The reply that tells the sender of an iq get/set that we failed to handle it
// (<error type='cancel'><internal-server-error/></error>). nullopt for any other stanza, which gets
// no answer.
std::optional<Stanza> internal_error_reply(const Stanza& request);

}  // namespace mucd::component
