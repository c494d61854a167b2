// Hostile and malformed input: stanzas assembled at random from valid pieces and broken ones
// (bad JIDs, oversized and empty nicks, unknown affiliations and roles, broken forms, error
// stanzas, ...) are fed to one service for many rounds. The service must never throw or crash
// (the ASan+UBSan build runs this too), must answer every request iq addressed to the service or
// a room exactly once, must never answer an error with an error, and must only send stanzas it
// can serialise, addressed, from its own domain.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "core/stanza.hpp"
#include "muc/testing.hpp"

namespace mucd::muc {
namespace {

using testing::RecordingOutbox;
using testing::ServiceHarness;

class Generator {
 public:
  explicit Generator(unsigned seed) : rng_(seed) {}

  template <typename T>
  const T& pick(const std::vector<T>& options) {
    return options[std::uniform_int_distribution<size_t>(0, options.size() - 1)(rng_)];
  }
  bool chance(int percent) { return std::uniform_int_distribution<int>(0, 99)(rng_) < percent; }

  std::string from() {
    static const std::vector<std::string> jids = {"romeo@localhost/r1",
                                                  "juliet@localhost/j1",
                                                  "juliet@localhost/j2",
                                                  "admin@localhost/a",
                                                  "nurse@localhost/n",
                                                  "localhost",
                                                  "",
                                                  "@localhost/x",
                                                  "a@b@c",
                                                  "romeo@localhost/",
                                                  std::string(1100, 'x') + "@localhost/r",
                                                  "tybalt@localhost/" + std::string(1100, 'r'),
                                                  "ROMEO@LOCALHOST/R1",
                                                  "caf\xc3\xa9@localhost/\xe2\x80\x8b",
                                                  "bad\xff@localhost/x"};
    return pick(jids);
  }
  std::string to() {
    static const std::vector<std::string> targets = {
        "garden@conference.localhost",
        "garden@conference.localhost/romeo",
        "garden@conference.localhost/juliet",
        "garden@conference.localhost/",
        "garden@conference.localhost/" + std::string(1100, 'n'),
        "conference.localhost",
        "conference.localhost/res",
        "orchard@conference.localhost",
        "orchard@conference.localhost/tybalt",
        "garden@conference.localhost/\xe2\x80\x8b",
        "garden@conference.localhost/\xf3\xa0\x80\x81",
        "GARDEN@conference.localhost/Romeo",
        "@conference.localhost/x",
        "garden@other.example/x"};
    return pick(targets);
  }
  std::string value() {
    static const std::vector<std::string> values = {"",
                                                    "1",
                                                    "0",
                                                    "-5",
                                                    "99999999999999999999",
                                                    "owner",
                                                    "admin",
                                                    "member",
                                                    "outcast",
                                                    "none",
                                                    "moderator",
                                                    "participant",
                                                    "visitor",
                                                    "superuser",
                                                    "juliet@localhost",
                                                    "juliet@localhost/j1",
                                                    "not a jid@@",
                                                    "2999-01-01T00:00:00Z",
                                                    "yesterday",
                                                    "&amp;<>",
                                                    std::string(3000, 'v')};
    return pick(values);
  }
  std::string attr(const char* name) {
    if (chance(25)) return {};
    std::string v = value();
    std::string escaped;
    for (char c : v) {
      if (c == '<')
        escaped += "&lt;";
      else if (c == '>')
        escaped += "&gt;";
      else if (c == '\'')
        escaped += "&apos;";
      else
        escaped += c;
    }
    return std::string(" ") + name + "='" + escaped + "'";
  }
  std::string payload() {
    static const std::vector<std::string> payloads = {
        "<x xmlns='http://jabber.org/protocol/muc'/>",
        "<x xmlns='http://jabber.org/protocol/muc'><password>secret</password></x>",
        "<body>hello</body>",
        "<subject>topic</subject>",
        "<subject/>",
        "<query xmlns='http://jabber.org/protocol/disco#info'/>",
        "<query xmlns='http://jabber.org/protocol/disco#items'/>",
        "<query xmlns='http://jabber.org/protocol/muc#owner'/>",
        "<query xmlns='http://jabber.org/protocol/muc#owner'><destroy/></query>",
        "<query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
        "type='submit'/></query>",
        "<query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data'/></query>",
        "<query xmlns='jabber:iq:register'/>",
        "<query xmlns='jabber:iq:register'><remove/></query>",
        "<query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'/></query>",
        "<command xmlns='http://jabber.org/protocol/commands' "
        "node='http://prosody.im/protocol/muc#destroy'/>",
        "<command xmlns='http://jabber.org/protocol/commands' "
        "node='http://prosody.im/protocol/muc#set-affiliation'/>",
        "<x xmlns='http://jabber.org/protocol/muc#user'/>",
        "<unknown xmlns='urn:example:nothing'/>",
        "<ping xmlns='urn:xmpp:ping'/>",
        "<error type='cancel'><item-not-found "
        "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>",
    };
    if (chance(30)) return item_query();
    if (chance(15)) return form();
    if (chance(10)) return invite();
    return pick(payloads);
  }
  std::string item_query() {
    std::string items;
    int n = std::uniform_int_distribution<int>(0, 3)(rng_);
    for (int i = 0; i < n; ++i) {
      items += "<item" + attr("affiliation") + attr("role") + attr("jid") + attr("nick") + ">";
      if (chance(30)) items += "<reason>because</reason>";
      items += "</item>";
    }
    return "<query xmlns='http://jabber.org/protocol/muc#admin'>" + items + "</query>";
  }
  std::string form() {
    static const std::vector<std::string> vars = {"FORM_TYPE",
                                                  "muc#roomconfig_roomname",
                                                  "muc#roomconfig_persistentroom",
                                                  "muc#roomconfig_membersonly",
                                                  "muc#roomconfig_moderatedroom",
                                                  "muc#roomconfig_whois",
                                                  "muc#roomconfig_historylength",
                                                  "muc#roomconfig_defaulthistorymessages",
                                                  "muc#roomconfig_roomsecret",
                                                  "muc#roomconfig_passwordprotectedroom",
                                                  "muc#roomconfig_presencebroadcast",
                                                  "muc#roomconfig_maxusers",
                                                  "muc#register_roomnick",
                                                  "muc#role",
                                                  "muc#request_allow",
                                                  "rooms",
                                                  "affiliation",
                                                  "jid",
                                                  "room"};
    static const std::vector<std::string> form_types = {
        "http://jabber.org/protocol/muc#roomconfig", "http://jabber.org/protocol/muc#register",
        "http://jabber.org/protocol/muc#request", "urn:example:other"};
    std::string fields;
    int n = std::uniform_int_distribution<int>(0, 4)(rng_);
    for (int i = 0; i < n; ++i) {
      std::string var = pick(vars);
      std::string v = var == "FORM_TYPE" ? pick(form_types) : value();
      fields += "<field var='" + var + "'>";
      if (!chance(20))
        fields += "<value>" + (v.find('<') == std::string::npos ? v : "x") + "</value>";
      fields += "</field>";
    }
    static const std::vector<std::string> wrappers = {"http://jabber.org/protocol/muc#owner",
                                                      "jabber:iq:register"};
    std::string x = "<x xmlns='jabber:x:data'" + attr("type") + ">" + fields + "</x>";
    if (chance(30)) return x;  // a bare form, as in a voice request message
    if (chance(20)) {
      return "<command xmlns='http://jabber.org/protocol/commands' "
             "node='http://prosody.im/protocol/muc#set-affiliation'>" +
             x + "</command>";
    }
    return "<query xmlns='" + pick(wrappers) + "'>" + x + "</query>";
  }
  std::string invite() {
    std::string name = chance(50) ? "invite" : "decline";
    return "<x xmlns='http://jabber.org/protocol/muc#user'><" + name + attr("to") + attr("from") +
           "><reason>come</reason></" + name + "></x>";
  }

