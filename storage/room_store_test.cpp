// The RoomStore contract, run against every implementation: what the engine may rely on whichever
// store is behind it.
#include "storage/room_store.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "storage/leveldb_store.hpp"
#include "storage/memory_store.hpp"
#include "storage/test_temp_dir.hpp"

namespace mucd::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

struct MemoryStoreMaker {
  static constexpr const char* kName = "Memory";
  std::unique_ptr<RoomStore> make() { return std::make_unique<MemoryStore>(); }
};

struct LevelDbStoreMaker {
  static constexpr const char* kName = "LevelDb";
  TestTempDir dir;
  std::unique_ptr<RoomStore> make() {
    auto opened = LevelDbStore::open(dir.sub("store"));
    EXPECT_TRUE(opened.ok()) << opened.status().to_string();
    if (!opened.ok()) return nullptr;
    return std::move(opened).value();
  }
};

struct MakerName {
  template <typename Maker>
  static std::string GetName(int) {
    return Maker::kName;
  }
};

template <typename Maker>
class RoomStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NE(store_, nullptr); }

  RoomStore& store() { return *store_; }

  RoomRecord load(const std::string& jid) {
    RoomRecord room;
    Status s = store().load_room(jid, &room);
    EXPECT_TRUE(s.ok()) << s.to_string();
    return room;
  }
  std::vector<uint64_t> history_seqs(const std::string& jid) {
    std::vector<HistoryRecord> entries;
    Status s = store().load_history(jid, &entries);
    EXPECT_TRUE(s.ok()) << s.to_string();
    std::vector<uint64_t> seqs;
    for (const HistoryRecord& h : entries) seqs.push_back(h.seq);
    return seqs;
  }
  std::vector<std::string> occupant_sessions(const std::string& jid) {
    std::vector<OccupantRecord> occupants;
    Status s = store().load_occupants(jid, &occupants);
    EXPECT_TRUE(s.ok()) << s.to_string();
    std::vector<std::string> sessions;
    for (const OccupantRecord& o : occupants) sessions.push_back(o.nick + "=" + o.real_jid);
    return sessions;
  }
  std::vector<std::string> rooms() {
    std::vector<std::string> jids;
    Status s = store().list_rooms(&jids);
    EXPECT_TRUE(s.ok()) << s.to_string();
    return jids;
  }
  // A room with a record, two affiliations, two history entries and an occupant.
  void populate(const std::string& jid) {
    ASSERT_TRUE(store().save_room(room(jid)).ok());
    ASSERT_TRUE(store().append_history(jid, entry(1), 10).ok());
    ASSERT_TRUE(store().append_history(jid, entry(2), 10).ok());
    ASSERT_TRUE(
        store().put_occupant(jid, occupant("firstwitch", "crone1@shakespeare.lit/desktop")).ok());
  }

  static RoomRecord room(const std::string& jid) {
    RoomRecord r;
    r.jid = jid;
    r.config = {{"persistent", "1"}, {"max_users", "200"}};
    r.subject = "Fire Burn and Cauldron Bubble!";
    r.subject_from = "thirdwitch";
    r.affiliations = {{"wiccarocks@shakespeare.lit", "member", "secondwitch", ""},
                      {"crone1@shakespeare.lit", "owner", "firstwitch", "founder"}};
    return r;
  }
  static HistoryRecord entry(uint64_t seq) {
    return {seq, 1'700'000'000'000 + static_cast<int64_t>(seq), "thirdwitch",
            "<message type='groupchat'><body>" + std::to_string(seq) + "</body></message>"};
  }
  static OccupantRecord occupant(const std::string& nick, const std::string& real_jid) {
    return {nick, real_jid, "participant", "<presence/>"};
  }

  Maker maker_;
  std::unique_ptr<RoomStore> store_ = maker_.make();
};

using Implementations = ::testing::Types<MemoryStoreMaker, LevelDbStoreMaker>;
TYPED_TEST_SUITE(RoomStoreTest, Implementations, MakerName);

// --- rooms ---

TYPED_TEST(RoomStoreTest, UnknownRoomIsNotFoundAndOutputUntouched) {
  RoomRecord out;
  out.jid = "untouched";
  Status s = this->store().load_room("nobody@chat.shakespeare.lit", &out);
  EXPECT_TRUE(s.is_not_found()) << s.to_string();
  EXPECT_EQ(out.jid, "untouched");
}

