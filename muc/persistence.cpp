#include "muc/persistence.hpp"

#include <algorithm>
#include <charconv>

#include "muc/timestamp.hpp"

namespace mucd::muc {

namespace {

std::string flag(bool b) {
  return b ? "1" : "0";
}

std::optional<int> parse_int(std::string_view text) {
  int value = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size(), value);
  if (r.ec != std::errc{} || r.ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<int64_t> parse_int64(std::string_view text) {
  int64_t value = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size(), value);
  if (r.ec != std::errc{} || r.ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string broadcast_roles(const PresenceBroadcast& roles) {
  std::string out;
  for (Role role : {Role::None, Role::Visitor, Role::Participant, Role::Moderator}) {
    if (!roles.includes(role)) continue;
    if (!out.empty()) out += ',';
    out += to_string(role);
  }
  return out;
}

PresenceBroadcast parse_broadcast_roles(std::string_view text) {
  PresenceBroadcast roles{false, false, false, false};
  while (!text.empty()) {
    const size_t comma = text.find(',');
    auto role = parse_role(text.substr(0, comma));
    if (role == Role::None) roles.none = true;
    if (role == Role::Visitor) roles.visitor = true;
    if (role == Role::Participant) roles.participant = true;
    if (role == Role::Moderator) roles.moderator = true;
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
  }
  return roles;
}

std::vector<std::pair<std::string, std::string>> config_entries(const RoomConfig& c) {
  std::vector<std::pair<std::string, std::string>> out = {
      {"name", c.name},
      {"description", c.description},
      {"language", c.language},
      {"password", c.password},
      {"persistent", flag(c.persistent)},
      {"public", flag(!c.hidden)},
      {"members_only", flag(c.members_only)},
      {"allow_member_invites", flag(c.allow_member_invites)},
      {"moderated", flag(c.moderated)},
      {"change_subject", flag(c.change_subject)},
      {"whois", c.whois == Whois::Anyone ? "anyone" : "moderators"},
      {"allow_pm", std::string(to_string(c.allow_pm))},
      {"presence_broadcast", broadcast_roles(c.presence_broadcast)},
  };
  if (c.history_length) out.emplace_back("history_length", std::to_string(*c.history_length));
  if (c.default_history_messages) {
    out.emplace_back("default_history_messages", std::to_string(*c.default_history_messages));
  }
  return out;
}

void apply_config_entry(RoomConfig& c, const std::string& field, const std::string& value) {
  const bool on = value == "1";
  if (field == "name") {
    c.name = value;
  } else if (field == "description") {
    c.description = value;
  } else if (field == "language") {
    c.language = value;
  } else if (field == "password") {
    c.password = value;
  } else if (field == "persistent") {
    c.persistent = on;
  } else if (field == "public") {
    c.hidden = !on;
  } else if (field == "members_only") {
    c.members_only = on;
  } else if (field == "allow_member_invites") {
    c.allow_member_invites = on;
  } else if (field == "moderated") {
    c.moderated = on;
  } else if (field == "change_subject") {
    c.change_subject = on;
  } else if (field == "whois") {
    c.whois = value == "anyone" ? Whois::Anyone : Whois::Moderators;
  } else if (field == "allow_pm") {
    c.allow_pm = parse_pm_policy(value).value_or(PmPolicy::Anyone);
  } else if (field == "presence_broadcast") {
    c.presence_broadcast = parse_broadcast_roles(value);
  } else if (field == "history_length") {
    c.history_length = parse_int(value);
  } else if (field == "default_history_messages") {
    c.default_history_messages = parse_int(value);
  }
}

storage::AffiliationRecord affiliation_record(const std::string& jid, const AffiliationEntry& e) {
  return {jid, std::string(to_string(e.affiliation)), e.reserved_nick, e.reason};
}

storage::HistoryRecord history_record(const HistoryEntry& entry) {
  // The nick comes from the serialized `from` (escaped as an attribute value, which a nick rarely
  // needs): the record's nick is informational, the XML is what comes back.
  return {entry.seq, to_unix_ms(entry.stamp), std::string(resource_of(entry.message.from())),
          entry.message.text()};
}

void put_sessions(const std::string& room_jid, const Occupant& occupant,
                  storage::StoreBatch& batch) {
  const std::string nick(occupant.nick());
  for (const Session& s : occupant.sessions()) {
    if (!is_available(s.presence)) continue;
    batch.put_occupant(room_jid, {nick, s.jid, std::string(to_string(occupant.role)),
                                  s.presence.serialized().text()});
  }
}

}  // namespace

storage::RoomRecord Persistence::record_of(const Room& room, bool with_affiliations) {
  storage::RoomRecord record;
  record.jid = room.jid_;
  record.config = config_entries(room.config_);
  if (room.subject_time_) {
    record.config.emplace_back("subject_time_ms", std::to_string(to_unix_ms(*room.subject_time_)));
  }
  if (!room.occupant_id_salt_.empty()) {
    record.config.emplace_back("occupant_id_salt", room.occupant_id_salt_);
  }
  record.subject = room.subject_;
  record.subject_from = room.subject_from_;
  if (with_affiliations) {
    for (const auto& [jid, entry] : room.affiliations_) {
      record.affiliations.push_back(affiliation_record(jid, entry));
    }
  }
  return record;
}

void Persistence::save_everything(const Room& room, storage::StoreBatch& batch) {
  batch.forget_room(room.jid_);  // whatever an earlier life of this JID left
  batch.save_room(record_of(room, true));
  for (const HistoryEntry& entry : room.history_) {
    batch.put_history(room.jid_, history_record(entry));
  }
  for (const auto& [occupant_jid, occupant] : room.occupants_) {
    put_sessions(room.jid_, occupant, batch);
  }
}

void Persistence::save_changes(const Room& room, const RoomChanges& changes,
                               storage::StoreBatch& batch) {
  if (changes.settings) batch.save_settings(record_of(room, false));
  for (const std::string& jid : changes.affiliations) {
    auto it = room.affiliations_.find(jid);
    if (it == room.affiliations_.end()) {
      batch.remove_affiliation(room.jid_, jid);
    } else {
      batch.put_affiliation(room.jid_, affiliation_record(jid, it->second));
    }
  }
  // The engine keeps the window: entries that fell out are deleted by key, new ones put.
  for (uint64_t seq : changes.history_dropped) batch.remove_history(room.jid_, seq);
  const size_t n = std::min(changes.history_added, room.history_.size());
  for (size_t i = room.history_.size() - n; i < room.history_.size(); ++i) {
    batch.put_history(room.jid_, history_record(room.history_[i]));
  }
  for (const auto& [occupant_jid, before] : changes.occupants) {
    const std::string nick(resource_of(occupant_jid));
    auto it = room.occupants_.find(occupant_jid);
    for (const std::string& real_jid : before) {
      const Session* now = it == room.occupants_.end() ? nullptr : it->second.session(real_jid);
      if (!now || !is_available(now->presence)) batch.remove_occupant(room.jid_, nick, real_jid);
    }
    if (it != room.occupants_.end()) put_sessions(room.jid_, it->second, batch);
  }
}

std::unique_ptr<Room> Persistence::restore(RoomEnv env, const storage::RoomRecord& record,
                                           const std::vector<storage::HistoryRecord>& history,
                                           const std::vector<storage::OccupantRecord>& occupants,
                                           std::vector<std::string>* problems) {
  auto room = std::make_unique<Room>(record.jid, std::move(env));
  for (const auto& [field, value] : record.config) {
    if (field == "subject_time_ms") {
      if (auto ms = parse_int64(value)) room->subject_time_ = from_unix_ms(*ms);
    } else if (field == "occupant_id_salt") {
      room->occupant_id_salt_ = value;
    } else {
      apply_config_entry(room->config_, field, value);
    }
  }
  room->config_.persistent = true;  // a stored room is persistent by definition
  room->subject_ = record.subject;
  room->subject_from_ = record.subject_from;
  for (const storage::AffiliationRecord& a : record.affiliations) {
    auto affiliation = parse_affiliation(a.affiliation);
    if (!affiliation || *affiliation == Affiliation::None) {
      problems->push_back("affiliation of " + a.jid + ": unknown \"" + a.affiliation + "\"");
      continue;
    }
    room->affiliations_[a.jid] = AffiliationEntry{*affiliation, a.nick, a.reason};
  }

  const size_t keep = static_cast<size_t>(std::max(0, room->config_.effective_history_length()));
  const size_t skip = history.size() > keep ? history.size() - keep : 0;
  for (size_t i = 0; i < history.size(); ++i) {
    room->history_seq_ = std::max(room->history_seq_, history[i].seq);
    if (i < skip) continue;
    auto stanza = Stanza::parse(history[i].xml);
    if (!stanza) {
      problems->push_back("history entry " + std::to_string(history[i].seq) + " is not XML");
      continue;
    }
    room->history_.push_back(
        HistoryEntry{Broadcast(*stanza), from_unix_ms(history[i].stamp_ms), history[i].seq});
  }

  // Sessions come ordered by (nick, real JID): one occupant per run of equal nicks.
  for (size_t i = 0; i < occupants.size();) {
    const std::string& nick = occupants[i].nick;
    const std::string occupant_jid = record.jid + "/" + nick;
    Occupant occupant(occupant_jid, std::string(bare_of(occupants[i].real_jid)));
    auto role = parse_role(occupants[i].role);
    occupant.role = role && *role != Role::None ? *role : Role::Participant;
    for (; i < occupants.size() && occupants[i].nick == nick; ++i) {
      const storage::OccupantRecord& o = occupants[i];
      if (bare_of(o.real_jid) != occupant.bare_jid()) {
        problems->push_back("occupant " + occupant_jid + ": session " + o.real_jid +
                            " of another user skipped");
        continue;
      }
      auto presence = Stanza::parse(o.presence_xml);
      if (!presence || presence->name() != "presence" || !is_available(*presence)) {
        problems->push_back("occupant " + occupant_jid + ": presence of " + o.real_jid +
                            " is not an available presence; using an empty one");
        presence = Stanza("presence");
      }
      // As a join leaves it: with the room's occupant id, or none when ids are off (they may
      // have been on or off when it was stored).
      room->stamp_occupant_id(*presence, occupant.bare_jid());
      occupant.set_session(o.real_jid, *presence);
    }
    room->save_occupant(std::move(occupant));
  }
  bool new_salt = room->changes_.settings;  // ids turned on for a room stored without a salt
  room->take_changes();
  room->changes_.settings = new_salt;
  return room;
}

std::vector<std::pair<std::string, std::string>> Persistence::sessions(const Room& room) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [occupant_jid, occupant] : room.occupants_) {
    for (const Session& s : occupant.sessions()) {
      if (is_available(s.presence)) out.emplace_back(occupant_jid, s.jid);
    }
  }
  return out;
}

}  // namespace mucd::muc