  std::string stanza(std::string& kind, std::string& type, std::string& id, std::string& from) {
    static const std::vector<std::string> kinds = {"presence", "message", "iq", "iq"};
    static const std::vector<std::string> presence_types = {"",      "unavailable", "error",
                                                            "probe", "subscribe",   "bogus"};
    static const std::vector<std::string> message_types = {"",      "groupchat", "chat", "normal",
                                                           "error", "headline",  "bogus"};
    static const std::vector<std::string> iq_types = {"get", "set", "result", "error", "", "bogus"};
    kind = pick(kinds);
    type = pick(kind == "presence" ? presence_types : kind == "message" ? message_types : iq_types);
    id = chance(90) ? "id" + std::to_string(++counter_) : "";
    from = from_jid();
    // Requests mostly go to the service or a room: that is where the one-answer rule applies.
    static const std::vector<std::string> bare_targets = {
        "garden@conference.localhost", "orchard@conference.localhost", "conference.localhost",
        "nowhere@conference.localhost"};
    std::string target = kind == "iq" && chance(70) ? pick(bare_targets) : to();
    std::string xml = "<" + kind + " from='" + from + "' to='" + target + "'";
    if (!type.empty()) xml += " type='" + type + "'";
    if (!id.empty()) xml += " id='" + id + "'";
    xml += ">";
    int n = kind == "iq" ? 1 : std::uniform_int_distribution<int>(0, 2)(rng_);
    for (int i = 0; i < n; ++i) xml += payload();
    xml += "</" + kind + ">";
    return xml;
  }

