// What only the LevelDB store does: survive a restart, guard its directory, refuse stores it
// does not understand. The shared contract is in room_store_test.cpp.
#include "storage/leveldb_store.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <leveldb/db.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include "storage/key_layout.hpp"
#include "storage/test_temp_dir.hpp"

namespace mucd::storage {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::unique_ptr<LevelDbStore> open_ok(const std::string& path) {
  auto opened = LevelDbStore::open(path);
  EXPECT_TRUE(opened.ok()) << opened.status().to_string();
  return opened.ok() ? std::move(opened).value() : nullptr;
}

// Writes raw keys with LevelDB itself, as a damaged or foreign store would hold them.
void put_raw(const std::string& path, const std::string& key, const std::string& value) {
  leveldb::Options options;
  options.create_if_missing = true;
  leveldb::DB* raw = nullptr;
  ASSERT_TRUE(leveldb::DB::Open(options, path, &raw).ok());
  std::unique_ptr<leveldb::DB> db(raw);
  ASSERT_TRUE(db->Put(leveldb::WriteOptions(), key, value).ok());
}

// The raw value under `key`, or nullopt when there is none.
std::optional<std::string> get_raw(const std::string& path, const std::string& key) {
  leveldb::DB* raw = nullptr;
  leveldb::Status s = leveldb::DB::Open(leveldb::Options(), path, &raw);
  EXPECT_TRUE(s.ok()) << s.ToString();
  std::unique_ptr<leveldb::DB> db(raw);
  std::string value;
  if (!db || !db->Get(leveldb::ReadOptions(), key, &value).ok()) return std::nullopt;
  return value;
}

TEST(LevelDbStore, ReopeningKeepsEverything) {
  TestTempDir dir;
  const std::string path = dir.sub("store");
  RoomRecord room;
  room.jid = "coven@chat.shakespeare.lit";
  room.config = {{"persistent", "1"}};
  room.subject = "Cauldron";
  room.affiliations = {{"crone1@shakespeare.lit", "owner", "firstwitch", ""}};
  const HistoryRecord entry{7, 1'700'000'000'000, "firstwitch", "<message/>"};
  const OccupantRecord occupant{"firstwitch", "crone1@shakespeare.lit/desktop", "moderator",
                                "<presence/>"};
  const TombstoneRecord tombstone{"heath@chat.shakespeare.lit", "moved", room.jid,
                                  1'700'000'000'000};
  {
    auto store = open_ok(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->save_room(room).ok());
    ASSERT_TRUE(store->append_history(room.jid, entry, 20).ok());
    StoreBatch unsynced;
    unsynced.put_occupant(room.jid, occupant);
    unsynced.put_tombstone(tombstone);
    ASSERT_TRUE(store->commit(std::move(unsynced), false).ok());
  }
  auto store = open_ok(path);
  ASSERT_NE(store, nullptr);
  RoomRecord loaded;
  ASSERT_TRUE(store->load_room(room.jid, &loaded).ok());
  EXPECT_EQ(loaded, room);
  std::vector<HistoryRecord> history;
  ASSERT_TRUE(store->load_history(room.jid, &history).ok());
  EXPECT_THAT(history, ElementsAre(entry));
  std::vector<OccupantRecord> occupants;
  ASSERT_TRUE(store->load_occupants(room.jid, &occupants).ok());
  EXPECT_THAT(occupants, ElementsAre(occupant));
  TombstoneRecord loaded_tombstone;
  ASSERT_TRUE(store->load_tombstone(tombstone.jid, &loaded_tombstone).ok());
  EXPECT_EQ(loaded_tombstone, tombstone);
}

TEST(LevelDbStore, CreatesMissingDirectoriesAndWritesTheSchemaVersion) {
  TestTempDir dir;
  const std::string path = dir.sub("var/lib/mucd");
  ASSERT_NE(open_ok(path), nullptr);
  EXPECT_EQ(get_raw(path, std::string(keys::kSchema)), std::to_string(keys::kSchemaVersion));
}

TEST(LevelDbStore, ASecondOpenInTheSameProcessIsRefusedAsLocked) {
  TestTempDir dir;
  const std::string path = dir.sub("store");
  auto first = open_ok(path);
  ASSERT_NE(first, nullptr);

  auto second = LevelDbStore::open(path);
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(second.status().is_io_error());
  EXPECT_THAT(second.status().message(),
              AllOf(HasSubstr(path), HasSubstr("locked by another mucd?")));

  first.reset();  // closing releases the lock
  EXPECT_NE(open_ok(path), nullptr);
}

TEST(LevelDbStore, AnOpenFromAnotherProcessIsRefusedAsLocked) {
  TestTempDir dir;
  const std::string path = dir.sub("store");
  auto store = open_ok(path);
  ASSERT_NE(store, nullptr);

  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto other = LevelDbStore::open(path);
    const bool refused_as_locked =
        !other.ok() &&
        other.status().message().find("locked by another mucd?") != std::string::npos;
    ::_exit(refused_as_locked ? 0 : 1);
  }
  int wstatus = 0;
  ASSERT_EQ(::waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFEXITED(wstatus));
  EXPECT_EQ(WEXITSTATUS(wstatus), 0) << "the other process was not refused with the lock message";
}

TEST(LevelDbStore, GarbageInTheSchemaKeyIsRefused) {
  TestTempDir dir;
  const std::string path = dir.sub("store");
  ASSERT_NE(open_ok(path), nullptr);
  put_raw(path, std::string(keys::kSchema), "garbage\x01");

  auto reopened = LevelDbStore::open(path);
  ASSERT_FALSE(reopened.ok());
  EXPECT_TRUE(reopened.status().is_corruption());
  EXPECT_THAT(reopened.status().message(),
              AllOf(HasSubstr(path), HasSubstr("schema version \"garbage\\x01\"")));
}

