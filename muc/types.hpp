// Roles and affiliations (XEP-0045 §5) with their ranks, as Prosody orders them.
#pragma once

#include <optional>
#include <string_view>

namespace mucd::muc {

enum class Role { None = 0, Visitor = 1, Participant = 2, Moderator = 3 };
enum class Affiliation { Outcast = -1, None = 0, Member = 1, Admin = 2, Owner = 3 };

std::string_view to_string(Role role);
std::string_view to_string(Affiliation affiliation);
std::optional<Role> parse_role(std::string_view text);
std::optional<Affiliation> parse_affiliation(std::string_view text);

inline int rank(Role r) {
  return static_cast<int>(r);
}
inline int rank(Affiliation a) {
  return static_cast<int>(a);
}

namespace ns {
inline constexpr std::string_view kMuc = "http://jabber.org/protocol/muc";
inline constexpr std::string_view kMucUser = "http://jabber.org/protocol/muc#user";
inline constexpr std::string_view kMucAdmin = "http://jabber.org/protocol/muc#admin";
inline constexpr std::string_view kMucOwner = "http://jabber.org/protocol/muc#owner";
inline constexpr std::string_view kMucRequest = "http://jabber.org/protocol/muc#request";
inline constexpr std::string_view kRoomConfig = "http://jabber.org/protocol/muc#roomconfig";
inline constexpr std::string_view kRoomInfo = "http://jabber.org/protocol/muc#roominfo";
inline constexpr std::string_view kMucRegister = "http://jabber.org/protocol/muc#register";
inline constexpr std::string_view kDiscoInfo = "http://jabber.org/protocol/disco#info";
inline constexpr std::string_view kDiscoItems = "http://jabber.org/protocol/disco#items";
inline constexpr std::string_view kCommands = "http://jabber.org/protocol/commands";
inline constexpr std::string_view kRegister = "jabber:iq:register";
inline constexpr std::string_view kData = "jabber:x:data";
inline constexpr std::string_view kDelay = "urn:xmpp:delay";
inline constexpr std::string_view kStanzas = "urn:ietf:params:xml:ns:xmpp-stanzas";
inline constexpr std::string_view kPing = "urn:xmpp:ping";
inline constexpr std::string_view kOccupantId = "urn:xmpp:occupant-id:0";
}  // namespace ns

}  // namespace mucd::muc
