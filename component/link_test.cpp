// The link against a fake host that plays the server side of XEP-0114 over a real socket.
#include "component/link.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "component/handshake.hpp"
#include "component/outgoing.hpp"

namespace mucd::component {
namespace {

using namespace std::chrono_literals;

constexpr const char* kDomain = "muc.test";
constexpr const char* kSecret = "s3cret";

// One accepted connection, server side.
class Peer {
 public:
  explicit Peer(int fd) : fd_(fd) {}
  Peer(Peer&& other) noexcept
      : fd_(std::exchange(other.fd_, -1)), received_(std::move(other.received_)) {}
  ~Peer() { close(); }

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  void send(std::string_view text) {
    while (!text.empty()) {
      ssize_t n = ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      text.remove_prefix(static_cast<size_t>(n));
    }
  }

  // Reads until `needle` has arrived (anywhere after `from`) or the timeout passes.
  bool read_until(std::string_view needle, std::chrono::milliseconds timeout = 5s,
                  size_t from = 0) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (received_.find(needle, from) == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left <= 0ms) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return false;
      received_.append(buf, static_cast<size_t>(n));
    }
    return true;
  }

  const std::string& received() const { return received_; }

 private:
  int fd_;
  std::string received_;
};

// A listening socket on 127.0.0.1 and the server half of the component protocol.
class FakeHost {
 public:
  // Binds at once; listens only when told, so that connecting before is refused.
  FakeHost() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error("bind");
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~FakeHost() { ::close(fd_); }

  std::uint16_t port() const { return port_; }
  void listen() { ::listen(fd_, 8); }

  std::optional<Peer> accept(std::chrono::milliseconds timeout = 5s) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
    int fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return std::nullopt;
    return Peer(fd);
  }

  // Answers the stream header and checks the handshake against `secret`. On a match replies
  // <handshake/> (when `accept_it`), otherwise sends not-authorized and closes. Returns whether
  // the component proved it knows `secret`.
  static bool handshake(Peer& peer, std::string_view secret, bool accept_it = true,
                        const std::string& stream_id = "4a1b2c3d-stream") {
    if (!peer.read_until("<stream:stream")) return false;
    if (!peer.read_until(">", 5s, peer.received().find("<stream:stream"))) return false;
    if (peer.received().find("jabber:component:accept") == std::string::npos) return false;
    peer.send(
        "<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' "
        "xmlns='jabber:component:accept' id='" +
        stream_id + "' from='" + kDomain + "'>");
    size_t start = peer.received().size();
    if (!peer.read_until("</handshake>", 5s, start)) return false;
    bool matches = peer.received().find(">" + handshake_digest(stream_id, secret) +
                                        "</handshake>") != std::string::npos;
    if (matches && accept_it) {
      peer.send("<handshake/>");
      return true;
    }
    peer.send(
        "<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
        "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>Given token does not match"
        "</text></stream:error></stream:stream>");
    peer.close();
    return matches;
  }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// A StanzaHandler whose behaviour each test plugs in; records what happened.
class ScriptedHandler : public StanzaHandler {
 public:
  std::function<void(const Stanza&, Outbox&)> on_handle;
  std::function<void(Outbox&)> on_connect;
  std::function<void()> after_tick;
  std::vector<Stanza> received;
  int connections = 0;
  int ticks = 0;

  void handle(const Stanza& stanza, Outbox& out) override {
    received.push_back(stanza);
    if (on_handle) on_handle(stanza, out);
  }
  void on_connected(Outbox& out) override {
    ++connections;
    if (on_connect) on_connect(out);
  }
  void on_tick(Outbox&) override {
    ++ticks;
    if (after_tick) after_tick();
  }
};

