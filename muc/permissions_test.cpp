// XEP-0045's privilege tables (§5.1.1 roles, §5.2.1 affiliations), rule by rule: each privilege
// once granted and once refused, with the error Prosody's MUC gives. The cast of one room:
//
//   Romeo     owner,  moderator        Benvolio  admin,  moderator
//   Mercutio  member, participant      Juliet    none,   participant
//   Tybalt    none,   visitor          Paris     none,   moderator (made one by the owner)
//
// plus Rosaline, who is not in the room, and Capulet, who is banned.
#include <gtest/gtest.h>

#include "muc/testing.hpp"

namespace mucd::muc::testing {
namespace {

constexpr std::string_view kRoom = "hall@conference.localhost";
constexpr std::string_view kRomeo = "romeo@localhost/r";
constexpr std::string_view kBenvolio = "benvolio@localhost/b";
constexpr std::string_view kMercutio = "mercutio@localhost/m";
constexpr std::string_view kJuliet = "juliet@localhost/j";
constexpr std::string_view kTybalt = "tybalt@localhost/t";
constexpr std::string_view kParis = "paris@localhost/p";
constexpr std::string_view kRosaline = "rosaline@localhost/ro";
constexpr std::string_view kCapulet = "capulet@localhost/c";

std::string s(std::string_view v) {
  return std::string(v);
}

// "result", or the error condition of the answer to the stanza with id `id`; "" when nothing
// answered it.
std::string outcome(const std::vector<Stanza>& out, std::string_view id = "as") {
  for (const auto& st : out) {
    if (st.id() != id) continue;
    if (st.type() == "error") return error_condition(st);
    if (st.name() == "iq") return std::string(st.type());
  }
  return "";
}

// The error condition of the first error in `out`, "" when there is none.
std::string first_error(const std::vector<Stanza>& out) {
  for (const auto& st : out) {
    if (st.type() == "error") return error_condition(st);
  }
  return "";
}

// The presence with status 110 that `jid` got, for its own item.
// The node points into `out`, which must outlive it (not into a filtered copy).
pugi::xml_node own_item(const std::vector<Stanza>& out, std::string_view jid) {
  for (const auto& st : out) {
    if (st.to() == jid && st.name() == "presence" && has_status(st, "110")) return item_of(st);
  }
  return {};
}

class Privileges : public ::testing::Test {
 protected:
  void SetUp() override {
    h.create_instant(kRomeo, "hall", "Romeo");
    ASSERT_EQ(outcome(affiliate(kRomeo, "benvolio@localhost", "admin")), "result");
    ASSERT_EQ(outcome(affiliate(kRomeo, "mercutio@localhost", "member")), "result");
    ASSERT_EQ(outcome(affiliate(kRomeo, "capulet@localhost", "outcast")), "result");
    for (auto [jid, nick] :
         {std::pair{kBenvolio, "Benvolio"}, std::pair{kMercutio, "Mercutio"},
          std::pair{kJuliet, "Juliet"}, std::pair{kTybalt, "Tybalt"}, std::pair{kParis, "Paris"}}) {
      auto out = h.join(jid, "hall", nick);
      ASSERT_FALSE(out.empty());
      ASSERT_NE(out[0].type(), "error") << nick;
    }
    ASSERT_EQ(outcome(role(kRomeo, "Tybalt", "visitor")), "result");
    ASSERT_EQ(outcome(role(kRomeo, "Paris", "moderator")), "result");
  }

