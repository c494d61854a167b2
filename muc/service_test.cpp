// Engine tests: given a room in some state, when a stanza arrives, these stanzas go out.
#include <gtest/gtest.h>

#include "muc/testing.hpp"

namespace mucd::muc::testing {
namespace {

constexpr std::string_view kRomeo = "romeo@localhost/r1";
constexpr std::string_view kJuliet = "juliet@localhost/j1";
constexpr std::string_view kGarden = "garden@conference.localhost";

TEST(Create, FirstPresenceCreatesLockedRoomWithOwner) {
  ServiceHarness h;
  auto out = h.join(kRomeo, "garden", "romeo");
  ASSERT_EQ(out.size(), 2u);
  const Stanza& self = out[0];
  EXPECT_EQ(self.name(), "presence");
  EXPECT_EQ(self.from(), "garden@conference.localhost/romeo");
  EXPECT_TRUE(has_status(self, "201"));
  EXPECT_TRUE(has_status(self, "110"));
  EXPECT_STREQ(item_of(self).attribute("affiliation").value(), "owner");
  EXPECT_STREQ(item_of(self).attribute("role").value(), "moderator");
  EXPECT_STREQ(item_of(self).attribute("jid").value(), "romeo@localhost/r1");
  EXPECT_EQ(out[1].name(), "message");
  EXPECT_TRUE(out[1].root().child("subject"));
  EXPECT_EQ(out[1].from(), kGarden);
}

TEST(Create, LockedRoomRefusesOthersUntilConfigured) {
  ServiceHarness h;
  h.join(kRomeo, "garden", "romeo");
  auto refused = h.join(kJuliet, "garden", "juliet");
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(error_condition(refused[0]), "item-not-found");
  EXPECT_STREQ(refused[0].root().child("error").attribute("by").value(), "conference.localhost");

  auto result = h.send(
      "<iq from='romeo@localhost/r1' to='garden@conference.localhost' type='set' id='c'><query "
      "xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
      "type='submit'/></query></iq>");
  ASSERT_EQ(result.size(), 1u);  // an instant room: no change, no 104
  EXPECT_EQ(result[0].type(), "result");
  auto joined = h.join(kJuliet, "garden", "juliet");
  EXPECT_FALSE(joined.empty());
  EXPECT_EQ(joined[0].type(), "");
}

TEST(Create, CancellingInitialConfigurationDestroysRoom) {
  ServiceHarness h;
  h.join(kRomeo, "garden", "romeo");
  auto out = h.send(
      "<iq from='romeo@localhost/r1' to='garden@conference.localhost' type='set' id='c'><query "
      "xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
      "type='cancel'/></query></iq>");
  EXPECT_EQ(out[0].type(), "result");
  EXPECT_EQ(h.service.find_room(kGarden), nullptr);
}

TEST(Join, OrderIsOccupantsSelfHistorySubjectThenBroadcast) {
  ServiceHarness h;
  h.create_instant(kRomeo, "garden", "romeo");
  h.send(
      "<message from='romeo@localhost/r1' to='garden@conference.localhost' type='groupchat' "
      "id='m1'><body>hi</body></message>");
  auto out = h.join(kJuliet, "garden", "juliet");
  auto juliet = to(out, kJuliet);
  ASSERT_EQ(juliet.size(), 4u);
  EXPECT_EQ(juliet[0].from(), "garden@conference.localhost/romeo");
  EXPECT_FALSE(item_of(juliet[0]).attribute("jid"));  // semi-anonymous: no real JID
  EXPECT_EQ(juliet[1].from(), "garden@conference.localhost/juliet");
  EXPECT_TRUE(has_status(juliet[1], "110"));
  EXPECT_EQ(juliet[2].id(), "m1");
  EXPECT_TRUE(child_ns(juliet[2].root(), "delay", "urn:xmpp:delay"));
  EXPECT_TRUE(juliet[3].root().child("subject"));
  auto romeo = to(out, kRomeo);
  ASSERT_EQ(romeo.size(), 1u);
  EXPECT_STREQ(item_of(romeo[0]).attribute("jid").value(), "juliet@localhost/j1");  // moderator
}

// The subject a joiner gets is written as text: it must be the message the tree would give,
// whatever the subject holds.
TEST(Join, SubjectMessageAsTheTreeWouldWriteIt) {
  ServiceHarness h;
  h.create_instant(kRomeo, "garden", "romeo");
  const std::string subject = "a<b&c>\"d'\te\nf & \xC3\xA9";
  Stanza change{"message"};
  change.set_attr("from", kRomeo);
  change.set_attr("to", kGarden);
  change.set_attr("type", "groupchat");
  add_text_child(change.root(), "subject", subject);
  h.send(change.to_string());
  auto juliet = to(h.join(kJuliet, "garden", "juliet"), kJuliet);
  ASSERT_FALSE(juliet.empty());
  const Stanza& got = juliet.back();
  Stanza expected{"message"};
  expected.set_attr("from", "garden@conference.localhost/romeo");
  expected.set_attr("type", "groupchat");
  add_text_child(expected.root(), "subject", subject);
  expected.set_attr("to", kJuliet);
  auto delay = add_child(expected.root(), "delay", "urn:xmpp:delay");
  delay.append_attribute("from").set_value(std::string(kGarden).c_str());
  delay.append_attribute("stamp").set_value(
      child_ns(got.root(), "delay", "urn:xmpp:delay").attribute("stamp").value());
  EXPECT_EQ(got.to_string(), expected.to_string());
  EXPECT_STREQ(got.root().child("subject").text().get(), subject.c_str());
}

TEST(Replies, ReplyTextIsReplyToSerialized) {
  for (const char* xml :
       {"<iq from='a@b/c' to='r@conference.localhost' type='set' id='x&amp;&lt;&quot;'/>",
        "<iq to='r@conference.localhost' type='get'/>", "<iq from='a@b/c'/>",
        "<message from='a@b/c' to='r@conference.localhost/n' type='chat' id='1'/>",
        "<presence from='a@b/c' to='r@conference.localhost/n'/>"}) {
    auto original = Stanza::parse(xml);
    ASSERT_TRUE(original) << xml;
    EXPECT_EQ(reply_text(*original), reply_to(*original).to_string()) << xml;
  }
}

TEST(Join, NickConflictAndReflectedPayload) {
  ServiceHarness h;
  h.create_instant(kRomeo, "garden", "romeo");
  auto out = h.join(kJuliet, "garden", "romeo");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(error_condition(out[0]), "conflict");
  EXPECT_TRUE(child_ns(out[0].root(), "x", "http://jabber.org/protocol/muc"));
  auto ok = h.send(
      "<presence from='juliet@localhost/j1' to='garden@conference.localhost/juliet'><show>away</"
      "show><x xmlns='http://jabber.org/protocol/muc'/></presence>");
  auto to_romeo = to(ok, kRomeo);
  ASSERT_EQ(to_romeo.size(), 1u);
  EXPECT_STREQ(to_romeo[0].root().child("show").text().get(), "away");
}

TEST(Join, NickValidation) {
  ServiceHarness h;
  h.create_instant(kRomeo, "garden", "romeo");
  auto blank = h.join(kJuliet, "garden", " ");
  ASSERT_EQ(blank.size(), 1u);
  EXPECT_EQ(error_condition(blank[0]), "not-allowed");
  // U+0221 is unassigned in Unicode 3.2: strict resourceprep refuses it.
  auto unassigned = h.join(kJuliet, "garden", "\xc8\xa1");
  ASSERT_EQ(unassigned.size(), 1u);
  EXPECT_EQ(error_condition(unassigned[0]), "jid-malformed");
}

TEST(Join, SecondSessionSharesTheOccupant) {
  ServiceHarness h;
  h.create_instant(kRomeo, "garden", "romeo");
  auto out = h.join("romeo@localhost/r2", "garden", "romeo");
  for (const auto& s : out) EXPECT_NE(s.type(), "error");
  EXPECT_EQ(h.service.find_room(kGarden)->occupant_count(), 1u);
}

TEST(Messages, BroadcastKeepsIdAndNonOccupantsAreRefused) {
  ServiceHarness h;
  h.create_instant(kRomeo, "garden", "romeo");
  h.join(kJuliet, "garden", "juliet");
  auto out = h.send(
      "<message from='juliet@localhost/j1' to='garden@conference.localhost' type='groupchat' "
      "id='jm1'><body>Here</body></message>");
  ASSERT_EQ(out.size(), 2u);
  for (const auto& s : out) {
    EXPECT_EQ(s.id(), "jm1");
    EXPECT_EQ(s.from(), "garden@conference.localhost/juliet");
  }
  auto refused = h.send(
      "<message from='tybalt@localhost/t' to='garden@conference.localhost' type='groupchat'>"
      "<body>x</body></message>");
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(error_condition(refused[0]), "not-acceptable");
}

TEST(Messages, VisitorsCannotSpeakInModeratedRooms) {
  ServiceHarness h;
  h.join(kRomeo, "garden", "romeo");
  h.configure(kRomeo, "garden",
              "<field "
              "var='muc#roomconfig_moderatedroom'><value>1</value></field>");
  auto joined = h.join(kJuliet, "garden", "juliet");
  EXPECT_STREQ(item_of(to(joined, kJuliet)[1]).attribute("role").value(), "visitor");
  auto refused = h.send(
      "<message from='juliet@localhost/j1' to='garden@conference.localhost' type='groupchat'>"
      "<body>x</body></message>");
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(error_condition(refused[0]), "forbidden");
}

TEST(History, MaxstanzasLimitsWhatAJoinerGets) {
  ServiceHarness h;
  h.create_instant(kRomeo, "garden", "romeo");
  for (int i = 0; i < 5; ++i) {
    h.send(
        "<message from='romeo@localhost/r1' to='garden@conference.localhost' "
        "type='groupchat' id='m" +
        std::to_string(i) + "'><body>b</body></message>");
  }
  auto out = h.join(kJuliet, "garden", "juliet", "<history maxstanzas='2'/>");
  auto juliet = to(out, kJuliet);
  ASSERT_EQ(juliet.size(), 5u);  // romeo, self, 2 history, subject
  EXPECT_EQ(juliet[2].id(), "m3");
  EXPECT_EQ(juliet[3].id(), "m4");
  auto none = h.join("nurse@localhost/n", "garden", "nurse", "<history maxchars='0'/>");
  EXPECT_EQ(to(none, "nurse@localhost/n").size(), 4u);  // romeo, juliet, self, subject
}

TEST(Leave, UnavailableIsReflectedAndTemporaryRoomsVanish) {
  ServiceHarness h;
  h.create_instant(kRomeo, "garden", "romeo");
  auto out = h.send(
      "<presence from='romeo@localhost/r1' to='garden@conference.localhost/romeo' "
      "type='unavailable'/>");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type(), "unavailable");
  EXPECT_TRUE(has_status(out[0], "110"));
  EXPECT_STREQ(item_of(out[0]).attribute("role").value(), "none");
  EXPECT_EQ(h.service.find_room(kGarden), nullptr);
}

TEST(Destroy, OccupantsGetDestroyWithAlternateVenue) {
  ServiceHarness h;
  h.create_instant(kRomeo, "garden", "romeo");
  h.join(kJuliet, "garden", "juliet");
  auto out = h.send(
      "<iq from='romeo@localhost/r1' to='garden@conference.localhost' type='set' id='d'><query "
      "xmlns='http://jabber.org/protocol/muc#owner'><destroy "
      "jid='elsewhere@conference.localhost'><reason>bye</reason></destroy></query></iq>");
  ASSERT_EQ(out.size(), 3u);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(out[i].type(), "unavailable");
    auto destroy =
        child_ns(out[i].root(), "x", "http://jabber.org/protocol/muc#user").child("destroy");
    EXPECT_STREQ(destroy.attribute("jid").value(), "elsewhere@conference.localhost");
    EXPECT_STREQ(destroy.child("reason").text().get(), "bye");
    EXPECT_TRUE(has_status(out[i], "110"));
  }
  EXPECT_EQ(out[2].type(), "result");
  EXPECT_EQ(h.service.find_room(kGarden), nullptr);
}