TEST(LevelDbStore, AFutureSchemaVersionIsRefused) {
  TestTempDir dir;
  const std::string path = dir.sub("store");
  put_raw(path, std::string(keys::kSchema), "2");
  auto opened = LevelDbStore::open(path);
  ASSERT_FALSE(opened.ok());
  EXPECT_TRUE(opened.status().is_corruption());
  EXPECT_THAT(opened.status().message(), HasSubstr("understands 1"));
}

TEST(LevelDbStore, ANonEmptyStoreWithoutSchemaKeyIsRefused) {
  TestTempDir dir;
  const std::string path = dir.sub("store");
  put_raw(path, "someone-else's", "data");
  auto opened = LevelDbStore::open(path);
  ASSERT_FALSE(opened.ok());
  EXPECT_TRUE(opened.status().is_corruption());
  EXPECT_THAT(opened.status().message(), AllOf(HasSubstr(path), HasSubstr("no schema version")));
  EXPECT_EQ(get_raw(path, std::string(keys::kSchema)), std::nullopt)
      << "must not stamp a foreign store";
}

TEST(LevelDbStore, APathThatIsAFileIsRefused) {
  TestTempDir dir;
  const std::string path = dir.sub("file");
  std::ofstream(path) << "not a store";
  auto opened = LevelDbStore::open(path);
  ASSERT_FALSE(opened.ok());
  EXPECT_TRUE(opened.status().is_io_error());
  EXPECT_THAT(opened.status().message(), AllOf(HasSubstr(path), HasSubstr("not a directory")));
}

TEST(LevelDbStore, APathUnderAFileIsRefused) {
  TestTempDir dir;
  std::ofstream(dir.sub("file")) << "not a directory";
  const std::string path = dir.sub("file/store");
  auto opened = LevelDbStore::open(path);
  ASSERT_FALSE(opened.ok());
  EXPECT_TRUE(opened.status().is_io_error());
  EXPECT_THAT(opened.status().message(), AllOf(HasSubstr(path), HasSubstr("Not a directory")));
}

TEST(LevelDbStore, APathThatCannotBeCreatedIsRefused) {
  const std::string path = "/proc/mucd-storage-test/store";  // not even root can mkdir in /proc
  auto opened = LevelDbStore::open(path);
  ASSERT_FALSE(opened.ok());
  EXPECT_TRUE(opened.status().is_io_error());
  EXPECT_THAT(opened.status().message(), HasSubstr("cannot create store directory " + path));
}

TEST(LevelDbStore, AnUnwritableDirectoryIsRefused) {
  if (::geteuid() == 0) GTEST_SKIP() << "root writes anywhere";
  TestTempDir dir;
  const std::string path = dir.sub("store");
  ASSERT_EQ(::mkdir(path.c_str(), 0500), 0);
  auto opened = LevelDbStore::open(path);
  ::chmod(path.c_str(), 0700);
  ASSERT_FALSE(opened.ok());
  EXPECT_TRUE(opened.status().is_io_error());
  EXPECT_THAT(opened.status().message(), HasSubstr(path));
}

TEST(LevelDbStore, ADirectoryHoldingOtherFilesIsNotTurnedIntoAStore) {
  TestTempDir dir;
  std::ofstream(dir.sub("notes.txt")) << "precious";
  auto opened = LevelDbStore::open(dir.path());
  ASSERT_FALSE(opened.ok());
  EXPECT_TRUE(opened.status().is_io_error());
  EXPECT_THAT(opened.status().message(),
              AllOf(HasSubstr(dir.path()), HasSubstr("holds no LevelDB store")));
}

TEST(LevelDbStore, WithoutCreateIfMissingAMissingStoreIsNotFound) {
  TestTempDir dir;
  const std::string path = dir.sub("store");
  LevelDbOptions existing_only;
  existing_only.create_if_missing = false;
  auto opened = LevelDbStore::open(path, existing_only);
  ASSERT_FALSE(opened.ok());
  EXPECT_TRUE(opened.status().is_not_found()) << opened.status().to_string();
  ASSERT_EQ(::mkdir(path.c_str(), 0700), 0);
  opened = LevelDbStore::open(path, existing_only);
  EXPECT_TRUE(opened.status().is_not_found()) << opened.status().to_string();
}

TEST(LevelDbStore, ADamagedValueIsReportedWithItsKey) {
  TestTempDir dir;
  const std::string path = dir.sub("store");
  ASSERT_NE(open_ok(path), nullptr);
  put_raw(path, keys::room("coven@x"), "\x07junk");
  put_raw(path, keys::history("coven@x", 1), "");

  auto store = open_ok(path);
  ASSERT_NE(store, nullptr);
  RoomRecord room;
  room.jid = "untouched";
  Status s = store->load_room("coven@x", &room);
  EXPECT_TRUE(s.is_corruption());
  EXPECT_THAT(s.message(),
              AllOf(HasSubstr("room/coven@x"), HasSubstr("unknown encoding version 7")));
  EXPECT_EQ(room.jid, "untouched");

  std::vector<HistoryRecord> history;
  s = store->load_history("coven@x", &history);
  EXPECT_TRUE(s.is_corruption());
  EXPECT_THAT(s.message(), HasSubstr("hist/coven@x\\0"));
}

}  // namespace
}  // namespace mucd::storage
