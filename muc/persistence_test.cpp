// Engine tests with a store: persistent rooms are written before anything acknowledges the
// change, come back after a restart (a new Service over the same store), and a failing store
// refuses the change and leaves the room as it was.
#include "muc/persistence.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "muc/service.hpp"
#include "muc/testing.hpp"
#include "storage/memory_store.hpp"

namespace mucd::muc::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr std::string_view kRomeo = "romeo@localhost/r1";
constexpr std::string_view kJuliet = "juliet@localhost/j1";
constexpr std::string_view kNurse = "nurse@localhost/n";
constexpr std::string_view kGarden = "garden@conference.localhost";

// A MemoryStore that can be made to fail, and that remembers how each commit was asked to sync.
class TestStore final : public storage::RoomStore {
 public:
  storage::Status commit(storage::StoreBatch&& batch, bool sync) override {
    if (failing) return storage::Status::io_error("disk on fire");
    if (!batch.empty()) syncs.push_back(sync);
    return inner.commit(std::move(batch), sync);
  }
  storage::Status load_room(std::string_view jid, storage::RoomRecord* out) const override {
    if (failing_reads) return storage::Status::io_error("disk on fire");
    return inner.load_room(jid, out);
  }
  storage::Status list_rooms(std::vector<std::string>* out) const override {
    return inner.list_rooms(out);
  }
  storage::Status list_occupied_rooms(std::vector<std::string>* out) const override {
    return inner.list_occupied_rooms(out);
  }
  storage::Status list_listed_rooms(std::vector<storage::ListingRecord>* out) const override {
    return inner.list_listed_rooms(out);
  }
  storage::Status load_tombstone(std::string_view jid,
                                 storage::TombstoneRecord* out) const override {
    if (failing_reads || failing_tombstone_reads) return storage::Status::io_error("disk on fire");
    return inner.load_tombstone(jid, out);
  }
  storage::Status list_tombstones(std::vector<storage::TombstoneRecord>* out) const override {
    return inner.list_tombstones(out);
  }
  storage::Status load_history(std::string_view jid,
                               std::vector<storage::HistoryRecord>* out) const override {
    return inner.load_history(jid, out);
  }
  storage::Status load_occupants(std::string_view jid,
                                 std::vector<storage::OccupantRecord>* out) const override {
    return inner.load_occupants(jid, out);
  }

  storage::RoomRecord room(std::string_view jid) const {
    storage::RoomRecord r;
    EXPECT_TRUE(inner.load_room(jid, &r).ok()) << jid << " is not stored";
    return r;
  }
  std::vector<storage::TombstoneRecord> tombstones() const {
    std::vector<storage::TombstoneRecord> all;
    EXPECT_TRUE(inner.list_tombstones(&all).ok());
    return all;
  }
  bool has_room(std::string_view jid) const {
    storage::RoomRecord r;
    return inner.load_room(jid, &r).ok();
  }
  std::string config(std::string_view jid, std::string_view field) const {
    for (const auto& [f, v] : room(jid).config) {
      if (f == field) return v;
    }
    return "(absent)";
  }
  std::vector<std::string> affiliations(std::string_view jid) const {
    std::vector<std::string> out;
    for (const auto& a : room(jid).affiliations) {
      out.push_back(a.jid + "=" + a.affiliation + (a.nick.empty() ? "" : "/" + a.nick));
    }
    return out;
  }
  std::vector<std::string> sessions(std::string_view jid) const {
    std::vector<storage::OccupantRecord> occupants;
    EXPECT_TRUE(inner.load_occupants(jid, &occupants).ok());
    std::vector<std::string> out;
    for (const auto& o : occupants) out.push_back(o.nick + "=" + o.real_jid + ":" + o.role);
    return out;
  }
  std::vector<std::string> bodies(std::string_view jid) const {
    std::vector<storage::HistoryRecord> history;
    EXPECT_TRUE(inner.load_history(jid, &history).ok());
    std::vector<std::string> out;
    for (const auto& h : history) {
      auto stanza = Stanza::parse(h.xml);
      out.push_back(stanza ? stanza->root().child("body").text().get() : "(bad xml)");
    }
    return out;
  }
  std::vector<std::string> rooms() const {
    std::vector<std::string> out;
    EXPECT_TRUE(inner.list_rooms(&out).ok());
    return out;
  }

  storage::MemoryStore inner;
  bool failing = false;
  bool failing_reads = false;
  bool failing_tombstone_reads = false;  // rooms still read
  std::vector<bool> syncs;               // one per non-empty commit
};

// An outbox that notes, for every stanza, how many commits the store had made when it went out.
class WatchingOutbox final : public Outbox {
 public:
  explicit WatchingOutbox(const TestStore& store) : store_(store) {}
  void send(const Stanza& stanza) override { record(stanza); }
  void send_raw(std::string xml) override {
    auto parsed = Stanza::parse(xml);
    if (!parsed) throw std::runtime_error("unparsable output: " + xml);
    record(*parsed);
  }
  std::vector<Stanza> sent;
  std::vector<size_t> commits_before;

 private:
  void record(const Stanza& stanza) {
    sent.push_back(stanza);
    commits_before.push_back(store_.inner.commits());
  }
  const TestStore& store_;
};

ServiceConfig test_config() {
  ServiceConfig c;
  c.domain = "conference.localhost";
  c.admins = {"admin@localhost"};
  c.probe_timeout = std::chrono::seconds(10);
  return c;
}

// A service over a TestStore that outlives it: restart() is mucd stopping (or crashing: nothing
// is flushed at a stop that is not flushed at every turn) and starting again.
class StoreHarness {
 public:
  StoreHarness() { restart(); }

  void restart() {
    service.reset();
    service = std::make_unique<Service>(config, clock, &store);
    service->set_id_generator([this] { return "gen" + std::to_string(++next_id); });
  }

