// One chat room: its configuration, affiliations, occupants, history and subject, and the
// handling of every stanza addressed to it or to one of its occupants.
//
// The behaviour follows Prosody's mod_muc (XEP-0045 where it is explicit, Prosody where it is
// silent). A Room never touches a socket or storage: it appends stanzas to the environment's
// Outbox and records what durable state changed (RoomChanges), which the service stores before
// anything it sent goes out (muc/persistence.hpp).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "core/handler.hpp"
#include "core/stanza.hpp"
#include "muc/occupant.hpp"
#include "muc/room_config.hpp"
#include "muc/stanza_error.hpp"
#include "muc/types.hpp"

namespace mucd::muc {

// What a room needs from the service around it.
struct RoomEnv {
  Outbox* out = nullptr;
  const Clock* clock = nullptr;
  std::string service_domain;
  // Service administrators act as owners of every room.
  std::function<bool(std::string_view bare_jid)> is_service_admin;
  // Produces ids for stanzas that lack one.
  std::function<std::string()> new_id;
  // Whether users without an affiliation may register with a room.
  bool allow_unaffiliated_register = false;
  // The most occupants the room admits (owners and admins always enter); nullopt: no limit.
  std::optional<size_t> max_occupants;
  // Whether occupants' stanzas carry XEP-0421 occupant ids (advertised in disco#info); either
  // way, occupant-id elements that occupants send themselves are removed.
  bool occupant_ids = true;
};

struct AffiliationEntry {
  Affiliation affiliation = Affiliation::None;
  std::string reserved_nick;
  std::string reason;
};

// Why and where to a room was destroyed: kept for the tombstone of a persistent room.
struct DestroyNotice {
  std::string reason;
  std::string new_jid;
};

struct HistoryEntry {
  // As broadcast, with its delay element, without 'to'; kept serialized (a parsed tree costs
  // kilobytes) and replayed to a joiner like any broadcast.
  Broadcast message;
  std::chrono::system_clock::time_point stamp;
  uint64_t seq = 0;  // increasing within the room: the entry's storage key
};

// What durable state a room changed since the service last asked (Room::take_changes).
struct RoomChanges {
  bool settings = false;                  // configuration, subject or occupant-id salt
  std::set<std::string> affiliations;     // bare JIDs whose affiliation or reserved nick changed
  size_t history_added = 0;               // messages added to the history (the newest entries)
  std::vector<uint64_t> history_dropped;  // seqs of entries that fell out of the history
  // Occupant JIDs whose sessions, presence or role changed, each with the real JIDs of its live
  // sessions before the first of those changes.
  std::map<std::string, std::vector<std::string>> occupants;

  bool empty() const {
    return !settings && affiliations.empty() && history_added == 0 && history_dropped.empty() &&
           occupants.empty();
  }
};

// What the status codes and extra children of a muc#user <x/> carry for an occupant presence.
struct PresenceX {
  std::vector<std::string> codes;       // for everyone
  std::vector<std::string> self_codes;  // only for the occupant itself (after `codes`)
  std::optional<Stanza> destroy;        // <destroy/> child, when the room is being destroyed
};

class Room {
 public:
  Room(std::string jid, RoomEnv env);
  Room& operator=(const Room&) = delete;
  // A copy of the whole room, kept by the service while a change is being stored so that a
  // failed write can put the room back as it was.
  std::unique_ptr<Room> clone() const;

  const std::string& jid() const { return jid_; }
  const RoomConfig& config() const { return config_; }

  // --- Entry points, one per kind of stanza (the service has checked `to` and `from`).
  // The presence that creates the room (the room has just been constructed).
  void handle_first_presence(const Stanza& stanza);
  void handle_presence_to_occupant(const Stanza& stanza);
  void handle_presence_to_room(const Stanza& stanza);
  // Returns false when the message was not handled (the service answers it).
  bool handle_message_to_room(const Stanza& stanza);
  void handle_message_to_occupant(const Stanza& stanza);
  // Returns false when the iq was not handled (the service answers it).
  bool handle_iq_to_room(const Stanza& stanza);
  void handle_iq_to_occupant(const Stanza& stanza);

  // Removes everyone with a <destroy/> notice. Returns false when refused.
  bool destroy(std::optional<std::string> new_jid, std::optional<std::string> reason,
               std::optional<std::string> password);

  bool destroyed() const { return destroyed_.has_value(); }
  // Set once destroy() has run.
  const std::optional<DestroyNotice>& destroy_notice() const { return destroyed_; }
  bool has_occupants() const { return !occupants_.empty(); }
  size_t occupant_count() const { return occupants_.size(); }
  bool locked() const;