TEST(Destroy, PersistentRoomLeavesTombstoneWithVenue) {
  ServiceHarness h;
  h.join(kRomeo, "garden", "romeo");
  h.configure(kRomeo, "garden",
              "<field var='muc#roomconfig_persistentroom'><value>1</value></field>");
  h.send(
      "<iq from='romeo@localhost/r1' to='garden@conference.localhost' type='set' id='d'><query "
      "xmlns='http://jabber.org/protocol/muc#owner'><destroy "
      "jid='elsewhere@conference.localhost'><reason>moved</reason></destroy></query></iq>");
  auto gone = h.join(kJuliet, "garden", "juliet");
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(error_condition(gone[0]), "gone");
  auto error = gone[0].root().child("error");
  EXPECT_STREQ(error.child("gone").text().get(), "xmpp:elsewhere@conference.localhost?join");
  EXPECT_STREQ(error.child("text").text().get(), "moved");
  // A service administrator may recreate the room.
  auto admin = h.join("admin@localhost/a", "garden", "admin");
  EXPECT_TRUE(has_status(admin[0], "201"));
}

TEST(Destroy, NonOwnerIsForbidden) {
  ServiceHarness h;
  h.create_instant(kRomeo, "garden", "romeo");
  h.join(kJuliet, "garden", "juliet");
  auto out = h.send(
      "<iq from='juliet@localhost/j1' to='garden@conference.localhost' type='set' id='d'><query "
      "xmlns='http://jabber.org/protocol/muc#owner'><destroy/></query></iq>");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(error_condition(out[0]), "forbidden");
}