  std::vector<Stanza> send(std::string_view xml) {
    auto stanza = Stanza::parse(xml);
    if (!stanza) throw std::runtime_error("bad test XML: " + std::string(xml));
    WatchingOutbox out(store);
    service->handle(*stanza, out);
    last_commits_before = out.commits_before;
    return out.sent;
  }
  std::vector<Stanza> join(std::string_view jid, std::string_view nick,
                           std::string_view extra = {}) {
    return send("<presence from='" + std::string(jid) + "' to='garden@conference.localhost/" +
                std::string(nick) + "'><x xmlns='http://jabber.org/protocol/muc'>" +
                std::string(extra) + "</x></presence>");
  }
  std::vector<Stanza> configure(std::string_view fields, std::string_view jid = kRomeo) {
    return send("<iq from='" + std::string(jid) +
                "' to='garden@conference.localhost' type='set' id='cfg'><query "
                "xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
                "type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/"
                "muc#roomconfig</value></field>" +
                std::string(fields) + "</x></query></iq>");
  }
  std::vector<Stanza> affiliate(std::string_view jid, std::string_view affiliation,
                                std::string_view extra = {}) {
    return send(
        "<iq from='romeo@localhost/r1' to='garden@conference.localhost' type='set' id='aff'>"
        "<query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='" +
        std::string(affiliation) + "' jid='" + std::string(jid) + "' " + std::string(extra) +
        "/></query></iq>");
  }
  std::vector<Stanza> say(std::string_view from, std::string_view body) {
    return send("<message from='" + std::string(from) +
                "' to='garden@conference.localhost' type='groupchat' id='m'><body>" +
                std::string(body) + "</body></message>");
  }
  std::vector<Stanza> register_nick(std::string_view from, std::string_view nick) {
    return send("<iq from='" + std::string(from) +
                "' to='garden@conference.localhost' type='set' id='reg'><query "
                "xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'><field "
                "var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field>"
                "<field var='muc#register_roomnick'><value>" +
                std::string(nick) + "</value></field></x></query></iq>");
  }
  // What main does at start-up, then loads every room waiting to be restored.
  void restore(size_t* rooms) {
    ASSERT_TRUE(service->restore_from_store(rooms).ok());
    RecordingOutbox out;
    EXPECT_EQ(service->load_restored_rooms(std::chrono::hours(1), out), 0u);
  }
  std::vector<Stanza> connected() {
    RecordingOutbox out;
    service->on_connected(out);
    return out.sent;
  }
  std::vector<Stanza> tick() {
    RecordingOutbox out;
    service->on_tick(out);
    return out.sent;
  }
  // Romeo, its owner, destroys garden, naming a new venue and a reason.
  std::vector<Stanza> destroy() {
    return send(
        "<iq from='romeo@localhost/r1' to='garden@conference.localhost' type='set' id='d'><query "
        "xmlns='http://jabber.org/protocol/muc#owner'><destroy "
        "jid='elsewhere@conference.localhost'><reason>moved</reason></destroy></query></iq>");
  }
  // A service administrator destroys garden through the destroy command.
  std::vector<Stanza> destroy_by_command() {
    return send(
        "<iq from='admin@localhost/a' to='conference.localhost' type='set' id='d'><command "
        "xmlns='http://jabber.org/protocol/commands' node='http://prosody.im/protocol/muc#destroy' "
        "sessionid='s'><x xmlns='jabber:x:data' type='submit'><field var='rooms'>"
        "<value>garden@conference.localhost</value></field></x></command></iq>");
  }
  // A persistent garden destroyed by Romeo `days` ago, then a restart: only its tombstone is left.
  void garden_destroyed_days_ago(int days) {
    persistent_garden();
    destroy();
    clock.advance(std::chrono::hours(24 * days));
    restart();
  }
  // Romeo creates garden and makes it persistent; Juliet joins.
  void persistent_garden() {
    join(kRomeo, "romeo");
    configure("<field var='muc#roomconfig_persistentroom'><value>1</value></field>");
    join(kJuliet, "juliet");
  }

  ServiceConfig config = test_config();  // of the next restart()
  FakeClock clock;
  TestStore store;
  std::unique_ptr<Service> service;
  int next_id = 0;
  std::vector<size_t> last_commits_before;
};

std::optional<Stanza> find_type(const std::vector<Stanza>& sent, std::string_view type) {
  for (const auto& s : sent) {
    if (s.type() == type) return s;
  }
  return std::nullopt;
}

// --- what is written, and when ---

TEST(Persistence, TemporaryRoomsAreNotWritten) {
  StoreHarness h;
  h.join(kRomeo, "romeo");
  h.configure("<field var='muc#roomconfig_roomname'><value>Garden</value></field>");
  h.join(kJuliet, "juliet");
  h.say(kJuliet, "hello");
  EXPECT_THAT(h.store.rooms(), IsEmpty());
  EXPECT_EQ(h.store.inner.commits(), 0u);
}

TEST(Persistence, BecomingPersistentWritesTheWholeRoomBeforeTheResult) {
  StoreHarness h;
  h.join(kRomeo, "romeo");
  h.say(kRomeo, "before persistence");
  auto out = h.configure(
      "<field var='muc#roomconfig_persistentroom'><value>1</value></field>"
      "<field var='muc#roomconfig_roomname'><value>Garden</value></field>");
  auto result = find_type(out, "result");
  ASSERT_TRUE(result);
  // Every stanza of the turn went out after the one commit that stored the room.
  ASSERT_FALSE(h.last_commits_before.empty());
  for (size_t commits : h.last_commits_before) EXPECT_EQ(commits, 1u);
  EXPECT_THAT(h.store.syncs, ElementsAre(true));
  EXPECT_EQ(h.store.config(kGarden, "name"), "Garden");
  EXPECT_EQ(h.store.config(kGarden, "persistent"), "1");
  EXPECT_THAT(h.store.affiliations(kGarden), ElementsAre("romeo@localhost=owner"));
  EXPECT_THAT(h.store.bodies(kGarden), ElementsAre("before persistence"));
  EXPECT_THAT(h.store.sessions(kGarden), ElementsAre("romeo=romeo@localhost/r1:moderator"));
}