  std::vector<Stanza> admin_set(std::string_view actor, const std::string& items) {
    return h.send("<iq from='" + s(actor) + "' to='" + s(kRoom) +
                  "' type='set' id='as'><query xmlns='http://jabber.org/protocol/muc#admin'>" +
                  items + "</query></iq>");
  }
  std::vector<Stanza> affiliate(std::string_view actor, std::string_view jid,
                                std::string_view affiliation) {
    return admin_set(actor, "<item jid='" + s(jid) + "' affiliation='" + s(affiliation) + "'/>");
  }
  std::vector<Stanza> role(std::string_view actor, std::string_view nick, std::string_view role) {
    return admin_set(actor, "<item nick='" + s(nick) + "' role='" + s(role) + "'/>");
  }
  std::vector<Stanza> list(std::string_view actor, std::string_view attr, std::string_view value) {
    return h.send(
        "<iq from='" + s(actor) + "' to='" + s(kRoom) +
        "' type='get' id='as'><query xmlns='http://jabber.org/protocol/muc#admin'><item " +
        s(attr) + "='" + s(value) + "'/></query></iq>");
  }
  std::vector<Stanza> owner_iq(std::string_view actor, std::string_view type,
                               const std::string& payload) {
    return h.send("<iq from='" + s(actor) + "' to='" + s(kRoom) + "' type='" + s(type) +
                  "' id='as'><query xmlns='http://jabber.org/protocol/muc#owner'>" + payload +
                  "</query></iq>");
  }
  std::vector<Stanza> groupchat(std::string_view from, const std::string& payload) {
    return h.send("<message from='" + s(from) + "' to='" + s(kRoom) +
                  "' type='groupchat' id='gc'>" + payload + "</message>");
  }
  std::vector<Stanza> invite(std::string_view from, std::string_view invitee) {
    return h.send("<message from='" + s(from) + "' to='" + s(kRoom) +
                  "' id='inv'><x xmlns='http://jabber.org/protocol/muc#user'><invite to='" +
                  s(invitee) + "'/></x></message>");
  }

  const Room& room() const { return *h.service.find_room(kRoom); }

  ServiceHarness h;
};

// --- Roles (XEP-0045 §5.1.1) ------------------------------------------------------------------

TEST_F(Privileges, PresentInRoomAndReceiveMessagesNeedARole) {
  auto out = groupchat(kJuliet, "<body>hello</body>");
  EXPECT_EQ(to(out, kTybalt).size(), 1u) << "visitors receive messages";
  EXPECT_TRUE(to(out, kRosaline).empty()) << "non-occupants (role none) receive nothing";
  auto refused = groupchat(kRosaline, "<body>let me in</body>");
  EXPECT_EQ(outcome(refused, "gc"), "not-acceptable");
  ASSERT_EQ(refused.size(), 1u);
}

TEST_F(Privileges, ReceiveOccupantPresenceNeedsARole) {
  auto out = h.send("<presence from='" + s(kJuliet) + "' to='" + s(kRoom) +
                    "/Juliet'><show>away</show></presence>");
  EXPECT_EQ(to(out, kTybalt).size(), 1u) << "a visitor sees presence";
  EXPECT_TRUE(to(out, kRosaline).empty());
}

TEST_F(Privileges, VisitorsChangeAvailabilityButNonOccupantsCannot) {
  auto out = h.send("<presence from='" + s(kTybalt) + "' to='" + s(kRoom) +
                    "/Tybalt'><show>dnd</show></presence>");
  EXPECT_EQ(to(out, kRomeo).size(), 1u) << "broadcast to the room";
  auto refused = h.send("<presence from='" + s(kRosaline) + "' to='" + s(kRoom) +
                        "/Tybalt'><show>dnd</show></presence>");
  EXPECT_EQ(first_error(refused), "item-not-found");
}

TEST_F(Privileges, VisitorsChangeNickname) {
  auto out = h.send("<presence from='" + s(kTybalt) + "' to='" + s(kRoom) + "/Prince'/>");
  auto self = to(out, kTybalt);
  ASSERT_EQ(self.size(), 2u);
  EXPECT_TRUE(has_status(self[0], "303"));
  EXPECT_EQ(self[1].from(), s(kRoom) + "/Prince");
  EXPECT_STREQ(item_of(self[1]).attribute("role").value(), "visitor") << "the role goes along";
  // Taken nicks stay taken whatever the role.
  auto refused = h.send("<presence from='" + s(kTybalt) + "' to='" + s(kRoom) + "/Romeo'/>");
  EXPECT_EQ(first_error(refused), "conflict");
}

TEST_F(Privileges, VisitorsSendPrivateMessagesNonOccupantsCannot) {
  auto out = h.send("<message from='" + s(kTybalt) + "' to='" + s(kRoom) +
                    "/Juliet' type='chat' id='pm'><body>psst</body></message>");
  ASSERT_EQ(to(out, kJuliet).size(), 1u);
  EXPECT_EQ(to(out, kJuliet)[0].from(), s(kRoom) + "/Tybalt");
  auto refused = h.send("<message from='" + s(kRosaline) + "' to='" + s(kRoom) +
                        "/Juliet' type='chat' id='pm'><body>psst</body></message>");
  EXPECT_EQ(outcome(refused, "pm"), "not-acceptable");
  EXPECT_TRUE(to(refused, kJuliet).empty());
}

TEST_F(Privileges, InvitesNeedMoreThanVisitor) {
  auto sent = invite(kJuliet, "rosaline@localhost");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].to(), "rosaline@localhost");
  // XEP-0045 leaves visitors' invitations to the room ("Yes*"); Prosody refuses them.
  EXPECT_EQ(outcome(invite(kTybalt, "rosaline@localhost"), "inv"), "forbidden");
  // Someone outside the room is judged by the role their affiliation would give them: an
  // unaffiliated user would be a participant of this open room, an outcast nothing.
  EXPECT_EQ(invite(kRosaline, "nurse@localhost").size(), 1u);
  EXPECT_EQ(outcome(invite(kCapulet, "nurse@localhost"), "inv"), "forbidden");
}

