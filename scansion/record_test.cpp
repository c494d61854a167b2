#include "scansion/record.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "scansion/xml.hpp"

namespace mucd::scansion {
namespace {

using ::testing::ElementsAre;

class NormaliserTest : public ::testing::Test {
 protected:
  NormaliserTest() {
    normalise.add_client("Romeo", "user@localhost", "user@localhost/abc123");
    normalise.add_client("Juliet", "user2@localhost", "user2@localhost/xyz");
    normalise.keep_ids({"config1", "rm1"});
  }

  std::string run(std::string_view xml) {
    auto parsed = parse_received(xml);
    EXPECT_TRUE(parsed) << parsed.error;
    return parsed ? normalise(parsed.root()) : std::string();
  }

  Normaliser normalise;
};

TEST_F(NormaliserTest, ReplacesJidsWithVariables) {
  EXPECT_EQ(run("<presence to='user@localhost/abc123' from='room@conference.localhost/Juliet'>"
                "<x xmlns='http://jabber.org/protocol/muc#user'><item jid='user2@localhost/xyz'/>"
                "<item jid='user2@localhost'/></x></presence>"),
            "<presence from=\"room@conference.localhost/Juliet\" to=\"${Romeo's full JID}\">"
            "<x xmlns=\"http://jabber.org/protocol/muc#user\"><item jid=\"${Juliet's JID}\"/>"
            "<item jid=\"${Juliet's full JID}\"/></x></presence>");
}

TEST_F(NormaliserTest, DoesNotReplaceInsideLongerNames) {
  EXPECT_EQ(normalise.replace_jids("superuser@localhost user@localhost.org user@localhost"),
            "superuser@localhost user@localhost.org ${Romeo's JID}");
  EXPECT_EQ(normalise.replace_jids("rooms:\nuser@localhost/abc123"), "rooms:\n${Romeo's full JID}");
}

TEST_F(NormaliserTest, KeepsScriptIdsAndReplacesOthers) {
  EXPECT_EQ(run("<iq id='config1' type='result'/>"), "<iq id=\"config1\" type=\"result\"/>");
  EXPECT_EQ(run("<message id='0uZmDEqWyFvexSoBwN6bCf9J'/>"), "<message id=\"{id}\"/>");
}

TEST_F(NormaliserTest, ReplacesStampsSessionIdsAndOccupantIds) {
  EXPECT_EQ(run("<message id='rm1'><delay xmlns='urn:xmpp:delay' stamp='2024-01-01T00:00:00Z'/>"
                "<occupant-id xmlns='urn:xmpp:occupant-id:0' id='KQPb='/></message>"),
            "<message id=\"rm1\"><delay stamp=\"{stamp}\" xmlns=\"urn:xmpp:delay\"/>"
            "<occupant-id id=\"{occupant-id}\" xmlns=\"urn:xmpp:occupant-id:0\"/></message>");
  EXPECT_EQ(run("<iq id='x'><command xmlns='http://jabber.org/protocol/commands' "
                "sessionid='2fa1' status='completed'/></iq>"),
            "<iq id=\"{id}\"><command sessionid=\"{sessionid}\" status=\"completed\" "
            "xmlns=\"http://jabber.org/protocol/commands\"/></iq>");
}

TEST_F(NormaliserTest, SortsAttributesAndSiblingsSoOrderDoesNotMatter) {
  auto a =
      run("<presence from='r' type='unavailable'><x xmlns='urn:a'><status code='110'/>"
          "<item role='none'/></x><x xmlns='vcard-temp:x:update'><photo/></x></presence>");
  auto b =
      run("<presence type='unavailable' from='r'><x xmlns='vcard-temp:x:update'><photo/></x>"
          "<x xmlns='urn:a'><item role='none'/><status code='110'/></x></presence>");
  EXPECT_EQ(a, b);
  EXPECT_EQ(a,
            "<presence from=\"r\" type=\"unavailable\"><x xmlns=\"urn:a\"><item role=\"none\"/>"
            "<status code=\"110\"/></x><x xmlns=\"vcard-temp:x:update\"><photo/></x></presence>");
}

TEST_F(NormaliserTest, DropsRedundantNamespacesAndKeepsTextOnOneLine) {
  EXPECT_EQ(run("<message xmlns='jabber:client' lang='en'><body xmlns='jabber:client'>a\nb"
                "</body></message>"),
            "<message xml:lang=\"en\"><body>a&#10;b</body></message>");
}

TEST(IdsIn, CollectsEveryIdAttributeOfTheScript) {
  auto ids = ids_in({"<iq id='config1'><query/></iq>",
                     "<message id=\"rm1\"><x id='inner'/></message>", "<presence/>"});
  EXPECT_THAT(ids, ElementsAre("config1", "inner", "rm1"));
}

}  // namespace
}  // namespace mucd::scansion
