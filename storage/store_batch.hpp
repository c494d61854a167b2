// A list of store mutations applied all together or not at all (RoomStore::commit). Used for
// write-before-acknowledge: the room gathers everything one stanza changed, commits it synced,
// and only then sends the reply.
//
// Recording a mutation never fails and touches no storage; commit validates the whole batch
// first. Mutations apply in the order recorded, each seeing the ones before it.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "storage/records.hpp"
#include "storage/status.hpp"

namespace mucd::storage {

class StoreBatch {
 public:
  // Replaces the room's config, subject and whole affiliation list (an affiliation absent from
  // `room.affiliations` is deleted). Leaves history and occupants alone.
  void save_room(RoomRecord room);
  // Replaces the room's config and subject only: `room.affiliations` is ignored and the stored
  // affiliations stay as they are (change them one by one with put/remove_affiliation). Creates
  // the room record when there is none.
  void save_settings(RoomRecord room);
  // Stores (or replaces) one affiliation, with its reserved nick, under `room_jid`.
  void put_affiliation(std::string room_jid, AffiliationRecord affiliation);
  // Deletes one affiliation; removing an absent one is not an error.
  void remove_affiliation(std::string room_jid, std::string jid);
  // Puts the room in the public room list (or updates its name there).
  void list_room(ListingRecord listing);
  // Takes the room off the public room list; not an error when it is not listed.
  void unlist_room(std::string room_jid);
  // Deletes the room record and everything under the room: affiliations, history, occupants,
  // its listing (not its tombstone: put and remove those explicitly).
  // Forgetting an unknown room is not an error.
  void forget_room(std::string room_jid);
  // Stores `entry` under its seq (replacing an entry with the same seq), then deletes the
  // room's oldest entries (lowest seq) until at most `keep_last` remain. keep_last == 0 keeps
  // nothing.
  void append_history(std::string room_jid, HistoryRecord entry, size_t keep_last);
  // Stores `entry` under its seq (replacing an entry with the same seq), trimming nothing.
  void put_history(std::string room_jid, HistoryRecord entry);
  // Deletes the entry with that seq; removing an absent one is not an error. Together with
  // put_history, this is how the engine keeps a room's window of history: it knows which
  // entries fall out, and deleting them by key reads nothing (append_history's trimming has to
  // read the room's history keys, and walks past every entry deleted since the last compaction).
  void remove_history(std::string room_jid, uint64_t seq);
  // Stores (or replaces) the session (room, occupant.nick, occupant.real_jid).
  void put_occupant(std::string room_jid, OccupantRecord occupant);
  // Deletes that session; removing an absent session is not an error.
  void remove_occupant(std::string room_jid, std::string nick, std::string real_jid);
  // Stores (or replaces) the tombstone of a destroyed room.
  void put_tombstone(TombstoneRecord tombstone);
  // Deletes the room's tombstone; removing an absent one is not an error.
  void remove_tombstone(std::string room_jid);

  bool empty() const { return operations_.empty(); }
  size_t size() const { return operations_.size(); }
  void clear() { operations_.clear(); }

  // What implementations of RoomStore read.
  struct SaveRoom {
    RoomRecord room;
  };
  struct SaveSettings {
    RoomRecord room;  // affiliations ignored
  };
  struct PutAffiliation {
    std::string room_jid;
    AffiliationRecord affiliation;
  };
  struct RemoveAffiliation {
    std::string room_jid;
    std::string jid;
  };
  struct ListRoom {
    ListingRecord listing;
  };
  struct UnlistRoom {
    std::string room_jid;
  };
  struct ForgetRoom {
    std::string room_jid;
  };
  struct AppendHistory {
    std::string room_jid;
    HistoryRecord entry;
    size_t keep_last = 0;
  };
  struct PutHistory {
    std::string room_jid;
    HistoryRecord entry;
  };
  struct RemoveHistory {
    std::string room_jid;
    uint64_t seq = 0;
  };
  struct PutOccupant {
    std::string room_jid;
    OccupantRecord occupant;
  };
  struct RemoveOccupant {
    std::string room_jid;
    std::string nick;
    std::string real_jid;
  };
  struct PutTombstone {
    TombstoneRecord tombstone;
  };
  struct RemoveTombstone {
    std::string room_jid;
  };
  using Operation =
      std::variant<SaveRoom, SaveSettings, PutAffiliation, RemoveAffiliation, ListRoom, UnlistRoom,
                   ForgetRoom, AppendHistory, PutHistory, RemoveHistory, PutOccupant,
                   RemoveOccupant, PutTombstone, RemoveTombstone>;

  const std::vector<Operation>& operations() const { return operations_; }
  // Appends a mutation taken from another batch (take_operations), to merge batches.
  void add(Operation operation) { operations_.push_back(std::move(operation)); }
  std::vector<Operation> take_operations() && { return std::move(operations_); }

  // Ok when every mutation can be stored; otherwise InvalidArgument naming the first bad one.
  // Room JIDs, affiliation JIDs, nicks and real JIDs must be non-empty and free of '\0' (the
  // key separator; it cannot occur in a JID or nick), and a room's affiliation JIDs distinct.
  Status validate() const;

 private:
  std::vector<Operation> operations_;
};

}  // namespace mucd::storage
