#include "storage/store_batch.hpp"

#include <set>
#include <string_view>

namespace mucd::storage {
namespace {

// Empty or '\0'-bearing key parts would collide (see key_layout.hpp), so both stores refuse them.
Status check_key_part(std::string_view what, std::string_view value) {
  if (value.empty()) return Status::invalid_argument(std::string(what) + " is empty");
  if (value.find('\0') != std::string_view::npos) {
    return Status::invalid_argument(std::string(what) + " contains a NUL byte");
  }
  return {};
}

Status check(const StoreBatch::SaveRoom& op) {
  if (Status s = check_key_part("room JID", op.room.jid); !s.ok()) return s;
  std::set<std::string_view> seen;
  for (const AffiliationRecord& a : op.room.affiliations) {
    if (Status s = check_key_part("affiliation JID in " + op.room.jid, a.jid); !s.ok()) return s;
    if (!seen.insert(a.jid).second) {
      return Status::invalid_argument("room " + op.room.jid + " lists " + a.jid + " twice");
    }
  }
  return {};
}

Status check(const StoreBatch::SaveSettings& op) {
  return check_key_part("room JID", op.room.jid);
}

Status check(const StoreBatch::PutAffiliation& op) {
  if (Status s = check_key_part("room JID", op.room_jid); !s.ok()) return s;
  return check_key_part("affiliation JID in " + op.room_jid, op.affiliation.jid);
}

Status check(const StoreBatch::RemoveAffiliation& op) {
  if (Status s = check_key_part("room JID", op.room_jid); !s.ok()) return s;
  return check_key_part("affiliation JID in " + op.room_jid, op.jid);
}

Status check(const StoreBatch::ListRoom& op) {
  return check_key_part("room JID", op.listing.jid);
}

Status check(const StoreBatch::UnlistRoom& op) {
  return check_key_part("room JID", op.room_jid);
}

Status check(const StoreBatch::ForgetRoom& op) {
  return check_key_part("room JID", op.room_jid);
}

Status check(const StoreBatch::AppendHistory& op) {
  return check_key_part("room JID", op.room_jid);
}

Status check(const StoreBatch::PutHistory& op) {
  return check_key_part("room JID", op.room_jid);
}

Status check(const StoreBatch::RemoveHistory& op) {
  return check_key_part("room JID", op.room_jid);
}

Status check(const StoreBatch::PutOccupant& op) {
  if (Status s = check_key_part("room JID", op.room_jid); !s.ok()) return s;
  if (Status s = check_key_part("occupant nick", op.occupant.nick); !s.ok()) return s;
  return check_key_part("occupant real JID", op.occupant.real_jid);
}

Status check(const StoreBatch::RemoveOccupant& op) {
  if (Status s = check_key_part("room JID", op.room_jid); !s.ok()) return s;
  if (Status s = check_key_part("occupant nick", op.nick); !s.ok()) return s;
  return check_key_part("occupant real JID", op.real_jid);
}

Status check(const StoreBatch::PutTombstone& op) {
  return check_key_part("room JID", op.tombstone.jid);
}

Status check(const StoreBatch::RemoveTombstone& op) {
  return check_key_part("room JID", op.room_jid);
}

}  // namespace

void StoreBatch::save_room(RoomRecord room) {
  operations_.push_back(SaveRoom{std::move(room)});
}

void StoreBatch::save_settings(RoomRecord room) {
  room.affiliations.clear();
  operations_.push_back(SaveSettings{std::move(room)});
}

void StoreBatch::put_affiliation(std::string room_jid, AffiliationRecord affiliation) {
  operations_.push_back(PutAffiliation{std::move(room_jid), std::move(affiliation)});
}

void StoreBatch::remove_affiliation(std::string room_jid, std::string jid) {
  operations_.push_back(RemoveAffiliation{std::move(room_jid), std::move(jid)});
}

void StoreBatch::list_room(ListingRecord listing) {
  operations_.push_back(ListRoom{std::move(listing)});
}

void StoreBatch::unlist_room(std::string room_jid) {
  operations_.push_back(UnlistRoom{std::move(room_jid)});
}

void StoreBatch::forget_room(std::string room_jid) {
  operations_.push_back(ForgetRoom{std::move(room_jid)});
}

void StoreBatch::append_history(std::string room_jid, HistoryRecord entry, size_t keep_last) {
  operations_.push_back(AppendHistory{std::move(room_jid), std::move(entry), keep_last});
}

void StoreBatch::put_history(std::string room_jid, HistoryRecord entry) {
  operations_.push_back(PutHistory{std::move(room_jid), std::move(entry)});
}

void StoreBatch::remove_history(std::string room_jid, uint64_t seq) {
  operations_.push_back(RemoveHistory{std::move(room_jid), seq});
}

void StoreBatch::put_occupant(std::string room_jid, OccupantRecord occupant) {
  operations_.push_back(PutOccupant{std::move(room_jid), std::move(occupant)});
}

void StoreBatch::remove_occupant(std::string room_jid, std::string nick, std::string real_jid) {
  operations_.push_back(RemoveOccupant{std::move(room_jid), std::move(nick), std::move(real_jid)});
}

void StoreBatch::put_tombstone(TombstoneRecord tombstone) {
  operations_.push_back(PutTombstone{std::move(tombstone)});
}

void StoreBatch::remove_tombstone(std::string room_jid) {
  operations_.push_back(RemoveTombstone{std::move(room_jid)});
}

Status StoreBatch::validate() const {
  for (const Operation& op : operations_) {
    Status s = std::visit([](const auto& o) { return check(o); }, op);
    if (!s.ok()) return s;
  }
  return {};
}

}  // namespace mucd::storage
