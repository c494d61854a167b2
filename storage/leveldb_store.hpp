// The RoomStore the daemon uses: one LevelDB database in a directory of its own, laid out as
// key_layout.hpp says, values encoded as encoding.hpp says.
//
// A store is opened once per process and used from the event-loop thread. LevelDB's LOCK file
// keeps a second process (or a second open in this one) out.
#pragma once

#include <memory>
#include <string>

#include "storage/room_store.hpp"

namespace leveldb {
class DB;
class FilterPolicy;
}  // namespace leveldb

namespace mucd::storage {

struct LevelDbOptions {
  // Table files LevelDB may keep open. libstrophe's select() loop corrupts memory for fds >= 1024,
  // so the total must stay well below that. (LevelDB itself clamps this to [74, 50000].)
  int max_open_files = 200;
  // When false, a missing store is NotFound instead of being created (for operator tools).
  bool create_if_missing = true;
};

class LevelDbStore final : public RoomStore {
  struct Passkey {
    explicit Passkey() = default;
  };

 public:
  // Opens the store in directory `path`, creating the directory (and its parents) and an empty
  // store when missing. A new store gets the schema version key; an existing one must carry a
  // version this mucd understands. Errors name the path and the reason:
  //   - IoError when the directory cannot be created or opened, is not a directory, is a
  //     non-empty directory that is not a LevelDB store, or is locked ("locked by another
  //     mucd?");
  //   - Corruption when LevelDB finds damage, or the schema key is missing in a non-empty store
  //     or holds an unknown version;
  //   - NotFound when the store is missing and options.create_if_missing is false.
  static Result<std::unique_ptr<LevelDbStore>> open(const std::string& path,
                                                    const LevelDbOptions& options = {});

  LevelDbStore(Passkey, std::string path, std::unique_ptr<const leveldb::FilterPolicy> filter,
               std::unique_ptr<leveldb::DB> db);
  // Closes the database and releases the lock.
  ~LevelDbStore() override;

  Status commit(StoreBatch&& batch, bool sync) override;

  Status load_room(std::string_view room_jid, RoomRecord* out) const override;
  Status list_rooms(std::vector<std::string>* out) const override;
  Status list_occupied_rooms(std::vector<std::string>* out) const override;
  Status list_listed_rooms(std::vector<ListingRecord>* out) const override;
  Status load_tombstone(std::string_view room_jid, TombstoneRecord* out) const override;
  Status list_tombstones(std::vector<TombstoneRecord>* out) const override;
  Status load_history(std::string_view room_jid, std::vector<HistoryRecord>* out) const override;
  Status load_occupants(std::string_view room_jid, std::vector<OccupantRecord>* out) const override;

  const std::string& path() const { return path_; }

 private:
  template <typename Record>
  Status load_all(const std::string& prefix, std::vector<Record>* out) const;
  // The record under `key`, which must be `room_jid`'s (its jid field): NotFound ("no <what>
  // <room_jid>") when absent, Corruption when it does not decode or names another room.
  template <typename Record>
  Status load_one(const std::string& key, std::string_view room_jid, std::string_view what,
                  Record* out) const;
  Status corrupt_value(std::string_view key, const Status& why) const;

  std::string path_;
  // Bloom filters make a lookup of a room that is not stored (every new room's first stanza)
  // cost no disk read. The policy must outlive the database.
  std::unique_ptr<const leveldb::FilterPolicy> filter_;
  std::unique_ptr<leveldb::DB> db_;
};

}  // namespace mucd::storage
