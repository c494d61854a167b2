#include "scansion/variables.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mucd::scansion {
namespace {

std::optional<std::string> lookup(const Variable& v, std::string& error) {
  if (v.client == "Romeo") return v.full ? "romeo@h/r'1" : "romeo@h";
  error = "no " + v.client;
  return std::nullopt;
}

TEST(Variables, FindsFullAndBareJidVariables) {
  auto uses = find_variables("<a x=\"${Romeo's full JID}\" y='${Juliet's JID}'/>");
  ASSERT_EQ(uses.size(), 2u);
  ASSERT_TRUE(uses[0].variable);
  EXPECT_EQ(uses[0].variable->client, "Romeo");
  EXPECT_TRUE(uses[0].variable->full);
  EXPECT_EQ(uses[0].offset, 6u);
  ASSERT_TRUE(uses[1].variable);
  EXPECT_EQ(uses[1].variable->client, "Juliet");
  EXPECT_FALSE(uses[1].variable->full);
}

TEST(Variables, ReportsMalformedAndUnclosedVariables) {
  auto uses = find_variables("${Romeo's nick} ${oops");
  ASSERT_EQ(uses.size(), 2u);
  EXPECT_FALSE(uses[0].variable);
  EXPECT_EQ(uses[0].text, "Romeo's nick");
  EXPECT_FALSE(uses[1].variable);
}

TEST(Variables, SubstitutesEscapedValues) {
  auto out = substitute("<i jid='${Romeo's full JID}'>${Romeo's JID}</i>", lookup);
  EXPECT_EQ(out.error, "");
  EXPECT_EQ(out.text, "<i jid='romeo@h/r&apos;1'>romeo@h</i>");
}

TEST(Variables, SubstitutionFailsOnUnknownValues) {
  auto out = substitute("<i jid='${Juliet's JID}'/>", lookup);
  EXPECT_EQ(out.error, "no Juliet");
}

}  // namespace
}  // namespace mucd::scansion