TEST_F(Privileges, SendMessagesToAllNeedsVoice) {
  auto out = groupchat(kJuliet, "<body>hi all</body>");
  EXPECT_EQ(to(out, kRomeo).size(), 1u);
  auto refused = groupchat(kTybalt, "<body>hi all</body>");
  EXPECT_EQ(outcome(refused, "gc"), "forbidden");
  EXPECT_TRUE(to(refused, kRomeo).empty());
}

TEST_F(Privileges, ModifySubjectModeratorsAlwaysParticipantsWhenAllowed) {
  auto by_moderator = groupchat(kParis, "<subject>Verona</subject>");
  EXPECT_EQ(to(by_moderator, kJuliet).size(), 1u);
  EXPECT_EQ(room().subject(), "Verona");
  EXPECT_EQ(outcome(groupchat(kJuliet, "<subject>Mine</subject>"), "gc"), "forbidden");
  h.configure(kRomeo, "hall", "<field var='muc#roomconfig_changesubject'><value>1</value></field>");
  groupchat(kJuliet, "<subject>Mine</subject>");
  EXPECT_EQ(room().subject(), "Mine");
  EXPECT_EQ(outcome(groupchat(kTybalt, "<subject>Visitors?</subject>"), "gc"), "forbidden")
      << "visitors never, even when participants may";
  EXPECT_EQ(room().subject(), "Mine");
}

TEST_F(Privileges, KickParticipantsAndVisitorsOnlyModerators) {
  EXPECT_EQ(outcome(role(kJuliet, "Tybalt", "none")), "not-allowed") << "a participant";
  EXPECT_EQ(outcome(role(kMercutio, "Juliet", "none")), "not-allowed") << "a member participant";
  auto kicked = role(kParis, "Tybalt", "none");
  EXPECT_EQ(outcome(kicked), "result");
  auto tybalt = to(kicked, kTybalt);
  ASSERT_EQ(tybalt.size(), 1u);
  EXPECT_TRUE(has_status(tybalt[0], "307"));
  EXPECT_EQ(outcome(role(kParis, "Juliet", "none")), "result");
}

TEST_F(Privileges, ModeratorsCannotKickHigherAffiliations) {
  EXPECT_EQ(outcome(role(kParis, "Mercutio", "none")), "not-allowed") << "a member";
  EXPECT_EQ(outcome(role(kParis, "Benvolio", "none")), "not-allowed") << "an admin";
  EXPECT_EQ(outcome(role(kBenvolio, "Romeo", "none")), "not-allowed") << "an owner, by an admin";
  EXPECT_EQ(outcome(role(kBenvolio, "Mercutio", "none")), "result");
}

