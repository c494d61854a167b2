// Engine tests for the features around occupants: iqs relayed between occupants, room discovery
// (muc#roominfo), unique room names, the room language, part statuses and error presences,
// XEP-0421 occupant ids.
#include <gtest/gtest.h>

#include <set>

#include "muc/testing.hpp"

namespace mucd::muc::testing {
namespace {

constexpr std::string_view kRoom = "hall@conference.localhost";
constexpr std::string_view kRomeo = "romeo@localhost/r";
constexpr std::string_view kJuliet = "juliet@localhost/j";

std::string s(std::string_view v) {
  return std::string(v);
}

class Occupants : public ::testing::Test {
 protected:
  void SetUp() override {
    h.create_instant(kRomeo, "hall", "Romeo");
    h.join(kJuliet, "hall", "Juliet");
  }
  ServiceHarness h;
};

std::vector<Stanza> pm(ServiceHarness& h, std::string_view from, std::string_view to_nick) {
  return h.send("<message from='" + s(from) + "' to='" + s(kRoom) + "/" + s(to_nick) +
                "' type='chat' id='pm'><body>psst</body></message>");
}

std::string allow_pm(std::string_view policy) {
  return "<field var='muc#roomconfig_allowpm'><value>" + s(policy) + "</value></field>";
}

TEST_F(Occupants, PrivateMessagesFollowTheRoomsAllowPmSetting) {
  // Default: anyone may send them.
  auto out = pm(h, kJuliet, "Romeo");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].to(), kRomeo);

  h.configure(kRomeo, "hall", allow_pm("moderators"));
  out = pm(h, kJuliet, "Romeo");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].to(), kJuliet);
  EXPECT_EQ(error_condition(out[0]), "not-allowed");
  out = pm(h, kRomeo, "Juliet");  // Romeo is a moderator
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].to(), kJuliet);
  EXPECT_NE(out[0].type(), "error");

  h.configure(kRomeo, "hall", allow_pm("participants"));
  EXPECT_NE(pm(h, kJuliet, "Romeo")[0].type(), "error");

  h.configure(kRomeo, "hall", allow_pm("none"));
  EXPECT_EQ(error_condition(pm(h, kRomeo, "Juliet")[0]), "not-allowed");

  // The form shows the setting, and an unknown value is refused.
  auto form =
      h.send("<iq from='" + s(kRomeo) + "' to='" + s(kRoom) +
             "' type='get' id='f'><query xmlns='http://jabber.org/protocol/muc#owner'/></iq>");
  std::string shown;
  for (auto f : form[0].root().child("query").child("x").children("field")) {
    if (std::string_view(f.attribute("var").value()) == "muc#roomconfig_allowpm") {
      shown = f.child("value").text().get();
    }
  }
  EXPECT_EQ(shown, "none");
  auto refused = h.configure(kRomeo, "hall", allow_pm("everybody"));
  ASSERT_FALSE(refused.empty());
  EXPECT_EQ(error_condition(refused[0]), "not-acceptable");
}

TEST_F(Occupants, IqToAnOccupantIsRelayedAndItsAnswerRoutedBack) {
  auto out = h.send("<iq from='" + s(kJuliet) + "' to='" + s(kRoom) +
                    "/Romeo' type='get' id='v1'><query xmlns='jabber:iq:version'/></iq>");
  ASSERT_EQ(out.size(), 1u);
  const Stanza& relayed = out[0];
  EXPECT_EQ(relayed.to(), kRomeo);
  EXPECT_EQ(relayed.from(), s(kRoom) + "/Juliet");
  EXPECT_NE(relayed.id(), "v1");
  // The room is semi-anonymous: the id must not carry Juliet's real JID in any readable form.
  std::string id{relayed.id()};
  EXPECT_EQ(id.find("juliet"), std::string::npos);
  std::string hex_juliet;
  for (unsigned char c : std::string("juliet")) {
    static const char* const kHex = "0123456789abcdef";
    hex_juliet += kHex[c >> 4];
    hex_juliet += kHex[c & 15];
  }
  EXPECT_EQ(id.find(hex_juliet), std::string::npos);

  auto answer =
      h.send("<iq from='" + s(kRomeo) + "' to='" + s(kRoom) + "/Juliet' type='result' id='" + id +
             "'><query xmlns='jabber:iq:version'><name>x</name></query></iq>");
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_EQ(answer[0].to(), kJuliet);
  EXPECT_EQ(answer[0].from(), s(kRoom) + "/Romeo");
  EXPECT_EQ(answer[0].id(), "v1");
  EXPECT_EQ(answer[0].type(), "result");
}

