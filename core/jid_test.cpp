// The ASCII fast path of Jid::parse must agree with libidn's stringprep on every ASCII input.
#include "core/jid.hpp"

#include <gtest/gtest.h>
#include <stringprep.h>

#include <string>
#include <vector>

namespace mucd {
namespace {

std::optional<std::string> libidn(const std::string& in, const Stringprep_profile* profile,
                                  Stringprep_profile_flags flags = Stringprep_profile_flags(0)) {
  std::vector<char> buf(in.size() * 4 + 16, '\0');
  std::copy(in.begin(), in.end(), buf.begin());
  if (stringprep(buf.data(), buf.size(), flags, profile) != STRINGPREP_OK) return std::nullopt;
  return std::string(buf.data());
}

// Every printable and control ASCII character, alone and inside a word.
std::vector<std::string> ascii_samples() {
  std::vector<std::string> out;
  for (int c = 1; c < 0x80; ++c) {
    out.push_back(std::string(1, static_cast<char>(c)));
    out.push_back("Ab" + std::string(1, static_cast<char>(c)) + "Z9");
  }
  out.push_back("Romeo.Montague-1_x");
  out.push_back("with space");
  return out;
}

TEST(Jid, GivenAsciiNodes_ThenPreparationAgreesWithLibidn) {
  for (const auto& node : ascii_samples()) {
    if (node.find_first_of("@/") != std::string::npos) continue;  // would split elsewhere
    auto expected = libidn(node, stringprep_xmpp_nodeprep);
    auto jid = Jid::parse(node + "@example.org");
    if (expected && !expected->empty()) {
      ASSERT_TRUE(jid) << "node '" << node << "'";
      EXPECT_EQ(jid->node(), *expected) << "node '" << node << "'";
    } else {
      EXPECT_FALSE(jid) << "node '" << node << "'";
    }
  }
}

TEST(Jid, GivenAsciiDomains_ThenPreparationAgreesWithLibidn) {
  for (const auto& domain : ascii_samples()) {
    if (domain.find_first_of("@/") != std::string::npos) continue;  // not a domain part
    auto expected = libidn(domain, stringprep_nameprep);
    auto jid = Jid::parse("user@" + domain);
    std::string stripped = expected ? *expected : "";
    if (!stripped.empty() && stripped.back() == '.') stripped.pop_back();
    if (expected && !domain.empty() && domain != "." && !stripped.empty()) {
      ASSERT_TRUE(jid) << "domain '" << domain << "'";
      std::string want = *expected;
      if (domain.back() == '.') want.pop_back();
      EXPECT_EQ(jid->domain(), want) << "domain '" << domain << "'";
    } else if (!expected) {
      EXPECT_FALSE(jid) << "domain '" << domain << "'";
    }
  }
}

TEST(Jid, GivenAsciiResources_ThenPreparationAgreesWithLibidn) {
  for (const auto& resource : ascii_samples()) {
    auto expected = libidn(resource, stringprep_xmpp_resourceprep);
    auto jid = Jid::parse("user@example.org/" + resource);
    if (expected && !expected->empty()) {
      ASSERT_TRUE(jid) << "resource '" << resource << "'";
      EXPECT_EQ(jid->resource(), *expected) << "resource '" << resource << "'";
    } else {
      EXPECT_FALSE(jid) << "resource '" << resource << "'";
    }
    auto strict = libidn(resource, stringprep_xmpp_resourceprep, STRINGPREP_NO_UNASSIGNED);
    EXPECT_EQ(Jid::prep_resource(resource), strict) << "nick '" << resource << "'";
  }
}

TEST(Jid, GivenNonAscii_ThenLibidnStillPrepares) {
  auto jid = Jid::parse("R\xC3\xB6meo@Example.ORG/Ba\xC3\x9F");
  ASSERT_TRUE(jid);
  EXPECT_EQ(jid->node(), "r\xC3\xB6meo");
  EXPECT_EQ(jid->domain(), "example.org");
  EXPECT_EQ(jid->resource(), "Ba\xC3\x9F");
}

TEST(Jid, IsWrittenAs_IsFullEquals) {
  const char* texts[] = {"a@b/c", "a@b", "b", "b/c", "b/c/d", "a@b/c@d", "A@b/c", "a@b.", "a@b/"};
  const char* candidates[] = {"",      "a", "a@",  "a@b",   "a@b/", "a@b/c",   "a@b/cd", "a@bc",
                              "a@b/C", "b", "b/c", "b/c/d", "b/c/", "a@b/c@d", "@b",     "ab/c"};
  for (const char* text : texts) {
    auto jid = Jid::parse(text);
    if (!jid) continue;
    for (const char* candidate : candidates) {
      EXPECT_EQ(jid->is_written_as(candidate), jid->full() == candidate)
          << text << " vs " << candidate;
    }
    EXPECT_TRUE(jid->is_written_as(jid->full())) << text;
  }
}

}  // namespace
}  // namespace mucd