TEST(Persistence, AcknowledgedChangesAreSyncedHistoryAndPresenceAreNot) {
  StoreHarness h;
  h.persistent_garden();
  h.store.syncs.clear();
  h.say(kJuliet, "hi");
  EXPECT_THAT(h.store.syncs, ElementsAre(false));
  h.affiliate("nurse@localhost", "member");
  h.send(
      "<message from='romeo@localhost/r1' to='garden@conference.localhost' type='groupchat'>"
      "<subject>Montague business</subject></message>");
  h.configure("<field var='muc#roomconfig_roomname'><value>Verona</value></field>");
  h.configure("<field var='muc#roomconfig_roomname'><value>Mantua</value></field>");
  EXPECT_THAT(h.store.syncs, ElementsAre(false, true, true, true, true));
  EXPECT_EQ(h.store.room(kGarden).subject, "Montague business");
  EXPECT_EQ(h.store.room(kGarden).subject_from, "garden@conference.localhost/romeo");
  EXPECT_THAT(h.store.affiliations(kGarden),
              ElementsAre("nurse@localhost=member", "romeo@localhost=owner"));

  // The writes left unsynced are synced on the next tick.
  h.store.syncs.clear();
  h.say(kJuliet, "again");
  const size_t commits = h.store.inner.commits();
  h.tick();
  EXPECT_EQ(h.store.inner.commits(), commits + 1);  // an empty, synced batch
  h.tick();
  EXPECT_EQ(h.store.inner.commits(), commits + 1);  // nothing left to sync
}

TEST(Persistence, TheStoredHistoryIsTheRoomsWindow) {
  StoreHarness h;
  h.persistent_garden();
  h.configure("<field var='muc#roomconfig_historylength'><value>3</value></field>");
  for (const char* body : {"one", "two", "three", "four", "five"}) h.say(kJuliet, body);
  EXPECT_THAT(h.store.bodies(kGarden), ElementsAre("three", "four", "five"));
  h.configure("<field var='muc#roomconfig_historylength'><value>0</value></field>");
  h.say(kJuliet, "six");
  EXPECT_THAT(h.store.bodies(kGarden), IsEmpty());
}

TEST(Persistence, OccupantSessionsFollowJoinsNickChangesAndLeaves) {
  StoreHarness h;
  h.persistent_garden();
  EXPECT_THAT(h.store.sessions(kGarden), ElementsAre("juliet=juliet@localhost/j1:participant",
                                                     "romeo=romeo@localhost/r1:moderator"));
  h.send("<presence from='juliet@localhost/j1' to='garden@conference.localhost/capulet'/>");
  EXPECT_THAT(h.store.sessions(kGarden), ElementsAre("capulet=juliet@localhost/j1:participant",
                                                     "romeo=romeo@localhost/r1:moderator"));
  h.send(
      "<presence from='juliet@localhost/j1' to='garden@conference.localhost/capulet' "
      "type='unavailable'/>");
  EXPECT_THAT(h.store.sessions(kGarden), ElementsAre("romeo=romeo@localhost/r1:moderator"));
}

TEST(Persistence, RegistrationAndDeregistrationAreStored) {
  StoreHarness h;
  h.persistent_garden();
  h.affiliate("juliet@localhost", "member");
  auto out = h.register_nick(kJuliet, "Juliet");
  ASSERT_TRUE(find_type(out, "result"));
  EXPECT_THAT(h.store.affiliations(kGarden),
              ElementsAre("juliet@localhost=member/Juliet", "romeo@localhost=owner"));
  h.send(
      "<iq from='juliet@localhost/j1' to='garden@conference.localhost' type='set' id='u'><query "
      "xmlns='jabber:iq:register'><remove/></query></iq>");
  EXPECT_THAT(h.store.affiliations(kGarden), ElementsAre("romeo@localhost=owner"));
}

TEST(Persistence, DestroyForgetsTheRoomWithHistoryAndOccupants) {
  StoreHarness h;
  h.persistent_garden();
  h.say(kJuliet, "farewell");
  auto out = h.send(
      "<iq from='romeo@localhost/r1' to='garden@conference.localhost' type='set' id='d'><query "
      "xmlns='http://jabber.org/protocol/muc#owner'><destroy/></query></iq>");
  ASSERT_TRUE(find_type(out, "result"));
  EXPECT_THAT(h.store.rooms(), IsEmpty());
  EXPECT_THAT(h.store.sessions(kGarden), IsEmpty());
  EXPECT_THAT(h.store.bodies(kGarden), IsEmpty());
  EXPECT_EQ(h.store.syncs.back(), true);
}

TEST(Persistence, TurningPersistenceOffForgetsTheRoom) {
  StoreHarness h;
  h.persistent_garden();
  h.configure("<field var='muc#roomconfig_persistentroom'><value>0</value></field>");
  EXPECT_THAT(h.store.rooms(), IsEmpty());
  EXPECT_THAT(h.store.sessions(kGarden), IsEmpty());
  ASSERT_NE(h.service->find_room(kGarden), nullptr);  // still in use
}

// --- restart ---

TEST(Restart, AStoredRoomLoadsOnItsFirstStanzaWithEverything) {
  StoreHarness h;
  h.persistent_garden();
  h.configure(
      "<field var='muc#roomconfig_roomname'><value>Garden</value></field>"
      "<field var='muc#roomconfig_roomsecret'><value>balcony</value></field>");
  h.affiliate("juliet@localhost", "member", "nick='Juliet'");
  h.send(
      "<message from='romeo@localhost/r1' to='garden@conference.localhost' type='groupchat'>"
      "<subject>Love</subject></message>");
  h.say(kJuliet, "wherefore art thou");
  for (const auto* who : {kRomeo.data(), kJuliet.data()}) {
    h.send("<presence from='" + std::string(who) +
           "' to='garden@conference.localhost/x' type='unavailable'/>");
  }
  EXPECT_EQ(h.service->find_room(kGarden), nullptr);  // empty and stored: not kept in memory

  h.restart();
  EXPECT_EQ(h.service->room_count(), 0u);  // nothing loaded at start
  // The password survived; the reserved nick too.
  auto refused = h.join(kNurse, "nurse");
  EXPECT_EQ(error_condition(refused[0]), "not-authorized");
  auto squat = h.join(kNurse, "Juliet", "<password>balcony</password>");
  EXPECT_EQ(error_condition(squat[0]), "conflict");
  auto joined = h.join(kNurse, "nurse", "<password>balcony</password>");
  auto nurse = to(joined, kNurse);
  ASSERT_GE(nurse.size(), 3u);
  EXPECT_STREQ(nurse[nurse.size() - 2].root().child("body").text().get(), "wherefore art thou");
  EXPECT_STREQ(nurse.back().root().child("subject").text().get(), "Love");
  EXPECT_TRUE(child_ns(nurse.back().root(), "delay", "urn:xmpp:delay"));
  auto owners = h.send(
      "<iq from='romeo@localhost/r1' to='garden@conference.localhost' type='get' id='l'><query "
      "xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member'/></query></iq>");
  auto item = owners[0].root().child("query").child("item");
  EXPECT_STREQ(item.attribute("jid").value(), "juliet@localhost");
  EXPECT_STREQ(item.attribute("nick").value(), "Juliet");
  EXPECT_EQ(h.service->find_room(kGarden)->config().name, "Garden");
}