TEST_F(Occupants, RelayedAnswersFromOthersOrWithForgedIdsAreDropped) {
  auto out = h.send("<iq from='" + s(kJuliet) + "' to='" + s(kRoom) +
                    "/Romeo' type='get' id='v1'><query xmlns='jabber:iq:version'/></iq>");
  std::string id{out[0].id()};
  h.join("nurse@localhost/n", "hall", "Nurse");
  auto impostor = h.send("<iq from='nurse@localhost/n' to='" + s(kRoom) +
                         "/Juliet' type='result' id='" + id + "'/>");
  EXPECT_TRUE(impostor.empty()) << "only the asked session may answer";
  auto forged =
      h.send("<iq from='" + s(kRomeo) + "' to='" + s(kRoom) + "/Juliet' type='result' id='v1'/>");
  EXPECT_TRUE(forged.empty());
  auto wrong_asker = h.send("<iq from='" + s(kRomeo) + "' to='" + s(kRoom) +
                            "/Nurse' type='result' id='" + id + "'/>");
  EXPECT_TRUE(wrong_asker.empty()) << "the answer goes to the asker's occupant only";
}

TEST_F(Occupants, VcardIqsGoToTheBareJidAndItsServerMayAnswer) {
  auto out = h.send("<iq from='" + s(kJuliet) + "' to='" + s(kRoom) +
                    "/Romeo' type='get' id='vc'><vCard xmlns='vcard-temp'/></iq>");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].to(), "romeo@localhost");
  auto answer = h.send("<iq from='romeo@localhost' to='" + s(kRoom) +
                       "/Juliet' type='result' id='" + s(out[0].id()) + "'/>");
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_EQ(answer[0].id(), "vc");
  EXPECT_EQ(answer[0].to(), kJuliet);
}

TEST_F(Occupants, IqsNeedTheAskerInTheRoomAndTheTargetToo) {
  auto outsider = h.send("<iq from='nurse@localhost/n' to='" + s(kRoom) +
                         "/Romeo' type='get' id='q'><query xmlns='jabber:iq:version'/></iq>");
  ASSERT_EQ(outsider.size(), 1u);
  EXPECT_EQ(error_condition(outsider[0]), "not-acceptable");
  auto nobody = h.send("<iq from='" + s(kJuliet) + "' to='" + s(kRoom) +
                       "/Tybalt' type='get' id='q'><query xmlns='jabber:iq:version'/></iq>");
  ASSERT_EQ(nobody.size(), 1u);
  EXPECT_EQ(error_condition(nobody[0]), "item-not-found");
}

TEST_F(Occupants, PrivateMessagesCarryTheMucUserMarkerAndNotTheSendersPayloads) {
  auto out = h.send("<message from='" + s(kJuliet) + "' to='" + s(kRoom) +
                    "/Romeo' type='chat' id='pm'><body>hi</body><x "
                    "xmlns='http://jabber.org/protocol/muc'><password>p</password></x></message>");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].from(), s(kRoom) + "/Juliet");
  EXPECT_TRUE(child_ns(out[0].root(), "x", "http://jabber.org/protocol/muc#user"));
  EXPECT_FALSE(child_ns(out[0].root(), "x", "http://jabber.org/protocol/muc"));
}

