// Affiliation lists (muc#admin) beyond the seeds: who may read which list, multi-item requests,
// full JIDs from buggy clients; and the service-level refusals that carry Prosody's shapes.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/stanza.hpp"
#include "muc/stanza_error.hpp"
#include "muc/testing.hpp"

namespace mucd::muc {
namespace {

using testing::ServiceHarness;
using testing::to;

constexpr std::string_view kRomeo = "romeo@localhost/r1";
constexpr std::string_view kJuliet = "juliet@localhost/j1";

std::string admin_iq(std::string_view from, std::string_view type, std::string_view items) {
  return std::string("<iq from='") + std::string(from) +
         "' to='garden@conference.localhost' id='q' type='" + std::string(type) +
         "'><query xmlns='http://jabber.org/protocol/muc#admin'>" + std::string(items) +
         "</query></iq>";
}

std::vector<std::string> listed_jids(const Stanza& result) {
  std::vector<std::string> jids;
  for (auto item : result.root().child("query").children("item")) {
    jids.emplace_back(item.attribute("jid").value());
  }
  return jids;
}

TEST(AdminLists, AFullJidInAnItemMeansItsBareJid) {
  ServiceHarness h;
  h.create_instant(kRomeo, "garden", "romeo");
  auto out = h.send(
      admin_iq(kRomeo, "set", "<item affiliation='member' jid='juliet@localhost/balcony'/>"));
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.back().type(), "result");
  auto list = h.send(admin_iq(kRomeo, "get", "<item affiliation='member'/>"));
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(listed_jids(list[0]), std::vector<std::string>{"juliet@localhost"});
}

TEST(AdminLists, SeveralItemsApplyTogetherOrNotAtAll) {
  ServiceHarness h;
  h.create_instant(kRomeo, "garden", "romeo");
  h.send(admin_iq(kRomeo, "set", "<item affiliation='admin' jid='juliet@localhost'/>"));
  // Juliet (admin) may make a member, but not an owner: the whole request is refused.
  auto refused = h.send(admin_iq(kJuliet, "set",
                                 "<item affiliation='member' jid='nurse@localhost'/>"
                                 "<item affiliation='owner' jid='tybalt@localhost'/>"));
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].type(), "error");
  auto members = h.send(admin_iq(kRomeo, "get", "<item affiliation='member'/>"));
  EXPECT_TRUE(listed_jids(members[0]).empty());
  // Both allowed: both applied, one answer.
  auto ok = h.send(admin_iq(kRomeo, "set",
                            "<item affiliation='member' jid='nurse@localhost'/>"
                            "<item affiliation='member' jid='tybalt@localhost'/>"));
  ASSERT_FALSE(ok.empty());
  EXPECT_EQ(ok.back().type(), "result");
  members = h.send(admin_iq(kRomeo, "get", "<item affiliation='member'/>"));
  auto jids = listed_jids(members[0]);
  std::sort(jids.begin(), jids.end());
  EXPECT_EQ(jids, (std::vector<std::string>{"nurse@localhost", "tybalt@localhost"}));
}

TEST(AdminLists, MembersReadListsOnlyInMembersOnlyRoomsWithPublicJids) {
  ServiceHarness h;
  h.create_instant(kRomeo, "garden", "romeo");
  h.send(admin_iq(kRomeo, "set", "<item affiliation='member' jid='juliet@localhost'/>"));
  auto open_room = h.send(admin_iq(kJuliet, "get", "<item affiliation='member'/>"));
  ASSERT_EQ(open_room.size(), 1u);
  EXPECT_EQ(error_condition(open_room[0]), "forbidden");

  h.configure(kRomeo, "garden", "<field var='muc#roomconfig_membersonly'><value>1</value></field>");
  auto semi_anonymous = h.send(admin_iq(kJuliet, "get", "<item affiliation='member'/>"));
  EXPECT_EQ(error_condition(semi_anonymous[0]), "forbidden");

  h.configure(kRomeo, "garden", "<field var='muc#roomconfig_whois'><value>anyone</value></field>");
  auto members = h.send(admin_iq(kJuliet, "get", "<item affiliation='member'/>"));
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0].type(), "result");
  auto owners = h.send(admin_iq(kJuliet, "get", "<item affiliation='owner'/>"));
  EXPECT_EQ(listed_jids(owners[0]), std::vector<std::string>{"romeo@localhost"});
  auto stranger = h.send(admin_iq("tybalt@localhost/t", "get", "<item affiliation='member'/>"));
  EXPECT_EQ(error_condition(stranger[0]), "forbidden");
}

TEST(AdminLists, AdminsReadUpToTheirOwnRank) {
  ServiceHarness h;
  h.create_instant(kRomeo, "garden", "romeo");
  h.send(admin_iq(kRomeo, "set", "<item affiliation='admin' jid='juliet@localhost'/>"));
  for (auto aff : {"admin", "member", "outcast"}) {
    auto out = h.send(admin_iq(kJuliet, "get", std::string("<item affiliation='") + aff + "'/>"));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].type(), "result") << aff;
  }
  auto owners = h.send(admin_iq(kJuliet, "get", "<item affiliation='owner'/>"));
  EXPECT_EQ(error_condition(owners[0]), "forbidden");
}

TEST(Create, TheRoomTakesItsCreatorsLanguage) {
  ServiceHarness h;
  h.send(
      "<presence from='romeo@localhost/r1' to='garden@conference.localhost/romeo' xml:lang='fr'>"
      "<x xmlns='http://jabber.org/protocol/muc'/></presence>");
  auto form = h.send(
      "<iq from='romeo@localhost/r1' to='garden@conference.localhost' type='get' id='c'><query "
      "xmlns='http://jabber.org/protocol/muc#owner'/></iq>");
  ASSERT_EQ(form.size(), 1u);
  std::string lang;
  for (auto f : form[0].root().child("query").child("x").children("field")) {
    if (std::string_view(f.attribute("var").value()) == "muc#roomconfig_lang") {
      lang = f.child("value").text().get();
    }
  }
  EXPECT_EQ(lang, "fr");
}

TEST(AdminCommand, RefusalCarriesACanceledCommandWithTheNote) {
  ServiceHarness h;
  auto out = h.send(
      "<iq from='juliet@localhost/j1' to='conference.localhost' type='set' id='d'><command "
      "xmlns='http://jabber.org/protocol/commands' "
      "node='http://prosody.im/protocol/muc#destroy'/></iq>");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(error_condition(out[0]), "forbidden");
  auto cmd = out[0].root().child("command");
  EXPECT_STREQ(cmd.attribute("status").value(), "canceled");
  EXPECT_STREQ(cmd.attribute("node").value(), "http://prosody.im/protocol/muc#destroy");
  EXPECT_STREQ(cmd.child("note").attribute("type").value(), "error");
}

}  // namespace
}  // namespace mucd::muc