TEST(Restart, OccupantIdsStayTheSame) {
  StoreHarness h;
  h.persistent_garden();
  auto id_in = [](const std::vector<Stanza>& out, std::string_view to_jid) {
    for (const auto& s : to(out, to_jid)) {
      if (s.name() == "message") {
        return std::string(
            child_ns(s.root(), "occupant-id", "urn:xmpp:occupant-id:0").attribute("id").value());
      }
    }
    return std::string("(none)");
  };
  const std::string before = id_in(h.say(kJuliet, "one"), kRomeo);
  h.restart();
  size_t rooms = 0;
  h.restore(&rooms);
  EXPECT_EQ(id_in(h.say(kJuliet, "two"), kRomeo), before);
  EXPECT_NE(before, "(none)");
}

TEST(Restart, OccupantsRestoredWithIdsAfterIdsAreTurnedOffAreShownWithoutThem) {
  StoreHarness h;
  h.persistent_garden();  // their presences are stored with the room's ids
  h.config.occupant_ids = false;
  h.restart();
  size_t rooms = 0;
  h.restore(&rooms);
  ASSERT_EQ(h.service->find_room(kGarden)->occupant_count(), 2u);
  auto joined = h.join(kNurse, "nurse");
  auto said = h.say(kJuliet, "ids?");
  joined.insert(joined.end(), said.begin(), said.end());
  size_t from_restored = 0;
  for (const auto& s : joined) {
    EXPECT_FALSE(child_ns(s.root(), "occupant-id", "urn:xmpp:occupant-id:0")) << s.to_string();
    from_restored += s.from() == "garden@conference.localhost/romeo" ||
                     s.from() == "garden@conference.localhost/juliet";
  }
  EXPECT_GE(from_restored, 4u);  // romeo and juliet to the nurse, juliet's message to three
}

