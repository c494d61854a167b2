// The scripted clients: one libstrophe connection per `[Client]`, all driven from one thread
// through one libstrophe context.
//
// Nothing here blocks on its own: the owner calls `Session::pump` (a few milliseconds of
// `xmpp_run_once`) while it waits for something. Received stanzas are queued per client, in
// arrival order.
#pragma once

#include <strophe.h>

#include <chrono>
#include <deque>
#include <memory>
#include <pugixml.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace mucd::scansion {

using Clock = std::chrono::steady_clock;

// Initialises libstrophe for the lifetime of the object (one per process).
class Library {
 public:
  Library() { xmpp_initialize(); }
  ~Library() { xmpp_shutdown(); }
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;
};

// A top-level stanza (message, presence or iq) one client received.
struct Received {
  int sequence = 0;  // arrival order within the client
  Clock::time_point at;
  std::string text;                         // as libstrophe serialized it
  std::shared_ptr<pugi::xml_document> doc;  // parsed, `lang` renamed back to `xml:lang`

  pugi::xml_node root() const { return doc->document_element(); }
};

class Session;

class Client {
 public:
  enum class State { Offline, Connecting, Online, Closing, Failed };

  Client(Session& session, std::string name, std::string jid, std::string password);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const std::string& name() const { return name_; }
  const std::string& jid() const { return jid_; }
  State state() const { return state_; }
  // The full JID the server bound, empty until Online.
  const std::string& bound_jid() const { return bound_jid_; }
  // Why the connection failed or closed unexpectedly (empty if it did not).
  const std::string& failure() const { return failure_; }

  // Starts connecting to host:port (TLS disabled, SASL PLAIN allowed, resource from the jid if it
  // has one). Returns false, with failure() set, if libstrophe refuses to start.
  bool start_connect(const std::string& host, unsigned short port);
  // Starts closing the stream (`</stream:stream>`); the state becomes Offline once the server
  // closes its side.
  void start_disconnect();
  // Drops the connection at once, without closing the stream (for a login that hangs).
  void abort();
  // Writes `xml` to the stream as is.
  void send_raw(std::string_view xml);

  // Stanzas received and not yet taken, oldest first.
  std::deque<Received>& queue() { return queue_; }
  // Every stanza received, in order, taken or not.
  const std::vector<Received>& transcript() const { return transcript_; }

 private:
  static void on_connection(xmpp_conn_t* conn, xmpp_conn_event_t event, int error,
                            xmpp_stream_error_t* stream_error, void* userdata);
  static int on_stanza(xmpp_conn_t* conn, xmpp_stanza_t* stanza, void* userdata);

  struct ConnDeleter {
    void operator()(xmpp_conn_t* conn) const { xmpp_conn_release(conn); }
  };

  Session& session_;
  std::string name_;
  std::string jid_;
  std::string password_;
  std::unique_ptr<xmpp_conn_t, ConnDeleter> conn_;
  State state_ = State::Offline;
  std::string bound_jid_;
  std::string failure_;
  std::deque<Received> queue_;
  std::vector<Received> transcript_;
  int received_ = 0;
};

// The libstrophe context shared by a script's clients.
class Session {
 public:
  // `verbose` copies libstrophe's debug log to stderr.
  explicit Session(bool verbose);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  xmpp_ctx_t* ctx() { return ctx_.get(); }

  // Runs the event loop for up to `budget` (at least one short iteration).
  void pump(std::chrono::milliseconds budget);

  // The last error libstrophe logged (e.g. "connection refused"); cleared by take.
  std::string take_last_error();

 private:
  static void on_log(void* userdata, xmpp_log_level_t level, const char* area, const char* msg);

  struct CtxDeleter {
    void operator()(xmpp_ctx_t* ctx) const { xmpp_ctx_free(ctx); }
  };

  bool verbose_;
  xmpp_log_t log_;
  std::unique_ptr<xmpp_ctx_t, CtxDeleter> ctx_;
  std::string last_error_;
};

}  // namespace mucd::scansion
