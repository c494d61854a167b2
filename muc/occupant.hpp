// An occupant of a room: one nickname, one bare real JID, and one or more client sessions
// (full JIDs), each with the last presence it sent.
#pragma once

#include <string>
#include <vector>

#include "core/handler.hpp"
#include "core/stanza.hpp"
#include "muc/types.hpp"

namespace mucd::muc {

// A session's last presence, kept serialized: a parsed document costs tens of kilobytes, and a
// server holds one per occupant (a million for 100,000 rooms of 10). The text is what the room
// sends: presence broadcasts and occupant lists splice it rather than build a tree.
class StoredPresence {
 public:
  // Keeps `presence` without its `to` (every use addresses it anew).
  explicit StoredPresence(const Stanza& presence);
  // A parsed copy, without `to`.
  Stanza stanza() const;
  const Broadcast& serialized() const { return text_; }
  bool available() const { return available_; }

 private:
  Broadcast text_;
  bool available_;
};

struct Session {
  std::string jid;          // the client's full JID
  StoredPresence presence;  // its last presence, without MUC payloads, from the occupant JID
};

class Occupant {
 public:
  Occupant(std::string occupant_jid, std::string bare_jid)
      : occupant_jid_(std::move(occupant_jid)), bare_jid_(std::move(bare_jid)) {}

  // room@service/nick
  const std::string& occupant_jid() const { return occupant_jid_; }
  std::string_view nick() const;
  const std::string& bare_jid() const { return bare_jid_; }
  Role role = Role::None;

  // Records `presence` (MUC payloads removed, from = occupant JID, to = session) for a session.
  void set_session(const std::string& jid, Stanza presence);
  void remove_session(const std::string& jid);
  const Session* session(std::string_view jid) const;
  const std::vector<Session>& sessions() const { return sessions_; }
  // Drops sessions that have gone unavailable, except the primary one.
  void prune();

  // The primary session's JID (the one whose presence represents the occupant).
  const std::string& primary() const { return primary_; }
  // The primary session's presence (nullptr when there is no session).
  const StoredPresence* presence() const;
  bool has_live_session() const;
  size_t live_session_count() const;

 private:
  std::string choose_new_primary() const;

  std::string occupant_jid_;
  std::string bare_jid_;
  std::vector<Session> sessions_;
  std::string primary_;
};

// Removes the MUC payloads (muc and muc#user <x/>) a client put in a stanza the room relays.
void remove_muc_payloads(Stanza& stanza);

// Is this presence an available one (no type attribute)?
bool is_available(const Stanza& presence);
inline bool is_available(const StoredPresence& presence) {
  return presence.available();
}

}  // namespace mucd::muc