TYPED_TEST(RoomStoreTest, SavedRoomLoadsBackWithAffiliationsOrderedByJid) {
  RoomRecord saved = this->room("coven@chat.shakespeare.lit");
  ASSERT_TRUE(this->store().save_room(saved).ok());

  RoomRecord loaded = this->load("coven@chat.shakespeare.lit");
  EXPECT_EQ(loaded.jid, saved.jid);
  EXPECT_EQ(loaded.config, saved.config);
  EXPECT_EQ(loaded.subject, saved.subject);
  EXPECT_EQ(loaded.subject_from, saved.subject_from);
  EXPECT_THAT(loaded.affiliations, ElementsAre(saved.affiliations[1], saved.affiliations[0]));
}

TYPED_TEST(RoomStoreTest, SaveReplacesConfigSubjectAndTheWholeAffiliationList) {
  const std::string jid = "coven@chat.shakespeare.lit";
  ASSERT_TRUE(this->store().save_room(this->room(jid)).ok());

  RoomRecord second;
  second.jid = jid;
  second.config = {{"persistent", "0"}};
  second.affiliations = {{"crone1@shakespeare.lit", "admin", "", "demoted"},
                         {"hag66@shakespeare.lit", "outcast", "", "spam"}};
  ASSERT_TRUE(this->store().save_room(second).ok());

  EXPECT_EQ(this->load(jid), second);
}

TYPED_TEST(RoomStoreTest, SaveLeavesHistoryAndOccupantsAlone) {
  const std::string jid = "coven@chat.shakespeare.lit";
  this->populate(jid);
  ASSERT_TRUE(this->store().save_room(this->room(jid)).ok());
  EXPECT_THAT(this->history_seqs(jid), ElementsAre(1u, 2u));
  EXPECT_THAT(this->occupant_sessions(jid),
              ElementsAre("firstwitch=crone1@shakespeare.lit/desktop"));
}

TYPED_TEST(RoomStoreTest, ForgetRemovesTheRoomAndEverythingUnderIt) {
  const std::string jid = "coven@chat.shakespeare.lit";
  this->populate(jid);
  ASSERT_TRUE(this->store().forget_room(jid).ok());

  RoomRecord out;
  EXPECT_TRUE(this->store().load_room(jid, &out).is_not_found());
  EXPECT_THAT(this->history_seqs(jid), IsEmpty());
  EXPECT_THAT(this->occupant_sessions(jid), IsEmpty());
  EXPECT_THAT(this->rooms(), IsEmpty());

  // Saved again, the room starts with only the affiliations it is saved with.
  RoomRecord fresh;
  fresh.jid = jid;
  ASSERT_TRUE(this->store().save_room(fresh).ok());
  EXPECT_THAT(this->load(jid).affiliations, IsEmpty());
}

TYPED_TEST(RoomStoreTest, ForgettingAnUnknownRoomIsNotAnError) {
  EXPECT_TRUE(this->store().forget_room("nobody@chat.shakespeare.lit").ok());
}

TYPED_TEST(RoomStoreTest, RoomsWhoseJidsPrefixEachOtherStayApart) {
  this->populate("a@x");
  this->populate("a@xy");
  RoomRecord other = this->room("a@xy");
  other.affiliations = {{"only@xy", "owner", "", ""}};
  ASSERT_TRUE(this->store().save_room(other).ok());
  ASSERT_TRUE(this->store().append_history("a@xy", this->entry(3), 10).ok());

  EXPECT_EQ(this->load("a@x").affiliations.size(), 2u);
  EXPECT_THAT(this->history_seqs("a@x"), ElementsAre(1u, 2u));

  ASSERT_TRUE(this->store().forget_room("a@x").ok());
  EXPECT_EQ(this->load("a@xy"), other);
  EXPECT_THAT(this->history_seqs("a@xy"), ElementsAre(1u, 2u, 3u));
  EXPECT_THAT(this->occupant_sessions("a@xy"),
              ElementsAre("firstwitch=crone1@shakespeare.lit/desktop"));
  EXPECT_THAT(this->rooms(), ElementsAre("a@xy"));
}