TEST_F(Occupants, PartStatusIsForwarded) {
  auto out = h.send("<presence from='" + s(kJuliet) + "' to='" + s(kRoom) +
                    "/Juliet' type='unavailable'><status>Good night</status></presence>");
  auto romeo = to(out, kRomeo);
  ASSERT_EQ(romeo.size(), 1u);
  EXPECT_EQ(romeo[0].type(), "unavailable");
  EXPECT_STREQ(romeo[0].root().child("status").text().get(), "Good night");
}

TEST_F(Occupants, ErrorPresenceRemovesTheOccupantWith333) {
  auto out = h.send("<presence from='" + s(kJuliet) + "' to='" + s(kRoom) +
                    "/Juliet' type='error'><error type='cancel'><remote-server-not-found "
                    "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>");
  auto romeo = to(out, kRomeo);
  ASSERT_EQ(romeo.size(), 1u);
  EXPECT_TRUE(has_status(romeo[0], "333"));
  EXPECT_STREQ(romeo[0].root().child("status").text().get(), "Kicked: remote server not found");
  EXPECT_EQ(h.service.find_room(kRoom)->occupant_count(), 1u);
}

TEST_F(Occupants, ErrorFromOneOfTwoSessionsKeepsTheOccupant) {
  h.join("juliet@localhost/j2", "hall", "Juliet");
  auto out = h.send("<presence from='juliet@localhost/j2' to='" + s(kRoom) +
                    "/Juliet' type='error'><error type='cancel'><gone "
                    "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>");
  EXPECT_TRUE(to(out, "juliet@localhost/j2").empty()) << "the failed session is not written to";
  auto romeo = to(out, kRomeo);
  ASSERT_EQ(romeo.size(), 1u);
  EXPECT_EQ(romeo[0].type(), "");
  EXPECT_FALSE(has_status(romeo[0], "333"));
  int items = 0;
  auto x = child_ns(romeo[0].root(), "x", "http://jabber.org/protocol/muc#user");
  for ([[maybe_unused]] auto item : x.children("item")) ++items;
  EXPECT_EQ(items, 1) << "one session left";
  EXPECT_EQ(h.service.find_room(kRoom)->occupant_count(), 2u);
}

TEST_F(Occupants, ProbesAnsweredForOccupantsOnly) {
  auto answer =
      h.send("<presence from='" + s(kJuliet) + "' to='" + s(kRoom) + "/Romeo' type='probe'/>");
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_EQ(answer[0].from(), s(kRoom) + "/Romeo");
  EXPECT_EQ(answer[0].type(), "");
  auto refused =
      h.send("<presence from='nurse@localhost/n' to='" + s(kRoom) + "/Romeo' type='probe'/>");
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(error_condition(refused[0]), "not-acceptable");
}

pugi::xml_node roominfo_field(const Stanza& reply, std::string_view var) {
  auto x = child_ns(reply.root().child("query"), "x", "jabber:x:data");
  for (auto field : x.children("field")) {
    if (var == field.attribute("var").value()) return field;
  }
  return {};
}

TEST_F(Occupants, RoominfoHasOccupantCountSubjectNameAndDescription) {
  h.send("<message from='" + s(kRomeo) + "' to='" + s(kRoom) +
         "' type='groupchat'><subject>Verona</subject></message>");
  h.configure(kRomeo, "hall",
              "<field var='muc#roomconfig_roomname'><value>The Hall</value></field>"
              "<field var='muc#roomconfig_roomdesc'><value>Dancing</value></field>");
  auto out = h.send("<iq from='nurse@localhost/n' to='" + s(kRoom) +
                    "' type='get' id='d'><query "
                    "xmlns='http://jabber.org/protocol/disco#info'/></iq>");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_STREQ(out[0].root().child("query").child("identity").attribute("name").value(),
               "The Hall");
  EXPECT_STREQ(roominfo_field(out[0], "muc#roominfo_occupants").child("value").text().get(), "2");
  EXPECT_STREQ(roominfo_field(out[0], "muc#roominfo_subject").child("value").text().get(),
               "Verona");
  EXPECT_STREQ(roominfo_field(out[0], "muc#roominfo_description").child("value").text().get(),
               "Dancing");
  EXPECT_STREQ(roominfo_field(out[0], "muc#roomconfig_roomname").child("value").text().get(),
               "The Hall");
}