TEST_F(Privileges, GrantVoiceOnlyModerators) {
  EXPECT_EQ(outcome(role(kJuliet, "Tybalt", "participant")), "not-allowed");
  EXPECT_EQ(outcome(role(kTybalt, "Tybalt", "participant")), "not-allowed") << "oneself";
  auto out = role(kParis, "Tybalt", "participant");
  EXPECT_EQ(outcome(out), "result");
  EXPECT_STREQ(item_of(to(out, kTybalt)[0]).attribute("role").value(), "participant");
}

TEST_F(Privileges, RevokeVoiceOnlyModeratorsAndNotFromAdminsOrOwners) {
  EXPECT_EQ(outcome(role(kMercutio, "Juliet", "visitor")), "not-allowed");
  EXPECT_EQ(outcome(role(kParis, "Juliet", "visitor")), "result");
  EXPECT_EQ(outcome(role(kParis, "Benvolio", "visitor")), "not-allowed");
  EXPECT_EQ(outcome(role(kParis, "Romeo", "visitor")), "not-allowed");
}

TEST_F(Privileges, ModeratorRoleOnlyGivenOrTakenByAdminsAndOwners) {
  EXPECT_EQ(outcome(role(kParis, "Juliet", "moderator")), "not-allowed") << "a plain moderator";
  EXPECT_EQ(outcome(role(kParis, "Paris", "participant")), "not-allowed")
      << "not even their own moderator role";
  EXPECT_EQ(outcome(role(kBenvolio, "Juliet", "moderator")), "result");
  EXPECT_EQ(outcome(role(kBenvolio, "Juliet", "participant")), "result");
  EXPECT_EQ(outcome(role(kRomeo, "Paris", "participant")), "result");
}

TEST_F(Privileges, RoleChangesNeedTheActorInTheRoom) {
  // Rosaline is nobody here; even the owner must be present as a moderator to change roles.
  EXPECT_EQ(outcome(role(kRosaline, "Juliet", "none")), "not-allowed");
  h.send("<presence from='" + s(kRomeo) + "' to='" + s(kRoom) + "/Romeo' type='unavailable'/>");
  EXPECT_EQ(outcome(role(kRomeo, "Juliet", "none")), "not-allowed");
}

TEST_F(Privileges, RoleListsOnlyForModerators) {
  auto visitors = list(kParis, "role", "visitor");
  ASSERT_EQ(outcome(visitors), "result");
  auto query = visitors[0].root().child("query");
  EXPECT_STREQ(query.child("item").attribute("nick").value(), "Tybalt");
  EXPECT_EQ(outcome(list(kJuliet, "role", "visitor")), "forbidden");
}

// --- Affiliations (XEP-0045 §5.2.1) -----------------------------------------------------------

TEST_F(Privileges, OutcastsCannotEnterOthersCan) {
  EXPECT_EQ(first_error(h.join(kCapulet, "hall", "Capulet")), "forbidden");
  EXPECT_EQ(first_error(h.join(kRosaline, "hall", "Rosaline")), "") << "the room is open";
}

TEST_F(Privileges, MembersOnlyRoomNeedsMembership) {
  h.configure(kRomeo, "hall", "<field var='muc#roomconfig_membersonly'><value>1</value></field>");
  EXPECT_FALSE(room().affiliations().count("juliet@localhost"));
  EXPECT_EQ(first_error(h.join(kRosaline, "hall", "Rosaline")), "registration-required");
  // Juliet, Tybalt and Paris were removed (322); the member stays and may come back.
  h.send("<presence from='" + s(kMercutio) + "' to='" + s(kRoom) +
         "/Mercutio' type='unavailable'/>");
  EXPECT_EQ(first_error(h.join(kMercutio, "hall", "Mercutio")), "");
}

