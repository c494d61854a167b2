// Every stored room as one JSON document, and back: what `mucd --export FILE` writes and
// `mucd --import FILE` reads, for backups and for moving rooms between machines or schema
// versions. The format is independent of the key layout and the value encoding:
//
//   {"format": "mucd-rooms", "version": 1, "rooms": [
//     {"jid": "coven@chat.example", "config": {"persistent": "1", "name": "The Coven", ...},
//      "subject": "...", "subject_from": "...",
//      "affiliations": [{"jid": "...", "affiliation": "owner", "nick": "...", "reason": "..."}],
//      "history": [{"seq": 1, "stamp_ms": 1700000000000, "from_nick": "...", "xml": "<message/>"}],
//      "occupants": [{"nick": "...", "real_jid": "...", "role": "...", "presence_xml": "..."}],
//      "listing": {"name": "..."}},   <- only for a room in the public room list
//     ...],
//    "tombstones": [                   <- destroyed persistent rooms (absent in older dumps)
//     {"jid": "...", "reason": "...", "new_jid": "...", "expires_ms": 1700000000000},
//     ...]}
//
// One room per line, so a dump can be read and diffed. Config values are strings exactly as
// stored (room passwords included: keep dumps private).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "storage/room_store.hpp"

namespace mucd::storage {

inline constexpr std::string_view kDumpFormat = "mucd-rooms";
inline constexpr int kDumpVersion = 1;

// Writes the dump of every room in `store` through `write`, room by room (memory stays flat
// whatever the number of rooms), then every tombstone. Sets *rooms to the number of rooms written
// (and *tombstones, when given, to the number of tombstones). Stops at the first store error and
// returns it.
Status export_rooms(const RoomStore& store, const std::function<void(std::string_view)>& write,
                    size_t* rooms, size_t* tombstones = nullptr);

// Reads a dump and stores its rooms. A room of the dump replaces the stored room with the same
// JID (history and occupants included) and lifts a stored tombstone of that JID, a tombstone
// of the dump replaces the stored one (a dump may hold a room and a tombstone of one JID: both
// come back); other stored rooms and tombstones stay. The whole text is parsed and
// checked before anything is written, so a bad dump changes nothing; each room is then one
// atomic batch, and the last write is synced. Sets *rooms to the number of rooms stored (and
// *tombstones, when given, to the number of tombstones, once they are all stored).
Status import_rooms(RoomStore& store, std::string_view json_text, size_t* rooms,
                    size_t* tombstones = nullptr);

}  // namespace mucd::storage
