#include "storage/leveldb_store.hpp"

#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/iterator.h>
#include <leveldb/options.h>
#include <leveldb/write_batch.h>

#include <filesystem>
#include <map>
#include <set>
#include <system_error>
#include <utility>
#include <variant>

#include "storage/encoding.hpp"
#include "storage/key_layout.hpp"

namespace mucd::storage {
namespace {

namespace fs = std::filesystem;

std::string_view view(const leveldb::Slice& s) {
  return {s.data(), s.size()};
}
leveldb::Slice slice(std::string_view s) {
  return {s.data(), s.size()};
}

Status from_leveldb(const leveldb::Status& s, const std::string& context) {
  if (s.ok()) return {};
  std::string message = context + ": " + s.ToString();
  if (s.IsNotFound()) return Status::not_found(std::move(message));
  if (s.IsCorruption()) return Status::corruption(std::move(message));
  if (s.IsInvalidArgument()) return Status::invalid_argument(std::move(message));
  return Status::io_error(std::move(message));
}

// LevelDB reports a held lock as "IO error: lock <dir>/LOCK: <reason>" (the reason is "already
// held by process" within this process, the fcntl error across processes).
bool is_lock_error(const leveldb::Status& s) {
  const std::string text = s.ToString();
  return s.IsIOError() && text.find("lock ") != std::string::npos &&
         text.find("/LOCK") != std::string::npos;
}

// Creates `path` when missing and makes sure it is somewhere LevelDB may write: a directory that
// is empty or already holds a LevelDB store, so a mistyped path cannot litter someone's files.
Status prepare_directory(const std::string& path, bool create_if_missing) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return Status::io_error("cannot open store at " + path + ": " + ec.message());
  }
  if (!fs::exists(st)) {
    if (!create_if_missing) return Status::not_found("no store at " + path);
    fs::create_directories(path, ec);
    if (ec) return Status::io_error("cannot create store directory " + path + ": " + ec.message());
    return {};
  }
  if (!fs::is_directory(st)) {
    return Status::io_error("cannot open store at " + path + ": not a directory");
  }
  bool has_current = false;
  bool has_others = false;
  for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name == "CURRENT") {
      has_current = true;
    } else if (name != "LOCK" && name != "LOG" && name != "LOG.old") {
      has_others = true;  // LOCK and LOG alone are left by a creation that was cut short
    }
  }
  if (ec) return Status::io_error("cannot read store directory " + path + ": " + ec.message());
  if (has_others && !has_current) {
    return Status::io_error("cannot open store at " + path +
                            ": the directory is not empty and holds no LevelDB store");
  }
  if (!has_current && !create_if_missing) return Status::not_found("no store at " + path);
  return {};
}

// A new store gets the schema key; an existing one must carry the version we understand.
Status check_schema(leveldb::DB& db, const std::string& path) {
  std::string version;
  leveldb::Status s = db.Get(leveldb::ReadOptions(), slice(keys::kSchema), &version);
  if (s.ok()) {
    if (version == std::to_string(keys::kSchemaVersion)) return {};
    return Status::corruption("store at " + path + " has schema version \"" +
                              keys::describe(version) + "\"; this mucd understands " +
                              std::to_string(keys::kSchemaVersion));
  }
  if (!s.IsNotFound()) return from_leveldb(s, "cannot read the schema version in " + path);

  std::unique_ptr<leveldb::Iterator> it(db.NewIterator(leveldb::ReadOptions()));
  it->SeekToFirst();
  if (it->Valid()) {
    return Status::corruption("store at " + path +
                              " holds data but no schema version key; not a mucd store?");
  }
  if (!it->status().ok()) return from_leveldb(it->status(), "cannot read " + path);
  leveldb::WriteOptions sync;
  sync.sync = true;
  return from_leveldb(db.Put(sync, slice(keys::kSchema), std::to_string(keys::kSchemaVersion)),
                      "cannot write the schema version in " + path);
}

// Turns StoreBatch mutations into one leveldb::WriteBatch. Mutations that delete "everything
// under a prefix" or trim history must see both the database and the mutations recorded before
// them in the same batch, so the builder remembers what it has put and deleted so far.
class BatchBuilder {
 public:
  BatchBuilder(leveldb::DB& db, const std::string& path) : db_(db), path_(path) {}

  void put(std::string key, std::string_view value) {
    batch_.Put(key, slice(value));
    pending_.insert_or_assign(std::move(key), true);
  }
  void erase(std::string key) {
    batch_.Delete(key);
    pending_.insert_or_assign(std::move(key), false);
  }

  // The keys starting with `prefix` as they will be once the batch so far applies, in order.
  Status keys_under(const std::string& prefix, std::vector<std::string>* out) const {
    std::set<std::string> keys;
    leveldb::ReadOptions read;
    read.fill_cache = false;
    std::unique_ptr<leveldb::Iterator> it(db_.NewIterator(read));
    for (it->Seek(prefix); it->Valid() && view(it->key()).starts_with(prefix); it->Next()) {
      keys.emplace(view(it->key()));
    }
    if (!it->status().ok()) return from_leveldb(it->status(), "cannot read " + path_);
    for (auto p = pending_.lower_bound(prefix); p != pending_.end() && p->first.starts_with(prefix);
         ++p) {
      if (p->second) {
        keys.insert(p->first);
      } else {
        keys.erase(p->first);
      }
    }
    out->assign(keys.begin(), keys.end());
    return {};
  }

