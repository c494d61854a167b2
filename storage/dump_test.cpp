// The operator tools' dump: every stored room survives an export and an import, into either
// store; a bad dump changes nothing.
#include "storage/dump.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "storage/leveldb_store.hpp"
#include "storage/memory_store.hpp"
#include "storage/test_temp_dir.hpp"

namespace mucd::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

RoomRecord coven() {
  RoomRecord r;
  r.jid = "coven@chat.shakespeare.lit";
  r.config = {{"persistent", "1"}, {"name", "The \"Coven\"\n"}, {"password", "cauldron"}};
  r.subject = "Fire Burn and Cauldron Bubble! \xe2\x9a\x97";
  r.subject_from = "coven@chat.shakespeare.lit/thirdwitch";
  r.affiliations = {{"crone1@shakespeare.lit", "owner", "firstwitch", ""},
                    {"hag66@shakespeare.lit", "outcast", "", "spam \\o/"}};
  return r;
}

void fill(RoomStore& store) {
  StoreBatch batch;
  batch.save_room(coven());
  batch.append_history("coven@chat.shakespeare.lit",
                       {7, 1'700'000'000'123, "thirdwitch",
                        "<message type='groupchat'><body>a&amp;b</body></message>"},
                       20);
  batch.append_history("coven@chat.shakespeare.lit", {8, -5, "", "<message/>"}, 20);
  batch.put_occupant("coven@chat.shakespeare.lit",
                     {"firstwitch", "crone1@shakespeare.lit/desktop", "moderator",
                      "<presence><show>dnd</show></presence>"});
  batch.list_room({"coven@chat.shakespeare.lit", "The \"Coven\"\n"});
  RoomRecord empty;
  empty.jid = "empty@chat.shakespeare.lit";
  batch.save_room(empty);
  batch.put_tombstone({"heath@chat.shakespeare.lit", "moved \"away\"", "coven@chat.shakespeare.lit",
                       1'700'000'000'000});
  batch.put_tombstone({"wood@chat.shakespeare.lit", "", "", 5});
  ASSERT_TRUE(store.commit(std::move(batch), true).ok());
}

std::string export_text(const RoomStore& store, size_t* rooms) {
  std::string text;
  Status s = export_rooms(
      store, [&](std::string_view part) { text.append(part); }, rooms);
  EXPECT_TRUE(s.ok()) << s.to_string();
  return text;
}

void expect_same(const RoomStore& a, const RoomStore& b) {
  std::vector<std::string> rooms_a, rooms_b;
  ASSERT_TRUE(a.list_rooms(&rooms_a).ok());
  ASSERT_TRUE(b.list_rooms(&rooms_b).ok());
  ASSERT_EQ(rooms_a, rooms_b);
  std::vector<ListingRecord> listed_a, listed_b;
  ASSERT_TRUE(a.list_listed_rooms(&listed_a).ok());
  ASSERT_TRUE(b.list_listed_rooms(&listed_b).ok());
  EXPECT_EQ(listed_a, listed_b);
  std::vector<TombstoneRecord> tombs_a, tombs_b;
  ASSERT_TRUE(a.list_tombstones(&tombs_a).ok());
  ASSERT_TRUE(b.list_tombstones(&tombs_b).ok());
  EXPECT_EQ(tombs_a, tombs_b);
  for (const std::string& jid : rooms_a) {
    RoomRecord ra, rb;
    std::vector<HistoryRecord> ha, hb;
    std::vector<OccupantRecord> oa, ob;
    ASSERT_TRUE(a.load_room(jid, &ra).ok());
    ASSERT_TRUE(b.load_room(jid, &rb).ok());
    EXPECT_EQ(ra, rb);
    ASSERT_TRUE(a.load_history(jid, &ha).ok());
    ASSERT_TRUE(b.load_history(jid, &hb).ok());
    EXPECT_EQ(ha, hb);
    ASSERT_TRUE(a.load_occupants(jid, &oa).ok());
    ASSERT_TRUE(b.load_occupants(jid, &ob).ok());
    EXPECT_EQ(oa, ob);
  }
}

