#include "storage/memory_store.hpp"

#include <variant>

namespace mucd::storage {

Status MemoryStore::commit(StoreBatch&& batch, bool /*sync*/) {
  // Validated up front, applying cannot fail half-way: the batch is atomic.
  if (Status s = batch.validate(); !s.ok()) return s;
  for (StoreBatch::Operation& op : std::move(batch).take_operations()) {
    std::visit([this](auto& o) { apply(std::move(o)); }, op);
  }
  ++commits_;
  return {};
}

void MemoryStore::apply(StoreBatch::SaveRoom&& op) {
  Room& room = rooms_[op.room.jid];
  room.affiliations.clear();
  for (AffiliationRecord& a : op.room.affiliations) {
    std::string jid = a.jid;
    room.affiliations.insert_or_assign(std::move(jid), std::move(a));
  }
  op.room.affiliations.clear();
  room.record = std::move(op.room);
}

void MemoryStore::apply(StoreBatch::SaveSettings&& op) {
  rooms_[op.room.jid].record = std::move(op.room);
}

void MemoryStore::apply(StoreBatch::PutAffiliation&& op) {
  Room& room = rooms_[op.room_jid];
  std::string jid = op.affiliation.jid;
  room.affiliations.insert_or_assign(std::move(jid), std::move(op.affiliation));
}

void MemoryStore::apply(StoreBatch::RemoveAffiliation&& op) {
  auto it = rooms_.find(op.room_jid);
  if (it == rooms_.end()) return;
  if (auto a = it->second.affiliations.find(op.jid); a != it->second.affiliations.end()) {
    it->second.affiliations.erase(a);
  }
}

void MemoryStore::apply(StoreBatch::ListRoom&& op) {
  std::string jid = op.listing.jid;
  rooms_[jid].listing = std::move(op.listing);
}

void MemoryStore::apply(StoreBatch::UnlistRoom&& op) {
  if (auto it = rooms_.find(op.room_jid); it != rooms_.end()) it->second.listing.reset();
}

void MemoryStore::apply(StoreBatch::ForgetRoom&& op) {
  if (auto it = rooms_.find(op.room_jid); it != rooms_.end()) rooms_.erase(it);
}

void MemoryStore::apply(StoreBatch::AppendHistory&& op) {
  Room& room = rooms_[op.room_jid];
  const uint64_t seq = op.entry.seq;
  room.history.insert_or_assign(seq, std::move(op.entry));
  while (room.history.size() > op.keep_last) room.history.erase(room.history.begin());
}

void MemoryStore::apply(StoreBatch::PutHistory&& op) {
  const uint64_t seq = op.entry.seq;
  rooms_[op.room_jid].history.insert_or_assign(seq, std::move(op.entry));
}

void MemoryStore::apply(StoreBatch::RemoveHistory&& op) {
  if (auto it = rooms_.find(op.room_jid); it != rooms_.end()) it->second.history.erase(op.seq);
}

void MemoryStore::apply(StoreBatch::PutOccupant&& op) {
  Room& room = rooms_[op.room_jid];
  auto key = std::make_pair(op.occupant.nick, op.occupant.real_jid);
  room.occupants.insert_or_assign(std::move(key), std::move(op.occupant));
}

void MemoryStore::apply(StoreBatch::RemoveOccupant&& op) {
  auto it = rooms_.find(op.room_jid);
  if (it == rooms_.end()) return;
  it->second.occupants.erase(std::make_pair(op.nick, op.real_jid));
}

void MemoryStore::apply(StoreBatch::PutTombstone&& op) {
  std::string jid = op.tombstone.jid;
  tombstones_.insert_or_assign(std::move(jid), std::move(op.tombstone));
}

void MemoryStore::apply(StoreBatch::RemoveTombstone&& op) {
  if (auto it = tombstones_.find(op.room_jid); it != tombstones_.end()) tombstones_.erase(it);
}

const MemoryStore::Room* MemoryStore::find(std::string_view room_jid) const {
  auto it = rooms_.find(room_jid);
  return it == rooms_.end() ? nullptr : &it->second;
}

Status MemoryStore::load_room(std::string_view room_jid, RoomRecord* out) const {
  const Room* room = find(room_jid);
  if (room == nullptr || !room->record) {
    return Status::not_found("no room " + std::string(room_jid));
  }
  RoomRecord record = *room->record;
  for (const auto& [jid, a] : room->affiliations) record.affiliations.push_back(a);
  *out = std::move(record);
  return {};
}

Status MemoryStore::list_rooms(std::vector<std::string>* out) const {
  std::vector<std::string> jids;
  for (const auto& [jid, room] : rooms_) {
    if (room.record) jids.push_back(jid);
  }
  *out = std::move(jids);
  return {};
}

Status MemoryStore::list_occupied_rooms(std::vector<std::string>* out) const {
  std::vector<std::string> jids;
  for (const auto& [jid, room] : rooms_) {
    if (!room.occupants.empty()) jids.push_back(jid);
  }
  *out = std::move(jids);
  return {};
}

Status MemoryStore::list_listed_rooms(std::vector<ListingRecord>* out) const {
  std::vector<ListingRecord> listed;
  for (const auto& [jid, room] : rooms_) {
    if (room.listing) listed.push_back(*room.listing);
  }
  *out = std::move(listed);
  return {};
}

Status MemoryStore::load_tombstone(std::string_view room_jid, TombstoneRecord* out) const {
  auto it = tombstones_.find(room_jid);
  if (it == tombstones_.end()) return Status::not_found("no tombstone " + std::string(room_jid));
  *out = it->second;
  return {};
}

Status MemoryStore::list_tombstones(std::vector<TombstoneRecord>* out) const {
  std::vector<TombstoneRecord> all;
  for (const auto& [jid, tombstone] : tombstones_) all.push_back(tombstone);
  *out = std::move(all);
  return {};
}

Status MemoryStore::load_history(std::string_view room_jid, std::vector<HistoryRecord>* out) const {
  std::vector<HistoryRecord> entries;
  if (const Room* room = find(room_jid)) {
    for (const auto& [seq, entry] : room->history) entries.push_back(entry);
  }
  *out = std::move(entries);
  return {};
}

Status MemoryStore::load_occupants(std::string_view room_jid,
                                   std::vector<OccupantRecord>* out) const {
  std::vector<OccupantRecord> occupants;
  if (const Room* room = find(room_jid)) {
    for (const auto& [key, occupant] : room->occupants) occupants.push_back(occupant);
  }
  *out = std::move(occupants);
  return {};
}

}  // namespace mucd::storage
