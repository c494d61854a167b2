#include "component/stanza_convert.hpp"

#include <gtest/gtest.h>
#include <strophe.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace mucd::component {
namespace {

// libstrophe keeps attributes in a hash table, so their order is arbitrary: compare stanzas in a
// form with attributes sorted by name.
std::string canonical(pugi::xml_node node) {
  if (node.type() == pugi::node_pcdata) return node_to_string(node);
  std::vector<std::pair<std::string, std::string>> attributes;
  for (auto a : node.attributes()) attributes.emplace_back(a.name(), a.value());
  std::sort(attributes.begin(), attributes.end());
  std::string out = std::string("<") + node.name();
  for (const auto& [name, value] : attributes) out += " " + name + "='" + value + "'";
  out += ">";
  for (auto child : node.children()) out += canonical(child);
  return out + "</" + node.name() + ">";
}

std::string canonical(const Stanza& s) {
  return canonical(s.root());
}

// A libstrophe context for building stanzas the way its parser does.
class StanzaConvertTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { xmpp_initialize(); }

  void SetUp() override { ctx_ = xmpp_ctx_new(nullptr, nullptr); }
  void TearDown() override { xmpp_ctx_free(ctx_); }

  // Parses `xml` with libstrophe's parser (as if it had come from the server) and converts it.
  Stanza convert(const std::string& xml) {
    xmpp_stanza_t* parsed = xmpp_stanza_new_from_string(ctx_, xml.c_str());
    EXPECT_NE(parsed, nullptr) << xml;
    if (parsed == nullptr) return Stanza{"failed"};
    auto converted = from_strophe(parsed);
    xmpp_stanza_release(parsed);
    EXPECT_TRUE(converted) << xml;
    return converted ? *converted : Stanza{"failed"};
  }

  xmpp_ctx_t* ctx_ = nullptr;
};

TEST_F(StanzaConvertTest, StreamNamespaceIsDroppedFromTheTopElement) {
  for (const char* ns : {"jabber:component:accept", "jabber:client"}) {
    auto s = convert(std::string("<message xmlns='") + ns +
                     "' from='a@b/c' to='room@conf.example' type='groupchat'><body>hi</body>"
                     "</message>");
    EXPECT_EQ(s.name(), "message");
    EXPECT_FALSE(s.has_attr("xmlns")) << ns;
    EXPECT_EQ(s.from(), "a@b/c");
    EXPECT_EQ(s.to(), "room@conf.example");
    EXPECT_EQ(s.type(), "groupchat");
    auto body = s.root().child("body");
    ASSERT_TRUE(body);
    EXPECT_TRUE(body.attribute("xmlns").empty()) << "body inherits the stanza namespace";
    EXPECT_STREQ(body.text().get(), "hi");
  }
}

TEST_F(StanzaConvertTest, OtherTopNamespacesAreKept) {
  auto s = convert("<handshake xmlns='urn:example:other'>x</handshake>");
  EXPECT_EQ(s.attr("xmlns"), "urn:example:other");
}

TEST_F(StanzaConvertTest, NamespacesAppearWhereTheyChange) {
  auto s = convert(
      "<presence xmlns='jabber:component:accept' from='a@b/c' to='r@conf/nick'>"
      "<x xmlns='http://jabber.org/protocol/muc'><password>pw</password>"
      "<history maxstanzas='5'/></x>"
      "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='n' ver='v'/>"
      "<status>away</status></presence>");
  auto x = child_ns(s.root(), "x", "http://jabber.org/protocol/muc");
  ASSERT_TRUE(x) << s.to_string();
  EXPECT_TRUE(x.child("password").attribute("xmlns").empty());
  EXPECT_STREQ(x.child("password").text().get(), "pw");
  EXPECT_STREQ(x.child("history").attribute("maxstanzas").value(), "5");
  EXPECT_TRUE(x.child("history").attribute("xmlns").empty());
  EXPECT_TRUE(child_ns(s.root(), "c", "http://jabber.org/protocol/caps"));
  EXPECT_TRUE(child_ns(s.root(), "status", ""));
}

TEST_F(StanzaConvertTest, PrefixedNamespacesBecomeDefaultNamespaces) {
  auto s = convert(
      "<message xmlns='jabber:component:accept' xmlns:m='http://jabber.org/protocol/muc#user' "
      "from='a@b' to='r@c'><m:x><m:invite to='d@e'/></m:x></message>");
  auto x = child_ns(s.root(), "x", "http://jabber.org/protocol/muc#user");
  ASSERT_TRUE(x) << s.to_string();
  EXPECT_TRUE(x.child("invite"));
  EXPECT_TRUE(x.child("invite").attribute("xmlns").empty());
}

TEST_F(StanzaConvertTest, NestedNamespaceChangesBackAndForth) {
  auto s = convert(
      "<message xmlns='jabber:component:accept' from='a@b' to='r@c'>"
      "<forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' from='x@y'>"
      "<body>inner</body></message></forwarded></message>");
  auto forwarded = child_ns(s.root(), "forwarded", "urn:xmpp:forward:0");
  ASSERT_TRUE(forwarded);
  auto inner = child_ns(forwarded, "message", "jabber:client");
  ASSERT_TRUE(inner) << "the inner message keeps jabber:client: " << s.to_string();
  EXPECT_STREQ(inner.child("body").text().get(), "inner");
  EXPECT_TRUE(inner.child("body").attribute("xmlns").empty());
}