TEST(AdminCommand, DestroyRoomsOnlyForServiceAdmins) {
  ServiceHarness h;
  h.create_instant(kRomeo, "garden", "romeo");
  const std::string command =
      "<command xmlns='http://jabber.org/protocol/commands' "
      "node='http://prosody.im/protocol/muc#destroy'><x xmlns='jabber:x:data'><field "
      "var='rooms'><value>garden@conference.localhost</value></field></x></command></iq>";
  auto refused = h.send(
      "<iq from='romeo@localhost/r1' to='conference.localhost' type='set' "
      "id='x'>" +
      command);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(error_condition(refused[0]), "forbidden");
  auto out =
      h.send("<iq from='admin@localhost/a' to='conference.localhost' type='set' id='x'>" + command);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(child_ns(out[0].root(), "x", "http://jabber.org/protocol/muc#user").child("destroy"));
  auto cmd = out[1].root().child("command");
  EXPECT_STREQ(cmd.attribute("status").value(), "completed");
  EXPECT_STREQ(cmd.child("note").text().get(),
               "The following rooms were destroyed:\ngarden@conference.localhost");
}

TEST(Routing, ErrorsForUnknownRoomsAndPayloads) {
  ServiceHarness h;
  auto missing = h.send(
      "<message from='romeo@localhost/r1' to='nowhere@conference.localhost' "
      "type='groupchat'><body>x</body></message>");
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(error_condition(missing[0]), "item-not-found");
  h.create_instant(kRomeo, "garden", "romeo");
  auto unknown = h.send(
      "<iq from='romeo@localhost/r1' to='garden@conference.localhost' type='get' id='v'><query "
      "xmlns='jabber:iq:version'/></iq>");
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_EQ(error_condition(unknown[0]), "service-unavailable");
  auto empty =
      h.send("<iq from='romeo@localhost/r1' to='conference.localhost' type='get' id='e'/>");
  ASSERT_EQ(empty.size(), 1u);
  EXPECT_EQ(error_condition(empty[0]), "bad-request");
  EXPECT_TRUE(h.send("<iq to='conference.localhost' type='get' id='e'/>").empty());
}

