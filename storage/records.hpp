// What the store keeps: plain records of strings and numbers. The store knows nothing of XMPP;
// the engine maps its room state to these and back, so adding a room setting never changes the
// encoding (a new setting is one more config entry).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace mucd::storage {

// One user's standing in a room.
struct AffiliationRecord {
  std::string jid;          // bare JID, the key within the room
  std::string affiliation;  // "owner", "admin", "member" or "outcast"
  std::string nick;         // reserved nick, may be empty
  std::string reason;

  friend bool operator==(const AffiliationRecord&, const AffiliationRecord&) = default;
};

// A room's durable settings. Occupants and history are stored separately (they change far more
// often than the settings).
struct RoomRecord {
  std::string jid;  // the room's bare JID, the key
  // Config field -> value, e.g. {"persistent", "1"}, kept in the order given.
  std::vector<std::pair<std::string, std::string>> config;
  std::string subject;
  std::string subject_from;  // nick (or JID) of whoever set the subject
  // Replaced as a whole by save_room; loaded ordered by jid (bytewise).
  std::vector<AffiliationRecord> affiliations;

  friend bool operator==(const RoomRecord&, const RoomRecord&) = default;
};

// One message of a room's discussion history.
struct HistoryRecord {
  uint64_t seq = 0;      // assigned by the engine, increasing within a room; the key
  int64_t stamp_ms = 0;  // wall-clock time the room received it, ms since the Unix epoch
  std::string from_nick;
  std::string xml;  // the stanza as sent to occupants

  friend bool operator==(const HistoryRecord&, const HistoryRecord&) = default;
};

// A room in the service's public room list (disco#items). Kept apart from the room record so
// the list can be read without loading every room.
struct ListingRecord {
  std::string jid;  // the room's bare JID, the key
  std::string name;

  friend bool operator==(const ListingRecord&, const ListingRecord&) = default;
};

// What a destroyed persistent room leaves behind for a while: joins get <gone/> with the reason
// and the new venue until it expires (or an admin creates the room again).
struct TombstoneRecord {
  std::string jid;  // the destroyed room's bare JID, the key
  std::string reason;
  std::string new_jid;     // alternate venue, may be empty
  int64_t expires_ms = 0;  // wall-clock time it ends, ms since the Unix epoch

  friend bool operator==(const TombstoneRecord&, const TombstoneRecord&) = default;
};

// One session in a room, kept so a restart can tell who was there.
struct OccupantRecord {
  std::string nick;
  std::string real_jid;  // full JID; one nick may have several sessions
  std::string role;      // "moderator", "participant" or "visitor"
  std::string presence_xml;

  friend bool operator==(const OccupantRecord&, const OccupantRecord&) = default;
};

}  // namespace mucd::storage