TEST(Restart, OccupiedRoomsAreRestoredAndTheirSessionsChecked) {
  StoreHarness h;
  h.persistent_garden();
  h.join(kNurse, "nurse");
  // A second, empty persistent room: not loaded at start.
  h.send(
      "<presence from='romeo@localhost/r1' to='tomb@conference.localhost/romeo'><x "
      "xmlns='http://jabber.org/protocol/muc'/></presence>");
  h.send(
      "<iq from='romeo@localhost/r1' to='tomb@conference.localhost' type='set' id='c'><query "
      "xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>"
      "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>"
      "<field var='muc#roomconfig_persistentroom'><value>1</value></field></x></query></iq>");
  ASSERT_TRUE(h.store.has_room("tomb@conference.localhost"));
  h.send(
      "<presence from='romeo@localhost/r1' to='tomb@conference.localhost/romeo' "
      "type='unavailable'/>");

  h.restart();  // as after kill -9
  size_t rooms = 0;
  h.restore(&rooms);
  EXPECT_EQ(rooms, 1u);
  EXPECT_EQ(h.service->room_count(), 1u);
  ASSERT_NE(h.service->find_room(kGarden), nullptr);
  EXPECT_EQ(h.service->find_room(kGarden)->occupant_count(), 3u);

  // Restored occupants receive messages without rejoining.
  auto said = h.say(kJuliet, "still here?");
  EXPECT_EQ(to(said, kRomeo).size(), 1u);
  EXPECT_EQ(to(said, kNurse).size(), 1u);

  // Once connected, every restored session is pinged from the room.
  auto pings = h.connected();
  ASSERT_EQ(pings.size(), 3u);
  std::map<std::string, std::string> id_of;
  for (const auto& p : pings) {
    EXPECT_EQ(p.name(), "iq");
    EXPECT_EQ(p.type(), "get");
    EXPECT_EQ(p.from(), kGarden);
    EXPECT_TRUE(child_ns(p.root(), "ping", "urn:xmpp:ping"));
    id_of[std::string(p.to())] = std::string(p.id());
  }
  EXPECT_EQ(h.service->pending_probes(), 3u);

  // Romeo answers; the nurse's server says she is gone; Juliet's client says nothing.
  EXPECT_TRUE(h.send("<iq type='result' from='romeo@localhost/r1' "
                     "to='garden@conference.localhost' id='" +
                     id_of["romeo@localhost/r1"] + "'/>")
                  .empty());
  auto gone =
      h.send("<iq type='error' from='nurse@localhost/n' to='garden@conference.localhost' id='" +
             id_of["nurse@localhost/n"] +
             "'><ping xmlns='urn:xmpp:ping'/><error type='cancel'><service-unavailable "
             "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
  auto told = to(gone, kRomeo);
  ASSERT_EQ(told.size(), 1u);
  EXPECT_EQ(told[0].type(), "unavailable");
  EXPECT_EQ(told[0].from(), "garden@conference.localhost/nurse");
  EXPECT_TRUE(has_status(told[0], "333"));
  EXPECT_THAT(h.store.sessions(kGarden), ElementsAre("juliet=juliet@localhost/j1:participant",
                                                     "romeo=romeo@localhost/r1:moderator"));

  h.clock.advance(std::chrono::seconds(5));
  EXPECT_TRUE(h.tick().empty());
  h.clock.advance(std::chrono::seconds(6));
  auto timed_out = h.tick();
  auto romeo = to(timed_out, kRomeo);
  ASSERT_EQ(romeo.size(), 1u);
  EXPECT_EQ(romeo[0].from(), "garden@conference.localhost/juliet");
  EXPECT_TRUE(has_status(romeo[0], "333"));
  EXPECT_EQ(h.service->pending_probes(), 0u);
  EXPECT_THAT(h.store.sessions(kGarden), ElementsAre("romeo=romeo@localhost/r1:moderator"));
  EXPECT_EQ(h.service->find_room(kGarden)->occupant_count(), 1u);
}

TEST(Restart, RoomsWithOccupantsLoadOnTicksOrAtTheirFirstStanza) {
  StoreHarness h;
  for (const char* name : {"a", "b", "c"}) {
    const std::string room = std::string(name) + "@conference.localhost";
    h.send("<presence from='romeo@localhost/r1' to='" + room +
           "/romeo'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
    h.send("<iq from='romeo@localhost/r1' to='" + room +
           "' type='set' id='c'><query xmlns='http://jabber.org/protocol/muc#owner'><x "
           "xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>"
           "http://jabber.org/protocol/muc#roomconfig</value></field><field "
           "var='muc#roomconfig_persistentroom'><value>1</value></field></x></query></iq>");
  }
  h.restart();
  size_t rooms = 0;
  ASSERT_TRUE(h.service->restore_from_store(&rooms).ok());
  EXPECT_EQ(rooms, 3u);
  EXPECT_EQ(h.service->room_count(), 0u);  // start-up read only the index
  h.connected();
  // A stanza to a room still waiting loads it at once, with its occupants.
  auto out = h.send(
      "<message from='romeo@localhost/r1' to='b@conference.localhost' type='groupchat' id='m'>"
      "<body>first</body></message>");
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out[0].type(), "groupchat");
  EXPECT_EQ(h.service->room_count(), 1u);
  EXPECT_EQ(h.service->pending_probes(), 1u);
  // Ticks load the others, and check their sessions.
  auto ticked = h.tick();
  EXPECT_EQ(h.service->room_count(), 3u);
  EXPECT_EQ(ticked.size(), 2u);  // one ping per room loaded now
  EXPECT_EQ(h.service->pending_probes(), 3u);
}

TEST(Reconnect, EverySessionIsCheckedAgainAfterTheLinkComesBack) {
  StoreHarness h;
  EXPECT_TRUE(h.connected().empty());  // the first connection: nothing restored, nothing to check
  h.persistent_garden();
  h.send(  // and a temporary room: its sessions may be gone too
      "<presence from='nurse@localhost/n' to='kitchen@conference.localhost/nurse'><x "
      "xmlns='http://jabber.org/protocol/muc'/></presence>");
  auto pings = h.connected();  // the link was down and is back
  std::vector<std::string> pinged;
  for (const auto& p : pings) pinged.push_back(std::string(p.to()));
  EXPECT_THAT(pinged, UnorderedElementsAre("romeo@localhost/r1", "juliet@localhost/j1",
                                           "nurse@localhost/n"));
  EXPECT_EQ(h.service->pending_probes(), 3u);
}

TEST(Restart, AnAnswerFromSomeoneElseDoesNotCount) {
  StoreHarness h;
  h.persistent_garden();
  h.restart();
  size_t rooms = 0;
  h.restore(&rooms);
  auto pings = h.connected();
  ASSERT_EQ(pings.size(), 2u);
  const std::string id(pings[0].id());
  h.send("<iq type='error' from='mallory@localhost/m' to='garden@conference.localhost' id='" + id +
         "'><error type='cancel'><item-not-found "
         "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
  EXPECT_EQ(h.service->pending_probes(), 2u);
  EXPECT_EQ(h.service->find_room(kGarden)->occupant_count(), 2u);
}

TEST(Restart, ARoomLoadedLaterIsCheckedAtOnce) {
  StoreHarness h;
  h.persistent_garden();
  h.restart();
  h.connected();  // nothing restored yet: no pings
  EXPECT_EQ(h.service->pending_probes(), 0u);
  auto out = h.say(kJuliet, "anyone?");   // loads the room, with its stored occupants
  EXPECT_EQ(to(out, kRomeo).size(), 2u);  // the message and the ping
  EXPECT_EQ(h.service->pending_probes(), 2u);
}

TEST(Restart, PublicRoomsStayListedWhenUnloadedAndAfterARestart) {
  StoreHarness h;
  auto items = [&h] {
    auto out = h.send(
        "<iq from='nurse@localhost/n' to='conference.localhost' type='get' id='i'><query "
        "xmlns='http://jabber.org/protocol/disco#items'/></iq>");
    std::vector<std::string> listed;
    for (auto item : out[0].root().child("query").children("item")) {
      listed.push_back(std::string(item.attribute("jid").value()) + "=" +
                       item.attribute("name").value());
    }
    return listed;
  };
  h.join(kRomeo, "romeo");
  h.configure(
      "<field var='muc#roomconfig_persistentroom'><value>1</value></field>"
      "<field var='muc#roomconfig_publicroom'><value>1</value></field>"
      "<field var='muc#roomconfig_roomname'><value>Garden</value></field>");
  h.send(
      "<presence from='romeo@localhost/r1' to='garden@conference.localhost/romeo' "
      "type='unavailable'/>");
  EXPECT_EQ(h.service->find_room(kGarden), nullptr);
  EXPECT_THAT(items(), ElementsAre("garden@conference.localhost=Garden"));

  h.restart();
  size_t rooms = 0;
  h.restore(&rooms);
  EXPECT_EQ(rooms, 0u);
  EXPECT_THAT(items(), ElementsAre("garden@conference.localhost=Garden"));

  // Hidden again: off the list, in memory and in the store.
  h.join(kRomeo, "romeo");
  h.configure("<field var='muc#roomconfig_publicroom'><value>0</value></field>");
  EXPECT_THAT(items(), IsEmpty());
  h.restart();
  h.restore(&rooms);
  EXPECT_THAT(items(), IsEmpty());

  // Public again, then destroyed by an administrator who sees it in the destroy form.
  h.configure("<field var='muc#roomconfig_publicroom'><value>1</value></field>");
  h.send(
      "<presence from='romeo@localhost/r1' to='garden@conference.localhost/romeo' "
      "type='unavailable'/>");
  auto form = h.send(
      "<iq from='admin@localhost/a' to='conference.localhost' type='set' id='d'><command "
      "xmlns='http://jabber.org/protocol/commands' "
      "node='http://prosody.im/protocol/muc#destroy'/></iq>");
  auto field =
      form[0].root().child("command").child("x").find_child_by_attribute("field", "var", "rooms");
  EXPECT_STREQ(field.child("option").child("value").text().get(), "garden@conference.localhost");
  h.destroy_by_command();
  EXPECT_THAT(items(), IsEmpty());
  EXPECT_THAT(h.store.rooms(), IsEmpty());
  std::vector<storage::ListingRecord> listed;
  ASSERT_TRUE(h.store.inner.list_listed_rooms(&listed).ok());
  EXPECT_THAT(listed, IsEmpty());
}

// --- tombstones of destroyed persistent rooms ---

TEST(Tombstone, ADestroyedRoomsTombstoneOutlivesARestart) {
  StoreHarness h;
  h.persistent_garden();
  const auto destroyed_at = h.clock.wall();
  auto out = h.destroy();
  ASSERT_TRUE(find_type(out, "result"));
  EXPECT_FALSE(h.store.has_room(kGarden));
  EXPECT_TRUE(h.store.syncs.back());
  const auto expires = destroyed_at + std::chrono::hours(24 * 31);
  EXPECT_THAT(h.store.tombstones(),
              ElementsAre(storage::TombstoneRecord{
                  std::string(kGarden), "moved", "elsewhere@conference.localhost",
                  std::chrono::duration_cast<std::chrono::milliseconds>(expires.time_since_epoch())
                      .count()}));

  h.restart();
  auto gone = h.join(kNurse, "nurse");
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(error_condition(gone[0]), "gone");
  EXPECT_STREQ(gone[0].root().child("error").child("gone").text().get(),
               "xmpp:elsewhere@conference.localhost?join");
  EXPECT_STREQ(gone[0].root().child("error").child("text").text().get(), "moved");
  EXPECT_EQ(h.store.tombstones().size(), 1u);  // still there for the next one
  EXPECT_EQ(h.service->find_room(kGarden), nullptr);
}

TEST(Tombstone, AnAdministratorsJoinRemovesItForGood) {
  StoreHarness h;
  h.garden_destroyed_days_ago(0);
  auto admin = h.join("admin@localhost/a", "admin");
  ASSERT_FALSE(admin.empty());
  EXPECT_EQ(error_condition(admin[0]), "");
  EXPECT_TRUE(has_status(admin[0], "201"));
  EXPECT_THAT(h.store.tombstones(), IsEmpty());
  h.send(
      "<presence from='admin@localhost/a' to='garden@conference.localhost/admin' "
      "type='unavailable'/>");  // the new (temporary) room goes with its last occupant

  h.restart();
  auto nurse = h.join(kNurse, "nurse");
  ASSERT_FALSE(nurse.empty());
  EXPECT_EQ(error_condition(nurse[0]), "");
  EXPECT_TRUE(has_status(nurse[0], "201"));
}

TEST(Tombstone, AnExpiredOneIsRemovedFromTheStoreAndTheRoomCanBeCreated) {
  StoreHarness h;
  h.garden_destroyed_days_ago(30);
  EXPECT_EQ(error_condition(h.join(kNurse, "nurse")[0]), "gone");  // 30 days on: still there
  h.clock.advance(std::chrono::hours(24 * 2));
  h.restart();
  auto nurse = h.join(kNurse, "nurse");
  ASSERT_FALSE(nurse.empty());
  EXPECT_TRUE(has_status(nurse[0], "201"));
  EXPECT_THAT(h.store.tombstones(), IsEmpty());
}

TEST(Tombstone, OneThatNeverExpiresStaysGone) {
  // An imported "never" (the largest expiry the store holds) must not wrap into the past.
  StoreHarness h;
  storage::StoreBatch batch;
  batch.put_tombstone({std::string(kGarden), "closed", "", std::numeric_limits<int64_t>::max()});
  ASSERT_TRUE(h.store.inner.commit(std::move(batch), true).ok());
  h.restart();
  EXPECT_EQ(error_condition(h.join(kNurse, "nurse")[0]), "gone");
  EXPECT_EQ(h.store.tombstones().size(), 1u);
}

TEST(Tombstone, AnAdministratorsDestroyCommandLeavesOne) {
  StoreHarness h;
  h.persistent_garden();
  h.destroy_by_command();
  EXPECT_FALSE(h.store.has_room(kGarden));
  EXPECT_EQ(h.store.tombstones().size(), 1u);
  h.restart();
  EXPECT_EQ(error_condition(h.join(kNurse, "nurse")[0]), "gone");
}

TEST(Tombstone, AnExpiredOneIsRemovedByAnyStanzaToTheRoom) {
  StoreHarness h;
  h.garden_destroyed_days_ago(32);
  auto out = h.send(
      "<iq from='nurse@localhost/n' to='garden@conference.localhost' type='get' id='i'><query "
      "xmlns='http://jabber.org/protocol/disco#info'/></iq>");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(error_condition(out[0]), "item-not-found");  // no room, and no longer gone
  EXPECT_THAT(h.store.tombstones(), IsEmpty());
}

// --- a failing store ---

TEST(FailingStore, ConfigSubmitIsRefusedAndChangesNothing) {
  StoreHarness h;
  h.persistent_garden();
  h.store.failing = true;
  auto out = h.configure(
      "<field var='muc#roomconfig_roomname'><value>Renamed</value></field>"
      "<field var='muc#roomconfig_membersonly'><value>1</value></field>");
  ASSERT_EQ(out.size(), 1u);  // no 104 to the room, no 322 kick of Juliet
  EXPECT_EQ(out[0].type(), "error");
  EXPECT_EQ(error_condition(out[0]), "internal-server-error");
  EXPECT_EQ(out[0].to(), kRomeo);
  const Room* room = h.service->find_room(kGarden);
  ASSERT_NE(room, nullptr);
  EXPECT_EQ(room->config().name, "");
  EXPECT_FALSE(room->config().members_only);
  EXPECT_EQ(room->occupant_count(), 2u);

  h.store.failing = false;
  auto form = h.send(
      "<iq from='romeo@localhost/r1' to='garden@conference.localhost' type='get' id='f'><query "
      "xmlns='http://jabber.org/protocol/muc#owner'/></iq>");
  auto name = form[0].root().child("query").child("x").find_child_by_attribute(
      "field", "var", "muc#roomconfig_roomname");
  EXPECT_FALSE(name.child("value"));
}

TEST(FailingStore, MakingARoomPersistentIsRefusedAndItStaysTemporary) {
  StoreHarness h;
  h.join(kRomeo, "romeo");
  h.store.failing = true;
  auto out = h.configure("<field var='muc#roomconfig_persistentroom'><value>1</value></field>");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(error_condition(out[0]), "internal-server-error");
  ASSERT_NE(h.service->find_room(kGarden), nullptr);
  EXPECT_FALSE(h.service->find_room(kGarden)->config().persistent);
  EXPECT_TRUE(h.service->find_room(kGarden)->locked());  // still awaiting its configuration
}

TEST(FailingStore, AffiliationChangeIsRefusedAndNobodyIsKicked) {
  StoreHarness h;
  h.persistent_garden();
  h.store.failing = true;
  auto out = h.affiliate("juliet@localhost", "outcast");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(error_condition(out[0]), "internal-server-error");
  const Room* room = h.service->find_room(kGarden);
  EXPECT_EQ(room->affiliation_of("juliet@localhost"), Affiliation::None);
  EXPECT_EQ(room->occupant_count(), 2u);
  h.store.failing = false;
  EXPECT_EQ(to(h.say(kJuliet, "still in"), kRomeo).size(), 1u);
  EXPECT_THAT(h.store.affiliations(kGarden), ElementsAre("romeo@localhost=owner"));
}

TEST(FailingStore, RegistrationIsRefusedAndTheNickStaysFree) {
  StoreHarness h;
  h.persistent_garden();
  h.affiliate("juliet@localhost", "member");
  h.store.failing = true;
  auto out = h.register_nick(kJuliet, "Juliet");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(error_condition(out[0]), "internal-server-error");
  EXPECT_EQ(h.service->find_room(kGarden)->registered_nick("juliet@localhost"), std::nullopt);
}

TEST(FailingStore, DestroyIsRefusedAndTheRoomLivesOn) {
  StoreHarness h;
  h.persistent_garden();
  h.store.failing = true;
  auto out = h.send(
      "<iq from='romeo@localhost/r1' to='garden@conference.localhost' type='set' id='d'><query "
      "xmlns='http://jabber.org/protocol/muc#owner'><destroy/></query></iq>");
  ASSERT_EQ(out.size(), 1u);  // nobody was told the room is gone
  EXPECT_EQ(error_condition(out[0]), "internal-server-error");
  ASSERT_NE(h.service->find_room(kGarden), nullptr);
  EXPECT_EQ(h.service->find_room(kGarden)->occupant_count(), 2u);
  h.store.failing = false;
  EXPECT_EQ(error_condition(h.join(kNurse, "nurse")[0]), "");  // no tombstone: joins work
  EXPECT_THAT(h.store.tombstones(), IsEmpty());
}

TEST(FailingStore, AnUnreadableTombstoneRefusesTheJoinAndIsKept) {
  StoreHarness h;
  h.garden_destroyed_days_ago(0);
  h.store.failing_tombstone_reads = true;
  auto out = h.join(kNurse, "nurse");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(error_condition(out[0]), "internal-server-error");  // not a new room
  h.store.failing_tombstone_reads = false;
  EXPECT_EQ(error_condition(h.join(kNurse, "nurse")[0]), "gone");
}

TEST(FailingStore, ATombstoneThatCannotBeRemovedStaysAndTheJoinIsRefused) {
  StoreHarness h;
  h.garden_destroyed_days_ago(32);
  h.store.failing = true;
  auto out = h.join("admin@localhost/a", "admin");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(error_condition(out[0]), "internal-server-error");
  EXPECT_EQ(h.store.tombstones().size(), 1u);
  h.store.failing = false;
  EXPECT_TRUE(has_status(h.join("admin@localhost/a", "admin")[0], "201"));
  EXPECT_THAT(h.store.tombstones(), IsEmpty());
}

TEST(FailingStore, SubjectChangeIsRefused) {
  StoreHarness h;
  h.persistent_garden();
  h.store.failing = true;
  auto out = h.send(
      "<message from='romeo@localhost/r1' to='garden@conference.localhost' type='groupchat' "
      "id='s'><subject>Plague</subject></message>");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(error_condition(out[0]), "internal-server-error");
  EXPECT_EQ(h.service->find_room(kGarden)->subject(), "");
}

TEST(FailingStore, AMessageIsNotBroadcastAndTheRoomReloadsAsStored) {
  StoreHarness h;
  h.persistent_garden();
  h.say(kJuliet, "stored");
  h.store.failing = true;
  auto out = h.say(kJuliet, "lost");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].to(), kJuliet);
  EXPECT_EQ(error_condition(out[0]), "internal-server-error");
  h.store.failing = false;
  auto joined = h.join(kNurse, "nurse");
  std::vector<std::string> history;
  for (const auto& s : to(joined, kNurse)) {
    if (auto body = s.root().child("body")) history.push_back(body.text().get());
  }
  EXPECT_THAT(history, ElementsAre("stored"));
  EXPECT_THAT(h.store.bodies(kGarden), ElementsAre("stored"));
}

