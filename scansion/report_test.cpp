#include "scansion/report.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "scansion/xml.hpp"

namespace mucd::scansion {
namespace {

using ::testing::ElementsAre;

TEST(LineDiff, MarksRemovedAddedAndCommonLines) {
  EXPECT_THAT(line_diff({"a", "b", "c"}, {"a", "x", "c", "d"}),
              ElementsAre("  a", "- b", "+ x", "  c", "+ d"));
  EXPECT_THAT(line_diff({}, {"a"}), ElementsAre("+ a"));
  EXPECT_THAT(line_diff({"a"}, {}), ElementsAre("- a"));
}

TEST(Pretty, IndentsSortsAttributesAndDropsDirectives) {
  auto doc = parse_element(
      "<presence type='error' from='r@c/j'><error type='auth' code='401'>"
      "<not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"
      "<x xmlns='urn:a' scansion:strict='true'><body>hi</body></x></presence>");
  ASSERT_TRUE(doc);
  EXPECT_THAT(pretty(doc.root()),
              ElementsAre("<presence from=\"r@c/j\" type=\"error\">",
                          "  <error code=\"401\" type=\"auth\">",
                          "    <not-authorized xmlns=\"urn:ietf:params:xml:ns:xmpp-stanzas\"/>",
                          "  </error>", "  <x xmlns=\"urn:a\">", "    <body>hi</body>", "  </x>",
                          "</presence>"));
}

TEST(Align, ReceivedFollowsTheExpectedOrderAndHidesUnmentionedAttributes) {
  auto expected = parse_element(
      "<presence from='r@c/j'><x xmlns='urn:a'><status code='110'/><item role='none'/></x>"
      "</presence>");
  auto received = parse_received(
      "<presence from='r@c/j' to='me@h/r' lang='en'><occupant-id xmlns='urn:o' id='1'/>"
      "<x xmlns='urn:a'><item jid='me@h/r' role='none'/><status code='201'/></x></presence>");
  ASSERT_TRUE(expected);
  ASSERT_TRUE(received);
  auto aligned = align(expected.root(), received.root());
  EXPECT_THAT(line_diff(aligned.expected, aligned.received),
              ElementsAre("  <presence from=\"r@c/j\">", "    <x xmlns=\"urn:a\">",
                          "-     <status code=\"110\"/>", "+     <status code=\"201\"/>",
                          "      <item role=\"none\"/>", "    </x>",
                          "+   <occupant-id id=\"1\" xmlns=\"urn:o\"/>", "  </presence>"));
}

TEST(Align, MissingAttributeAndChildShowOnlyOnTheExpectedSide) {
  auto expected = parse_element(
      "<presence><error type='auth' code='401'><not-authorized xmlns='urn:s'/></error>"
      "<x xmlns='urn:muc'/></presence>");
  auto received = parse_received(
      "<presence><error type='auth' by='room'><not-authorized xmlns='urn:s'/></error></presence>");
  auto aligned = align(expected.root(), received.root());
  EXPECT_THAT(line_diff(aligned.expected, aligned.received),
              ElementsAre("  <presence>", "-   <error code=\"401\" type=\"auth\">",
                          "+   <error type=\"auth\">", "      <not-authorized xmlns=\"urn:s\"/>",
                          "    </error>", "-   <x xmlns=\"urn:muc\"/>", "  </presence>"));
}

TEST(Align, AnyValueShowsTheReceivedValue) {
  auto expected = parse_element("<delay stamp='{scansion:any}' from='r'/>");
  auto received = parse_received("<delay stamp='2024' from='r'/>");
  auto aligned = align(expected.root(), received.root());
  EXPECT_EQ(aligned.expected, aligned.received);
}

TEST(Align, RedundantNamespaceDeclarationsDoNotShowAsDifferences) {
  auto expected =
      parse_element("<presence><x xmlns='urn:a'><item xmlns='urn:a' role='none'/></x></presence>");
  auto received = parse_received("<presence><x xmlns='urn:a'><item role='none'/></x></presence>");
  auto aligned = align(expected.root(), received.root());
  EXPECT_EQ(aligned.expected, aligned.received);
}

}  // namespace
}  // namespace mucd::scansion
