#include "scansion/xmpp_client.hpp"

#include <fmt/core.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <utility>

#include "scansion/xml.hpp"

namespace mucd::scansion {

namespace {

// How long one xmpp_run_once may block: short, so that deadlines stay precise.
constexpr unsigned long kRunOnceMs = 5;

bool is_stanza(std::string_view name) {
  return name == "message" || name == "presence" || name == "iq";
}

std::string stream_error_text(const xmpp_stream_error_t* error) {
  if (error == nullptr) return {};
  std::string text = "stream error";
  if (error->stanza != nullptr) {
    for (auto* child = xmpp_stanza_get_children(error->stanza); child != nullptr;
         child = xmpp_stanza_get_next(child)) {
      const char* name = xmpp_stanza_get_name(child);
      if (name != nullptr && std::strcmp(name, "text") != 0) {
        text += fmt::format(" <{}/>", name);
        break;
      }
    }
  }
  if (error->text != nullptr) text += fmt::format(": {}", error->text);
  return text;
}

}  // namespace

Client::Client(Session& session, std::string name, std::string jid, std::string password)
    : session_(session),
      name_(std::move(name)),
      jid_(std::move(jid)),
      password_(std::move(password)) {}

Client::~Client() {
  // Releasing a connection that is still open closes its socket and may call on_connection,
  // which only touches members that are still alive here.
  conn_.reset();
}

bool Client::start_connect(const std::string& host, unsigned short port) {
  conn_.reset(xmpp_conn_new(session_.ctx()));
  if (!conn_) {
    failure_ = "cannot create a libstrophe connection";
    state_ = State::Failed;
    return false;
  }
  // Plain TCP: the test host accepts SASL PLAIN without TLS. Stream management would add
  // <r/>/<a/> traffic that no script describes.
  xmpp_conn_set_flags(conn_.get(), XMPP_CONN_FLAG_DISABLE_TLS | XMPP_CONN_FLAG_DISABLE_SM);
  xmpp_conn_set_jid(conn_.get(), jid_.c_str());
  xmpp_conn_set_pass(conn_.get(), password_.c_str());
  // A user handler: libstrophe only calls it once the session is authenticated.
  xmpp_handler_add(conn_.get(), &Client::on_stanza, nullptr, nullptr, nullptr, this);
  session_.take_last_error();
  failure_.clear();
  bound_jid_.clear();
  state_ = State::Connecting;
  if (xmpp_connect_client(conn_.get(), host.c_str(), port, &Client::on_connection, this) !=
      XMPP_EOK) {
    auto why = session_.take_last_error();
    failure_ = fmt::format("cannot connect to {}:{}{}", host, port, why.empty() ? "" : ": " + why);
    state_ = State::Failed;
    return false;
  }
  return true;
}

void Client::start_disconnect() {
  if (conn_ && (state_ == State::Online || state_ == State::Connecting)) {
    state_ = State::Closing;
    xmpp_disconnect(conn_.get());
  }
}

void Client::abort() {
  const State before = state_;
  conn_.reset();  // may call on_connection, which records a reason we do not need
  state_ = before == State::Online ? State::Offline : State::Failed;
}

void Client::send_raw(std::string_view xml) {
  if (conn_ && state_ == State::Online) xmpp_send_raw(conn_.get(), xml.data(), xml.size());
}

void Client::on_connection(xmpp_conn_t* conn, xmpp_conn_event_t event, int error,
                           xmpp_stream_error_t* stream_error, void* userdata) {
  auto& self = *static_cast<Client*>(userdata);
  if (event == XMPP_CONN_CONNECT) {
    const char* bound = xmpp_conn_get_bound_jid(conn);
    self.bound_jid_ = bound != nullptr ? bound : "";
    self.state_ = State::Online;
    return;
  }
  if (event != XMPP_CONN_DISCONNECT && event != XMPP_CONN_FAIL) return;
  const State before = self.state_;
  self.state_ = State::Offline;
  if (before == State::Closing) return;  // the close we asked for
  std::string why = stream_error_text(stream_error);
  if (why.empty() && error != 0) why = std::strerror(error);
  if (why.empty()) why = self.session_.take_last_error();
  if (before == State::Connecting) {
    self.state_ = State::Failed;
    self.failure_ = why.empty() ? "connection closed before login completed (login refused?)" : why;
  } else {
    self.failure_ = why.empty() ? "the server closed the connection" : "disconnected: " + why;
  }
}

int Client::on_stanza(xmpp_conn_t* /*conn*/, xmpp_stanza_t* stanza, void* userdata) {
  auto& self = *static_cast<Client*>(userdata);
  const char* name = xmpp_stanza_get_name(stanza);
  if (name == nullptr || !is_stanza(name)) return 1;
  // libstrophe passes the replies to its own bind and session requests to user handlers too.
  const char* id = xmpp_stanza_get_id(stanza);
  if (std::strcmp(name, "iq") == 0 && id != nullptr && std::strncmp(id, "_xmpp_", 6) == 0) {
    return 1;
  }
  char* buffer = nullptr;
  std::size_t length = 0;
  if (xmpp_stanza_to_text(stanza, &buffer, &length) != XMPP_EOK) return 1;
  std::string text(buffer, length);
  xmpp_free(self.session_.ctx(), buffer);
  auto parsed = parse_received(text);
  if (!parsed) return 1;  // libstrophe produced it, so this does not happen
  Received received;
  received.sequence = ++self.received_;
  received.at = Clock::now();
  received.text = std::move(text);
  received.doc = std::shared_ptr<pugi::xml_document>(std::move(parsed.doc));
  self.queue_.push_back(received);
  self.transcript_.push_back(std::move(received));
  return 1;
}

Session::Session(bool verbose) : verbose_(verbose), log_{&Session::on_log, this} {
  ctx_.reset(xmpp_ctx_new(nullptr, &log_));
}

Session::~Session() = default;

void Session::pump(std::chrono::milliseconds budget) {
  const auto until = Clock::now() + budget;
  do {
    xmpp_run_once(ctx_.get(), kRunOnceMs);
  } while (Clock::now() < until);
}

std::string Session::take_last_error() {
  return std::exchange(last_error_, {});
}

void Session::on_log(void* userdata, xmpp_log_level_t level, const char* area, const char* msg) {
  auto& self = *static_cast<Session*>(userdata);
  if (self.verbose_) std::fprintf(stderr, "libstrophe %s: %s\n", area, msg);
  // libstrophe reports socket errors only in its log, as "connection failed, error <errno>".
  constexpr std::string_view kConnectFailed = "connection failed, error ";
  std::string_view text = msg;
  if (text.starts_with(kConnectFailed)) {
    int code = std::atoi(msg + kConnectFailed.size());
    self.last_error_ = code != 0 ? std::strerror(code) : std::string(text);
  } else if (level >= XMPP_LEVEL_WARN) {
    self.last_error_ = text;
  }
}

}  // namespace mucd::scansion