TEST(FailingStore, AnUnreadableRoomIsAnsweredWithAnErrorAndNotRecreated) {
  StoreHarness h;
  h.persistent_garden();
  h.restart();
  h.store.failing_reads = true;
  auto out = h.join(kNurse, "nurse");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(error_condition(out[0]), "internal-server-error");
  EXPECT_EQ(h.service->find_room(kGarden), nullptr);
  h.store.failing_reads = false;
  auto joined = h.join(kNurse, "nurse");
  for (const auto& s : joined) EXPECT_FALSE(has_status(s, "201"));  // not a new room
  EXPECT_EQ(h.service->find_room(kGarden)->occupant_count(), 3u);
}

// --- the record mapping ---

TEST(PersistenceRecords, ConfigRoundTripsThroughTheRecord) {
  StoreHarness h;
  h.persistent_garden();
  h.configure(
      "<field var='muc#roomconfig_roomname'><value>Garden</value></field>"
      "<field var='muc#roomconfig_roomdesc'><value>Verona</value></field>"
      "<field var='muc#roomconfig_lang'><value>it</value></field>"
      "<field var='muc#roomconfig_publicroom'><value>1</value></field>"
      "<field var='muc#roomconfig_moderatedroom'><value>1</value></field>"
      "<field var='muc#roomconfig_changesubject'><value>1</value></field>"
      "<field var='{http://prosody.im/protocol/muc}roomconfig_allowmemberinvites'><value>1"
      "</value></field>"
      "<field var='muc#roomconfig_whois'><value>anyone</value></field>"
      "<field var='muc#roomconfig_historylength'><value>7</value></field>"
      "<field var='muc#roomconfig_defaulthistorymessages'><value>3</value></field>"
      "<field var='muc#roomconfig_presencebroadcast'><value>moderator</value>"
      "<value>none</value></field>");
  const RoomConfig before = h.service->find_room(kGarden)->config();
  h.restart();
  size_t rooms = 0;
  h.restore(&rooms);
  const RoomConfig& after = h.service->find_room(kGarden)->config();
  EXPECT_EQ(after.name, "Garden");
  EXPECT_EQ(after.description, before.description);
  EXPECT_EQ(after.language, "it");
  EXPECT_EQ(after.hidden, false);
  EXPECT_EQ(after.moderated, true);
  EXPECT_EQ(after.change_subject, true);
  EXPECT_EQ(after.allow_member_invites, true);
  EXPECT_EQ(after.whois, Whois::Anyone);
  EXPECT_EQ(after.history_length, 7);
  EXPECT_EQ(after.default_history_messages, 3);
  EXPECT_EQ(after.presence_broadcast, before.presence_broadcast);
  EXPECT_TRUE(after.presence_broadcast.none);
  EXPECT_FALSE(after.presence_broadcast.participant);
  EXPECT_TRUE(after.persistent);
}