 private:
  std::string from_jid() {
    std::string f = from();
    for (char& c : f) {
      if (c == '\'') c = '_';
    }
    return f;
  }
  std::mt19937 rng_;
  int counter_ = 0;
};

bool same_jid(std::string_view a, std::string_view b) {
  auto ja = Jid::parse(a), jb = Jid::parse(b);
  return ja && jb ? ja->full() == jb->full() : a == b;
}

// Rooms to play in: some users join (creating and configuring rooms) between the random stanzas,
// so the random ones meet occupied, locked, configured and destroyed rooms.
void seed_rooms(ServiceHarness& h) {
  h.create_instant("romeo@localhost/r1", "garden", "romeo");
  h.join("juliet@localhost/j1", "garden", "juliet");
  h.join("nurse@localhost/n", "orchard", "nurse");  // locked: never configured
}

TEST(Robustness, RandomHostileStanzasNeverBreakTheService) {
  constexpr int kRounds = 20000;
  ServiceHarness h;
  seed_rooms(h);
  Generator gen(20261122);
  int requests = 0, answered = 0;
  for (int round = 0; round < kRounds; ++round) {
    if (round % 500 == 0) seed_rooms(h);
    // 100 ms a stanza keeps the few senders under the flood limit most of the time, so the
    // stanzas reach the rooms; the limiter itself is tested in rate_limit_test.cpp.
    h.clock.advance(std::chrono::milliseconds(100));
    std::string kind, type, id, from;
    std::string xml = gen.stanza(kind, type, id, from);
    auto stanza = Stanza::parse(xml);
    if (!stanza) continue;  // the generator can write XML pugixml refuses; the link never would
    RecordingOutbox out;
    ASSERT_NO_THROW(h.service.handle(*stanza, out)) << xml;

    for (const auto& sent : out.sent) {
      std::string text = sent.to_string();
      ASSERT_TRUE(Stanza::parse(text)) << "unparseable output for " << xml << "\n" << text;
      ASSERT_FALSE(sent.to().empty()) << "unaddressed output for " << xml << "\n" << text;
      std::string_view sender = sent.from();
      auto sender_jid = Jid::parse(sender);
      ASSERT_TRUE(sender_jid && sender_jid->domain() == "conference.localhost")
          << "output from outside the service for " << xml << "\n"
          << text;
      if (type == "error" && same_jid(sent.to(), from)) {
        ASSERT_NE(sent.type(), "error") << "an error answered with an error:\n" << xml;
      }
    }

    // A request iq to the service or a room (not relayed to an occupant) gets exactly one answer.
    std::string_view target = stanza->to();
    bool to_occupant = target.find('/') != std::string_view::npos;
    if (kind == "iq" && (type == "get" || type == "set") && !to_occupant &&
        Jid::parse(from).has_value() && Jid::parse(target).has_value()) {
      ++requests;
      int answers = 0;
      for (const auto& sent : out.sent) {
        if (sent.name() == "iq" && same_jid(sent.to(), from) && sent.id() == id &&
            (sent.type() == "result" || sent.type() == "error")) {
          ++answers;
        }
      }
      std::string sent_text;
      for (const auto& sent : out.sent) sent_text += "\n  " + sent.to_string();
      ASSERT_EQ(answers, 1) << "request answered " << answers << " times:\n"
                            << xml << "\nsent:" << sent_text;
      ++answered;
    }
  }
  // The generator must actually reach the interesting paths, or the test proves nothing.
  EXPECT_GT(requests, kRounds / 20);
  EXPECT_EQ(requests, answered);
}

}  // namespace
}  // namespace mucd::muc