TEST(Dump, ExportThenImportGivesTheSameStore) {
  MemoryStore original;
  fill(original);
  size_t exported = 0;
  const std::string text = export_text(original, &exported);
  EXPECT_EQ(exported, 2u);  // rooms; the two tombstones are not counted
  size_t rooms = 0, tombstones = 0;
  ASSERT_TRUE(export_rooms(
                  original, [](std::string_view) {}, &rooms, &tombstones)
                  .ok());
  EXPECT_EQ(tombstones, 2u);
  EXPECT_THAT(text, HasSubstr("\"format\":\"mucd-rooms\""));
  EXPECT_THAT(text, HasSubstr("{\"jid\":\"heath@chat.shakespeare.lit\",\"reason\":\"moved "
                              "\\\"away\\\"\",\"new_jid\":\"coven@chat.shakespeare.lit\","
                              "\"expires_ms\":1700000000000}"));
  EXPECT_THAT(text, HasSubstr("\"listing\":{\"name\":\"The \\\"Coven\\\"\\n\"}"));

  TestTempDir dir;
  auto opened = LevelDbStore::open(dir.sub("store"));
  ASSERT_TRUE(opened.ok());
  LevelDbStore& copy = *opened.value();
  size_t imported = 0, imported_tombstones = 0;
  Status s = import_rooms(copy, text, &imported, &imported_tombstones);
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(imported, 2u);
  EXPECT_EQ(imported_tombstones, 2u);
  expect_same(original, copy);

  // And once more from LevelDB: the dump is stable.
  size_t again = 0;
  EXPECT_EQ(export_text(copy, &again), text);
}

TEST(Dump, AnImportedRoomReplacesTheStoredOneAndLeavesOthers) {
  MemoryStore store;
  fill(store);
  StoreBatch extra;
  extra.append_history("coven@chat.shakespeare.lit", {9, 0, "", "<message/>"}, 20);
  RoomRecord other;
  other.jid = "other@chat.shakespeare.lit";
  extra.save_room(other);
  ASSERT_TRUE(store.commit(std::move(extra), true).ok());

  const std::string dump =
      R"({"format":"mucd-rooms","version":1,"rooms":[{"jid":"coven@chat.shakespeare.lit",)"
      R"("config":{"persistent":"1"},"affiliations":[{"jid":"a@x","affiliation":"owner"}]}]})";
  size_t imported = 0;
  ASSERT_TRUE(import_rooms(store, dump, &imported).ok());
  RoomRecord coven_now;
  ASSERT_TRUE(store.load_room("coven@chat.shakespeare.lit", &coven_now).ok());
  EXPECT_EQ(coven_now.config.size(), 1u);
  EXPECT_THAT(coven_now.affiliations, ElementsAre(AffiliationRecord{"a@x", "owner", "", ""}));
  std::vector<HistoryRecord> history;
  ASSERT_TRUE(store.load_history("coven@chat.shakespeare.lit", &history).ok());
  EXPECT_THAT(history, IsEmpty());
  std::vector<std::string> rooms;
  ASSERT_TRUE(store.list_rooms(&rooms).ok());
  EXPECT_THAT(rooms, ElementsAre("coven@chat.shakespeare.lit", "empty@chat.shakespeare.lit",
                                 "other@chat.shakespeare.lit"));
}