TYPED_TEST(RoomStoreTest, ListRoomsNamesSavedRoomsInOrder) {
  for (const char* jid : {"b@x", "a@xy", "a@x"}) {
    ASSERT_TRUE(this->store().save_room(this->room(jid)).ok());
  }
  // History alone does not make a room.
  ASSERT_TRUE(this->store().append_history("c@x", this->entry(1), 10).ok());
  EXPECT_THAT(this->rooms(), ElementsAre("a@x", "a@xy", "b@x"));
}

TYPED_TEST(RoomStoreTest, SettingsAreSavedWithoutTouchingAffiliations) {
  const std::string jid = "coven@chat.shakespeare.lit";
  this->populate(jid);
  RoomRecord settings;
  settings.jid = jid;
  settings.config = {{"persistent", "1"}, {"name", "The Coven"}};
  settings.subject = "new moon";
  settings.affiliations = {{"ignored@x", "owner", "", ""}};
  StoreBatch batch;
  batch.save_settings(settings);
  ASSERT_TRUE(this->store().commit(std::move(batch), true).ok());

  RoomRecord loaded = this->load(jid);
  EXPECT_EQ(loaded.config, settings.config);
  EXPECT_EQ(loaded.subject, "new moon");
  const RoomRecord populated = this->room(jid);  // affiliations as saved, loaded by jid
  EXPECT_THAT(loaded.affiliations,
              ElementsAre(populated.affiliations[1], populated.affiliations[0]));
  EXPECT_THAT(this->history_seqs(jid), ElementsAre(1u, 2u));
}

TYPED_TEST(RoomStoreTest, AffiliationsAndReservedNicksChangeOneByOne) {
  const std::string jid = "coven@chat.shakespeare.lit";
  this->populate(jid);
  StoreBatch batch;
  batch.put_affiliation(jid, {"hag66@shakespeare.lit", "member", "thirdwitch", ""});
  batch.put_affiliation(jid, {"wiccarocks@shakespeare.lit", "admin", "", ""});  // replaces
  batch.remove_affiliation(jid, "crone1@shakespeare.lit");
  batch.remove_affiliation(jid, "nobody@shakespeare.lit");  // absent: not an error
  ASSERT_TRUE(this->store().commit(std::move(batch), true).ok());

  EXPECT_THAT(this->load(jid).affiliations,
              ElementsAre(AffiliationRecord{"hag66@shakespeare.lit", "member", "thirdwitch", ""},
                          AffiliationRecord{"wiccarocks@shakespeare.lit", "admin", "", ""}));
  EXPECT_TRUE(this->store()
                  .commit(
                      [] {
                        StoreBatch bad;
                        bad.put_affiliation("r@x", {"", "member", "", ""});
                        return bad;
                      }(),
                      true)
                  .is_invalid_argument());
}

TYPED_TEST(RoomStoreTest, OccupiedRoomsAreThoseWithStoredSessions) {
  this->populate("a@x");
  this->populate("a@xy");
  ASSERT_TRUE(this->store().save_room(this->room("empty@x")).ok());
  ASSERT_TRUE(this->store().put_occupant("b@x", this->occupant("n1", "j1@x/r")).ok());
  ASSERT_TRUE(this->store().put_occupant("b@x", this->occupant("n2", "j2@x/r")).ok());
  ASSERT_TRUE(this->store().put_occupant("b@x", this->occupant("n3", "j3@x/r")).ok());
  ASSERT_TRUE(
      this->store().remove_occupant("a@x", "firstwitch", "crone1@shakespeare.lit/desktop").ok());

  std::vector<std::string> occupied = {"stale"};
  ASSERT_TRUE(this->store().list_occupied_rooms(&occupied).ok());
  EXPECT_THAT(occupied, ElementsAre("a@xy", "b@x"));
}

TYPED_TEST(RoomStoreTest, TheListingIsKeptApartAndGoesWithTheRoom) {
  this->populate("a@x");
  this->populate("b@x");
  StoreBatch batch;
  batch.list_room({"a@x", "Room A"});
  batch.list_room({"b@x", ""});
  batch.list_room({"c@x", "listed, not stored"});
  batch.unlist_room("c@x");
  batch.unlist_room("nobody@x");
  ASSERT_TRUE(this->store().commit(std::move(batch), true).ok());
  std::vector<ListingRecord> listed;
  ASSERT_TRUE(this->store().list_listed_rooms(&listed).ok());
  EXPECT_THAT(listed, ElementsAre(ListingRecord{"a@x", "Room A"}, ListingRecord{"b@x", ""}));

  // Saving a room leaves its listing alone; forgetting it takes the listing too.
  ASSERT_TRUE(this->store().save_room(this->room("a@x")).ok());
  ASSERT_TRUE(this->store().forget_room("b@x").ok());
  ASSERT_TRUE(this->store().list_listed_rooms(&listed).ok());
  EXPECT_THAT(listed, ElementsAre(ListingRecord{"a@x", "Room A"}));
  EXPECT_THAT(this->rooms(), ElementsAre("a@x"));
}

