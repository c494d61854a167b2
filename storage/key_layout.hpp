// The LevelDB key layout, all of it. Values are encoded by encoding.hpp.
//
//   "\x01schema"                               -> schema version, decimal text ("1")
//   "room/" room                               -> RoomRecord without affiliations
//   "aff/"  room "\0" bare-jid                 -> AffiliationRecord
//   "hist/" room "\0" seq (8 bytes big-endian) -> HistoryRecord
//   "occ/"  room "\0" nick "\0" real-jid       -> OccupantRecord
//   "list/" room                               -> ListingRecord (public rooms only)
//   "tomb/" room                               -> TombstoneRecord (destroyed persistent rooms)
//
// (Tombstones came after schema 1 was first written; an older mucd never reads their keys, so
// they did not need a new schema.)
//
// '\0' cannot occur in a JID or a nick (stringprep forbids control characters) and the store
// refuses it (StoreBatch::validate), so the separator keeps a room from matching another room
// whose JID it prefixes: "aff/a@x\0" is not a prefix of "aff/a@xy\0...". Big-endian seqs make
// LevelDB's bytewise order the numeric order, oldest first.
//
// Changing this layout means bumping kSchemaVersion and converting old stores.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mucd::storage::keys {

inline constexpr std::string_view kSchema{"\x01schema"};
inline constexpr int kSchemaVersion = 1;

std::string room(std::string_view room_jid);
// Every room key starts with this (list_rooms).
std::string room_prefix();
// The room JID of a key that starts with room_prefix(), or nullopt for any other key.
std::optional<std::string_view> room_jid_of(std::string_view key);

std::string affiliation(std::string_view room_jid, std::string_view jid);
std::string affiliation_prefix(std::string_view room_jid);

std::string history(std::string_view room_jid, uint64_t seq);
std::string history_prefix(std::string_view room_jid);

std::string occupant(std::string_view room_jid, std::string_view nick, std::string_view real_jid);
std::string occupant_prefix(std::string_view room_jid);
// Every occupant key starts with this (list_occupied_rooms).
std::string occupants_prefix();
// The room JID of a key that starts with occupants_prefix(), or nullopt for any other key.
std::optional<std::string_view> occupant_room_of(std::string_view key);
// The smallest key that sorts after every occupant key of `room_jid` (to skip past them).
std::string occupants_after(std::string_view room_jid);

std::string listing(std::string_view room_jid);
// Every listing key starts with this (list_listed_rooms).
std::string listing_prefix();

std::string tombstone(std::string_view room_jid);
// Every tombstone key starts with this (list_tombstones).
std::string tombstone_prefix();

// Printable form of a key for error messages: "\0" and other non-printable bytes escaped.
std::string describe(std::string_view key);

}  // namespace mucd::storage::keys
