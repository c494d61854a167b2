#include "bench/scanner.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mucd::bench {
namespace {

struct Seen {
  StreamScanner::Event event;
  std::string raw, name, to, from, type, id;
};

// Feeds `chunks` one after the other and collects every event.
std::vector<Seen> scan(const std::vector<std::string>& chunks) {
  StreamScanner scanner;
  std::vector<Seen> out;
  for (const auto& chunk : chunks) {
    scanner.feed(chunk.data(), chunk.size());
    Element e;
    for (auto ev = scanner.next(e); ev != StreamScanner::Event::NeedMore; ev = scanner.next(e)) {
      out.push_back(Seen{ev, std::string(e.raw), std::string(e.name), std::string(e.to),
                         std::string(e.from), std::string(e.type), std::string(e.id)});
      if (ev == StreamScanner::Event::Error) return out;
    }
  }
  return out;
}

const std::string kStream =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
    "xmlns:stream='http://etherx.jabber.org/streams' id='x' from='c.example'>";
const std::string kMessage =
    "<message from='r@c.example/n0' to='u1-2@b/r' type=\"groupchat\" id='m.1.7'>"
    "<body>a &lt; b &amp; c > d</body><x xmlns='x'><item a='1'/></x></message>";

TEST(StreamScanner, GivenAStreamHeaderAndAStanza_WhenFedAtOnce_ThenBothComeOutWithAttributes) {
  auto seen = scan({kStream + kMessage});
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].event, StreamScanner::Event::StreamOpen);
  EXPECT_EQ(seen[0].from, "c.example");
  EXPECT_EQ(seen[1].event, StreamScanner::Event::Stanza);
  EXPECT_EQ(seen[1].raw, kMessage);
  EXPECT_EQ(seen[1].name, "message");
  EXPECT_EQ(seen[1].to, "u1-2@b/r");
  EXPECT_EQ(seen[1].from, "r@c.example/n0");
  EXPECT_EQ(seen[1].type, "groupchat");
  EXPECT_EQ(seen[1].id, "m.1.7");
}

TEST(StreamScanner, GivenStanzasSplitAtEveryByte_ThenTheSameStanzasComeOut) {
  std::string text = kStream + kMessage + "  <presence to='a' from='b'/>\n" + kMessage +
                     "<iq type='result' id='c.1'/></stream:stream>";
  std::vector<std::string> bytes;
  for (char c : text) bytes.emplace_back(1, c);
  auto seen = scan(bytes);
  ASSERT_EQ(seen.size(), 6u);
  EXPECT_EQ(seen[1].raw, kMessage);
  EXPECT_EQ(seen[2].raw, "<presence to='a' from='b'/>");
  EXPECT_EQ(seen[2].to, "a");
  EXPECT_EQ(seen[3].raw, kMessage);
  EXPECT_EQ(seen[3].id, "m.1.7");
  EXPECT_EQ(seen[4].id, "c.1");
  EXPECT_EQ(seen[5].event, StreamScanner::Event::StreamClose);
}

TEST(StreamScanner, GivenAQuotedGreaterThanInAnAttribute_ThenTheTagDoesNotEndThere) {
  auto seen = scan({kStream, "<message to='a>b' id='1'><body/></message>"});
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].to, "a>b");
  EXPECT_EQ(seen[1].raw, "<message to='a>b' id='1'><body/></message>");
}

TEST(StreamScanner, GivenManyStanzas_WhenTheBufferIsCompacted_ThenLaterStanzasAreIntact) {
  StreamScanner scanner;
  scanner.feed(kStream.data(), kStream.size());
  Element e;
  ASSERT_EQ(scanner.next(e), StreamScanner::Event::StreamOpen);
  int count = 0;
  for (int round = 0; round < 1000; ++round) {
    // Half a stanza, then the rest with a whole one: compaction happens mid-stanza.
    std::string half = kMessage.substr(0, 40);
    scanner.feed(half.data(), half.size());
    EXPECT_EQ(scanner.next(e), StreamScanner::Event::NeedMore);
    std::string rest = kMessage.substr(40) + kMessage;
    scanner.feed(rest.data(), rest.size());
    while (scanner.next(e) == StreamScanner::Event::Stanza) {
      EXPECT_EQ(e.raw, kMessage);
      EXPECT_EQ(e.to, "u1-2@b/r");
      ++count;
    }
  }
  EXPECT_EQ(count, 2000);
  EXPECT_LT(scanner.pending(), kMessage.size());
}

TEST(StreamScanner, GivenGarbageInsteadOfATag_ThenItReportsAnError) {
  auto seen = scan({kStream, "<message to=unquoted>"});
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].event, StreamScanner::Event::Error);
}

}  // namespace
}  // namespace mucd::bench