TEST(Password, WrongPasswordIsNotAuthorizedWithLegacyCode) {
  ServiceHarness h;
  h.join(kRomeo, "garden", "romeo", "<password>secret</password>");
  h.send(
      "<iq from='romeo@localhost/r1' to='garden@conference.localhost' type='set' id='c'><query "
      "xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
      "type='submit'/></query></iq>");
  auto refused = h.join(kJuliet, "garden", "juliet");
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(error_condition(refused[0]), "not-authorized");
  EXPECT_STREQ(refused[0].root().child("error").attribute("code").value(), "401");
  auto ok = h.join(kJuliet, "garden", "juliet", "<password>secret</password>");
  EXPECT_NE(ok[0].type(), "error");
}

TEST(Affiliations, MembersOnlyRefusesNonMembersThenAdmitsMembers) {
  ServiceHarness h;
  h.join(kRomeo, "garden", "romeo");
  h.configure(kRomeo, "garden",
              "<field "
              "var='muc#roomconfig_membersonly'><value>1</value></field>");
  auto refused = h.join(kJuliet, "garden", "juliet");
  EXPECT_EQ(error_condition(refused[0]), "registration-required");
  auto granted = h.send(
      "<iq from='romeo@localhost/r1' to='garden@conference.localhost' type='set' id='m'><query "
      "xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member' "
      "jid='juliet@localhost'/></query></iq>");
  ASSERT_EQ(granted.size(), 2u);
  EXPECT_EQ(granted[0].name(), "message");  // juliet is not in the room: the room is told
  EXPECT_EQ(granted[1].type(), "result");
  auto joined = h.join(kJuliet, "garden", "juliet");
  EXPECT_NE(joined[0].type(), "error");
}

TEST(Affiliations, LastOwnerCannotStepDownAndAdminsCannotTouchOwners) {
  ServiceHarness h;
  h.create_instant(kRomeo, "garden", "romeo");
  auto out = h.send(
      "<iq from='romeo@localhost/r1' to='garden@conference.localhost' type='set' id='a'><query "
      "xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member' "
      "jid='romeo@localhost'/></query></iq>");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(error_condition(out[0]), "conflict");
  h.send(
      "<iq from='romeo@localhost/r1' to='garden@conference.localhost' type='set' id='a'><query "
      "xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='admin' "
      "jid='juliet@localhost'/></query></iq>");
  auto refused = h.send(
      "<iq from='juliet@localhost/j1' to='garden@conference.localhost' type='set' id='b'><query "
      "xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='none' "
      "jid='romeo@localhost'/></query></iq>");
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(error_condition(refused[0]), "not-allowed");
  auto list = h.send(
      "<iq from='juliet@localhost/j1' to='garden@conference.localhost' type='get' id='l'><query "
      "xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='owner'/></query></iq>");
  EXPECT_EQ(error_condition(list[0]), "forbidden");  // admins may not read the owner list
}