// --- history ---

TYPED_TEST(RoomStoreTest, TombstonesArePutReplacedListedAndRemoved) {
  TombstoneRecord out{"untouched", "", "", 1};
  EXPECT_TRUE(this->store().load_tombstone("coven@chat.shakespeare.lit", &out).is_not_found());
  EXPECT_EQ(out.jid, "untouched");

  const TombstoneRecord coven{"coven@chat.shakespeare.lit", "moved", "heath@chat.shakespeare.lit",
                              1'700'000'000'000};
  const TombstoneRecord covenx{"coven@chat.shakespeare.litx", "", "", -1};
  StoreBatch batch;
  batch.put_tombstone(covenx);
  batch.put_tombstone({"coven@chat.shakespeare.lit", "first", "", 5});
  batch.put_tombstone(coven);  // replaces the one before
  ASSERT_TRUE(this->store().commit(std::move(batch), true).ok());
  ASSERT_TRUE(this->store().load_tombstone("coven@chat.shakespeare.lit", &out).ok());
  EXPECT_EQ(out, coven);
  std::vector<TombstoneRecord> all;
  ASSERT_TRUE(this->store().list_tombstones(&all).ok());
  EXPECT_THAT(all, ElementsAre(coven, covenx));
  EXPECT_THAT(this->rooms(), IsEmpty());  // a tombstone is not a room

  StoreBatch removal;
  removal.remove_tombstone("coven@chat.shakespeare.lit");
  removal.remove_tombstone("never@chat.shakespeare.lit");  // absent: not an error
  ASSERT_TRUE(this->store().commit(std::move(removal), true).ok());
  EXPECT_TRUE(this->store().load_tombstone("coven@chat.shakespeare.lit", &out).is_not_found());
  ASSERT_TRUE(this->store().list_tombstones(&all).ok());
  EXPECT_THAT(all, ElementsAre(covenx));
}

TYPED_TEST(RoomStoreTest, ForgettingARoomLeavesItsTombstone) {
  // What destroying a persistent room writes: the room goes, the tombstone takes its place.
  this->populate("coven@chat.shakespeare.lit");
  StoreBatch destroy;
  destroy.forget_room("coven@chat.shakespeare.lit");
  destroy.put_tombstone({"coven@chat.shakespeare.lit", "", "", 9});
  ASSERT_TRUE(this->store().commit(std::move(destroy), true).ok());
  EXPECT_THAT(this->rooms(), IsEmpty());
  TombstoneRecord out;
  ASSERT_TRUE(this->store().load_tombstone("coven@chat.shakespeare.lit", &out).ok());
  StoreBatch forget_again;
  forget_again.forget_room("coven@chat.shakespeare.lit");
  ASSERT_TRUE(this->store().commit(std::move(forget_again), true).ok());
  EXPECT_TRUE(this->store().load_tombstone("coven@chat.shakespeare.lit", &out).ok());
}

TYPED_TEST(RoomStoreTest, ATombstoneWithoutAJidIsRefused) {
  StoreBatch batch;
  batch.put_tombstone({"", "reason", "", 1});
  EXPECT_TRUE(this->store().commit(std::move(batch), true).is_invalid_argument());
  StoreBatch removal;
  removal.remove_tombstone(std::string("a\0b", 3));
  EXPECT_TRUE(this->store().commit(std::move(removal), true).is_invalid_argument());
}

TYPED_TEST(RoomStoreTest, HistoryKeepsTheLastEntriesOldestFirst) {
  const std::string jid = "coven@chat.shakespeare.lit";
  for (uint64_t seq = 250; seq <= 260; ++seq) {  // crosses a byte boundary at 256
    ASSERT_TRUE(this->store().append_history(jid, this->entry(seq), 4).ok());
  }
  EXPECT_THAT(this->history_seqs(jid), ElementsAre(257u, 258u, 259u, 260u));

  std::vector<HistoryRecord> entries;
  ASSERT_TRUE(this->store().load_history(jid, &entries).ok());
  EXPECT_EQ(entries.back(), this->entry(260));
}

