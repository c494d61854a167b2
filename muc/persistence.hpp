// Between a Room and the plain records of storage/: what the service writes after a stanza
// changed a persistent room, and how a stored room comes back after a restart.
//
// The engine sees only the RoomStore interface and its records (storage/room_store.hpp), never
// LevelDB. A room's settings are config entries (name -> text), so adding a setting never changes
// the storage encoding:
//
//   name, description, language, password     text
//   persistent, public, members_only,          "1" or "0"
//   allow_member_invites, moderated, change_subject
//   whois                                     "moderators" or "anyone"
//   history_length, default_history_messages  decimal, only when set
//   presence_broadcast                        roles, comma separated ("visitor,participant,...")
//   subject_time_ms                           ms since the Unix epoch, only when a subject was set
//   occupant_id_salt                          the XEP-0421 salt, so occupant ids survive restarts
//
// Unknown entries are ignored on load (a newer mucd may have written them).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "muc/room.hpp"
#include "storage/records.hpp"
#include "storage/store_batch.hpp"

namespace mucd::muc {

class Persistence {
 public:
  // The room's settings record (config entries, subject), with or without its affiliations.
  static storage::RoomRecord record_of(const Room& room, bool with_affiliations);

  // Adds to `batch` everything about the room (settings, affiliations, history, the sessions of
  // its occupants): for a room that has just become persistent.
  static void save_everything(const Room& room, storage::StoreBatch& batch);

  // Adds to `batch` what `changes` says changed in the room since its last write.
  static void save_changes(const Room& room, const RoomChanges& changes,
                           storage::StoreBatch& batch);

  // Whether `changes` hold something a client is told succeeded (a configuration, affiliation,
  // reserved nick or subject): such a batch is synced before the acknowledgement goes out.
  static bool acknowledged(const RoomChanges& changes) {
    return changes.settings || !changes.affiliations.empty();
  }

  // A room rebuilt from its records: settings, affiliations, the newest history entries (as many
  // as its history length keeps) and its occupants with their sessions, roles and last
  // presences. The room is persistent and unlocked, and has no pending changes. Records that
  // cannot be read (a history entry or a presence that is not XML, an unknown role) are skipped
  // and described in *problems.
  static std::unique_ptr<Room> restore(RoomEnv env, const storage::RoomRecord& record,
                                       const std::vector<storage::HistoryRecord>& history,
                                       const std::vector<storage::OccupantRecord>& occupants,
                                       std::vector<std::string>* problems);

  // Every live session of every occupant: (occupant JID, real full JID).
  static std::vector<std::pair<std::string, std::string>> sessions(const Room& room);
};

}  // namespace mucd::muc