TEST(PersistenceRecords, UnreadableRecordsAreSkippedAndNamed) {
  storage::RoomRecord record;
  record.jid = "garden@conference.localhost";
  record.config = {{"name", "Garden"}, {"from_the_future", "42"}};
  record.affiliations = {{"romeo@localhost", "owner", "", ""}, {"x@localhost", "emperor", "", ""}};
  std::vector<storage::HistoryRecord> history = {
      {1, 0, "romeo", "<message"}, {2, 0, "romeo", "<message><body>ok</body></message>"}};
  std::vector<storage::OccupantRecord> occupants = {
      {"romeo", "romeo@localhost/r1", "moderator", "not xml"},
      {"romeo", "tybalt@localhost/t", "participant", "<presence/>"}};
  FakeClock clock;
  RoomEnv env;
  env.clock = &clock;
  env.new_id = [] { return std::string("id"); };
  std::vector<std::string> problems;
  auto room = Persistence::restore(env, record, history, occupants, &problems);
  EXPECT_EQ(room->config().name, "Garden");
  EXPECT_EQ(room->affiliation_of("romeo@localhost"), Affiliation::Owner);
  EXPECT_EQ(room->affiliation_of("x@localhost"), Affiliation::None);
  EXPECT_EQ(room->occupant_count(), 1u);
  EXPECT_EQ(problems.size(), 4u);
  EXPECT_THAT(Persistence::sessions(*room),
              ElementsAre(std::pair<std::string, std::string>("garden@conference.localhost/romeo",
                                                              "romeo@localhost/r1")));
}