TYPED_TEST(RoomStoreTest, ASmallerKeepLastTrimsOlderEntries) {
  const std::string jid = "coven@chat.shakespeare.lit";
  for (uint64_t seq = 1; seq <= 5; ++seq) {
    ASSERT_TRUE(this->store().append_history(jid, this->entry(seq), 20).ok());
  }
  ASSERT_TRUE(this->store().append_history(jid, this->entry(6), 2).ok());
  EXPECT_THAT(this->history_seqs(jid), ElementsAre(5u, 6u));
}

TYPED_TEST(RoomStoreTest, KeepLastZeroKeepsNoHistory) {
  const std::string jid = "coven@chat.shakespeare.lit";
  ASSERT_TRUE(this->store().append_history(jid, this->entry(1), 5).ok());
  ASSERT_TRUE(this->store().append_history(jid, this->entry(2), 0).ok());
  EXPECT_THAT(this->history_seqs(jid), IsEmpty());
}

TYPED_TEST(RoomStoreTest, AnEntryWithAKnownSeqReplacesIt) {
  const std::string jid = "coven@chat.shakespeare.lit";
  ASSERT_TRUE(this->store().append_history(jid, this->entry(1), 5).ok());
  HistoryRecord corrected = this->entry(1);
  corrected.xml = "<message/>";
  ASSERT_TRUE(this->store().append_history(jid, corrected, 5).ok());

  std::vector<HistoryRecord> entries;
  ASSERT_TRUE(this->store().load_history(jid, &entries).ok());
  EXPECT_THAT(entries, ElementsAre(corrected));
}

TYPED_TEST(RoomStoreTest, HistoryEntriesArePutAndRemovedByKey) {
  const std::string jid = "coven@chat.shakespeare.lit";
  StoreBatch batch;
  for (uint64_t seq = 1; seq <= 4; ++seq) batch.put_history(jid, this->entry(seq));
  batch.remove_history(jid, 2);
  batch.remove_history(jid, 99);  // absent: not an error
  ASSERT_TRUE(this->store().commit(std::move(batch), false).ok());
  EXPECT_THAT(this->history_seqs(jid), ElementsAre(1u, 3u, 4u));
}

TYPED_TEST(RoomStoreTest, LoadsReplaceTheirOutput) {
  std::vector<HistoryRecord> entries = {this->entry(9)};
  ASSERT_TRUE(this->store().load_history("nobody@x", &entries).ok());
  EXPECT_THAT(entries, IsEmpty());
  std::vector<OccupantRecord> occupants = {this->occupant("n", "j@x/r")};
  ASSERT_TRUE(this->store().load_occupants("nobody@x", &occupants).ok());
  EXPECT_THAT(occupants, IsEmpty());
  std::vector<std::string> jids = {"stale@x"};
  ASSERT_TRUE(this->store().list_rooms(&jids).ok());
  EXPECT_THAT(jids, IsEmpty());
}

// --- occupants ---

TYPED_TEST(RoomStoreTest, OccupantSessionsArePutReplacedAndRemoved) {
  const std::string jid = "coven@chat.shakespeare.lit";
  ASSERT_TRUE(this->store().put_occupant(jid, this->occupant("thirdwitch", "hag66@x/pda")).ok());
  ASSERT_TRUE(this->store().put_occupant(jid, this->occupant("thirdwitch", "hag66@x/desk")).ok());
  ASSERT_TRUE(this->store().put_occupant(jid, this->occupant("first", "crone1@x/a")).ok());
  EXPECT_THAT(this->occupant_sessions(jid),
              ElementsAre("first=crone1@x/a", "thirdwitch=hag66@x/desk", "thirdwitch=hag66@x/pda"));

  OccupantRecord moderated = this->occupant("first", "crone1@x/a");
  moderated.role = "moderator";
  ASSERT_TRUE(this->store().put_occupant(jid, moderated).ok());

  ASSERT_TRUE(this->store().remove_occupant(jid, "thirdwitch", "hag66@x/pda").ok());
  ASSERT_TRUE(this->store().remove_occupant(jid, "nobody", "nobody@x/r").ok());

  std::vector<OccupantRecord> occupants;
  ASSERT_TRUE(this->store().load_occupants(jid, &occupants).ok());
  EXPECT_THAT(occupants, ElementsAre(moderated, this->occupant("thirdwitch", "hag66@x/desk")));
}

