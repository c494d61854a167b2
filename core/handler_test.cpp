// Broadcast: one serialization, one copy per recipient that differs only in `to`.
#include "core/handler.hpp"

#include <gtest/gtest.h>

namespace mucd {
namespace {

Stanza parse(std::string_view xml) {
  auto s = Stanza::parse(xml);
  EXPECT_TRUE(s) << xml;
  return s ? *s : Stanza{"invalid"};
}

TEST(Broadcast, GivenAStanzaWithTo_ThenEachCopyCarriesOnlyItsOwnTo) {
  Broadcast b(parse(
      "<message to='room@muc.test' from='room@muc.test/nick' type='groupchat' id='x to=\"y\"'>"
      "<body>hi</body></message>"));
  EXPECT_EQ(b.name(), "message");
  EXPECT_EQ(b.from(), "room@muc.test/nick");
  EXPECT_EQ(b.text().find("room@muc.test\""), std::string::npos) << b.text();
  auto copy = parse(b.text_for("juliet@example.com/balcony"));
  EXPECT_EQ(copy.to(), "juliet@example.com/balcony");
  EXPECT_EQ(copy.from(), "room@muc.test/nick");
  EXPECT_EQ(copy.id(), "x to=\"y\"");
  EXPECT_EQ(std::string(copy.root().child("body").text().get()), "hi");
  EXPECT_EQ(b.size_for("juliet@example.com/balcony"),
            b.text_for("juliet@example.com/balcony").size());
}

TEST(Broadcast, GivenAToThatNeedsEscaping_ThenItIsEscapedAndReadsBack) {
  Broadcast b(parse("<presence from='r@m/n'/>"));
  std::string to = "a@b/with \"quote\" & <angle>";
  std::string text = b.text_for(to);
  EXPECT_EQ(b.size_for(to), text.size());
  EXPECT_EQ(parse(text).to(), to);
}

TEST(Broadcast, GivenCopiesAppendedToOneBuffer_ThenTheyAreConsecutiveStanzas) {
  Broadcast b(parse("<message from='r@m/n' type='groupchat'><body>x</body></message>"));
  std::string out;
  b.append_to(out, "a@b/1");
  b.append_to(out, "c@d/2");
  EXPECT_EQ(out, b.text_for("a@b/1") + b.text_for("c@d/2"));
}

TEST(Broadcast, GivenAChildAppended_ThenItIsTheLastChildWhetherOrNotTheElementWasEmpty) {
  Broadcast empty(parse("<presence from='r@m/n' to='x@y'/>"));
  auto a = parse(empty.with_child("<x xmlns='u'/>").text_for("t@u"));
  EXPECT_EQ(a.to(), "t@u");
  EXPECT_EQ(std::string(a.root().last_child().name()), "x");
  Broadcast full(parse("<message from='r@m/n'><body>b</body></message>"));
  auto with = full.with_child("<delay xmlns='urn:xmpp:delay' stamp='s'/>");
  EXPECT_EQ(with.from(), "r@m/n");
  auto m = parse(with.text_for("t@u"));
  EXPECT_EQ(std::string(m.root().first_child().name()), "body");
  EXPECT_EQ(std::string(m.root().last_child().name()), "delay");
}

}  // namespace
}  // namespace mucd