TEST(Dump, ABadDumpChangesNothingAndSaysWhy) {
  struct Case {
    const char* text;
    const char* why;
  };
  const Case cases[] = {
      {"{", "JSON error"},
      {R"({"rooms":[]})", "not a mucd room dump"},
      {R"({"format":"mucd-rooms","version":2,"rooms":[]})", "unsupported dump version 2"},
      {R"({"format":"mucd-rooms","version":1})", "no \"rooms\""},
      {R"({"format":"mucd-rooms","version":1,"rooms":[{"jid":"ok@x"},{"config":{}}]})",
       "room 2: missing \"jid\""},
      {R"({"format":"mucd-rooms","version":1,"rooms":[{"jid":"ok@x","config":{"a":1}}]})",
       "config a is not a string"},
      {R"({"format":"mucd-rooms","version":1,"rooms":[{"jid":"ok@x","history":[{"seq":-1,"stamp_ms":0,"xml":""}]}]})",
       "integer seq"},
      {R"({"format":"mucd-rooms","version":1,"rooms":[{"jid":"ok@x","occupants":[{"nick":"","real_jid":"j@x/r"}]}]})",
       "occupant nick is empty"},
      {R"({"format":"mucd-rooms","version":1,"rooms":[{"jid":"ok@x"}],"tombstones":{}})",
       "\"tombstones\" is not a list"},
      {R"({"format":"mucd-rooms","version":1,"rooms":[{"jid":"ok@x"}],"tombstones":[{"jid":"t@x"}]})",
       "tombstone t@x: no integer expires_ms"},
      {R"({"format":"mucd-rooms","version":1,"rooms":[{"jid":"ok@x"}],"tombstones":[{"reason":"r","expires_ms":1}]})",
       "tombstone 1: missing \"jid\""},
  };
  for (const Case& c : cases) {
    MemoryStore store;
    size_t imported = 7;
    Status s = import_rooms(store, c.text, &imported);
    EXPECT_TRUE(s.is_invalid_argument()) << c.text;
    EXPECT_THAT(s.message(), HasSubstr(c.why)) << c.text;
    EXPECT_EQ(imported, 0u);
    std::vector<std::string> rooms;
    ASSERT_TRUE(store.list_rooms(&rooms).ok());
    EXPECT_THAT(rooms, IsEmpty()) << c.text;
  }
}

// Stores `tombstone`, then imports a dump holding only the room `room_jid`; returns the
// number of rooms the import reports.
size_t import_one_room_over(MemoryStore& store, TombstoneRecord tombstone,
                            const std::string& room_jid) {
  StoreBatch before;
  before.put_tombstone(std::move(tombstone));
  EXPECT_TRUE(store.commit(std::move(before), true).ok());
  size_t imported = 0;
  Status s = import_rooms(
      store, R"({"format":"mucd-rooms","version":1,"rooms":[{"jid":")" + room_jid + R"("}]})",
      &imported);
  EXPECT_TRUE(s.ok()) << s.to_string();
  return imported;
}

TEST(Dump, AnImportedRoomLiftsAStoredTombstoneOfItsJid) {
  // A backup taken before the room was destroyed brings the room back, not its tombstone.
  MemoryStore store;
  import_one_room_over(store, {"a@x", "", "", 5}, "a@x");
  size_t imported = 0;
  TombstoneRecord out;
  EXPECT_TRUE(store.load_tombstone("a@x", &out).is_not_found());
  // A dump that holds both (as exported from such a store) restores both.
  ASSERT_TRUE(import_rooms(store,
                           R"({"format":"mucd-rooms","version":1,"rooms":[{"jid":"a@x"}],)"
                           R"("tombstones":[{"jid":"a@x","expires_ms":5}]})",
                           &imported)
                  .ok());
  EXPECT_TRUE(store.load_tombstone("a@x", &out).ok());
}

TEST(Dump, ADumpWithoutTombstonesImportsAndLeavesStoredTombstonesAlone) {
  // Dumps written before tombstones were stored have no "tombstones" list.
  MemoryStore store;
  EXPECT_EQ(import_one_room_over(store, {"heath@chat.shakespeare.lit", "", "", 5}, "b@x"), 1u);
  std::vector<TombstoneRecord> tombstones;
  ASSERT_TRUE(store.list_tombstones(&tombstones).ok());
  EXPECT_THAT(tombstones, ElementsAre(TombstoneRecord{"heath@chat.shakespeare.lit", "", "", 5}));
}

}  // namespace
}  // namespace mucd::storage