// --- batches ---

TYPED_TEST(RoomStoreTest, ABatchAppliesEveryMutationInOrder) {
  const std::string jid = "coven@chat.shakespeare.lit";
  this->populate("old@x");

  StoreBatch batch;
  RoomRecord first = this->room(jid);
  batch.save_room(first);
  RoomRecord second = first;
  second.affiliations = {{"hag66@shakespeare.lit", "member", "", ""}};
  batch.save_room(second);  // replaces the affiliations the first save put in this batch
  for (uint64_t seq = 1; seq <= 3; ++seq) batch.append_history(jid, this->entry(seq), 2);
  batch.put_occupant(jid, this->occupant("a", "a@x/1"));
  batch.put_occupant(jid, this->occupant("b", "b@x/1"));
  batch.remove_occupant(jid, "a", "a@x/1");
  batch.put_occupant("old@x", this->occupant("late", "late@x/1"));
  batch.forget_room("old@x");  // also takes the occupant put just before
  ASSERT_TRUE(this->store().commit(std::move(batch), false).ok());

  EXPECT_EQ(this->load(jid), second);
  EXPECT_THAT(this->history_seqs(jid), ElementsAre(2u, 3u));
  EXPECT_THAT(this->occupant_sessions(jid), ElementsAre("b=b@x/1"));
  EXPECT_THAT(this->rooms(), ElementsAre(jid));
  EXPECT_THAT(this->occupant_sessions("old@x"), IsEmpty());
  EXPECT_THAT(this->history_seqs("old@x"), IsEmpty());
}

TYPED_TEST(RoomStoreTest, AnInvalidBatchChangesNothing) {
  const std::string jid = "coven@chat.shakespeare.lit";
  this->populate(jid);

  StoreBatch batch;
  batch.forget_room(jid);
  batch.save_room(this->room("new@x"));
  batch.put_occupant(jid, this->occupant("", "nick-less@x/r"));
  Status s = this->store().commit(std::move(batch), true);
  EXPECT_TRUE(s.is_invalid_argument()) << s.to_string();

  EXPECT_EQ(this->load(jid).affiliations.size(), 2u);
  EXPECT_THAT(this->history_seqs(jid), ElementsAre(1u, 2u));
  EXPECT_THAT(this->occupant_sessions(jid),
              ElementsAre("firstwitch=crone1@shakespeare.lit/desktop"));
  EXPECT_THAT(this->rooms(), ElementsAre(jid));
}

TYPED_TEST(RoomStoreTest, KeysThatCouldCollideAreRefused) {
  const std::string nul_jid("a@x\0evil", 8);
  EXPECT_TRUE(this->store().save_room(this->room(nul_jid)).is_invalid_argument());
  EXPECT_TRUE(this->store().save_room(this->room("")).is_invalid_argument());
  EXPECT_TRUE(this->store().forget_room("").is_invalid_argument());
  EXPECT_TRUE(this->store().append_history("", this->entry(1), 5).is_invalid_argument());
  EXPECT_TRUE(this->store()
                  .put_occupant("r@x", this->occupant(std::string("n\0m", 3), "j@x/r"))
                  .is_invalid_argument());
  EXPECT_TRUE(this->store().put_occupant("r@x", this->occupant("n", "")).is_invalid_argument());
  EXPECT_TRUE(this->store().remove_occupant("r@x", "", "j@x/r").is_invalid_argument());

  RoomRecord twice = this->room("r@x");
  twice.affiliations.push_back(twice.affiliations.front());
  Status s = this->store().save_room(twice);
  EXPECT_TRUE(s.is_invalid_argument());
  EXPECT_THAT(s.message(), ::testing::HasSubstr("twice"));
  EXPECT_THAT(this->rooms(), IsEmpty());
}

TYPED_TEST(RoomStoreTest, AnEmptyBatchCommits) {
  EXPECT_TRUE(this->store().commit(StoreBatch(), true).ok());
}

}  // namespace
}  // namespace mucd::storage