  Status erase_under(const std::string& prefix) {
    std::vector<std::string> doomed;
    if (Status s = keys_under(prefix, &doomed); !s.ok()) return s;
    for (std::string& key : doomed) erase(std::move(key));
    return {};
  }

  Status add(const StoreBatch::SaveRoom& op) {
    const RoomRecord& room = op.room;
    put(keys::room(room.jid), encoding::encode(room));
    if (Status s = erase_under(keys::affiliation_prefix(room.jid)); !s.ok()) return s;
    for (const AffiliationRecord& a : room.affiliations) {
      put(keys::affiliation(room.jid, a.jid), encoding::encode(a));
    }
    return {};
  }

  Status add(const StoreBatch::SaveSettings& op) {
    put(keys::room(op.room.jid), encoding::encode(op.room));
    return {};
  }

  Status add(const StoreBatch::PutAffiliation& op) {
    put(keys::affiliation(op.room_jid, op.affiliation.jid), encoding::encode(op.affiliation));
    return {};
  }

  Status add(const StoreBatch::RemoveAffiliation& op) {
    erase(keys::affiliation(op.room_jid, op.jid));
    return {};
  }

  Status add(const StoreBatch::ListRoom& op) {
    put(keys::listing(op.listing.jid), encoding::encode(op.listing));
    return {};
  }

  Status add(const StoreBatch::UnlistRoom& op) {
    erase(keys::listing(op.room_jid));
    return {};
  }

  Status add(const StoreBatch::ForgetRoom& op) {
    erase(keys::room(op.room_jid));
    erase(keys::listing(op.room_jid));
    for (const std::string& prefix :
         {keys::affiliation_prefix(op.room_jid), keys::history_prefix(op.room_jid),
          keys::occupant_prefix(op.room_jid)}) {
      if (Status s = erase_under(prefix); !s.ok()) return s;
    }
    return {};
  }

  Status add(const StoreBatch::AppendHistory& op) {
    put(keys::history(op.room_jid, op.entry.seq), encoding::encode(op.entry));
    std::vector<std::string> entries;  // oldest first: seqs are big-endian
    if (Status s = keys_under(keys::history_prefix(op.room_jid), &entries); !s.ok()) return s;
    for (size_t i = 0; i + op.keep_last < entries.size(); ++i) erase(std::move(entries[i]));
    return {};
  }

  Status add(const StoreBatch::PutHistory& op) {
    put(keys::history(op.room_jid, op.entry.seq), encoding::encode(op.entry));
    return {};
  }

  Status add(const StoreBatch::RemoveHistory& op) {
    erase(keys::history(op.room_jid, op.seq));
    return {};
  }

  Status add(const StoreBatch::PutOccupant& op) {
    const OccupantRecord& o = op.occupant;
    put(keys::occupant(op.room_jid, o.nick, o.real_jid), encoding::encode(o));
    return {};
  }

  Status add(const StoreBatch::RemoveOccupant& op) {
    erase(keys::occupant(op.room_jid, op.nick, op.real_jid));
    return {};
  }

  Status add(const StoreBatch::PutTombstone& op) {
    put(keys::tombstone(op.tombstone.jid), encoding::encode(op.tombstone));
    return {};
  }

  Status add(const StoreBatch::RemoveTombstone& op) {
    erase(keys::tombstone(op.room_jid));
    return {};
  }

  leveldb::WriteBatch* batch() { return &batch_; }

 private:
  leveldb::DB& db_;
  const std::string& path_;
  leveldb::WriteBatch batch_;
  std::map<std::string, bool, std::less<>> pending_;  // key -> put (true) or deleted (false)
};

}  // namespace

Result<std::unique_ptr<LevelDbStore>> LevelDbStore::open(const std::string& path,
                                                         const LevelDbOptions& options) {
  if (path.empty()) return Status::invalid_argument("the store path is empty");
  if (Status s = prepare_directory(path, options.create_if_missing); !s.ok()) return s;

  leveldb::Options db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.max_open_files = options.max_open_files;
  std::unique_ptr<const leveldb::FilterPolicy> filter(leveldb::NewBloomFilterPolicy(10));
  db_options.filter_policy = filter.get();
  leveldb::DB* raw = nullptr;
  leveldb::Status s = leveldb::DB::Open(db_options, path, &raw);
  std::unique_ptr<leveldb::DB> db(raw);
  if (is_lock_error(s)) {
    return Status::io_error("cannot open store at " + path + ": locked by another mucd? (" +
                            s.ToString() + ")");
  }
  if (!s.ok()) return from_leveldb(s, "cannot open store at " + path);
  if (Status schema = check_schema(*db, path); !schema.ok()) return schema;
  return std::make_unique<LevelDbStore>(Passkey(), path, std::move(filter), std::move(db));
}