TEST_F(Privileges, RegisteringIsForAffiliatedUsersUnlessTheServiceAllows) {
  auto get = [&](std::string_view from) {
    return h.send("<iq from='" + s(from) + "' to='" + s(kRoom) +
                  "' type='get' id='as'><query xmlns='jabber:iq:register'/></iq>");
  };
  EXPECT_EQ(outcome(get(kCapulet)), "forbidden");
  EXPECT_EQ(outcome(get(kRosaline)), "registration-required");
  EXPECT_EQ(outcome(get(kMercutio)), "result");
  ServiceConfig config = test_config();
  config.allow_unaffiliated_register = true;
  ServiceHarness open{config};
  open.create_instant(kRomeo, "hall", "Romeo");
  auto out = open.send("<iq from='" + s(kRosaline) + "' to='" + s(kRoom) +
                       "' type='get' id='as'><query xmlns='jabber:iq:register'/></iq>");
  EXPECT_EQ(outcome(out), "result");
}

TEST_F(Privileges, MemberListForAdminsAndForMembersOfNonAnonymousMembersOnlyRooms) {
  EXPECT_EQ(outcome(list(kBenvolio, "affiliation", "member")), "result");
  EXPECT_EQ(outcome(list(kMercutio, "affiliation", "member")), "forbidden");
  EXPECT_EQ(outcome(list(kJuliet, "affiliation", "member")), "forbidden");
  h.configure(kRomeo, "hall",
              "<field var='muc#roomconfig_membersonly'><value>1</value></field>"
              "<field var='muc#roomconfig_whois'><value>anyone</value></field>");
  EXPECT_EQ(outcome(list(kMercutio, "affiliation", "member")), "result");
}

TEST_F(Privileges, BanningNeedsAdminOrOwner) {
  EXPECT_EQ(outcome(affiliate(kMercutio, "juliet@localhost", "outcast")), "not-allowed");
  EXPECT_EQ(outcome(affiliate(kParis, "juliet@localhost", "outcast")), "not-allowed")
      << "a moderator without affiliation";
  auto banned = affiliate(kBenvolio, "juliet@localhost", "outcast");
  EXPECT_EQ(outcome(banned), "result");
  EXPECT_TRUE(has_status(to(banned, kJuliet)[0], "301"));
  EXPECT_EQ(outcome(affiliate(kBenvolio, "mercutio@localhost", "outcast")), "result")
      << "admins ban members";
}

TEST_F(Privileges, AdminsCannotBanOrDemoteAdminsAndOwners) {
  ASSERT_EQ(outcome(affiliate(kRomeo, "friar@localhost", "admin")), "result");
  EXPECT_EQ(outcome(affiliate(kBenvolio, "friar@localhost", "outcast")), "not-allowed");
  EXPECT_EQ(outcome(affiliate(kBenvolio, "friar@localhost", "member")), "not-allowed");
  EXPECT_EQ(outcome(affiliate(kBenvolio, "romeo@localhost", "outcast")), "not-allowed");
  EXPECT_EQ(outcome(affiliate(kRomeo, "friar@localhost", "outcast")), "result");
}

TEST_F(Privileges, EditingTheMemberListNeedsAdminOrOwner) {
  EXPECT_EQ(outcome(affiliate(kMercutio, "rosaline@localhost", "member")), "not-allowed");
  EXPECT_EQ(outcome(affiliate(kJuliet, "rosaline@localhost", "member")), "not-allowed");
  EXPECT_EQ(outcome(affiliate(kBenvolio, "rosaline@localhost", "member")), "result");
  EXPECT_EQ(outcome(affiliate(kBenvolio, "rosaline@localhost", "none")), "result");
  EXPECT_EQ(outcome(affiliate(kRomeo, "juliet@localhost", "member")), "result");
}

