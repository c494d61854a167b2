// The JSON subset of the operator tools: strict parsing, exact integers, UTF-8 both ways.
#include "storage/json.hpp"

#include <gtest/gtest.h>

#include <string>

namespace mucd::storage::json {
namespace {

TEST(Json, ParsesNestedValuesKeepingMemberOrder) {
  auto v = parse(R"( {"b": [1, -2.5e3, true, false, null], "a": {"x": "y"}} )");
  ASSERT_TRUE(v.ok()) << v.status().to_string();
  ASSERT_TRUE(v.value().is_object());
  ASSERT_EQ(v.value().members.size(), 2u);
  EXPECT_EQ(v.value().members[0].first, "b");
  const Value* b = v.value().find("b");
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(b->items.size(), 5u);
  EXPECT_EQ(b->items[0].as_int64(), 1);
  EXPECT_EQ(b->items[1].text, "-2.5e3");
  EXPECT_FALSE(b->items[1].as_int64());  // not an integer
  EXPECT_TRUE(b->items[2].boolean);
  EXPECT_EQ(b->items[4].kind, Value::Kind::Null);
  EXPECT_EQ(v.value().find("a")->find("x")->text, "y");
  EXPECT_EQ(v.value().find("missing"), nullptr);
}

TEST(Json, KeepsSixtyFourBitIntegersExact) {
  auto v = parse("[18446744073709551615, -9223372036854775808, 18446744073709551616]");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v.value().items[0].as_uint64(), 18446744073709551615u);
  EXPECT_EQ(v.value().items[1].as_int64(), INT64_MIN);
  EXPECT_FALSE(v.value().items[2].as_uint64());  // too large: refused, not rounded
}

TEST(Json, QuotedStringsRoundTrip) {
  const std::string nasty =
      std::string("a\"b\\c\n\t\x01 <message xml:lang='en'/> \xc3\xa9\xf0\x9f\x8e\x89") +
      std::string(1, '\0');
  auto v = parse(quote(nasty));
  ASSERT_TRUE(v.ok()) << v.status().to_string();
  EXPECT_EQ(v.value().text, nasty);
}

TEST(Json, UnescapesSurrogatePairs) {
  auto v = parse(R"("\u00e9\ud83c\udf89\/")");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v.value().text, "\xc3\xa9\xf0\x9f\x8e\x89/");
}

TEST(Json, QuoteReplacesBytesThatAreNotUtf8) {
  EXPECT_EQ(quote("a\xff"
                  "b"),
            "\"a\\ufffdb\"");
  EXPECT_EQ(quote("\xc0\x80"), "\"\\ufffd\\ufffd\"");  // overlong NUL
}

TEST(Json, RefusesMalformedTextNamingTheOffset) {
  for (const char* bad : {"", "{", "[1,]", "{\"a\" 1}", "{\"a\":1,}", "01", "1.", "tru", "\"\\x\"",
                          "\"\\ud800\"", "\"a\nb\"", "[] []", "\"\xff\"", "nul"}) {
    auto v = parse(bad);
    EXPECT_FALSE(v.ok()) << bad;
    EXPECT_TRUE(v.status().is_invalid_argument()) << bad;
    EXPECT_NE(v.status().message().find("JSON error at byte"), std::string::npos) << bad;
  }
}

TEST(Json, RefusesDeepNesting) {
  std::string deep(100, '[');
  deep += std::string(100, ']');
  EXPECT_FALSE(parse(deep).ok());
  std::string ok(60, '[');
  ok += std::string(60, ']');
  EXPECT_TRUE(parse(ok).ok());
}

}  // namespace
}  // namespace mucd::storage::json
