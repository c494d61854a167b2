// The link to the host server: one XEP-0114 component connection over libstrophe, kept up with
// reconnection, feeding every incoming stanza to a StanzaHandler and sending what it answers.
//
// libstrophe pitfalls this class is built around:
//  - its select() loop corrupts memory for sockets >= FD_SETSIZE: the socket is checked when it
//    is created, and the link stops with LinkExit::Fatal rather than run on such a socket;
//  - its handlers and per-connection timers fire only after the handshake, so reconnection and
//    the one-second tick are driven by our own loop around xmpp_run_once;
//  - it drops sends while disconnected without a word: the link counts them;
//  - the connection object is never freed inside one of its callbacks, and no exception crosses
//    a callback;
//  - 0.12 crashes on the first stanza of a component connection (it never allocates its
//    stream-management state for components): the constructor makes it allocate one;
//  - 0.12 does not hand the socket error of a failed connect() to the connection handler, only
//    to its logger: the link reads it there;
//  - it queues every xmpp_send_raw() as its own item, copied, logged and written with its own
//    write(): the link gathers outgoing stanzas in one buffer and hands it over once per turn of
//    the event loop (or whenever kFlushBytes are waiting), so a fan-out to N occupants costs one
//    write() rather than N. The socket gets TCP_NODELAY: a batch must leave at once, not wait
//    for the server's delayed ACK;
//  - it formats every log message, including "SENT: <all the bytes written>", before calling
//    our logger, whatever its level: while online, unless debug logging is on, the link takes
//    its logger away (libstrophe then skips formatting). Connection failures still arrive
//    through the connection callback, and the logger is back before every connection attempt;
//  - it serializes every received stanza back to text (xmpp_stanza_to_text) just to pass it to
//    that debug log line, logger or not: link.cpp interposes xmpp_stanza_to_text, and while the
//    logger is away the call fails at once (libstrophe then skips the line; a component
//    connection without stream management sends nothing else through it) and otherwise
//    forwards to libstrophe's own.
//
// Host fan-out: XEP-0114 gives a component no way to hand the server one stanza for many
// recipients, so the server parses every copy of a broadcast again. With Prosody, our module
// mod_mucd_fanout (packaging/prosody/) does that expansion inside the server: after each
// handshake the link asks for it (an iq to our own domain that the module answers and that
// otherwise comes back to us), and while it is there, consecutive copies of the same broadcast
// leave as one stanza to our domain listing the recipients. Nothing else changes: every other
// stanza, and a broadcast to one recipient, goes out as before, in the same order. A fan-out
// stanza that comes back (the module was unloaded while we were connected) is not lost: the link
// sends its copies one by one and stops using fan-out.
//
// Bundles: a joiner gets one presence per occupant already in the room, each different, so
// fan-out cannot help there and the server would parse and process each as its own stanza. A
// module that says so in its answer (<bundle/> in its <query/>) also takes consecutive stanzas
// for one recipient as one stanza to our domain, <message> with an empty
// <bundle xmlns='urn:mucd:fanout:0'/> followed by the stanzas, each with its own `to`; it routes
// them one by one, in order. A bundle handed back is sent stanza by stanza, like a fan-out.
//
// Stored presences: in a room of N, each joiner's list repeats N presences the server has already
// parsed, when it routed each occupant's own join. A module that offers it (<store slots='K'/> in
// its answer) keeps up to K stanzas for us: a fan-out presence whose <fanout/> says
// store='S' generation='G' is kept in slot S once routed, and a bundle may then hold
// <copy xmlns='urn:mucd:fanout:0' slot='S' generation='G' to='...'/> in place of a stanza whose
// text is exactly what slot S holds. The link decides what goes in which slot (StanzaStore, least
// recently used first) and only refers to what it stored in this session; the module routes the
// kept stanza re-addressed, so the recipient gets the very stanza it would have got. A module
// that misses a slot (it was reloaded) hands the whole bundle back unrouted, and the link sends
// the stanzas it named from its own copies. After anything handed back the link asks its
// question again: a reloaded module answers (with an empty store), and fan-out resumes.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "component/backoff.hpp"
#include "component/cli.hpp"
#include "component/stanza_store.hpp"
#include "core/clock.hpp"
#include "core/handler.hpp"

struct _xmpp_log_t;
struct _xmpp_ctx_t;
struct _xmpp_conn_t;

