#include "component/outgoing.hpp"

#include <gtest/gtest.h>

namespace mucd::component {
namespace {

constexpr std::string_view kDomain = "conference.example.org";

TEST(IsAtDomain, OurDomainAndJidsAtIt) {
  EXPECT_TRUE(is_at_domain("conference.example.org", kDomain));
  EXPECT_TRUE(is_at_domain("room@conference.example.org", kDomain));
  EXPECT_TRUE(is_at_domain("room@conference.example.org/nick", kDomain));
  EXPECT_TRUE(is_at_domain("conference.example.org/resource", kDomain));
  EXPECT_TRUE(is_at_domain("room@conference.example.org/a@b/c", kDomain))
      << "a nick may contain @ and /";
}

TEST(IsAtDomain, AnythingElse) {
  EXPECT_FALSE(is_at_domain("", kDomain));
  EXPECT_FALSE(is_at_domain("example.org", kDomain));
  EXPECT_FALSE(is_at_domain("alice@example.org/phone", kDomain));
  EXPECT_FALSE(is_at_domain("sub.conference.example.org", kDomain)) << "subdomains are not ours";
  EXPECT_FALSE(is_at_domain("room@conference.example.org.evil", kDomain));
  EXPECT_FALSE(is_at_domain("@conference.example.org", kDomain));
  EXPECT_FALSE(is_at_domain("evil/room@conference.example.org", kDomain));
  EXPECT_FALSE(is_at_domain("room@conference.example.org", ""));
}

TEST(OutgoingProblem, AcceptsStanzasFromUsToAnyone) {
  EXPECT_EQ(
      outgoing_problem("room@conference.example.org/nick", "alice@example.org/phone", kDomain),
      std::nullopt);
}

TEST(OutgoingProblem, RefusesMissingTo) {
  auto problem = outgoing_problem("room@conference.example.org", "", kDomain);
  ASSERT_TRUE(problem);
  EXPECT_NE(problem->find("no 'to'"), std::string::npos);
}

TEST(OutgoingProblem, RefusesMissingOrForeignFrom) {
  EXPECT_TRUE(outgoing_problem("", "alice@example.org", kDomain));
  auto problem = outgoing_problem("alice@example.org", "bob@example.org", kDomain);
  ASSERT_TRUE(problem);
  EXPECT_NE(problem->find("conference.example.org"), std::string::npos);
}

TEST(ScanStartTag, FindsNameFromAndTo) {
  auto tag = scan_start_tag(
      "<message type='groupchat' from=\"room@conference.example.org/n\" to='a@b'><body>x</body>"
      "</message>");
  ASSERT_TRUE(tag);
  EXPECT_EQ(tag->name, "message");
  EXPECT_EQ(tag->from, "room@conference.example.org/n");
  EXPECT_EQ(tag->to, "a@b");
}

TEST(ScanStartTag, SelfClosingWithSpacesAndNoAddresses) {
  auto tag = scan_start_tag("  \n<presence\n  type = 'unavailable' />");
  ASSERT_TRUE(tag);
  EXPECT_EQ(tag->name, "presence");
  EXPECT_FALSE(tag->from);
  EXPECT_FALSE(tag->to);
}

TEST(ScanStartTag, ValuesWithEntitiesAndOtherQuotes) {
  auto tag = scan_start_tag("<iq from='r@c.example/O&apos;Brien \"x\"' to='a@b'/>");
  ASSERT_TRUE(tag);
  EXPECT_EQ(tag->from, "r@c.example/O&apos;Brien \"x\"");
}

TEST(ScanStartTag, RejectsWhatIsNotAStartTag) {
  for (const char* text : {"", "   ", "hello", "<", "<>", "<message from='x", "<message from=x>",
                           "<message from>", "<message from='<'>", "<message"}) {
    EXPECT_FALSE(scan_start_tag(text)) << text;
  }
}

TEST(IsStanzaName, OnlyTheThree) {
  EXPECT_TRUE(is_stanza_name("message"));
  EXPECT_TRUE(is_stanza_name("presence"));
  EXPECT_TRUE(is_stanza_name("iq"));
  EXPECT_FALSE(is_stanza_name("handshake"));
  EXPECT_FALSE(is_stanza_name("stream:error"));
}

TEST(InternalErrorReply, AnswersIqGetAndSet) {
  for (const char* type : {"get", "set"}) {
    auto request =
        Stanza::parse(std::string("<iq type='") + type +
                      "' id='q1' from='alice@example.org/phone' "
                      "to='room@conference.example.org'><query xmlns='jabber:iq:version'/></iq>");
    ASSERT_TRUE(request);
    auto reply = internal_error_reply(*request);
    ASSERT_TRUE(reply) << type;
    EXPECT_EQ(
        reply->to_string(),
        "<iq type=\"error\" from=\"room@conference.example.org\" "
        "to=\"alice@example.org/phone\" id=\"q1\"><error type=\"cancel\">"
        "<internal-server-error xmlns=\"urn:ietf:params:xml:ns:xmpp-stanzas\"/></error></iq>");
  }
}

TEST(InternalErrorReply, NothingForOtherStanzas) {
  for (const char* xml :
       {"<iq type='result' id='1' from='a@b' to='r@c'/>", "<iq type='error' id='1' from='a@b'/>",
        "<message from='a@b' to='r@c'><body>hi</body></message>",
        "<presence from='a@b' to='r@c/n'/>", "<iq type='get' id='1'/>"}) {
    auto request = Stanza::parse(xml);
    ASSERT_TRUE(request);
    EXPECT_FALSE(internal_error_reply(*request)) << xml;
  }
}

}  // namespace
}  // namespace mucd::component