// The turn holds output until the write is done, but a broadcast stays a broadcast: the link
// gets each copy through send_to (one serialization, and a fan-out stanza when the host expands
// them), not as a separately serialized text per recipient.
TEST(Persistence, HeldOutputKeepsBroadcastsWhole) {
  class CountingOutbox final : public Outbox {
   public:
    void send(const Stanza& stanza) override { raw.push_back(stanza.to_string()); }
    void send_raw(std::string xml) override { raw.push_back(std::move(xml)); }
    void send_to(const Broadcast& broadcast, std::string_view to) override {
      copies.emplace_back(broadcast.text(), std::string(to));
    }
    std::vector<std::string> raw;
    std::vector<std::pair<std::string, std::string>> copies;
  };
  StoreHarness h;
  h.persistent_garden();
  h.join("nurse@localhost/n1", "nurse");
  auto message = Stanza::parse(
      "<message from='romeo@localhost/r1' to='garden@conference.localhost' type='groupchat' "
      "id='m'><body>hello</body></message>");
  ASSERT_TRUE(message);
  CountingOutbox out;
  h.service->handle(*message, out);
  EXPECT_TRUE(out.raw.empty());
  ASSERT_EQ(out.copies.size(), 3u);
  std::vector<std::string> recipients;
  for (const auto& [text, to] : out.copies) {
    EXPECT_EQ(text, out.copies[0].first) << "one broadcast for every recipient";
    EXPECT_NE(text.find("<body>hello</body>"), std::string::npos) << text;
    recipients.push_back(to);
  }
  std::sort(recipients.begin(), recipients.end());
  EXPECT_EQ(recipients, (std::vector<std::string>{"juliet@localhost/j1", "nurse@localhost/n1",
                                                  "romeo@localhost/r1"}));
}

}  // namespace
}  // namespace mucd::muc::testing