namespace mucd::component {

struct LinkConfig {
  ServerAddress server;
  // Our component domain, prepared (lowercase).
  std::string domain;
  // The shared secret; handed to libstrophe, never logged.
  std::string secret;
  BackoffPolicy backoff;
  // Longest wait inside one xmpp_run_once: bounds how late a stop request or a tick is noticed.
  std::chrono::milliseconds poll_interval{100};
  std::chrono::milliseconds tick_interval{1000};
  // How long a stop waits for the server to close the stream after we close ours.
  std::chrono::milliseconds close_timeout{1000};
  // Whether to ask the host for fan-out (mod_mucd_fanout) after each handshake and use it when
  // it answers (see the header comment). Off: always one copy per recipient.
  bool host_fanout = true;
  // Told `true` after each handshake and `false` when a session that was up ends (failed
  // connection attempts change nothing). For a status file; must not throw.
  std::function<void(bool online)> on_online_changed;
};

enum class LinkExit {
  // The stop flag was raised; the stream was closed politely if it was up.
  Stopped,
  // The server refused the handshake before any session succeeded: wrong secret, unknown
  // component domain, or not a component port. Retrying cannot help.
  Refused,
  // The link cannot work at all (libstrophe setup failed, socket number too high).
  Fatal,
};

struct LinkStats {
  std::uint64_t received = 0;          // stanzas handed to the handler
  std::uint64_t sent = 0;              // stanzas (or raw texts) accepted for sending
  std::uint64_t dropped_offline = 0;   // sends while not connected
  std::uint64_t refused = 0;           // sends refused by the outgoing checks
  std::uint64_t handler_failures = 0;  // exceptions caught from the handler
  std::uint64_t sessions = 0;          // successful handshakes
  std::uint64_t fanouts = 0;           // stanzas handed to the host for fan-out
  std::uint64_t bundles = 0;           // bundles of stanzas to one recipient handed to the host
  std::uint64_t stored = 0;            // presences the host was asked to keep
  std::uint64_t copies = 0;            // stanzas sent as a reference to a kept one
  std::uint64_t lost = 0;              // stanzas handed back that the link could not send again
};

class Link final : public Outbox {
 public:
  // `handler` and `clock` must outlive the link.
  Link(LinkConfig config, StanzaHandler& handler, const Clock& clock);
  ~Link() override;
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  // Connects and serves until `stop` becomes true or the server refuses us for good. The first
  // attempt is made at once; an unreachable server, or a session that ends, is retried with
  // backoff. Calls the handler's on_connected after each handshake and on_tick about once per
  // tick_interval (connected or not). Call it once.
  LinkExit run(const std::atomic<bool>& stop);

  // Outbox. Stanzas whose `from` is not our domain (or a JID at it), without `to`, or larger than
  // kMaxStanzaBytes are refused and logged; while disconnected, sends are dropped and counted.
  void send(const Stanza& stanza) override;
  // Sends already-serialized text as it is, after the same checks on its top element. Pure
  // whitespace (a keepalive) passes unchecked.
  void send_raw(std::string xml) override;
  // Appends one copy of `broadcast` addressed to `to` to the output buffer, after the same
  // checks; no allocation once the buffer has grown to its working size.
  void send_to(const Broadcast& broadcast, std::string_view to) override;

  // Output is handed to libstrophe when this much is waiting, even within one turn of the loop.
  static constexpr std::size_t kFlushBytes = 256 * 1024;

  // The most recipients' bytes (escaped JIDs) one fan-out stanza lists; Prosody's default limit
  // for a component's stanza is 512 KiB.
  static constexpr std::size_t kFanoutListBytes = 64 * 1024;
  static constexpr std::string_view kFanoutNamespace = "urn:mucd:fanout:0";
  // The most slots the link uses of a module's store, and the largest stanza it stores.
  static constexpr std::size_t kStoreSlots = 4096;
  static constexpr std::size_t kStoreMaxBytes = 2048;
  // How long the link waits for the answer before settling on one copy per recipient.
  static constexpr std::chrono::seconds kFanoutQuestionTimeout{10};

  bool online() const { return state_ == State::Online; }
  // Whether the host currently expands our fan-out stanzas.
  bool host_fanout() const { return fanout_; }
  const LinkStats& stats() const { return stats_; }

 private:
  struct Callbacks;  // the C callbacks handed to libstrophe (link.cpp)

  enum class State { Down, Connecting, Online };

