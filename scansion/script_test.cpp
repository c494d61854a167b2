#include "scansion/script.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "scansion/xml.hpp"

namespace mucd::scansion {
namespace {

using ::testing::HasSubstr;

std::string read_seed(const std::string& name) {
  std::ifstream in(std::filesystem::path(SCANSION_SEEDS_DIR) / name, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Script parse_ok(std::string_view text) {
  auto parsed = parse_script(text, "test.scs");
  if (auto* error = std::get_if<ParseError>(&parsed)) {
    ADD_FAILURE() << "unexpected parse error: " << error->to_string();
    return {};
  }
  return std::get<Script>(parsed);
}

ParseError parse_error(std::string_view text) {
  auto parsed = parse_script(text, "broken.scs");
  if (auto* error = std::get_if<ParseError>(&parsed)) return *error;
  ADD_FAILURE() << "script parsed although it is broken";
  return {};
}

constexpr std::string_view kMinimal = R"(# A title

[Client] Romeo
	jid: romeo@localhost/balcony
	password: secret

[Client] Juliet
	jid: juliet@localhost
	password: password

-----

# comment between steps
Romeo connects

Romeo sends:
	<presence to='room@conference.localhost/Romeo'>
		<x xmlns="http://jabber.org/protocol/muc"/>
	</presence>

Romeo receives:
	<message from='room@conference.localhost'>
# a comment inside the XML block
		<body>It&apos;s here&#10;twice</body>
		<x scansion:strict='true' jid="${Juliet's JID}" full="${Romeo's full JID}"/>
	</message>

Romeo disconnects
)";

TEST(ScriptParser, ReadsTitleClientsAndSteps) {
  auto script = parse_ok(kMinimal);
  EXPECT_EQ(script.title, "A title");
  ASSERT_EQ(script.clients.size(), 2u);
  EXPECT_EQ(script.clients[0].name, "Romeo");
  EXPECT_EQ(script.clients[0].jid, "romeo@localhost/balcony");
  EXPECT_EQ(script.clients[0].password, "secret");
  EXPECT_EQ(script.clients[0].line, 3);
  EXPECT_EQ(script.clients[1].jid, "juliet@localhost");

  ASSERT_EQ(script.steps.size(), 4u);
  EXPECT_EQ(script.steps[0].action, Action::Connect);
  EXPECT_EQ(script.steps[0].client, "Romeo");
  EXPECT_EQ(script.steps[0].line, 14);
  EXPECT_EQ(script.steps[1].action, Action::Send);
  EXPECT_EQ(script.steps[1].line, 16);
  EXPECT_EQ(script.steps[1].xml_line, 17);
  EXPECT_THAT(script.steps[1].xml, HasSubstr("<x xmlns=\"http://jabber.org/protocol/muc\"/>"));
  EXPECT_EQ(script.steps[2].action, Action::Receive);
  EXPECT_EQ(script.steps[3].action, Action::Disconnect);
  EXPECT_EQ(script.steps[3].line, 28);
}

TEST(ScriptParser, StepXmlKeepsEntitiesUndeclaredPrefixAndVariables) {
  auto script = parse_ok(kMinimal);
  const auto& xml = script.steps[2].xml;
  EXPECT_THAT(xml, Not(HasSubstr("a comment inside")));
  auto parsed = parse_element(xml);
  ASSERT_TRUE(parsed) << parsed.error;
  auto body = parsed.root().child("body");
  EXPECT_EQ(text_of(body), "It's here\ntwice");
  auto x = parsed.root().child("x");
  EXPECT_STREQ(x.attribute("scansion:strict").value(), "true");
  EXPECT_STREQ(x.attribute("jid").value(), "${Juliet's JID}");
}

TEST(ScriptParser, ParsesEverySeed) {
  for (const char* seed :
       {"muc_affiliation_notify.scs", "muc_create_destroy.scs", "muc_members_only_deregister.scs",
        "muc_password.scs", "muc_show_offline.scs"}) {
    SCOPED_TRACE(seed);
    auto text = read_seed(seed);
    ASSERT_FALSE(text.empty());
    auto script = parse_ok(text);
    EXPECT_FALSE(script.title.empty());
    EXPECT_GE(script.clients.size(), 2u);
    EXPECT_GT(script.steps.size(), 10u);
    for (const auto& step : script.steps) {
      if (step.action == Action::Send || step.action == Action::Receive) {
        EXPECT_TRUE(parse_element(step.xml)) << "line " << step.xml_line;
      }
    }
  }
}

TEST(ScriptParser, SeedStepsHaveTheirLines) {
  auto script = parse_ok(read_seed("muc_password.scs"));
  EXPECT_EQ(script.title, "MUC: Password-protected rooms");
  ASSERT_EQ(script.clients.size(), 2u);
  EXPECT_EQ(script.clients[1].jid, "user2@localhost");
  // "Juliet receives:" with the not-authorized error is on line 60.
  const Step* error_step = nullptr;
  for (const auto& step : script.steps) {
    if (step.xml.find("not-authorized") != std::string::npos) error_step = &step;
  }
  ASSERT_NE(error_step, nullptr);
  EXPECT_EQ(error_step->line, 60);
  EXPECT_EQ(error_step->client, "Juliet");
  EXPECT_EQ(error_step->action, Action::Receive);
}

TEST(ScriptParser, UnknownClientInActionIsAnErrorWithItsLine) {
  auto error =
      parse_error("# t\n[Client] Romeo\n\tjid: a@b\n-----\nRomeo connects\nBob connects\n");
  EXPECT_EQ(error.file, "broken.scs");
  EXPECT_EQ(error.line, 6);
  EXPECT_THAT(error.message, HasSubstr("unknown client \"Bob\""));
  EXPECT_EQ(error.to_string(), "broken.scs:6: unknown client \"Bob\"");
}

TEST(ScriptParser, UnknownClientInVariableIsAnErrorWithItsLine) {
  auto error = parse_error(
      "[Client] Romeo\n\tjid: a@b\n-----\nRomeo sends:\n\t<presence>\n\t\t<item "
      "jid=\"${Bob's JID}\"/>\n\t</presence>\n");
  EXPECT_EQ(error.line, 6);
  EXPECT_THAT(error.message, HasSubstr("unknown client \"Bob\""));
}

TEST(ScriptParser, MalformedVariableIsAnError) {
  auto error = parse_error(
      "[Client] Romeo\n\tjid: a@b\n-----\nRomeo sends:\n\t<presence to=\"${Romeo's nick}\"/>\n");
  EXPECT_EQ(error.line, 5);
  EXPECT_THAT(error.message, HasSubstr("unknown variable ${Romeo's nick}"));
}

TEST(ScriptParser, XmlSyntaxErrorPointsAtTheBrokenLine) {
  auto error = parse_error(
      "[Client] Romeo\n\tjid: a@b\n-----\n\nRomeo sends:\n\t<presence>\n\t\t<x "
      "xmlns='urn:x'>\n\t\t</y>\n\t</presence>\n");
  EXPECT_EQ(error.line, 8);
  EXPECT_THAT(error.message, HasSubstr("XML syntax error"));
}

TEST(ScriptParser, TwoStanzasInOneStepIsAnError) {
  auto error =
      parse_error("[Client] Romeo\n\tjid: a@b\n-----\nRomeo sends:\n\t<presence/>\n\t<iq/>\n");
  EXPECT_EQ(error.line, 6);
  EXPECT_THAT(error.message, HasSubstr("more than one element"));
}

TEST(ScriptParser, UnknownActionIsAnError) {
  auto error = parse_error("[Client] Romeo\n\tjid: a@b\n-----\nRomeo dances\n");
  EXPECT_EQ(error.line, 4);
  EXPECT_THAT(error.message, HasSubstr("unknown action \"Romeo dances\""));
}

TEST(ScriptParser, MissingHeaderEndIsAnError) {
  auto error = parse_error("# t\n[Client] Romeo\n\tjid: a@b\n\nRomeo connects\n");
  EXPECT_EQ(error.line, 5);
  EXPECT_THAT(error.message, HasSubstr("missing header end"));
}

TEST(ScriptParser, MissingHeaderIsAnError) {
  auto error = parse_error("# t\n\n-----\nRomeo connects\n");
  EXPECT_EQ(error.line, 3);
  EXPECT_THAT(error.message, HasSubstr("missing header"));
  auto empty = parse_error("");
  EXPECT_THAT(empty.message, HasSubstr("missing header"));
}

TEST(ScriptParser, ClientWithoutJidIsAnError) {
  auto error = parse_error("[Client] Romeo\n\tpassword: x\n-----\n");
  EXPECT_EQ(error.line, 1);
  EXPECT_THAT(error.message, HasSubstr("has no jid"));
}

TEST(ScriptParser, UnknownClientFieldIsAnError) {
  auto error = parse_error("[Client] Romeo\n\tjid: a@b\n\tnick: r\n-----\n");
  EXPECT_EQ(error.line, 3);
  EXPECT_THAT(error.message, HasSubstr("unknown [Client] field \"nick\""));
}

TEST(ScriptParser, SendWithoutXmlIsAnError) {
  auto error = parse_error("[Client] Romeo\n\tjid: a@b\n-----\nRomeo sends:\n\nRomeo connects\n");
  EXPECT_EQ(error.line, 4);
  EXPECT_THAT(error.message, HasSubstr("expected indented XML"));
}

TEST(ScriptParser, ConnectWithXmlIsAnError) {
  auto error = parse_error("[Client] Romeo\n\tjid: a@b\n-----\nRomeo connects\n\t<presence/>\n");
  EXPECT_EQ(error.line, 5);
  EXPECT_THAT(error.message, HasSubstr("takes no XML"));
}

TEST(ScriptParser, StrayIndentedLineIsAnError) {
  auto error = parse_error("[Client] Romeo\n\tjid: a@b\n-----\nRomeo connects\n\n\t<presence/>\n");
  EXPECT_EQ(error.line, 6);
  EXPECT_THAT(error.message, HasSubstr("indented line without an action"));
}

TEST(ScriptParser, AcceptsCrLfLineEndings) {
  auto script = parse_ok("# T\r\n[Client] Romeo\r\n\tjid: a@b\r\n-----\r\nRomeo connects\r\n");
  ASSERT_EQ(script.steps.size(), 1u);
  EXPECT_EQ(script.clients[0].jid, "a@b");
  EXPECT_EQ(script.title, "T");
}

}  // namespace
}  // namespace mucd::scansion