TEST(Rooms, TheCreatorsLanguageIsTheRoomLanguage) {
  ServiceHarness h;
  h.send(
      "<presence from='romeo@localhost/r' to='hall@conference.localhost/Romeo' "
      "xml:lang='it'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
  EXPECT_EQ(h.service.find_room(kRoom)->config().language, "it");
}

TEST(Rooms, UniqueNamesAreFreshAndLookLikeProsodys) {
  ServiceHarness h;
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    auto out = h.send(
        "<iq from='romeo@localhost/r' to='conference.localhost' type='get' id='u'><unique "
        "xmlns='http://jabber.org/protocol/muc#unique'/></iq>");
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].type(), "result");
    auto unique = child_ns(out[0].root(), "unique", "http://jabber.org/protocol/muc#unique");
    std::string name = unique.text().get();
    EXPECT_EQ(name.size(), 24u);
    for (char c : name)
      EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') << name;
    EXPECT_TRUE(seen.insert(name).second) << "repeated " << name;
  }
  auto set = h.send(
      "<iq from='romeo@localhost/r' to='conference.localhost' type='set' id='u'><unique "
      "xmlns='http://jabber.org/protocol/muc#unique'/></iq>");
  EXPECT_EQ(error_condition(set[0]), "service-unavailable") << "only get";
}

TEST(Rooms, TemporaryRoomsVanishWhenEmptyPersistentOnesStay) {
  ServiceHarness h;
  h.create_instant("romeo@localhost/r", "temp", "Romeo");
  h.create_instant("romeo@localhost/r", "kept", "Romeo");
  h.configure("romeo@localhost/r", "kept",
              "<field var='muc#roomconfig_persistentroom'><value>1</value></field>");
  for (std::string room : {"temp", "kept"}) {
    h.send("<presence from='romeo@localhost/r' to='" + room +
           "@conference.localhost/Romeo' type='unavailable'/>");
  }
  EXPECT_EQ(h.service.find_room("temp@conference.localhost"), nullptr);
  EXPECT_NE(h.service.find_room("kept@conference.localhost"), nullptr);
}

TEST(Rooms, OnlyPublicRoomsAreListed) {
  ServiceHarness h;
  h.create_instant("romeo@localhost/r", "hidden", "Romeo");
  h.create_instant("romeo@localhost/r", "open", "Romeo");
  h.configure("romeo@localhost/r", "open",
              "<field var='muc#roomconfig_publicroom'><value>1</value></field>"
              "<field var='muc#roomconfig_roomname'><value>Open</value></field>");
  auto out = h.send(
      "<iq from='nurse@localhost/n' to='conference.localhost' type='get' id='i'><query "
      "xmlns='http://jabber.org/protocol/disco#items'/></iq>");
  ASSERT_EQ(out.size(), 1u);
  std::vector<std::string> listed;
  for (auto item : out[0].root().child("query").children("item")) {
    listed.push_back(item.attribute("jid").value());
    EXPECT_STREQ(item.attribute("name").value(), "Open");
  }
  EXPECT_EQ(listed, std::vector<std::string>{"open@conference.localhost"});
}

// --- XEP-0421 occupant ids (ServiceConfig::occupant_ids) ---

// The occupant-id ids of `stanza` ("" for each element without an id).
std::vector<std::string> occupant_ids_in(const Stanza& stanza) {
  std::vector<std::string> ids;
  for (auto child : stanza.root().children("occupant-id")) {
    if (child.attribute("xmlns").value() == ns::kOccupantId)
      ids.emplace_back(child.attribute("id").value());
  }
  return ids;
}

bool lists_feature(const std::vector<Stanza>& out, std::string_view var) {
  if (out.size() != 1u) return false;
  for (auto feature : out[0].root().child("query").children("feature")) {
    if (var == feature.attribute("var").value()) return true;
  }
  return false;
}