TEST_F(StanzaConvertTest, XmlLangComesBack) {
  auto s = convert(
      "<message xmlns='jabber:component:accept' xml:lang='de' from='a@b' to='r@c'>"
      "<body xml:lang='fr'>salut</body></message>");
  EXPECT_EQ(s.attr("xml:lang"), "de");
  EXPECT_FALSE(s.has_attr("lang"));
  EXPECT_STREQ(s.root().child("body").attribute("xml:lang").value(), "fr");
}

TEST_F(StanzaConvertTest, AttributesAreCopiedAndUnescaped) {
  auto s = convert(
      "<iq xmlns='jabber:component:accept' type='set' id='a&amp;b' from='a@b' "
      "to='r@c/O&apos;Brien &quot;x&quot;'><query xmlns='jabber:iq:register'/></iq>");
  EXPECT_EQ(s.id(), "a&b");
  EXPECT_EQ(s.to(), "r@c/O'Brien \"x\"");
  EXPECT_EQ(s.type(), "set");
}

TEST_F(StanzaConvertTest, TextWithEntities) {
  auto s = convert(
      "<message xmlns='jabber:component:accept' from='a@b' to='r@c'>"
      "<body>fish &amp; chips &lt;3 it&apos;s &gt; &quot;all&quot;</body></message>");
  EXPECT_STREQ(s.root().child("body").text().get(), "fish & chips <3 it's > \"all\"");
  // And serialized again, escaped.
  EXPECT_NE(s.to_string().find("fish &amp; chips &lt;3 it's &gt; \"all\""), std::string::npos)
      << s.to_string();
}

TEST_F(StanzaConvertTest, MixedContentKeepsOrder) {
  auto s = convert(
      "<message xmlns='jabber:component:accept' from='a@b' to='r@c'>"
      "<html xmlns='http://jabber.org/protocol/xhtml-im'>"
      "<body xmlns='http://www.w3.org/1999/xhtml'>one <b>two</b> three<br/>four</body></html>"
      "</message>");
  EXPECT_EQ(canonical(s),
            "<message from='a@b' to='r@c'><html xmlns='http://jabber.org/protocol/xhtml-im'>"
            "<body xmlns='http://www.w3.org/1999/xhtml'>one <b>two</b> three<br></br>four</body>"
            "</html></message>");
}

TEST_F(StanzaConvertTest, DeepNesting) {
  std::string open, close;
  for (int i = 0; i < 200; ++i) {
    open += "<d>";
    close += "</d>";
  }
  auto s = convert("<message xmlns='jabber:component:accept' from='a@b' to='r@c'>" + open + "x" +
                   close + "</message>");
  auto node = s.root();
  int depth = 0;
  while (node.child("d")) {
    node = node.child("d");
    ++depth;
  }
  EXPECT_EQ(depth, 200);
  EXPECT_STREQ(node.text().get(), "x");
}

TEST_F(StanzaConvertTest, RoundTripLibstropheToStanzaToText) {
  const std::string wire =
      "<message xmlns='jabber:component:accept' from='alice@example.org/phone' "
      "to='room@conference.example.org' type='groupchat' id='m1' xml:lang='en'>"
      "<body>a &amp; b &lt; c</body>"
      "<x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' role='moderator'/>"
      "</x></message>";
  auto first = convert(wire);
  std::string text = first.to_string();
  // The text parses back, with libstrophe too, into the same thing.
  auto reparsed = Stanza::parse(text);
  ASSERT_TRUE(reparsed) << text;
  EXPECT_EQ(reparsed->to_string(), text);
  auto second = convert(text);
  EXPECT_EQ(canonical(second), canonical(first));

  EXPECT_EQ(first.attr("xml:lang"), "en");
  EXPECT_EQ(first.id(), "m1");
  EXPECT_STREQ(first.root().child("body").text().get(), "a & b < c");
  auto x = child_ns(first.root(), "x", "http://jabber.org/protocol/muc#user");
  ASSERT_TRUE(x);
  EXPECT_STREQ(x.child("item").attribute("affiliation").value(), "owner");
  EXPECT_NE(text.find("a &amp; b &lt; c"), std::string::npos) << text;
  EXPECT_EQ(text.find("jabber:component:accept"), std::string::npos) << text;
}

TEST_F(StanzaConvertTest, TextNodesAreNotStanzas) {
  xmpp_stanza_t* text = xmpp_stanza_new(ctx_);
  xmpp_stanza_set_text(text, "just text");
  EXPECT_FALSE(from_strophe(text));
  xmpp_stanza_release(text);
  EXPECT_FALSE(from_strophe(nullptr));
}

TEST_F(StanzaConvertTest, StanzaBuiltWithTheApiWithoutNamespaces) {
  xmpp_stanza_t* iq = xmpp_iq_new(ctx_, "get", "v1");
  xmpp_stanza_t* query = xmpp_stanza_new(ctx_);
  xmpp_stanza_set_name(query, "query");
  xmpp_stanza_set_ns(query, "jabber:iq:version");
  xmpp_stanza_add_child_ex(iq, query, 0);
  auto s = from_strophe(iq);
  xmpp_stanza_release(iq);
  ASSERT_TRUE(s);
  EXPECT_EQ(canonical(*s), "<iq id='v1' type='get'><query xmlns='jabber:iq:version'></query></iq>");
}

}  // namespace
}  // namespace mucd::component