// Raises a stop flag after a deadline, so that a broken test fails instead of hanging.
class Watchdog {
 public:
  Watchdog(std::atomic<bool>& stop, std::chrono::milliseconds limit)
      : thread_([this, &stop, limit] {
          std::unique_lock lock(mutex_);
          if (!cv_.wait_for(lock, limit, [this] { return done_; })) {
            fired_ = true;
            stop.store(true);
          }
        }) {}
  ~Watchdog() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  bool fired() {
    std::lock_guard lock(mutex_);
    return fired_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  bool fired_ = false;
  std::thread thread_;
};

LinkConfig config_for(const FakeHost& host, std::string secret = kSecret) {
  LinkConfig config;
  config.server.host = "127.0.0.1";
  config.server.port = host.port();
  config.domain = kDomain;
  config.secret = std::move(secret);
  config.backoff = BackoffPolicy{30ms, 120ms, 0.25};
  config.poll_interval = 10ms;
  config.tick_interval = 20ms;
  config.close_timeout = 500ms;
  return config;
}

Stanza make(const std::string& xml) {
  auto s = Stanza::parse(xml);
  if (!s) throw std::runtime_error("bad test XML: " + xml);
  return *s;
}

TEST(Link, HandshakesDeliversStanzasSendsRepliesAndClosesPolitely) {
  FakeHost host;
  host.listen();
  SystemClock clock;
  ScriptedHandler handler;
  std::atomic<bool> stop{false};

  bool handshake_ok = false, got_reply = false, got_error = false, got_close = false;
  std::string server_saw;
  std::thread server([&] {
    auto peer = host.accept();
    if (!peer) return;
    handshake_ok = FakeHost::handshake(*peer, kSecret);
    size_t mark = peer->received().size();
    peer->send(
        "<message xmlns='jabber:component:accept' from='alice@example.org/phone' "
        "to='room@muc.test' type='groupchat' xml:lang='en' id='m1'>"
        "<body>fish &amp; chips &lt;3</body></message>");
    got_reply = peer->read_until("</message>", 5s, mark);
    mark = peer->received().size();
    peer->send(
        "<iq xmlns='jabber:component:accept' type='get' id='q1' "
        "from='alice@example.org/phone' to='room@muc.test'>"
        "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
    got_error = peer->read_until("internal-server-error", 5s, mark);
    mark = peer->received().find("internal-server-error", mark);
    got_close = peer->read_until("</stream:stream>", 5s, mark);
    peer->send("</stream:stream>");
    server_saw = peer->received();
  });

  handler.on_handle = [&](const Stanza& stanza, Outbox& out) {
    if (stanza.name() == "message") {
      out.send(
          make("<message type='groupchat' from='room@muc.test/alice' "
               "to='alice@example.org/phone'><body>echo</body></message>"));
      return;
    }
    // Stop at the next tick, so that the test also sees ticks happen.
    handler.after_tick = [&] { stop.store(true); };
    throw std::runtime_error("engine bug");
  };

  LinkExit exit;
  LinkStats stats;
  {
    Watchdog watchdog(stop, 10s);
    Link link(config_for(host), handler, clock);
    exit = link.run(stop);
    stats = link.stats();
    EXPECT_FALSE(watchdog.fired());
  }
  server.join();

  EXPECT_EQ(exit, LinkExit::Stopped);
  EXPECT_TRUE(handshake_ok) << "libstrophe and handshake_digest() agree";
  EXPECT_EQ(handler.connections, 1);
  ASSERT_EQ(handler.received.size(), 2u);
  const Stanza& message = handler.received[0];
  EXPECT_EQ(message.name(), "message");
  EXPECT_FALSE(message.has_attr("xmlns"));
  EXPECT_EQ(message.attr("xml:lang"), "en");
  EXPECT_STREQ(message.root().child("body").text().get(), "fish & chips <3");
  EXPECT_TRUE(got_reply);
  EXPECT_NE(server_saw.find("<body>echo</body>"), std::string::npos) << server_saw;
  EXPECT_TRUE(got_error) << "an iq get whose handler threw is answered: " << server_saw;
  EXPECT_NE(server_saw.find("id=\"q1\""), std::string::npos) << server_saw;
  EXPECT_TRUE(got_close) << "stop closes the stream: " << server_saw;
  EXPECT_EQ(stats.received, 2u);
  EXPECT_EQ(stats.sent, 2u);
  EXPECT_EQ(stats.handler_failures, 1u);
  EXPECT_GT(handler.ticks, 0);
}

TEST(Link, WrongSecretOnTheFirstConnectionIsRefusedForGood) {
  FakeHost host;
  host.listen();
  SystemClock clock;
  ScriptedHandler handler;
  std::atomic<bool> stop{false};
  bool matched = true;
  std::thread server([&] {
    if (auto peer = host.accept()) matched = FakeHost::handshake(*peer, "the real secret");
  });
  LinkExit exit;
  {
    Watchdog watchdog(stop, 10s);
    Link link(config_for(host, "a wrong secret"), handler, clock);
    exit = link.run(stop);
    EXPECT_FALSE(watchdog.fired());
  }
  server.join();
  EXPECT_FALSE(matched);
  EXPECT_EQ(exit, LinkExit::Refused);
  EXPECT_EQ(handler.connections, 0);
}

TEST(Link, RetriesUntilTheServerListens) {
  FakeHost host;  // bound, not listening: connections are refused
  SystemClock clock;
  ScriptedHandler handler;
  std::atomic<bool> stop{false};
  handler.on_connect = [&](Outbox&) { stop.store(true); };
  std::thread server([&] {
    std::this_thread::sleep_for(250ms);
    host.listen();
    if (auto peer = host.accept()) {
      FakeHost::handshake(*peer, kSecret);
      peer->read_until("</stream:stream>");
    }
  });
  LinkExit exit;
  {
    Watchdog watchdog(stop, 10s);
    Link link(config_for(host), handler, clock);
    exit = link.run(stop);
    EXPECT_FALSE(watchdog.fired());
  }
  server.join();
  EXPECT_EQ(exit, LinkExit::Stopped);
  EXPECT_EQ(handler.connections, 1);
}

TEST(Link, ReconnectsAfterLosingTheSessionEvenIfRefusedInBetween) {
  FakeHost host;
  host.listen();
  SystemClock clock;
  ScriptedHandler handler;
  std::atomic<bool> stop{false};
  handler.on_connect = [&](Outbox&) {
    if (handler.connections == 2) stop.store(true);
  };
  std::thread server([&] {
    if (auto first = host.accept()) {
      FakeHost::handshake(*first, kSecret);
      std::this_thread::sleep_for(50ms);
      first->close();  // the server goes away
    }
    // Once a session has succeeded, a refusal is retried, not fatal.
    if (auto second = host.accept()) FakeHost::handshake(*second, kSecret, false);
    if (auto third = host.accept()) {
      FakeHost::handshake(*third, kSecret);
      third->read_until("</stream:stream>");
    }
  });
  LinkExit exit;
  LinkStats stats;
  std::vector<bool> online_changes;
  {
    Watchdog watchdog(stop, 10s);
    LinkConfig config = config_for(host);
    config.on_online_changed = [&](bool online) { online_changes.push_back(online); };
    Link link(std::move(config), handler, clock);
    exit = link.run(stop);
    stats = link.stats();
    EXPECT_FALSE(watchdog.fired());
  }
  server.join();
  EXPECT_EQ(exit, LinkExit::Stopped);
  EXPECT_EQ(handler.connections, 2) << "on_connected after every handshake";
  EXPECT_EQ(stats.sessions, 2u);
  EXPECT_EQ(online_changes, (std::vector<bool>{true, false, true}))
      << "up, lost, up again; the refused attempt in between and the stop change nothing";
}

TEST(Link, StopsAtOnceWhenAskedBeforeConnecting) {
  FakeHost host;
  SystemClock clock;
  ScriptedHandler handler;
  std::atomic<bool> stop{true};
  Link link(config_for(host), handler, clock);
  EXPECT_EQ(link.run(stop), LinkExit::Stopped);
  EXPECT_EQ(handler.connections, 0);
}

TEST(Link, SendsWhileDisconnectedAreDroppedAndCounted) {
  FakeHost host;
  SystemClock clock;
  ScriptedHandler handler;
  Link link(config_for(host), handler, clock);
  link.send(make("<message from='room@muc.test' to='a@b'/>"));
  link.send_raw("<presence from='room@muc.test/n' to='a@b'/>");
  EXPECT_EQ(link.stats().dropped_offline, 2u);
  EXPECT_EQ(link.stats().refused, 0u);
  EXPECT_EQ(link.stats().sent, 0u);
}

TEST(Link, RefusesStanzasThatWouldCostTheStream) {
  FakeHost host;
  SystemClock clock;
  ScriptedHandler handler;
  Link link(config_for(host), handler, clock);
  link.send(make("<message from='alice@example.org' to='bob@example.org'/>"));
  link.send(make("<message from='room@sub.muc.test' to='bob@example.org'/>"));
  link.send(make("<message from='room@muc.test'/>"));
  link.send_raw("<iq type='result' id='1' from='example.org' to='a@b'/>");
  link.send_raw("not xml at all");
  Stanza big = make("<message from='room@muc.test' to='a@b'/>");
  add_text_child(big.root(), "body", std::string(kMaxStanzaBytes, 'x'));
  link.send(big);
  EXPECT_EQ(link.stats().refused, 6u);
  EXPECT_EQ(link.stats().dropped_offline, 0u);
}

TEST(Link, WhitespaceKeepalivePassesTheChecks) {
  FakeHost host;
  SystemClock clock;
  ScriptedHandler handler;
  Link link(config_for(host), handler, clock);
  link.send_raw(" ");
  EXPECT_EQ(link.stats().refused, 0u);
  EXPECT_EQ(link.stats().dropped_offline, 1u);
}

// Runs a link against a fake host that answers the fan-out question with `answer` (a stanza, or
// "echo" to hand the question back as a host without mod_mucd_fanout does, or "" to ignore it),
// then sends one message; the handler answers it with `respond`. Then, if `later` is not empty,
// the host sends it and another message, which the handler answers with `respond_later` (if
// given) and one more stanza the host waits for. Returns what the host read after that first
// message.
std::string fanout_session(std::string answer, std::function<void(Outbox&)> respond,
                           bool ask = true, LinkStats* stats_out = nullptr,
                           bool* asked_out = nullptr, std::string later = "",
                           std::function<void(Outbox&)> respond_later = nullptr) {
  FakeHost host;
  host.listen();
  SystemClock clock;
  ScriptedHandler handler;
  std::atomic<bool> stop{false};
  std::string after;
  bool asked = false;
  std::thread server([&] {
    auto peer = host.accept();
    if (!peer || !FakeHost::handshake(*peer, kSecret)) return;
    asked = peer->read_until("urn:mucd:fanout:0", ask ? 5s : 300ms);
    if (answer == "echo") {
      peer->send(
          "<iq xmlns='jabber:component:accept' type='get' id='mucd-fanout-1' from='muc.test' "
          "to='muc.test'><query xmlns='urn:mucd:fanout:0'/></iq>");
    } else if (!answer.empty()) {
      peer->send(answer);
    }
    size_t mark = peer->received().size();
    peer->send(
        "<message xmlns='jabber:component:accept' from='alice@example.org/phone' "
        "to='room@muc.test' type='groupchat' id='go'><body>go</body></message>");
    peer->read_until("id=\"done\"", 5s, mark);
    if (!later.empty()) {
      peer->send(later);
      peer->send(
          "<message xmlns='jabber:component:accept' from='alice@example.org/phone' "
          "to='room@muc.test' type='groupchat' id='again'><body>again</body></message>");
      peer->read_until("id=\"done-again\"", 5s, mark);
    }
    after = peer->received().substr(mark);
    stop.store(true);
    peer->read_until("</stream:stream>", 2s, mark);
    peer->send("</stream:stream>");
  });
  handler.on_handle = [&](const Stanza& stanza, Outbox& out) {
    if (stanza.id() == "again") {
      if (respond_later) respond_later(out);
      out.send(make("<message from='room@muc.test' to='z@example.org' id='done-again'/>"));
    }
    if (stanza.id() != "go") return;
    respond(out);
    out.send(make("<message from='room@muc.test' to='z@example.org' id='done'/>"));
  };
  {
    Watchdog watchdog(stop, 10s);
    auto config = config_for(host);
    config.host_fanout = ask;
    Link link(config, handler, clock);
    link.run(stop);
    if (stats_out) *stats_out = link.stats();
    EXPECT_FALSE(watchdog.fired());
  }
  server.join();
  if (asked_out) *asked_out = asked;
  for (const auto& stanza : handler.received) {
    EXPECT_NE(stanza.name(), "iq") << "the link's own question never reaches the handler";
  }
  return after;
}

// Three copies of one broadcast, a different stanza, then two broadcasts to one recipient each.
void broadcast_some(Outbox& out) {
  Broadcast message(
      make("<message type='groupchat' from='room@muc.test/n'><body>hi</body>"
           "</message>"));
  out.send_to(message, "a@example.org/1");
  out.send_to(message, "b&c@example.org/2");
  out.send_to(message, "d@example.org/3");
  out.send(make("<message from='room@muc.test' to='y@example.org' id='between'/>"));
  out.send_to(message, "e@example.org/5");
  Broadcast presence(make("<presence from='room@muc.test/n'/>"));
  out.send_to(presence, "f@example.org/6");
}

TEST(Link, WithTheHostModuleCopiesOfOneBroadcastLeaveAsOneFanoutStanza) {
  LinkStats stats;
  std::string after = fanout_session(
      "<iq xmlns='jabber:component:accept' type='result' id='mucd-fanout-1' from='muc.test' "
      "to='muc.test'/>",
      broadcast_some, true, &stats);
  const std::string fanout =
      "<message to=\"muc.test\" type=\"groupchat\" from=\"room@muc.test/n\"><body>hi</body>"
      "<fanout xmlns=\"urn:mucd:fanout:0\">a@example.org/1\nb&amp;c@example.org/2\n"
      "d@example.org/3</fanout></message>";
  auto at = after.find(fanout);
  ASSERT_NE(at, std::string::npos) << after;
  auto between = after.find("id=\"between\"");
  auto single = after.find("<message to=\"e@example.org/5\" type=\"groupchat\"");
  auto presence = after.find("<presence to=\"f@example.org/6\" from=\"room@muc.test/n\"/>");
  EXPECT_LT(at, between) << "copies given before a stanza leave before it: " << after;
  EXPECT_LT(between, single) << after;
  EXPECT_LT(single, presence) << after;
  EXPECT_EQ(after.find("<fanout", at + fanout.size()), std::string::npos)
      << "one recipient gets a plain copy: " << after;
  EXPECT_EQ(stats.sent, 7u) << "copies are counted, not stanzas";
  EXPECT_EQ(stats.fanouts, 1u);
}

TEST(Link, WithoutTheHostModuleEveryRecipientGetsItsOwnCopy) {
  for (std::string answer : {"echo",
                             "<iq xmlns='jabber:component:accept' type='error' "
                             "id='mucd-fanout-1' from='muc.test' to='muc.test'/>"}) {
    LinkStats stats;
    std::string after = fanout_session(answer, broadcast_some, true, &stats);
    EXPECT_EQ(after.find("fanout"), std::string::npos) << after;
    for (const char* to :
         {"a@example.org/1", "b&amp;c@example.org/2", "d@example.org/3", "e@example.org/5"}) {
      EXPECT_NE(after.find(std::string("<message to=\"") + to + "\" type=\"groupchat\""),
                std::string::npos)
          << to << " in " << after;
    }
    EXPECT_EQ(stats.fanouts, 0u);
    EXPECT_EQ(stats.received, 1u) << "the echoed question is the link's, not the handler's";
  }
}

TEST(Link, HostFanoutOffNeverAsks) {
  bool asked = true;
  std::string after = fanout_session("", broadcast_some, false, nullptr, &asked);
  EXPECT_FALSE(asked);
  EXPECT_EQ(after.find("fanout"), std::string::npos) << after;
  EXPECT_NE(after.find("<message to=\"d@example.org/3\""), std::string::npos) << after;
}

TEST(Link, AFanoutStanzaHandedBackIsSentAsCopiesAndEndsFanout) {
  LinkStats stats;
  std::string after = fanout_session(
      "<iq xmlns='jabber:component:accept' type='result' id='mucd-fanout-1' from='muc.test' "
      "to='muc.test'/>"
      // What a server without the module (unloaded since) does with a fan-out stanza: hands it
      // to the component its `to` names, us.
      "<message xmlns='jabber:component:accept' from='room@muc.test/n' to='muc.test' "
      "type='groupchat'><body>back</body><fanout xmlns='urn:mucd:fanout:0'>p@example.org/1\n"
      "q@example.org/2</fanout></message>",
      broadcast_some, true, &stats);
  for (const char* to : {"p@example.org/1", "q@example.org/2"}) {
    EXPECT_NE(after.find(std::string("<message to=\"") + to +
                         "\" type=\"groupchat\" from=\"room@muc.test/n\"><body>back</body>"
                         "</message>"),
              std::string::npos)
        << to << " in " << after;
  }
  EXPECT_EQ(after.find("<fanout"), std::string::npos) << "fan-out is off from then on: " << after;
  EXPECT_NE(after.find("<message to=\"a@example.org/1\""), std::string::npos) << after;
  EXPECT_EQ(stats.fanouts, 0u);
  EXPECT_EQ(stats.received, 1u) << "the handler never sees the returned stanza";
}

constexpr const char* kBundlingAnswer =
    "<iq xmlns='jabber:component:accept' type='result' id='mucd-fanout-1' from='muc.test' "
    "to='muc.test'><query xmlns='urn:mucd:fanout:0'><bundle/></query></iq>";

Broadcast occupant_presence(const std::string& nick) {
  return Broadcast(make("<presence from='room@muc.test/" + nick + "'><x/></presence>"));
}

TEST(Link, WithABundlingHostModuleStanzasForOneRecipientLeaveAsOneBundle) {
  LinkStats stats;
  std::string after = fanout_session(
      kBundlingAnswer,
      [](Outbox& out) {
        // A join: the occupant list for j, its presence to everyone, then more for j.
        out.send_to(occupant_presence("a"), "j@example.org/1");
        out.send_to(occupant_presence("b"), "j@example.org/1");
        out.send_to(occupant_presence("c"), "j@example.org/1");
        Broadcast joined = occupant_presence("j");
        out.send_to(joined, "a@example.org/1");
        out.send_to(joined, "b@example.org/1");
        out.send_to(occupant_presence("k"), "j@example.org/1");
        out.send(make("<message from='room@muc.test' to='j@example.org/1' id='between'/>"));
        out.send_to(occupant_presence("l"), "j@example.org/1");
        out.send_to(occupant_presence("m"), "x@example.org/1");
      },
      true, &stats);
  const std::string bundle =
      "<message from=\"muc.test\" to=\"muc.test\"><bundle xmlns=\"urn:mucd:fanout:0\"/>"
      "<presence to=\"j@example.org/1\" from=\"room@muc.test/a\"><x/></presence>"
      "<presence to=\"j@example.org/1\" from=\"room@muc.test/b\"><x/></presence>"
      "<presence to=\"j@example.org/1\" from=\"room@muc.test/c\"><x/></presence></message>";
  auto at = after.find(bundle);
  ASSERT_NE(at, std::string::npos) << after;
  auto fanout = after.find("<fanout xmlns=\"urn:mucd:fanout:0\">a@example.org/1\nb@example.org/1");
  auto k = after.find("<presence to=\"j@example.org/1\" from=\"room@muc.test/k\">");
  auto between = after.find("id=\"between\"");
  auto l = after.find("<presence to=\"j@example.org/1\" from=\"room@muc.test/l\">");
  auto m = after.find("<presence to=\"x@example.org/1\" from=\"room@muc.test/m\">");
  EXPECT_LT(at, fanout) << after;
  EXPECT_LT(fanout, k) << after;
  EXPECT_LT(k, between) << after;
  EXPECT_LT(between, l) << "nothing is bundled across another stanza: " << after;
  EXPECT_LT(l, m) << after;
  EXPECT_EQ(after.find("<bundle", at + bundle.size()), std::string::npos)
      << "single stanzas leave plain: " << after;
  EXPECT_EQ(stats.bundles, 1u);
  EXPECT_EQ(stats.fanouts, 1u);
  EXPECT_EQ(stats.sent, 10u) << "stanzas are counted, not bundles";
}

TEST(Link, BundlesStayUnderHalfTheStanzaLimit) {
  LinkStats stats;
  const std::string payload(1000, 'p');
  const std::size_t count = 2 * kMaxStanzaBytes / payload.size();
  std::string after = fanout_session(
      kBundlingAnswer,
      [&](Outbox& out) {
        for (std::size_t i = 0; i < count; ++i) {
          out.send_to(Broadcast(make("<presence from='room@muc.test/" + std::to_string(i) +
                                     "'><status>" + payload + "</status></presence>")),
                      "j@example.org/1");
        }
      },
      true, &stats);
  EXPECT_GE(stats.bundles, 4u);
  std::size_t start = 0, bundles = 0;
  while ((start = after.find("<message from=\"muc.test\" to=\"muc.test\"><bundle", start)) !=
         std::string::npos) {
    auto end = after.find("</message>", start);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LE(end + 10 - start, kMaxStanzaBytes / 2);
    start = end;
    ++bundles;
  }
  EXPECT_EQ(bundles, stats.bundles);
  EXPECT_NE(after.find("from=\"room@muc.test/" + std::to_string(count - 1) + "\""),
            std::string::npos)
      << "every stanza left";
}

TEST(Link, WithoutBundleInTheAnswerStanzasForOneRecipientLeaveOneByOne) {
  LinkStats stats;
  std::string after = fanout_session(
      "<iq xmlns='jabber:component:accept' type='result' id='mucd-fanout-1' from='muc.test' "
      "to='muc.test'><query xmlns='urn:mucd:fanout:0'/></iq>",
      [](Outbox& out) {
        out.send_to(occupant_presence("a"), "j@example.org/1");
        out.send_to(occupant_presence("b"), "j@example.org/1");
      },
      true, &stats);
  EXPECT_EQ(after.find("<bundle"), std::string::npos) << after;
  EXPECT_NE(after.find("<presence to=\"j@example.org/1\" from=\"room@muc.test/b\">"),
            std::string::npos)
      << after;
  EXPECT_EQ(stats.bundles, 0u);
}

TEST(Link, ABundleHandedBackIsSentStanzaByStanzaAndEndsBundling) {
  LinkStats stats;
  std::string after = fanout_session(
      std::string(kBundlingAnswer) +
          "<message xmlns='jabber:component:accept' from='muc.test' to='muc.test'>"
          "<bundle xmlns='urn:mucd:fanout:0'/>"
          "<presence to='p@example.org/1' from='room@muc.test/a'><x/></presence>"
          "<presence to='p@example.org/1' from='room@muc.test/b'><status>s</status></presence>"
          "</message>",
      [](Outbox& out) {
        out.send_to(occupant_presence("c"), "j@example.org/1");
        out.send_to(occupant_presence("d"), "j@example.org/1");
      },
      true, &stats);
  EXPECT_NE(after.find("<presence to=\"p@example.org/1\" from=\"room@muc.test/a\"><x/></presence>"),
            std::string::npos)
      << after;
  EXPECT_NE(after.find("<presence to=\"p@example.org/1\" from=\"room@muc.test/b\"><status>s"
                       "</status></presence>"),
            std::string::npos)
      << after;
  EXPECT_EQ(after.find("<bundle"), std::string::npos) << "bundling is off from then on: " << after;
  EXPECT_NE(after.find("<presence to=\"j@example.org/1\" from=\"room@muc.test/d\">"),
            std::string::npos)
      << after;
  EXPECT_EQ(stats.bundles, 0u);
  EXPECT_EQ(stats.received, 1u) << "the handler never sees the returned bundle";
}

constexpr const char* kStoringAnswer =
    "<iq xmlns='jabber:component:accept' type='result' id='mucd-fanout-1' from='muc.test' "
    "to='muc.test'><query xmlns='urn:mucd:fanout:0'><bundle/><store slots='8'/></query></iq>";

// Two joins into a room of a and b: c's presence reaches both, then d gets a, b and c.
void two_joins(Outbox& out) {
  Broadcast c = occupant_presence("c");
  out.send_to(c, "a@example.org/1");
  out.send_to(c, "b@example.org/1");
  Broadcast message(
      make("<message type='groupchat' from='room@muc.test/c'><body>hi</body>"
           "</message>"));
  out.send_to(message, "a@example.org/1");
  out.send_to(message, "b@example.org/1");
  out.send_to(occupant_presence("a"), "d@example.org/1");
  out.send_to(occupant_presence("b"), "d@example.org/1");
  out.send_to(c, "d@example.org/1");
}

TEST(Link, WithAStoringHostModuleAJoinersListCarriesCopiesOfKeptPresences) {
  LinkStats stats;
  std::string after = fanout_session(kStoringAnswer, two_joins, true, &stats);
  const std::string kept =
      "<presence to=\"muc.test\" from=\"room@muc.test/c\"><x/><fanout "
      "xmlns=\"urn:mucd:fanout:0\" store=\"0\" generation=\"1\">a@example.org/1\n"
      "b@example.org/1</fanout></presence>";
  auto at = after.find(kept);
  ASSERT_NE(at, std::string::npos) << after;
  EXPECT_NE(after.find("<body>hi</body><fanout xmlns=\"urn:mucd:fanout:0\">"), std::string::npos)
      << "only presences are kept: " << after;
  const std::string bundle =
      "<message from=\"muc.test\" to=\"muc.test\"><bundle xmlns=\"urn:mucd:fanout:0\"/>"
      "<presence to=\"d@example.org/1\" from=\"room@muc.test/a\"><x/></presence>"
      "<presence to=\"d@example.org/1\" from=\"room@muc.test/b\"><x/></presence>"
      "<copy xmlns=\"urn:mucd:fanout:0\" slot=\"0\" generation=\"1\" to=\"d@example.org/1\"/>"
      "</message>";
  auto bundled = after.find(bundle);
  ASSERT_NE(bundled, std::string::npos) << after;
  EXPECT_LT(at, bundled) << after;
  EXPECT_EQ(stats.stored, 1u);
  EXPECT_EQ(stats.copies, 1u);
  EXPECT_EQ(stats.sent, 8u) << "a copy of a kept stanza is counted as the stanza";
}

TEST(Link, WithoutStoreInTheAnswerNothingIsKept) {
  LinkStats stats;
  std::string after = fanout_session(kBundlingAnswer, two_joins, true, &stats);
  EXPECT_EQ(after.find("store="), std::string::npos) << after;
  EXPECT_EQ(after.find("<copy"), std::string::npos) << after;
  EXPECT_NE(after.find("<presence to=\"d@example.org/1\" from=\"room@muc.test/c\"><x/></presence>"),
            std::string::npos)
      << after;
  EXPECT_EQ(stats.stored, 0u);
  EXPECT_EQ(stats.copies, 0u);
}

TEST(Link, AStanzaTooBigToKeepIsSentWhole) {
  LinkStats stats;
  const std::string status(Link::kStoreMaxBytes, 's');
  std::string after = fanout_session(
      kStoringAnswer,
      [&](Outbox& out) {
        Broadcast big(
            make("<presence from='room@muc.test/c'><status>" + status + "</status></presence>"));
        out.send_to(big, "a@example.org/1");
        out.send_to(big, "b@example.org/1");
        out.send_to(occupant_presence("a"), "d@example.org/1");
        out.send_to(big, "d@example.org/1");
      },
      true, &stats);
  EXPECT_EQ(after.find("store="), std::string::npos) << after;
  EXPECT_NE(after.find("<presence to=\"d@example.org/1\" from=\"room@muc.test/c\"><status>"),
            std::string::npos);
  EXPECT_EQ(stats.stored, 0u);
  EXPECT_EQ(stats.copies, 0u);
}

TEST(Link, CopiesHandedBackAreSentFromTheLinksOwnTextsAndTheLinkAsksAgain) {
  LinkStats stats;
  std::string after = fanout_session(
      kStoringAnswer, two_joins, true, &stats, nullptr,
      // A module reloaded since: the bundle comes back, naming slot 0 (kept above) and slot 5
      // (never filled).
      "<message xmlns='jabber:component:accept' from='muc.test' to='muc.test'>"
      "<bundle xmlns='urn:mucd:fanout:0'/>"
      "<presence to='p@example.org/1' from='room@muc.test/a'><x/></presence>"
      "<copy xmlns='urn:mucd:fanout:0' slot='0' generation='1' to='p@example.org/1'/>"
      "<copy xmlns='urn:mucd:fanout:0' slot='5' generation='1' to='q@example.org/1'/>"
      "</message>");
  auto a = after.find("<presence to=\"p@example.org/1\" from=\"room@muc.test/a\"><x/></presence>");
  auto c = after.find("<presence to=\"p@example.org/1\" from=\"room@muc.test/c\"><x/></presence>");
  ASSERT_NE(a, std::string::npos) << after;
  ASSERT_NE(c, std::string::npos) << after;
  EXPECT_LT(a, c) << "in the bundle's order: " << after;
  EXPECT_EQ(after.find("q@example.org"), std::string::npos) << after;
  EXPECT_EQ(stats.lost, 1u) << "the stanza of a slot the link never filled is lost, and counted";
  EXPECT_EQ(stats.received, 2u) << "the handler never sees the returned bundle";
  EXPECT_NE(after.find("<query xmlns=\"urn:mucd:fanout:0\"/>", after.find("id=\"done\"")),
            std::string::npos)
      << "the link asks for the module again: " << after;
}

TEST(Link, AReloadedModuleAnswersTheQuestionAgainAndFanoutResumes) {
  LinkStats stats;
  std::string after = fanout_session(
      kStoringAnswer, two_joins, true, &stats, nullptr,
      "<message xmlns='jabber:component:accept' from='muc.test' to='muc.test'>"
      "<bundle xmlns='urn:mucd:fanout:0'/>"
      "<copy xmlns='urn:mucd:fanout:0' slot='0' generation='1' to='p@example.org/1'/>"
      "</message>" +
          std::string(kStoringAnswer),
      [](Outbox& out) {
        Broadcast c = occupant_presence("c");
        out.send_to(c, "r@example.org/1");
        out.send_to(c, "s@example.org/1");
        out.send_to(occupant_presence("a"), "t@example.org/1");
        out.send_to(c, "t@example.org/1");
      });
  auto resent = after.find("<presence to=\"p@example.org/1\" from=\"room@muc.test/c\">");
  ASSERT_NE(resent, std::string::npos) << after;
  // The answer emptied the module's store: c is kept again, in a new generation, before any copy.
  auto kept = after.find(
      "<fanout xmlns=\"urn:mucd:fanout:0\" store=\"0\" generation=\"2\">r@example.org/1\n"
      "s@example.org/1</fanout>",
      resent);
  ASSERT_NE(kept, std::string::npos) << after;
  EXPECT_NE(after.find("<copy xmlns=\"urn:mucd:fanout:0\" slot=\"0\" generation=\"2\" "
                       "to=\"t@example.org/1\"/>",
                       kept),
            std::string::npos)
      << after;
  EXPECT_EQ(stats.stored, 2u);
  EXPECT_EQ(stats.copies, 2u);
}

}  // namespace
}  // namespace mucd::component