std::vector<Stanza> disco_info(ServiceHarness& h, std::string_view jid) {
  return h.send("<iq from='nurse@localhost/n' to='" + s(jid) +
                "' type='get' id='d'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
}

// A room with Romeo and Juliet where Juliet says something with a forged occupant-id, Romeo
// sends her a private message with another, and the nurse joins and leaves with more; returns
// all sent.
std::vector<Stanza> forged_ids(ServiceHarness& h) {
  h.create_instant(kRomeo, "hall", "Romeo");
  auto out = h.join(kJuliet, "hall", "Juliet");
  auto append = [&out](std::vector<Stanza> more) {
    out.insert(out.end(), more.begin(), more.end());
  };
  append(h.send("<message from='" + s(kJuliet) + "' to='" + s(kRoom) +
                "' type='groupchat'><body>hi</body><occupant-id "
                "xmlns='urn:xmpp:occupant-id:0' id='forged'/></message>"));
  append(h.send("<message from='" + s(kRomeo) + "' to='" + s(kRoom) +
                "/Juliet' type='chat'><body>psst</body><occupant-id "
                "xmlns='urn:xmpp:occupant-id:0' id='forged'/></message>"));
  append(h.send("<presence from='nurse@localhost/n' to='" + s(kRoom) +
                "/Nurse'><x xmlns='http://jabber.org/protocol/muc'/><occupant-id "
                "xmlns='urn:xmpp:occupant-id:0' id='forged'/></presence>"));
  append(h.send("<presence from='nurse@localhost/n' to='" + s(kRoom) +
                "/Nurse' type='unavailable'><occupant-id xmlns='urn:xmpp:occupant-id:0' "
                "id='forged'/></presence>"));
  return out;
}

TEST(OccupantIds, EveryOccupantStanzaCarriesTheRoomsIdAndNeverAForgedOne) {
  ServiceHarness h;
  auto out = forged_ids(h);
  std::set<std::string> ids;
  size_t checked = 0;
  for (const auto& stanza : out) {
    if (stanza.type() == "error" || stanza.name() == "iq" || !stanza.from().starts_with(kRoom) ||
        stanza.from() == kRoom) {
      continue;  // the room's own stanzas (the subject) have no occupant
    }
    auto found = occupant_ids_in(stanza);
    ASSERT_EQ(found.size(), 1u) << stanza.to_string();
    EXPECT_NE(found[0], "forged");
    ids.insert(found[0]);
    ++checked;
  }
  EXPECT_GE(checked, 10u);
  EXPECT_EQ(ids.size(), 3u);  // one per real JID
  EXPECT_TRUE(lists_feature(disco_info(h, kRoom), ns::kOccupantId));
  EXPECT_TRUE(lists_feature(disco_info(h, "conference.localhost"), ns::kOccupantId));
}

TEST(OccupantIds, OffNoStanzaCarriesOneNorIsTheFeatureAdvertised) {
  ServiceConfig config = test_config();
  config.occupant_ids = false;
  ServiceHarness h(config);
  auto out = forged_ids(h);
  size_t presences = 0, messages = 0;
  for (const auto& stanza : out) {
    EXPECT_TRUE(occupant_ids_in(stanza).empty()) << stanza.to_string();
    presences += stanza.name() == "presence";
    messages += stanza.name() == "message" && stanza.type() != "error";
  }
  EXPECT_GE(presences, 6u);
  EXPECT_GE(messages, 3u);
  auto room_info = disco_info(h, kRoom);
  EXPECT_TRUE(lists_feature(room_info, ns::kMuc));  // the question was answered
  EXPECT_FALSE(lists_feature(room_info, ns::kOccupantId));
  auto service_info = disco_info(h, "conference.localhost");
  EXPECT_TRUE(lists_feature(service_info, ns::kMuc));
  EXPECT_FALSE(lists_feature(service_info, ns::kOccupantId));
}

}  // namespace
}  // namespace mucd::muc::testing
