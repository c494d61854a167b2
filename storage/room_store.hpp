// Durable room state behind an interface (after ejabberd's mod_muc storage behaviour): the
// engine saves and restores rooms through a RoomStore and never sees how they are kept.
// Implementations: LevelDbStore (leveldb_store.hpp) for the daemon, MemoryStore
// (memory_store.hpp) for engine tests; both pass the same test suite (room_store_test.cpp).
//
// Rooms load lazily: the engine calls load_room when a stanza first reaches a room, so start-up
// reads nothing. list_rooms is for operator tools.
//
// Every method returns a Status; none throws. A store is used from one thread (the event loop).
// On any error a load leaves its output unchanged.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "storage/records.hpp"
#include "storage/status.hpp"
#include "storage/store_batch.hpp"

namespace mucd::storage {

class RoomStore {
 public:
  RoomStore() = default;
  RoomStore(const RoomStore&) = delete;
  RoomStore& operator=(const RoomStore&) = delete;
  virtual ~RoomStore() = default;

  // Applies every mutation of `batch`, in order, atomically: after a crash either all of them
  // are visible or none. With `sync`, returns only once the change is on disk (use it before
  // acknowledging a change to a user); without, a crash may lose the latest batches but never
  // leaves a partial one. An invalid batch (StoreBatch::validate) changes nothing and returns
  // InvalidArgument.
  virtual Status commit(StoreBatch&& batch, bool sync) = 0;

  // One-mutation batches, committed with sync = true. See StoreBatch for what each does; to
  // group changes (or to skip the sync, e.g. for occupant churn) build a StoreBatch instead.
  Status save_room(const RoomRecord& room);
  Status forget_room(std::string_view room_jid);
  Status append_history(std::string_view room_jid, const HistoryRecord& entry, size_t keep_last);
  Status put_occupant(std::string_view room_jid, const OccupantRecord& occupant);
  Status remove_occupant(std::string_view room_jid, std::string_view nick,
                         std::string_view real_jid);

  // If the room is stored, fills *out with its record (affiliations ordered by jid, bytewise)
  // and returns ok. If there is no record for it, leaves *out unchanged and returns NotFound.
  virtual Status load_room(std::string_view room_jid, RoomRecord* out) const = 0;

  // Replaces *out with the JIDs of all stored rooms, in bytewise order. Reads every room key:
  // for operator tools, not for start-up.
  virtual Status list_rooms(std::vector<std::string>* out) const = 0;

  // Replaces *out with the JIDs of the rooms that have stored occupant sessions, in bytewise
  // order. Costs one seek per such room, whatever the number of rooms: start-up uses it to load
  // the rooms whose occupants must keep receiving messages after a restart.
  virtual Status list_occupied_rooms(std::vector<std::string>* out) const = 0;

  // Replaces *out with the public room list, ordered by room JID (bytewise). Costs one read per
  // listed room, whatever the number of rooms.
  virtual Status list_listed_rooms(std::vector<ListingRecord>* out) const = 0;

  // If the room has a tombstone, fills *out with it and returns ok; otherwise leaves *out
  // unchanged and returns NotFound. Expired tombstones are returned too: the engine decides.
  virtual Status load_tombstone(std::string_view room_jid, TombstoneRecord* out) const = 0;

  // Replaces *out with every tombstone, ordered by room JID (bytewise). For operator tools.
  virtual Status list_tombstones(std::vector<TombstoneRecord>* out) const = 0;

  // Replaces *out with the room's history, oldest (lowest seq) first; empty when there is none.
  virtual Status load_history(std::string_view room_jid, std::vector<HistoryRecord>* out) const = 0;

  // Replaces *out with the room's stored sessions ordered by (nick, real_jid), bytewise; empty
  // when there are none.
  virtual Status load_occupants(std::string_view room_jid,
                                std::vector<OccupantRecord>* out) const = 0;
};

}  // namespace mucd::storage