  // --- State queries.
  Affiliation affiliation_of(std::string_view jid) const;
  Role default_role(Affiliation affiliation) const;
  std::optional<std::string> registered_nick(std::string_view bare_jid) const;
  std::optional<std::string> registered_jid(std::string_view nick) const;
  // (Ordered with std::less<>: looked up by string_view, without building a key.)
  using Affiliations = std::map<std::string, AffiliationEntry, std::less<>>;
  const Affiliations& affiliations() const { return affiliations_; }
  const std::string& subject() const { return subject_; }

  // Changes an affiliation. `actor` is the real JID of who asks, or nullopt for the system.
  // Returns the error to send when refused.
  std::optional<ErrorSpec> set_affiliation(const std::optional<std::string>& actor,
                                           const std::string& jid, Affiliation affiliation,
                                           const std::optional<std::string>& reason,
                                           const std::optional<std::string>& reserved_nick,
                                           bool clear_data = false);
  // Changes the role of the occupant `occupant_jid` (room@service/nick).
  std::optional<ErrorSpec> set_role(const std::optional<std::string>& actor,
                                    const std::string& occupant_jid, Role role,
                                    const std::optional<std::string>& reason);

  // What durable state changed since the last call; the record starts empty again.
  RoomChanges take_changes() { return std::exchange(changes_, {}); }

 private:
  friend class Persistence;  // maps the room to storage records and back (persistence.hpp)
  Room(const Room&) = default;
  // Notes, before it changes, which live sessions an occupant had (RoomChanges::occupants).
  void note_occupant_change(const std::string& occupant_jid);

  // room.cpp: occupants and presence
  std::optional<Occupant> occupant_by_nick(std::string_view occupant_jid) const;
  std::optional<Occupant> occupant_by_real_jid(std::string_view real_jid) const;
  std::optional<std::string> occupant_jid_of(std::string_view real_jid) const;
  // Whether the occupant may send private messages (muc#roomconfig_allowpm).
  bool may_send_pm(const std::string& occupant_jid) const;
  // Stores an occupant back (or removes it when it has no live session). Returns the stored
  // occupant (pruned as Occupant::prune() does), valid until occupants change; nullptr when
  // removed.
  const Occupant* save_occupant(Occupant occupant);
  Occupant new_occupant(const std::string& bare_jid, const std::string& occupant_jid) const;
  void route(Stanza stanza);
  void route_to_occupant(const Occupant& occupant, Stanza stanza);
  // One copy of `copy` per session of `occupant` (all of them, as route_to_occupant).
  void send_to_occupant(const Occupant& occupant, const Broadcast& copy);
  // Serialized once, then one copy per session of every occupant that passes `filter`.
  void broadcast(const Stanza& stanza, const std::function<bool(const Occupant&)>& filter = {});
  void broadcast_message(const Stanza& stanza);
  // What an item may carry besides affiliation, role and JID.
  struct ItemExtras {
    std::optional<std::string> nick, actor_nick, actor_jid, reason;
  };
  // The muc#user items of `occupant` as text, as add_items() builds them: one without a JID when
  // `anonymous`, else one per session.
  void append_items(std::string& out, const Occupant& occupant, bool anonymous,
                    const ItemExtras& extras) const;
  std::string presence_x(const PresenceX& x, const std::string& destroy, bool for_self,
                         const Occupant& occupant, bool anonymous, const ItemExtras& extras,
                         bool own_presence) const;
  // Whether a stored presence is as stamp_occupant_id leaves it (ends with this room's occupant
  // id for `bare_jid`, or has none when ids are off), so that it can be broadcast as it is.
  bool carries_own_occupant_id(const StoredPresence& presence, std::string_view bare_jid);
  void add_items(pugi::xml_node x, const Occupant& occupant, bool anonymous,
                 const std::optional<std::string>& nick,
                 const std::optional<std::string>& actor_nick,
                 const std::optional<std::string>& actor_jid,
                 const std::optional<std::string>& reason) const;
  void publicise(const Occupant& occupant, const PresenceX& x,
                 const std::optional<std::string>& nick = {},
                 const std::optional<std::string>& actor = {},
                 const std::optional<std::string>& reason = {}, std::optional<Role> prev_role = {},
                 bool force_unavailable = false, const Occupant* recipient = nullptr);
  void send_occupant_list(const std::string& to,
                          const std::function<bool(const std::string&, const Occupant*)>& filter);
  bool is_anonymous_for(std::string_view jid) const;
  bool can_see_real_jids(const Occupant& viewer) const;
  void handle_normal_presence(const Stanza& stanza);
  void handle_kickable(const Stanza& stanza);
  void respond_to_probe(const Stanza& stanza, const std::optional<Occupant>& prober);