LevelDbStore::LevelDbStore(Passkey, std::string path,
                           std::unique_ptr<const leveldb::FilterPolicy> filter,
                           std::unique_ptr<leveldb::DB> db)
    : path_(std::move(path)), filter_(std::move(filter)), db_(std::move(db)) {}

LevelDbStore::~LevelDbStore() = default;

Status LevelDbStore::commit(StoreBatch&& batch, bool sync) {
  if (Status s = batch.validate(); !s.ok()) return s;
  BatchBuilder builder(*db_, path_);
  for (const StoreBatch::Operation& op : batch.operations()) {
    Status s = std::visit([&builder](const auto& o) { return builder.add(o); }, op);
    if (!s.ok()) return s;
  }
  batch.clear();
  leveldb::WriteOptions write;
  write.sync = sync;
  return from_leveldb(db_->Write(write, builder.batch()), "cannot write to store at " + path_);
}

Status LevelDbStore::corrupt_value(std::string_view key, const Status& why) const {
  return Status::corruption("store at " + path_ + ", key \"" + keys::describe(key) +
                            "\": " + why.message());
}

Status LevelDbStore::load_room(std::string_view room_jid, RoomRecord* out) const {
  RoomRecord room;
  if (Status s = load_one(keys::room(room_jid), room_jid, "room", &room); !s.ok()) return s;
  if (Status a = load_all(keys::affiliation_prefix(room_jid), &room.affiliations); !a.ok()) {
    return a;
  }
  *out = std::move(room);
  return {};
}

Status LevelDbStore::list_rooms(std::vector<std::string>* out) const {
  std::vector<std::string> jids;
  const std::string prefix = keys::room_prefix();
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    std::optional<std::string_view> jid = keys::room_jid_of(view(it->key()));
    if (!jid) break;
    jids.emplace_back(*jid);
  }
  if (!it->status().ok()) return from_leveldb(it->status(), "cannot read " + path_);
  *out = std::move(jids);
  return {};
}

Status LevelDbStore::list_occupied_rooms(std::vector<std::string>* out) const {
  // Skip-scan: after the first session of a room, seek past every other key of that room.
  std::vector<std::string> jids;
  const std::string prefix = keys::occupants_prefix();
  leveldb::ReadOptions read;
  read.fill_cache = false;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(read));
  it->Seek(prefix);
  while (it->Valid() && view(it->key()).starts_with(prefix)) {
    std::optional<std::string_view> room = keys::occupant_room_of(view(it->key()));
    if (!room) return corrupt_value(view(it->key()), Status::corruption("not an occupant key"));
    jids.emplace_back(*room);
    it->Seek(keys::occupants_after(jids.back()));
  }
  if (!it->status().ok()) return from_leveldb(it->status(), "cannot read " + path_);
  *out = std::move(jids);
  return {};
}

Status LevelDbStore::list_listed_rooms(std::vector<ListingRecord>* out) const {
  return load_all(keys::listing_prefix(), out);
}

Status LevelDbStore::load_tombstone(std::string_view room_jid, TombstoneRecord* out) const {
  return load_one(keys::tombstone(room_jid), room_jid, "tombstone", out);
}

Status LevelDbStore::list_tombstones(std::vector<TombstoneRecord>* out) const {
  return load_all(keys::tombstone_prefix(), out);
}

Status LevelDbStore::load_history(std::string_view room_jid,
                                  std::vector<HistoryRecord>* out) const {
  return load_all(keys::history_prefix(room_jid), out);
}

Status LevelDbStore::load_occupants(std::string_view room_jid,
                                    std::vector<OccupantRecord>* out) const {
  return load_all(keys::occupant_prefix(room_jid), out);
}

template <typename Record>
Status LevelDbStore::load_one(const std::string& key, std::string_view room_jid,
                              std::string_view what, Record* out) const {
  std::string value;
  leveldb::Status s = db_->Get(leveldb::ReadOptions(), key, &value);
  if (s.IsNotFound()) {
    return Status::not_found("no " + std::string(what) + " " + std::string(room_jid));
  }
  if (!s.ok()) return from_leveldb(s, "cannot read " + path_);
  Record record;
  if (Status d = encoding::decode(value, &record); !d.ok()) return corrupt_value(key, d);
  if (record.jid != room_jid) {
    return corrupt_value(key, Status::corruption("holds room " + keys::describe(record.jid)));
  }
  *out = std::move(record);
  return {};
}

template <typename Record>
Status LevelDbStore::load_all(const std::string& prefix, std::vector<Record>* out) const {
  std::vector<Record> records;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
  for (it->Seek(prefix); it->Valid() && view(it->key()).starts_with(prefix); it->Next()) {
    Record record;
    if (Status d = encoding::decode(view(it->value()), &record); !d.ok()) {
      return corrupt_value(view(it->key()), d);
    }
    records.push_back(std::move(record));
  }
  if (!it->status().ok()) return from_leveldb(it->status(), "cannot read " + path_);
  *out = std::move(records);
  return {};
}

}  // namespace mucd::storage
