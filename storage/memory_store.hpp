// A RoomStore kept in memory, for engine tests: same contracts as LevelDbStore (the shared suite
// in room_store_test.cpp runs against both), nothing survives the object.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "storage/room_store.hpp"

namespace mucd::storage {

class MemoryStore final : public RoomStore {
 public:
  MemoryStore() = default;

  // `sync` is accepted and ignored.
  Status commit(StoreBatch&& batch, bool sync) override;

  Status load_room(std::string_view room_jid, RoomRecord* out) const override;
  Status list_rooms(std::vector<std::string>* out) const override;
  Status list_occupied_rooms(std::vector<std::string>* out) const override;
  Status list_listed_rooms(std::vector<ListingRecord>* out) const override;
  Status load_tombstone(std::string_view room_jid, TombstoneRecord* out) const override;
  Status list_tombstones(std::vector<TombstoneRecord>* out) const override;
  Status load_history(std::string_view room_jid, std::vector<HistoryRecord>* out) const override;
  Status load_occupants(std::string_view room_jid, std::vector<OccupantRecord>* out) const override;

  // How many commits succeeded, so engine tests can check a change was saved before the reply.
  size_t commits() const { return commits_; }

 private:
  // Everything stored under one room JID. The room record (without affiliations) may be absent
  // while history or occupants exist, as in LevelDB, where they are separate keys.
  struct Room {
    std::optional<RoomRecord> record;
    std::map<std::string, AffiliationRecord, std::less<>> affiliations;       // by bare JID
    std::map<uint64_t, HistoryRecord> history;                                // by seq
    std::map<std::pair<std::string, std::string>, OccupantRecord> occupants;  // (nick, real JID)
    std::optional<ListingRecord> listing;
  };

  void apply(StoreBatch::SaveRoom&& op);
  void apply(StoreBatch::SaveSettings&& op);
  void apply(StoreBatch::PutAffiliation&& op);
  void apply(StoreBatch::RemoveAffiliation&& op);
  void apply(StoreBatch::ListRoom&& op);
  void apply(StoreBatch::UnlistRoom&& op);
  void apply(StoreBatch::ForgetRoom&& op);
  void apply(StoreBatch::AppendHistory&& op);
  void apply(StoreBatch::PutHistory&& op);
  void apply(StoreBatch::RemoveHistory&& op);
  void apply(StoreBatch::PutOccupant&& op);
  void apply(StoreBatch::RemoveOccupant&& op);
  void apply(StoreBatch::PutTombstone&& op);
  void apply(StoreBatch::RemoveTombstone&& op);
  const Room* find(std::string_view room_jid) const;

  std::map<std::string, Room, std::less<>> rooms_;
  // Apart from rooms_: forgetting a room leaves its tombstone (as in LevelDB).
  std::map<std::string, TombstoneRecord, std::less<>> tombstones_;
  size_t commits_ = 0;
};

}  // namespace mucd::storage