  // How a connection attempt or session ended, captured inside libstrophe's callback.
  struct Ending {
    bool was_online = false;
    int error = 0;          // errno-style socket error, 0 if none
    std::string condition;  // stream error condition, empty if none
    std::string text;       // stream error text, empty if none
  };

  bool prime_stream_management_state();
  void connect_once();
  void handle_ending(const Ending& ending);
  void tick_if_due();
  void close_stream();
  void transmit(std::string_view xml, std::string_view what);
  void report_online(bool online) noexcept;
  // Checks common to every send: size, and whether we are online. Counts what it refuses.
  bool may_transmit(std::size_t size, std::string_view what);
  // Hands the output buffer to libstrophe, which writes it at the start of its next turn.
  void flush_output();
  // Appends the gathered copies of one broadcast to the output buffer: one fan-out stanza, or
  // the plain copy when there is a single recipient.
  void flush_gathered();
  // Whether the host's store may keep `broadcast`: a presence small enough, while the host keeps
  // stanzas for us.
  bool storable(const Broadcast& broadcast) const;
  // Appends one stanza of a bundle: a <copy/> of a kept stanza when the host holds its text,
  // otherwise the stanza itself.
  void append_bundled(const Broadcast& broadcast, std::string_view to);
  // Sends the stanza a <copy/> handed back by the host names, from the link's own copy.
  void send_copy_back(pugi::xml_node copy);
  void ask_for_fanout();
  // Whether `stanza` is the answer to (or the return of) our question; acts on it if so.
  bool take_fanout_answer(const Stanza& stanza);
  // Whether `stanza` is one of our fan-out stanzas handed back by a server that no longer
  // expands them (the module was unloaded or reloaded); if so, stops using fan-out, sends the
  // copies, and asks for the module again.
  bool take_returned_fanout(const Stanza& stanza);
  // Gives libstrophe our logger, or none (see the header comment).
  void set_library_logging(bool on);
  std::string describe(const Ending& ending) const;

  // Called from the Callbacks, inside libstrophe.
  void on_handshake();
  void on_ended(Ending ending);
  void on_stanza(const Stanza& stanza);
  bool on_socket(int fd);
  void note_library_message(std::string_view area, std::string_view message);

  LinkConfig config_;
  StanzaHandler& handler_;
  const Clock& clock_;
  std::mt19937_64 random_;
  Backoff backoff_;
  std::string server_text_;

  State state_ = State::Down;
  bool ever_online_ = false;
  bool closing_ = false;
  bool priming_ = false;
  int failures_since_online_ = 0;
  int socket_error_ = 0;  // of the current attempt, from libstrophe's log
  std::optional<Ending> ending_;
  std::optional<LinkExit> exit_;
  std::chrono::steady_clock::time_point next_tick_;
  std::uint64_t dropped_since_online_ = 0;
  LinkStats stats_;
  // Stanzas waiting for flush_output(), in order; its capacity is kept between turns.
  std::string output_;
  std::uint64_t output_stanzas_ = 0;

  // Host fan-out: whether it is on, the id of the question in flight (empty if none), and the
  // copies gathered so far of one broadcast (its text, the first recipient as given, and every
  // recipient escaped, one per line). Buffers keep their capacity between broadcasts.
  bool fanout_ = false;
  std::string fanout_question_;
  std::chrono::steady_clock::time_point fanout_deadline_;  // unanswered by then: no fan-out
  std::optional<Broadcast> gathered_;
  std::size_t gathered_count_ = 0;
  std::string gathered_first_;
  std::string gathered_list_;
  std::string fanout_child_;
  // Bundling (a module that answers with <bundle/>): consecutive different stanzas for the same
  // recipient (gathered_first_) leave as one; bundle_ holds them, each with its `to`.
  bool bundles_ = false;
  bool bundling_ = false;
  std::string bundle_;
  // What the host keeps for us (a module that answers with <store/>): off between sessions.
  StanzaStore store_;

  // libstrophe objects, declared last so they are destroyed first: releasing the connection may
  // still call back into the members above. The logger outlives the context, the context the
  // connection.
  struct StropheDeleter {
    void operator()(_xmpp_ctx_t* ctx) const;
    void operator()(_xmpp_conn_t* conn) const;
  };
  std::unique_ptr<_xmpp_log_t> logger_;
  std::unique_ptr<_xmpp_ctx_t, StropheDeleter> ctx_;
  std::unique_ptr<_xmpp_conn_t, StropheDeleter> conn_;
};

}  // namespace mucd::component