  // room_join.cpp: the pre-join and pre-change vetoes, in Prosody's priority order
  bool veto_join(const Stanza& stanza, const Occupant& occupant, bool is_new_room);
  bool veto_change(const Stanza& stanza, const Occupant& dest);
  void send_join_error(const Stanza& stanza, ErrorSpec error);

  // history.cpp
  void add_history(const Broadcast& message);
  void send_history(const Stanza& join);
  // subject.cpp
  void send_subject(const std::string& to);
  bool handle_subject_change(const Stanza& stanza, const Occupant& occupant);

  // room_message.cpp
  void handle_groupchat(const Stanza& stanza);
  void handle_mediated_invite(const Stanza& stanza, pugi::xml_node invite);
  void handle_mediated_decline(const Stanza& stanza, pugi::xml_node decline);
  void handle_voice_request(const Stanza& stanza, pugi::xml_node form);

  // room_admin.cpp
  void handle_admin_get(const Stanza& stanza);
  void handle_admin_set(const Stanza& stanza);
  std::optional<ErrorSpec> may_set_role(const std::string& actor, const Occupant& occupant,
                                        Role role) const;

  // room_owner.cpp
  void handle_owner_get(const Stanza& stanza);
  void handle_owner_set(const Stanza& stanza);
  void process_config_form(const Stanza& stanza, pugi::xml_node form);
  void apply_members_only(bool members_only, bool& changed);
  void apply_presence_broadcast(const PresenceBroadcast& roles, bool& changed);
  void clear(const PresenceX& x);

  // register.cpp
  void handle_register(const Stanza& stanza);

  // disco.cpp
  void handle_disco_info(const Stanza& stanza);
  void handle_disco_items(const Stanza& stanza);

  // XEP-0421: a stable, opaque id per real bare JID, salted per room. Removes any occupant-id
  // the stanza came with, and adds the room's unless ids are off (RoomEnv::occupant_ids).
  void stamp_occupant_id(Stanza& stanza, std::string_view bare_jid);
  // The room's secret salt (created on first use), for occupant ids and relayed iq ids.
  const std::string& salt();
  const std::string& occupant_id_of(std::string_view bare_jid);
  // The stored occupant that session `real_jid` belongs to, or nullptr: no copy, no pruning
  // (for the message path, which needs only its nick, bare JID and role).
  const Occupant* find_occupant(std::string_view real_jid) const;

  ErrorSpec room_error(ErrorType type, Condition condition, std::string_view text = {}) const {
    return ErrorSpec{type, condition, text, jid_};
  }
  void send_error(const Stanza& stanza, ErrorSpec error);

  std::string jid_;
  RoomEnv env_;
  RoomConfig config_;
  Affiliations affiliations_;                               // by bare JID (or domain)
  std::map<std::string, Occupant, std::less<>> occupants_;  // by occupant JID
  // Real full JID of a live session -> its occupant in occupants_. Keys view Session::jid in
  // the stored occupant (std::map nodes stay put); save_occupant() is the only writer of both.
  std::unordered_map<std::string_view, const Occupant*> jid_nick_;
  std::vector<HistoryEntry> history_;  // oldest first; a deque would allocate in every room
  std::string subject_;
  std::string subject_from_;
  std::optional<std::chrono::system_clock::time_point> subject_time_;
  std::optional<std::chrono::steady_clock::time_point> locked_until_;
  std::optional<DestroyNotice> destroyed_;
  RoomChanges changes_;
  uint64_t history_seq_ = 0;  // of the newest history entry
  std::string occupant_id_salt_;
  // The last occupant id computed: an HMAC per message costs more than its fan-out to ten, and
  // a burst of messages usually comes from one occupant at a time.
  struct OccupantIdCache {
    std::size_t salt_hash = 0;  // of the salt the entries were computed with
    std::array<std::pair<std::string, std::string>, 1> entries;  // bare JID -> id
    std::size_t next = 0;
  };
  OccupantIdCache occupant_ids_;
};

// The resource part of a JID ("" when none).
std::string_view resource_of(std::string_view jid);
// The bare part of a JID.
std::string_view bare_of(std::string_view jid);

}  // namespace mucd::muc