TEST(Affiliations, BanKicksWith301AndKeepsReason) {
  ServiceHarness h;
  h.create_instant(kRomeo, "garden", "romeo");
  h.join(kJuliet, "garden", "juliet");
  auto out = h.send(
      "<iq from='romeo@localhost/r1' to='garden@conference.localhost' type='set' id='b'><query "
      "xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='outcast' "
      "jid='juliet@localhost'><reason>feud</reason></item></query></iq>");
  auto juliet = to(out, kJuliet);
  ASSERT_EQ(juliet.size(), 1u);
  EXPECT_TRUE(has_status(juliet[0], "301"));
  EXPECT_EQ(juliet[0].type(), "unavailable");
  auto again = h.join(kJuliet, "garden", "juliet");
  EXPECT_EQ(error_condition(again[0]), "forbidden");
  auto list = h.send(
      "<iq from='romeo@localhost/r1' to='garden@conference.localhost' type='get' id='l'><query "
      "xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='outcast'/></query></iq>");
  auto item = list[0].root().child("query").child("item");
  EXPECT_STREQ(item.attribute("jid").value(), "juliet@localhost");
  EXPECT_STREQ(item.child("reason").text().get(), "feud");
}

TEST(Registration, UnaffiliatedRefusedMembersReserveNick) {
  ServiceHarness h;
  h.create_instant(kRomeo, "garden", "romeo");
  auto refused = h.send(
      "<iq from='juliet@localhost/j1' to='garden@conference.localhost' type='get' id='r'><query "
      "xmlns='jabber:iq:register'/></iq>");
  EXPECT_EQ(error_condition(refused[0]), "registration-required");
  h.send(
      "<iq from='romeo@localhost/r1' to='garden@conference.localhost' type='set' id='m'><query "
      "xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member' "
      "jid='juliet@localhost' "
      "nick='Juliet'/></query></iq>");
  auto squat = h.join("rosaline@localhost/x", "garden", "Juliet");
  ASSERT_EQ(squat.size(), 1u);
  EXPECT_EQ(error_condition(squat[0]), "conflict");
  auto nick = h.send(
      "<iq from='juliet@localhost/j1' to='garden@conference.localhost' type='get' id='n'><query "
      "xmlns='http://jabber.org/protocol/disco#info' node='x-roomuser-item'/></iq>");
  EXPECT_STREQ(nick[0].root().child("query").child("identity").attribute("name").value(), "Juliet");
}

TEST(Config, FormForOwnersOnlyAndChangesAnnounced) {
  ServiceHarness h;
  h.create_instant(kRomeo, "garden", "romeo");
  h.join(kJuliet, "garden", "juliet");
  auto refused = h.send(
      "<iq from='juliet@localhost/j1' to='garden@conference.localhost' type='get' id='f'><query "
      "xmlns='http://jabber.org/protocol/muc#owner'/></iq>");
  EXPECT_EQ(error_condition(refused[0]), "forbidden");
  auto form = h.send(
      "<iq from='romeo@localhost/r1' to='garden@conference.localhost' type='get' id='f'><query "
      "xmlns='http://jabber.org/protocol/muc#owner'/></iq>");
  auto x = form[0].root().child("query").child("x");
  EXPECT_STREQ(x.attribute("type").value(), "form");
  EXPECT_TRUE(x.find_child_by_attribute("field", "var", "muc#roomconfig_roomsecret"));
  auto out = h.configure(kRomeo, "garden",
                         "<field "
                         "var='muc#roomconfig_whois'><value>anyone</value></field><field "
                         "var='muc#roomconfig_roomname'><value>Garden</value></field>");
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].type(), "result");
  EXPECT_TRUE(has_status(out[1], "104"));
  EXPECT_TRUE(has_status(out[1], "172"));
  auto bad = h.configure(kRomeo, "garden",
                         "<field "
                         "var='muc#roomconfig_persistentroom'><value>maybe</value></field>");
  EXPECT_EQ(error_condition(bad[0]), "not-acceptable");
}

}  // namespace
}  // namespace mucd::muc::testing
