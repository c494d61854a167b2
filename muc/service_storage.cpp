// The service's side of durable rooms: turns (write before acknowledging, roll back when the
// write fails), lazy loading, and checking restored occupants. See service.hpp for the contract
// and persistence.hpp for the mapping of a room to storage records.
#include <algorithm>
#include <set>

#include "core/log.hpp"
#include "muc/persistence.hpp"
#include "muc/service.hpp"
#include "muc/timestamp.hpp"

namespace mucd::muc {

namespace {

// Could this stanza make a change that its answer acknowledges? Then the rooms it touches are
// copied first, so that a failed write can put them back exactly. Other stanzas (presences,
// plain groupchat) change only occupants and history; when their write fails, the room is
// dropped from memory and reloads from the store, which still holds its state before the turn.
bool may_acknowledge_change(const Stanza& stanza) {
  std::string_view kind = stanza.name();
  if (kind == "iq") return stanza.type() == "set" && resource_of(stanza.to()).empty();
  if (kind == "message") {
    auto root = stanza.root();
    return root.child("subject") || child_ns(root, "x", ns::kMucUser);
  }
  return false;
}

// Could this stanza make a temporary room persistent (an owner form naming the persistence
// field)? Only then does a temporary room write anything, so only then is it worth copying.
bool may_make_persistent(const Stanza& stanza) {
  if (stanza.name() != "iq" || stanza.type() != "set") return false;
  auto query = child_ns(stanza.root(), "query", ns::kMucOwner);
  auto form = child_ns(query, "x", ns::kData);
  for (auto field : form.children("field")) {
    if (std::string_view(field.attribute("var").value()) == "muc#roomconfig_persistentroom") {
      return true;
    }
  }
  return false;
}

}  // namespace

Service::HeldOutbox& Service::reusable_held() {
  // One for the service's life, emptied by every turn: its buffers keep their capacity.
  held_out_.drop();
  return held_out_;
}

struct Service::Turn {
  explicit Turn(HeldOutbox& out) : held(out) {}
  Outbox* target = nullptr;
  HeldOutbox& held;
  bool copies = false;  // copy rooms before they change (may_acknowledge_change)
  // Copy temporary rooms too: the stanza may make one persistent, and so written. Otherwise a
  // temporary room writes nothing, cannot fail to, and needs no copy (joins into new rooms
  // submit a form each: copying them cost a third of the join rate).
  bool copies_temporary = false;
  // Each room the turn touched, as it was before.
  struct Before {
    bool existed = false;
    bool persistent = false;
    std::unique_ptr<Room> copy;
    std::optional<Tombstone> tombstone;
    Room* after = nullptr;  // the room at the end of the turn (finish_turn), nullptr when gone
  };
  std::map<std::string, Before> rooms;
  // Listing changes written by the turn, applied to listed_ once stored (nullopt: unlisted).
  std::map<std::string, std::optional<std::string>> listings;
};

void Service::handle(const Stanza& stanza, Outbox& out) {
  if (!store_) {
    dispatch(stanza, out);
    send_probes(out);
    return;
  }
  Turn turn(reusable_held());
  turn.target = &out;
  turn.copies = may_acknowledge_change(stanza);
  // (A command to the service may change several rooms in one turn: copy them all, so that a
  // failed write for one puts every one back.)
  turn.copies_temporary = turn.copies && (may_make_persistent(stanza) ||
                                          stanza.to().find('@') == std::string_view::npos);
  begin_turn(turn);
  try {
    dispatch(stanza, turn.held);
  } catch (...) {
    abandon_turn(turn);
    throw;  // the link answers the stanza with internal-server-error
  }
  finish_turn(&stanza);
  // Outside the turn: a check must not be dropped with a turn whose write failed.
  send_probes(out);
}

void Service::begin_turn(Turn& turn) {
  turn_ = &turn;
  current_out_ = &turn.held;
}

void Service::abandon_turn(Turn& turn) {
  // Nothing of the turn is stored or sent: the rooms go back as after a failed write.
  turn_ = nullptr;
  current_out_ = turn.target;
  turn.held.drop();
  for (auto& [jid, before] : turn.rooms) {
    if (auto it = rooms_.find(jid); it != rooms_.end()) it->second->take_changes();
  }
  roll_back(turn);
}

bool Service::prepare_room(const std::string& room_jid, const Stanza* stanza, Outbox& out) {
  if (!store_) return true;
  if (!rooms_.count(room_jid)) {
    bool found = false;
    storage::Status s = load_room(room_jid, &found);
    if (s.ok() && !found && !tombstones_.count(room_jid)) s = load_tombstone(room_jid);
    if (!s.ok()) {
      log::error("cannot load room {}: {}", room_jid, s.to_string());
      if (stanza && stanza->type() != "error") {
        out.send(error_reply(
            *stanza,
            ErrorSpec{ErrorType::Wait, Condition::InternalServerError, {}, config_.domain}));
      }
      return false;
    }
  }
  touch(room_jid);
  return true;
}

void Service::touch(const std::string& room_jid) {
  if (!turn_) return;
  auto [noted, fresh] = turn_->rooms.try_emplace(room_jid);
  if (!fresh) return;
  Turn::Before& before = noted->second;
  if (auto it = rooms_.find(room_jid); it != rooms_.end()) {
    before.existed = true;
    before.persistent = it->second->config().persistent;
    if (turn_->copies && (before.persistent || turn_->copies_temporary)) {
      before.copy = it->second->clone();
    }
  }
  if (auto t = tombstones_.find(room_jid); t != tombstones_.end()) before.tombstone = t->second;
}

storage::Status Service::load_tombstone(const std::string& room_jid) {
  storage::TombstoneRecord record;
  storage::Status s = store_->load_tombstone(room_jid, &record);
  if (s.is_not_found()) return {};
  if (!s.ok()) return s;
  tombstones_[room_jid] = Tombstone{std::move(record.reason), std::move(record.new_jid),
                                    from_unix_ms(record.expires_ms)};
  return {};
}

storage::Status Service::load_room(const std::string& room_jid, bool* found) {
  *found = false;
  storage::RoomRecord record;
  storage::Status s = store_->load_room(room_jid, &record);
  if (s.is_not_found()) return {};
  if (!s.ok()) return s;
  std::vector<storage::HistoryRecord> history;
  std::vector<storage::OccupantRecord> occupants;
  if (s = store_->load_history(room_jid, &history); !s.ok()) return s;
  if (s = store_->load_occupants(room_jid, &occupants); !s.ok()) return s;
  std::vector<std::string> problems;
  auto room = Persistence::restore(room_env(), record, history, occupants, &problems);
  for (const std::string& problem : problems) log::warn("room {}: {}", room_jid, problem);
  queue_probes(*room);
  rooms_[room_jid] = std::move(room);
  *found = true;
  return {};
}

void Service::finish_turn(const Stanza* cause) {
  Turn& turn = *turn_;
  turn_ = nullptr;
  storage::StoreBatch batch;
  bool sync = false;
  for (auto& [jid, before] : turn.rooms) {
    auto it = rooms_.find(jid);
    Room* room = it == rooms_.end() ? nullptr : it->second.get();
    before.after = room;
    const RoomChanges changes = room ? room->take_changes() : RoomChanges{};
    const bool persistent = room && room->config().persistent;
    if (!persistent) {
      // Destroyed, emptied after losing persistence, or temporary all along.
      if (before.persistent) {
        batch.forget_room(jid);
        sync = true;
      }
    } else if (!before.persistent) {
      Persistence::save_everything(*room, batch);
      sync = true;
    } else {
      Persistence::save_changes(*room, changes, batch);
      sync = sync || Persistence::acknowledged(changes);
    }
    // A tombstone left (the room destroyed) or removed (expired, or an admin's join).
    auto tomb = tombstones_.find(jid);
    if (tomb != tombstones_.end() && before.tombstone != tomb->second) {
      batch.put_tombstone(
          {jid, tomb->second.reason, tomb->second.new_jid, to_unix_ms(tomb->second.expires)});
      sync = true;
    } else if (tomb == tombstones_.end() && before.tombstone) {
      batch.remove_tombstone(jid);
      sync = true;
    }
  }

  // The public room list follows: a persistent room that is public and open is listed.
  for (const auto& [jid, before] : turn.rooms) {
    const Room* room = before.after;
    std::optional<std::string> wanted;
    if (room && room->config().persistent && !room->config().hidden && !room->locked()) {
      wanted = room->config().name;
    }
    auto listed = listed_.find(jid);
    const std::optional<std::string> stored =
        listed == listed_.end() ? std::nullopt : std::optional<std::string>(listed->second);
    if (wanted == stored) continue;
    if (wanted) {
      batch.list_room({jid, *wanted});
    } else if (room && room->config().persistent) {
      batch.unlist_room(jid);
    }  // else forgotten above, listing included
    turn.listings[jid] = wanted;
  }

  const bool writes = !batch.empty();
  const storage::Status s = writes ? store_->commit(std::move(batch), sync) : storage::Status();
  if (s.ok()) {
    if (sync) {
      unsynced_ = false;
    } else if (writes) {
      unsynced_ = true;
    }
    for (auto& [jid, listing] : turn.listings) {
      if (listing) {
        listed_[jid] = std::move(*listing);
      } else {
        listed_.erase(jid);
      }
    }
    turn.held.flush(*turn.target);
    // A persistent room nobody is in is all in the store: it need not stay in memory.
    for (const auto& [jid, before] : turn.rooms) {
      if (before.after && before.after->config().persistent && !before.after->has_occupants()) {
        rooms_.erase(jid);
      }
    }
    return;
  }

  log::error("cannot store room changes{}: {}; the change is refused",
             cause ? fmt::format(" (after <{} from='{}' id='{}'>)", cause->name(), cause->from(),
                                 cause->id())
                   : std::string(),
             s.to_string());
  turn.held.drop();
  roll_back(turn);
  if (cause && cause->type() != "error" &&
      !(cause->name() == "presence" && cause->type() == "unavailable")) {
    turn.target->send(error_reply(
        *cause, ErrorSpec{ErrorType::Wait, Condition::InternalServerError, {}, config_.domain}));
  }
}

void Service::roll_back(Turn& turn) {
  for (auto& [jid, before] : turn.rooms) {
    if (before.copy) {
      rooms_[jid] = std::move(before.copy);
    } else if (before.persistent || !before.existed) {
      // The store holds the room as it was before the turn: it reloads on its next stanza. A
      // room created in this turn was never acknowledged.
      rooms_.erase(jid);
    }
    // A temporary room without a copy wrote nothing: it keeps its state.
    if (before.tombstone) {
      tombstones_[jid] = *before.tombstone;
    } else {
      tombstones_.erase(jid);
    }
  }
}

storage::Status Service::restore_from_store(size_t* rooms) {
  *rooms = 0;
  if (!store_) return {};
  std::vector<storage::ListingRecord> listings;
  if (storage::Status s = store_->list_listed_rooms(&listings); !s.ok()) return s;
  for (storage::ListingRecord& l : listings) listed_[std::move(l.jid)] = std::move(l.name);
  std::vector<std::string> jids;
  if (storage::Status s = store_->list_occupied_rooms(&jids); !s.ok()) return s;
  to_restore_.assign(std::make_move_iterator(jids.begin()), std::make_move_iterator(jids.end()));
  *rooms = to_restore_.size();
  return {};
}

size_t Service::load_restored_rooms(std::chrono::steady_clock::duration budget, Outbox& out) {
  const auto start = clock_.now();
  bool first = true;
  while (!to_restore_.empty() && (first || clock_.now() - start < budget)) {
    const std::string jid = std::move(to_restore_.front());
    to_restore_.pop_front();
    if (rooms_.count(jid)) continue;  // a stanza loaded it already
    first = false;
    bool found = false;
    storage::Status s = load_room(jid, &found);
    if (!s.ok()) {
      log::error("cannot restore room {}: {}", jid, s.to_string());
    } else if (!found) {
      log::warn("occupants are stored for room {}, which is not stored; ignoring them", jid);
    }
  }
  send_probes(out);
  return to_restore_.size();
}

std::map<std::string, std::string> Service::public_rooms() const {
  std::map<std::string, std::string> out;
  for (const auto& [jid, name] : listed_) {
    if (!rooms_.count(jid)) out.emplace(jid, name);
  }
  for (const auto& [jid, room] : rooms_) {
    if (room->config().hidden || room->locked()) continue;
    out.emplace(jid, room->config().name);
  }
  return out;
}

std::vector<std::string> Service::all_room_jids() const {
  std::vector<std::string> stored;
  if (store_) {
    if (storage::Status s = store_->list_rooms(&stored); !s.ok()) {
      log::error("cannot list the stored rooms: {}", s.to_string());
    }
  }
  std::set<std::string> all(stored.begin(), stored.end());
  for (const auto& [jid, room] : rooms_) all.insert(jid);
  return {all.begin(), all.end()};
}

storage::Status Service::sync() {
  if (!store_) return {};
  storage::Status s = store_->commit(storage::StoreBatch(), true);
  if (s.ok()) unsynced_ = false;
  return s;
}

// --- checking restored sessions ---

void Service::queue_probes(const Room& room) {
  for (auto& [occupant_jid, real_jid] : Persistence::sessions(room)) {
    unprobed_.push_back(Probe{room.jid(), std::move(occupant_jid), std::move(real_jid), {}});
  }
}

void Service::send_probes(Outbox& out) {
  if (!connected_ || unprobed_.empty()) return;
  const auto deadline = clock_.now() + config_.probe_timeout;
  for (Probe& probe : unprobed_) {
    std::string id = "probe-" + std::to_string(++probe_counter_) + "-" + new_id_();
    Stanza ping{"iq"};
    ping.set_attr("type", "get");
    ping.set_attr("from", probe.room_jid);
    ping.set_attr("to", probe.real_jid);
    ping.set_attr("id", id);
    add_child(ping.root(), "ping", ns::kPing);
    out.send(ping);
    probe.deadline = deadline;
    probes_.emplace(std::move(id), std::move(probe));
  }
  unprobed_.clear();
}

bool Service::handle_probe_answer(const Stanza& stanza) {
  auto it = probes_.find(std::string(stanza.id()));
  if (it == probes_.end() || it->second.real_jid != stanza.from() ||
      it->second.room_jid != bare_of(stanza.to())) {
    return false;
  }
  Probe probe = std::move(it->second);
  probes_.erase(it);
  if (stanza.type() != "error") return true;
  const std::string condition = error_condition(stanza);
  if (means_session_gone(condition)) {
    log::info("restored session {} in {} is gone ({}); removing it", probe.real_jid, probe.room_jid,
              condition.empty() ? "malformed error" : condition);
    remove_session(probe, condition.empty() ? "service-unavailable" : condition);
  }
  return true;
}

void Service::remove_session(const Probe& probe, std::string_view condition) {
  Outbox& out = *current_out_;
  if (!prepare_room(probe.room_jid, nullptr, out)) return;
  auto it = rooms_.find(probe.room_jid);
  if (it == rooms_.end()) return;
  // As if the client's server had bounced a stanza to it: the room's own removal with 333.
  Stanza bounce{"presence"};
  bounce.set_attr("type", "error");
  bounce.set_attr("from", probe.real_jid);
  bounce.set_attr("to", probe.occupant_jid);
  auto error = bounce.root().append_child("error");
  error.append_attribute("type").set_value("cancel");
  add_child(error, condition, ns::kStanzas);
  it->second->handle_presence_to_occupant(bounce);
  settle(probe.room_jid);
}

void Service::on_connected(Outbox& out) {
  if (connected_) {
    // Reconnected: presences may have been lost while the link was down. Check everyone (room
    // by room in JID order, as predictable as the log that follows).
    probes_.clear();
    unprobed_.clear();
    std::vector<const Room*> rooms;
    rooms.reserve(rooms_.size());
    for (const auto& [jid, room] : rooms_) rooms.push_back(room.get());
    std::sort(rooms.begin(), rooms.end(),
              [](const Room* a, const Room* b) { return a->jid() < b->jid(); });
    for (const Room* room : rooms) queue_probes(*room);
  }
  connected_ = true;
  send_probes(out);
}

void Service::on_tick(Outbox& out) {
  if (!to_restore_.empty()) {
    const size_t before = to_restore_.size();
    const size_t left = load_restored_rooms(config_.restore_budget, out);
    if (left == 0) {
      log::info("all rooms with occupants restored");
    } else {
      log::debug("restored {} rooms with occupants, {} to go", before - left, left);
    }
  }
  const auto now = clock_.now();
  std::vector<Probe> expired;
  for (auto it = probes_.begin(); it != probes_.end();) {
    if (it->second.deadline <= now) {
      expired.push_back(std::move(it->second));
      it = probes_.erase(it);
    } else {
      ++it;
    }
  }
  if (!expired.empty()) {
    Turn turn(reusable_held());
    turn.target = &out;
    if (store_) {
      begin_turn(turn);
    } else {
      current_out_ = &out;
    }
    try {
      for (const Probe& probe : expired) {
        log::info("restored session {} in {} did not answer; removing it", probe.real_jid,
                  probe.room_jid);
        remove_session(probe, "remote-server-timeout");
      }
    } catch (...) {
      if (store_) abandon_turn(turn);
      throw;
    }
    if (store_) finish_turn(nullptr);
    send_probes(out);  // rooms reloaded after a failed write
  }
  if (unsynced_) {
    if (storage::Status s = sync(); !s.ok()) log::error("cannot sync the store: {}", s.to_string());
  }
}

}  // namespace mucd::muc