TEST_F(Privileges, EditingTheAdminAndOwnerListsNeedsAnOwner) {
  EXPECT_EQ(outcome(affiliate(kBenvolio, "juliet@localhost", "admin")), "not-allowed");
  EXPECT_EQ(outcome(affiliate(kBenvolio, "juliet@localhost", "owner")), "not-allowed");
  EXPECT_EQ(outcome(affiliate(kBenvolio, "benvolio@localhost", "owner")), "not-allowed")
      << "not even themselves";
  EXPECT_EQ(outcome(list(kBenvolio, "affiliation", "admin")), "result");
  EXPECT_EQ(outcome(list(kBenvolio, "affiliation", "owner")), "forbidden");
  auto promoted = affiliate(kRomeo, "juliet@localhost", "admin");
  EXPECT_EQ(outcome(promoted), "result");
  EXPECT_STREQ(item_of(to(promoted, kJuliet)[0]).attribute("role").value(), "moderator");
  EXPECT_EQ(outcome(affiliate(kRomeo, "juliet@localhost", "owner")), "result");
  EXPECT_EQ(outcome(affiliate(kRomeo, "benvolio@localhost", "none")), "result");
}

TEST_F(Privileges, OwnersStepDownOnlyWhileAnotherOwnerRemains) {
  EXPECT_EQ(outcome(affiliate(kRomeo, "romeo@localhost", "admin")), "conflict");
  ASSERT_EQ(outcome(affiliate(kRomeo, "juliet@localhost", "owner")), "result");
  EXPECT_EQ(outcome(affiliate(kRomeo, "romeo@localhost", "admin")), "result");
  EXPECT_EQ(outcome(affiliate(kJuliet, "juliet@localhost", "member")), "conflict");
}

TEST_F(Privileges, ConfigurationOnlyForOwners) {
  for (auto who : {kBenvolio, kMercutio, kParis}) {
    EXPECT_EQ(outcome(owner_iq(who, "get", "")), "forbidden") << who;
    EXPECT_EQ(outcome(h.configure(who, "hall",
                                  "<field var='muc#roomconfig_roomname'><value>x</value></field>"),
                      "c"),
              "forbidden")
        << who;
  }
  EXPECT_EQ(outcome(owner_iq(kRomeo, "get", "")), "result");
  EXPECT_EQ(outcome(h.configure(kRomeo, "hall",
                                "<field var='muc#roomconfig_roomname'><value>Hall</value></field>"),
                    "c"),
            "result");
  EXPECT_EQ(room().config().name, "Hall");
}

TEST_F(Privileges, DestroyingOnlyForOwners) {
  EXPECT_EQ(outcome(owner_iq(kBenvolio, "set", "<destroy/>")), "forbidden");
  EXPECT_NE(h.service.find_room(kRoom), nullptr);
  EXPECT_EQ(outcome(owner_iq(kRomeo, "set", "<destroy/>")), "result");
  EXPECT_EQ(h.service.find_room(kRoom), nullptr);
}

// --- Service administrators and the service policy --------------------------------------------

TEST_F(Privileges, ServiceAdminsAreOwnersEverywhereAndCannotBeDemoted) {
  auto joined = h.join("admin@localhost/desk", "hall", "Prince");
  EXPECT_STREQ(own_item(joined, "admin@localhost/desk").attribute("affiliation").value(), "owner");
  EXPECT_STREQ(own_item(joined, "admin@localhost/desk").attribute("role").value(), "moderator");
  EXPECT_EQ(outcome(affiliate(kRomeo, "admin@localhost", "outcast")), "not-acceptable");
  EXPECT_EQ(outcome(affiliate(kRomeo, "admin@localhost", "owner")), "result")
      << "making them an owner is allowed, they already are one";
  EXPECT_EQ(outcome(owner_iq("admin@localhost/desk", "get", "")), "result");
  EXPECT_EQ(outcome(role("admin@localhost/desk", "Romeo", "none")), "result");
}

TEST_F(Privileges, ServiceAdminsEnterMembersOnlyRooms) {
  h.configure(kRomeo, "hall", "<field var='muc#roomconfig_membersonly'><value>1</value></field>");
  EXPECT_EQ(first_error(h.join("admin@localhost/desk", "hall", "Prince")), "");
}

ServiceConfig policy(std::optional<std::vector<std::string>> creators,
                     std::optional<size_t> max = std::nullopt) {
  ServiceConfig c = test_config();
  c.room_creator_domains = std::move(creators);
  c.max_occupants = max;
  return c;
}

