#include "scansion/matcher.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "scansion/script.hpp"
#include "scansion/variables.hpp"
#include "scansion/xml.hpp"

namespace mucd::scansion {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Matches `expected` against `received` (both XML text) and keeps the documents alive.
struct Comparison {
  ParsedXml expected;
  ParsedXml received;
  MatchResult result;
};

Comparison compare(std::string_view expected, std::string_view received) {
  Comparison c{parse_element(expected), parse_received(received), {}};
  EXPECT_TRUE(c.expected) << c.expected.error;
  EXPECT_TRUE(c.received) << c.received.error;
  if (c.expected && c.received) c.result = match(c.expected.root(), c.received.root());
  return c;
}

MatchResult matches(std::string_view expected, std::string_view received) {
  return compare(expected, received).result;
}

// --- element names ---------------------------------------------------------------------------

TEST(Matcher, SameNameMatches) {
  auto r = matches("<presence/>", "<presence from='a@b'/>");
  EXPECT_TRUE(r.matched);
  EXPECT_THAT(r.differences, IsEmpty());
}

TEST(Matcher, DifferentNameFails) {
  auto r = matches("<presence/>", "<message/>");
  EXPECT_FALSE(r.matched);
  EXPECT_THAT(r.differences,
              ElementsAre("/presence: element name: expected <presence>, got <message>"));
}

TEST(Matcher, DifferentChildNameFails) {
  auto r = matches("<iq><query xmlns='q'/></iq>", "<iq><command xmlns='q'/></iq>");
  EXPECT_FALSE(r.matched);
  EXPECT_THAT(r.differences, ElementsAre("/iq: missing child <query xmlns=\"q\"/>"));
}

// --- namespaces ------------------------------------------------------------------------------

TEST(Matcher, DeclaredNamespaceEqualToReceivedOwnMatches) {
  EXPECT_TRUE(
      matches("<presence><x xmlns='urn:a'/></presence>", "<presence><x xmlns='urn:a'/></presence>")
          .matched);
}

TEST(Matcher, DeclaredNamespaceMatchesInheritedOne) {
  EXPECT_TRUE(matches("<presence><x xmlns='urn:a'><item xmlns='urn:a'/></x></presence>",
                      "<presence><x xmlns='urn:a'><item/></x></presence>")
                  .matched);
}

TEST(Matcher, TopLevelNamespaceDefaultsToJabberClient) {
  EXPECT_TRUE(matches("<message xmlns='jabber:client'/>", "<message/>").matched);
  auto r = matches("<message xmlns='jabber:server'/>", "<message/>");
  EXPECT_FALSE(r.matched);
  EXPECT_THAT(r.differences, ElementsAre("/message: namespace: expected \"jabber:server\", got "
                                         "\"jabber:client\""));
}

TEST(Matcher, DifferentNamespaceFails) {
  auto r = matches("<presence><x xmlns='http://jabber.org/protocol/muc#user'/></presence>",
                   "<presence><x xmlns='http://jabber.org/protocol/muc'/></presence>");
  EXPECT_FALSE(r.matched);
  EXPECT_THAT(r.differences, ElementsAre("/presence/x: namespace: expected "
                                         "\"http://jabber.org/protocol/muc#user\", got "
                                         "\"http://jabber.org/protocol/muc\""));
}

TEST(Matcher, InheritedNamespaceThatDiffersFails) {
  auto r = matches("<presence><x xmlns='urn:a'><item xmlns='urn:a'/></x></presence>",
                   "<presence><x xmlns='urn:a'><item xmlns='urn:b'/></x></presence>");
  EXPECT_FALSE(r.matched);
  EXPECT_THAT(r.differences, ElementsAre("/presence/x/item: namespace: expected \"urn:a\", got "
                                         "\"urn:b\""));
}

TEST(Matcher, UndeclaredExpectedNamespaceIsNotChecked) {
  EXPECT_TRUE(
      matches("<presence><x/></presence>", "<presence><x xmlns='urn:b'/></presence>").matched);
}

// --- attributes ------------------------------------------------------------------------------

TEST(Matcher, EqualAttributeMatchesAndExtraReceivedAttributesAreIgnored) {
  EXPECT_TRUE(matches("<iq type='result' id='a1'/>",
                      "<iq id='a1' type='result' to='x@y/z' from='room@muc' xml:lang='en'/>")
                  .matched);
}

TEST(Matcher, DifferentAttributeValueFails) {
  auto r = matches("<iq type='result'/>", "<iq type='error'/>");
  EXPECT_FALSE(r.matched);
  EXPECT_THAT(r.differences,
              ElementsAre("/iq: attribute type: expected \"result\", got \"error\""));
}

TEST(Matcher, MissingAttributeFails) {
  auto r = matches("<error type='auth' code='401'/>", "<error type='auth'/>");
  EXPECT_FALSE(r.matched);
  EXPECT_THAT(r.differences, ElementsAre("/error: attribute code: expected \"401\", missing"));
}

TEST(Matcher, AnyValueMatchesAPresentAttribute) {
  EXPECT_TRUE(
      matches("<delay stamp='{scansion:any}'/>", "<delay stamp='2024-01-01T00:00:00Z'/>").matched);
}

TEST(Matcher, AnyValueStillRequiresTheAttribute) {
  auto r = matches("<delay stamp='{scansion:any}'/>", "<delay/>");
  EXPECT_FALSE(r.matched);
  EXPECT_THAT(r.differences,
              ElementsAre("/delay: attribute stamp: expected \"{scansion:any}\", missing"));
}

TEST(Matcher, StrictDirectiveIsNotAnAttributeToMatch) {
  EXPECT_TRUE(matches("<x scansion:strict='true'><a/></x>", "<x><a/></x>").matched);
}

TEST(Matcher, LangAttributeFromLibstropheIsXmlLang) {
  EXPECT_TRUE(matches("<message xml:lang='en'/>", "<message lang='en'/>").matched);
  auto r = matches("<message xml:lang='de'/>", "<message lang='en'/>");
  EXPECT_THAT(r.differences,
              ElementsAre("/message: attribute xml:lang: expected \"de\", got \"en\""));
}

// --- children --------------------------------------------------------------------------------

TEST(Matcher, ChildrenMatchInAnyOrderAndExtrasAreIgnored) {
  EXPECT_TRUE(matches("<x><status code='110'/><item role='none'/><status code='201'/></x>",
                      "<x><status code='201'/><extra/><item role='none' jid='a@b'/>"
                      "<status code='110'/></x>")
                  .matched);
}

TEST(Matcher, MissingChildFails) {
  auto r = matches("<x><item/><status code='110'/></x>", "<x><item/></x>");
  EXPECT_FALSE(r.matched);
  EXPECT_THAT(r.differences, ElementsAre("/x: missing child <status code=\"110\"/>"));
}

TEST(Matcher, EachReceivedChildIsUsedOnce) {
  EXPECT_TRUE(matches("<x><status/><status/></x>", "<x><status/><status/></x>").matched);
  auto r = matches("<x><status/><status/></x>", "<x><status/></x>");
  EXPECT_FALSE(r.matched);
  EXPECT_THAT(r.differences, ElementsAre("/x: missing child <status/>"));
}

TEST(Matcher, PairingFindsTheAssignmentGreedyOrderWouldMiss) {
  // The first expected <status/> could take code 110, starving the second; a maximum matching
  // gives it code 201 instead.
  EXPECT_TRUE(matches("<x><status/><status code='110'/></x>",
                      "<x><status code='110'/><status code='201'/></x>")
                  .matched);
  auto pairing = [] {
    auto e = parse_element("<x><status/><status code='110'/></x>");
    auto r = parse_element("<x><status code='110'/><status code='201'/></x>");
    return pair_children(e.root(), r.root());
  }();
  EXPECT_THAT(pairing, ElementsAre(1, 0));
}

TEST(Matcher, NearMissChildReportsWhatDiffered) {
  auto r = matches("<x><status code='110'/></x>", "<x><status code='201'/></x>");
  EXPECT_FALSE(r.matched);
  EXPECT_THAT(r.differences,
              ElementsAre("/x/status: attribute code: expected \"110\", got \"201\""));
}

TEST(Matcher, StrictWithSameChildCountMatches) {
  EXPECT_TRUE(matches("<x scansion:strict='true'><item/></x>", "<x><item a='1'/></x>").matched);
  EXPECT_TRUE(matches("<query node='n' scansion:strict='true'/>", "<query node='n'/>").matched);
}

TEST(Matcher, StrictWithExtraChildFails) {
  auto r = matches("<query node='n' scansion:strict='true'/>",
                   "<query node='n'><identity name='Romeo'/></query>");
  EXPECT_FALSE(r.matched);
  ASSERT_EQ(r.differences.size(), 1u);
  EXPECT_THAT(r.differences[0], HasSubstr("/query: scansion:strict: expected 0 child elements, "
                                          "got 1; extra: <identity name=\"Romeo\"/>"));
}

TEST(Matcher, StrictIsOnlyTrueWhenSaysTrue) {
  EXPECT_TRUE(matches("<x scansion:strict='false'/>", "<x><a/></x>").matched);
}

// --- text ------------------------------------------------------------------------------------

TEST(Matcher, EqualTrimmedTextMatches) {
  EXPECT_TRUE(matches("<body>\n  Here I am!  \n</body>", "<body>Here I am!</body>").matched);
}

TEST(Matcher, DifferentTextFails) {
  auto r = matches("<body>Here I am!</body>", "<body>Here I was!</body>");
  EXPECT_FALSE(r.matched);
  EXPECT_THAT(r.differences,
              ElementsAre("/body: text: expected \"Here I am!\", got \"Here I was!\""));
}

TEST(Matcher, WhitespaceOnlyExpectedTextIsIgnored) {
  EXPECT_TRUE(matches("<iq type='result'>\n\t</iq>", "<iq type='result'>ignored</iq>").matched);
  EXPECT_TRUE(matches("<subject/>", "<subject>Topic</subject>").matched);
}

TEST(Matcher, EntitiesCompareDecoded) {
  EXPECT_TRUE(matches("<note>rooms:&#10;a@b</note>", "<note>rooms:\na@b</note>").matched);
  EXPECT_TRUE(matches("<body>we&apos;re</body>", "<body>we're</body>").matched);
}

// --- scoring ---------------------------------------------------------------------------------

TEST(Matcher, CloserStanzaScoresHigher) {
  const char* expected =
      "<presence from='r@c/x'><x xmlns='urn:a'><status code='110'/></x></presence>";
  auto near = matches(expected, "<presence from='r@c/x'><x xmlns='urn:a'/></presence>");
  auto far = matches(expected, "<presence from='r@c/y'/>");
  auto other = matches(expected, "<message from='r@c/x'/>");
  EXPECT_GT(near.score, far.score);
  EXPECT_GT(far.score, other.score);
}

// --- broken copies of a seed stanza ----------------------------------------------------------

std::string read_seed(const std::string& name) {
  std::ifstream in(std::filesystem::path(SCANSION_SEEDS_DIR) / name, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The XML of the first step of `seed` whose XML contains `marker`, variables substituted.
std::string seed_stanza(const std::string& seed, std::string_view marker) {
  auto parsed = parse_script(read_seed(seed), seed);
  if (!std::holds_alternative<Script>(parsed)) {
    ADD_FAILURE() << std::get<ParseError>(parsed).to_string();
    return {};
  }
  for (const auto& step : std::get<Script>(parsed).steps) {
    if (step.xml.find(marker) == std::string::npos) continue;
    auto result = substitute(step.xml, [](const Variable& v, std::string&) {
      std::string bare = v.client == "Romeo" ? "romeo@localhost" : "juliet@localhost";
      return std::optional<std::string>(v.full ? bare + "/res" : bare);
    });
    return result.text;
  }
  ADD_FAILURE() << "no step with " << marker;
  return {};
}

// What Prosody 0.12 sends for the seed's first join, as libstrophe serializes it.
constexpr std::string_view kJoinAsReceived =
    R"(<presence lang="en" to="romeo@localhost/res" from="garden@conference.localhost/romeo">)"
    R"(<x xmlns="vcard-temp:x:update"><photo/></x>)"
    R"(<occupant-id id="KQPbvmijW1ZS=" xmlns="urn:xmpp:occupant-id:0"/>)"
    R"(<x xmlns="http://jabber.org/protocol/muc#user"><status code="201"/>)"
    R"(<item jid="romeo@localhost/res" role="moderator" affiliation="owner"/>)"
    R"(<status code="110"/></x></presence>)";

std::string broken(std::string_view text, std::string_view from, std::string_view to) {
  std::string out(text);
  auto at = out.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) out.replace(at, from.size(), to);
  return out;
}

class SeedStanza : public ::testing::Test {
 protected:
  std::string join = seed_stanza("muc_create_destroy.scs", "status code=\"201\"");
  std::string message = seed_stanza("muc_create_destroy.scs",
                                    "from=\"garden@conference.localhost/romeo\" id=\"rm1\"");
};

TEST_F(SeedStanza, ServerStanzaMatchesTheSeed) {
  EXPECT_TRUE(matches(join, kJoinAsReceived).matched);
}

TEST_F(SeedStanza, ChangedStatusCodeNamesTheCode) {
  auto r =
      matches(join, broken(kJoinAsReceived, R"(<status code="110"/>)", R"(<status code="100"/>)"));
  EXPECT_FALSE(r.matched);
  EXPECT_THAT(r.differences,
              ElementsAre("/presence/x/status: attribute code: expected \"110\", got \"100\""));
}

TEST_F(SeedStanza, ChangedAttributeNamesTheAttribute) {
  auto r = matches(join, broken(kJoinAsReceived, R"(role="moderator")", R"(role="participant")"));
  EXPECT_FALSE(r.matched);
  EXPECT_THAT(r.differences, ElementsAre("/presence/x/item: attribute role: expected "
                                         "\"moderator\", got \"participant\""));
}

TEST_F(SeedStanza, MissingChildNamesTheChild) {
  auto r = matches(join, broken(kJoinAsReceived, R"(<status code="110"/>)", ""));
  EXPECT_FALSE(r.matched);
  EXPECT_THAT(r.differences, ElementsAre("/presence/x: missing child <status code=\"110\"/>"));
}

TEST_F(SeedStanza, MissingPhotoElementNamesIt) {
  auto r =
      matches(join, broken(kJoinAsReceived, R"(<x xmlns="vcard-temp:x:update"><photo/></x>)", ""));
  EXPECT_FALSE(r.matched);
  EXPECT_THAT(
      r.differences,
      ElementsAre("/presence: missing child <x xmlns=\"vcard-temp:x:update\"><photo/></x>"));
}

TEST_F(SeedStanza, ChangedBodyShowsBothTexts) {
  constexpr std::string_view kMessage =
      R"(<message id="rm1" type="groupchat" to="romeo@localhost/res" )"
      R"(from="garden@conference.localhost/romeo"><body>Where are thou my Juliet?</body></message>)";
  EXPECT_TRUE(matches(message, kMessage).matched);
  auto r = matches(message, broken(kMessage, "my Juliet", "my Rosaline"));
  EXPECT_FALSE(r.matched);
  EXPECT_THAT(r.differences, ElementsAre("/message/body: text: expected \"Where are thou my "
                                         "Juliet?\", got \"Where are thou my Rosaline?\""));
}

TEST_F(SeedStanza, LegacyErrorCodeIsReportedMissing) {
  auto expected = seed_stanza("muc_password.scs", "not-authorized");
  auto r =
      matches(expected, R"(<presence type="error" from="room@conference.localhost/Juliet">)"
                        R"(<error type="auth" by="room@conference.localhost">)"
                        R"(<not-authorized xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error>)"
                        R"(</presence>)");
  EXPECT_FALSE(r.matched);
  EXPECT_THAT(r.differences,
              ElementsAre("/presence/error: attribute code: expected \"401\", missing"));
}

}  // namespace
}  // namespace mucd::scansion