TEST(ServicePolicy, AnyoneCreatesRoomsByDefault) {
  ServiceHarness h;
  EXPECT_EQ(h.join("rosaline@elsewhere.example/x", "new", "R")[0].type(), "");
  EXPECT_NE(h.service.find_room("new@conference.localhost"), nullptr);
}

TEST(ServicePolicy, AdminsOnlyCreation) {
  ServiceHarness h{policy(std::vector<std::string>{})};
  auto refused = h.join(kRomeo, "new", "Romeo");
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(error_condition(refused[0]), "not-allowed");
  EXPECT_STREQ(refused[0].root().child("error").child("text").text().get(),
               "Room creation is restricted");
  EXPECT_STREQ(refused[0].root().child("error").attribute("by").value(), "conference.localhost");
  EXPECT_EQ(h.service.find_room("new@conference.localhost"), nullptr);
  h.create_instant("admin@localhost/desk", "new", "Prince");
  EXPECT_EQ(first_error(h.join(kRomeo, "new", "Romeo")), "") << "joining is not creating";
}

TEST(ServicePolicy, CreationByUsersOfGivenDomains) {
  ServiceHarness h{policy(std::vector<std::string>{"localhost", "staff.example"})};
  EXPECT_EQ(h.join(kRomeo, "a", "Romeo")[0].type(), "");
  EXPECT_EQ(h.join("ann@staff.example/x", "b", "Ann")[0].type(), "");
  auto refused = h.join("eve@example.net/x", "c", "Eve");
  EXPECT_EQ(error_condition(refused[0]), "not-allowed");
  auto sub = h.join("eve@sub.localhost/x", "d", "Eve");
  EXPECT_EQ(error_condition(sub[0]), "not-allowed") << "only the domains themselves";
  EXPECT_EQ(h.join("admin@localhost/x", "e", "Prince")[0].type(), "") << "admins always";
}

TEST(ServicePolicy, FullRoomRefusesNewcomersButAdmitsOwnersAdminsAndMoreSessions) {
  ServiceHarness h{policy(std::nullopt, 2)};
  h.create_instant(kRomeo, "hall", "Romeo");
  h.join(kJuliet, "hall", "Juliet");
  auto full = h.join(kRosaline, "hall", "Rosaline");
  ASSERT_EQ(full.size(), 1u);
  EXPECT_EQ(error_condition(full[0]), "service-unavailable");
  EXPECT_STREQ(full[0].root().child("error").attribute("type").value(), "wait");
  EXPECT_EQ(first_error(h.join("juliet@localhost/second", "hall", "Juliet")), "")
      << "another session of an occupant is no newcomer";
  EXPECT_EQ(h.service.find_room(kRoom)->occupant_count(), 2u);
  h.send(
      "<iq from='romeo@localhost/r' to='hall@conference.localhost' type='set' id='a'><query "
      "xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='admin' "
      "jid='benvolio@localhost'/></query></iq>");
  EXPECT_EQ(first_error(h.join(kBenvolio, "hall", "Benvolio")), "") << "a room admin";
  EXPECT_EQ(first_error(h.join("admin@localhost/desk", "hall", "Prince")), "") << "a service admin";
  EXPECT_EQ(h.service.find_room(kRoom)->occupant_count(), 4u);
  // Below the limit again, newcomers enter.
  for (auto [jid, nick] :
       {std::pair{"juliet@localhost/j", "Juliet"}, std::pair{"juliet@localhost/second", "Juliet"},
        std::pair{"benvolio@localhost/b", "Benvolio"},
        std::pair{"admin@localhost/desk", "Prince"}}) {
    h.send("<presence from='" + s(jid) + "' to='hall@conference.localhost/" + nick +
           "' type='unavailable'/>");
  }
  EXPECT_EQ(h.service.find_room(kRoom)->occupant_count(), 1u);
  EXPECT_EQ(first_error(h.join(kRosaline, "hall", "Rosaline")), "");
}

}  // namespace
}  // namespace mucd::muc::testing
