#include "component/link.hpp"

#include <dlfcn.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <strophe.h>
#include <sys/select.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>

#include "component/outgoing.hpp"
#include "component/stanza_convert.hpp"
#include "core/log.hpp"

namespace {

// Whether libstrophe may turn stanzas into text (see link.hpp); false while a link has taken its
// logger away. One flag for the process: the interposed C function below has no other context.
bool g_stanza_text_wanted = true;

}  // namespace

// Interposes libstrophe's own (its internal calls go through the PLT, so they land here).
extern "C" int xmpp_stanza_to_text(xmpp_stanza_t* stanza, char** buf, size_t* buflen) {
  using ToText = int (*)(xmpp_stanza_t*, char**, size_t*);
  static const auto real = reinterpret_cast<ToText>(dlsym(RTLD_NEXT, "xmpp_stanza_to_text"));
  if (!g_stanza_text_wanted || real == nullptr) return XMPP_EMEM;
  return real(stanza, buf, buflen);
}

namespace mucd::component {

namespace {

constexpr std::string_view kNsStreams = "http://etherx.jabber.org/streams";
constexpr std::string_view kNsStreamErrors = "urn:ietf:params:xml:ns:xmpp-streams";

// Stream errors before the handshake that mean "this configuration will never work": a wrong
// secret, a domain the server has no Component for, or a port that is not a component port.
bool is_configuration_refusal(std::string_view condition) {
  return condition == "not-authorized" || condition == "host-unknown" ||
         condition == "invalid-namespace" || condition == "improper-addressing";
}

void initialize_strophe_once() {
  // Never shut down: other links (tests) may still need it, and the process is ending anyway.
  static const bool initialized = [] {
    xmpp_initialize();
    return true;
  }();
  (void)initialized;
}

log::Level level_of(xmpp_log_level_t level) {
  switch (level) {
    case XMPP_LEVEL_DEBUG:
      return log::Level::Debug;
    case XMPP_LEVEL_INFO:
      return log::Level::Info;
    case XMPP_LEVEL_WARN:
      return log::Level::Warn;
    case XMPP_LEVEL_ERROR:
      return log::Level::Error;
  }
  return log::Level::Error;
}

// Replaces every occurrence of `needle` in `text`.
void replace_all(std::string& text, std::string_view needle, std::string_view with) {
  if (needle.empty()) return;
  for (size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + with.size())) {
    text.replace(at, needle.size(), with);
  }
}

// libstrophe's debug output shows the handshake digest (derived from the secret, so it allows
// guessing a weak secret offline); blank it, and the secret itself should it ever appear.
std::string redact(std::string text, std::string_view secret) {
  replace_all(text, secret, "[secret]");
  if (text.rfind("Digest: ", 0) == 0) return "Digest: [redacted]";
  for (size_t open = text.find("<handshake"); open != std::string::npos;
       open = text.find("<handshake", open + 1)) {
    size_t gt = text.find('>', open);
    if (gt == std::string::npos || text[gt - 1] == '/') continue;
    size_t close = text.find("</handshake>", gt);
    if (close == std::string::npos) close = text.size();
    text.replace(gt + 1, close - gt - 1, "[redacted]");
  }
  return text;
}

std::string_view or_empty(const char* s) {
  return s ? std::string_view(s) : std::string_view{};
}

}  // namespace

// The C entry points. Each one catches everything: an exception must never unwind through
// libstrophe's C frames.
struct Link::Callbacks {
  static void log(void* userdata, xmpp_log_level_t level, const char* area,
                  const char* message) noexcept {
    try {
      auto* self = static_cast<Link*>(userdata);
      self->note_library_message(or_empty(area), or_empty(message));
      auto our_level = level_of(level);
      if (!log::enabled(our_level)) return;
      log::write(our_level,
                 fmt::format("libstrophe {}: {}", or_empty(area),
                             redact(std::string(or_empty(message)), self->config_.secret)));
    } catch (...) {
      // Nothing sensible to do when logging itself fails.
    }
  }

  static void connection(xmpp_conn_t*, xmpp_conn_event_t event, int error,
                         xmpp_stream_error_t* stream_error, void* userdata) noexcept {
    auto* self = static_cast<Link*>(userdata);
    try {
      if (event == XMPP_CONN_CONNECT) {
        self->on_handshake();
        return;
      }
      if (event == XMPP_CONN_RAW_CONNECT) return;
      Ending ending;
      ending.error = error;
      if (stream_error != nullptr) {
        ending.text = or_empty(stream_error->text);
        for (auto* child = stream_error->stanza ? xmpp_stanza_get_children(stream_error->stanza)
                                                : nullptr;
             child; child = xmpp_stanza_get_next(child)) {
          std::string_view name = or_empty(xmpp_stanza_get_name(child));
          if (xmpp_stanza_is_tag(child) && name != "text" &&
              or_empty(xmpp_stanza_get_ns(child)) == kNsStreamErrors) {
            ending.condition = name;
            break;
          }
        }
        if (ending.condition.empty()) ending.condition = "undefined-condition";
      }
      self->on_ended(std::move(ending));
    } catch (const std::exception& e) {
      log::error("internal error in the connection callback: {}", e.what());
    } catch (...) {
      log::error("internal error in the connection callback");
    }
  }

  static int stanza(xmpp_conn_t*, xmpp_stanza_t* stanza, void* userdata) noexcept {
    auto* self = static_cast<Link*>(userdata);
    try {
      std::string_view name = or_empty(xmpp_stanza_get_name(stanza));
      std::string_view ns = or_empty(xmpp_stanza_get_ns(stanza));
      if (!is_stanza_name(name) || (ns != kNsComponentAccept && ns != kNsClient && !ns.empty())) {
        // Stream-level elements (stream errors are handled by libstrophe itself).
        if (ns != kNsStreams) log::debug("ignoring <{} xmlns='{}'> from the server", name, ns);
        return 1;
      }
      auto converted = from_strophe(stanza);
      if (!converted) {
        log::warn("could not convert an incoming <{}>; dropped", name);
        return 1;
      }
      self->on_stanza(*converted);
    } catch (const std::exception& e) {
      log::error("internal error while receiving a stanza: {}", e.what());
    } catch (...) {
      log::error("internal error while receiving a stanza");
    }
    return 1;  // keep this handler
  }

  // For priming only: that attempt must never get this far.
  static void ignore_connection(xmpp_conn_t*, xmpp_conn_event_t, int, xmpp_stream_error_t*,
                                void*) noexcept {}

  static int socket(xmpp_conn_t* conn, void* sock) noexcept {
    try {
      int fd = *static_cast<int*>(sock);
      if (current == nullptr || !current->on_socket(fd)) return -1;
      return xmpp_sockopt_cb_keepalive(conn, sock);
    } catch (...) {
      return -1;
    }
  }

  // The socket callback gets no userdata; the link sets this around each libstrophe call that
  // may open a socket.
  static thread_local Link* current;

  struct Scope {
    explicit Scope(Link* link) : previous(current) { current = link; }
    ~Scope() { current = previous; }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
    Link* previous;
  };
};

thread_local Link* Link::Callbacks::current = nullptr;

void Link::StropheDeleter::operator()(xmpp_ctx_t* ctx) const {
  xmpp_ctx_free(ctx);
}
void Link::StropheDeleter::operator()(xmpp_conn_t* conn) const {
  xmpp_conn_release(conn);
}

Link::Link(LinkConfig config, StanzaHandler& handler, const Clock& clock)
    : config_(std::move(config)),
      handler_(handler),
      clock_(clock),
      random_(std::random_device{}()),
      backoff_(
          clock_, [this] { return std::uniform_real_distribution<double>(0.0, 1.0)(random_); },
          config_.backoff),
      server_text_(config_.server.to_string()) {
  initialize_strophe_once();
  logger_ = std::make_unique<xmpp_log_t>(xmpp_log_t{&Callbacks::log, this});
  ctx_.reset(xmpp_ctx_new(nullptr, logger_.get()));
  if (ctx_) conn_.reset(xmpp_conn_new(ctx_.get()));
  if (!conn_) {
    log::error("cannot set up libstrophe (out of memory?)");
    exit_ = LinkExit::Fatal;
    return;
  }
  // Components have neither TLS nor stream management (XEP-0114).
  xmpp_conn_set_flags(conn_.get(), XMPP_CONN_FLAG_DISABLE_TLS | XMPP_CONN_FLAG_DISABLE_SM);
  xmpp_conn_set_jid(conn_.get(), config_.domain.c_str());
  xmpp_conn_set_pass(conn_.get(), config_.secret.c_str());
  xmpp_conn_set_sockopt_callback(conn_.get(), &Callbacks::socket);
  if (!prime_stream_management_state()) {
    exit_ = LinkExit::Fatal;
    return;
  }
  // One catch-all handler for the life of the connection object; libstrophe keeps user handlers
  // across reconnections and calls them only once the handshake is done.
  xmpp_handler_add(conn_.get(), &Callbacks::stanza, nullptr, nullptr, nullptr, this);
}

Link::~Link() {
  g_stanza_text_wanted = true;
  // Explicitly first: releasing may call back into this object.
  conn_.reset();
  ctx_.reset();
}

LinkExit Link::run(const std::atomic<bool>& stop) {
  next_tick_ = clock_.now() + config_.tick_interval;
  const auto poll_ms = static_cast<unsigned long>(config_.poll_interval.count());
  while (!exit_ && !stop.load()) {
    if (state_ == State::Down && backoff_.ready()) connect_once();
    if (exit_) break;
    flush_output();
    {
      Callbacks::Scope scope(this);
      xmpp_run_once(ctx_.get(), poll_ms);
    }
    if (exit_) break;
    if (ending_) {
      Ending ending = std::move(*ending_);
      ending_.reset();
      handle_ending(ending);
      if (exit_) break;
    }
    tick_if_due();
  }
  if (exit_) return *exit_;
  close_stream();
  return LinkExit::Stopped;
}

void Link::connect_once() {
  log::debug("connecting to {} as component {}", server_text_, config_.domain);
  set_library_logging(true);  // the socket error of a failed connect() comes through it
  state_ = State::Connecting;
  socket_error_ = 0;
  errno = 0;
  int rc;
  {
    Callbacks::Scope scope(this);
    rc = xmpp_connect_component(conn_.get(), config_.server.host.c_str(), config_.server.port,
                                &Callbacks::connection, this);
  }
  if (rc != XMPP_EOK && !exit_) {
    state_ = State::Down;
    Ending ending;
    ending.error = errno != 0 ? errno : ECONNREFUSED;
    handle_ending(ending);
  }
}

// libstrophe 0.12 reads conn->sm_state (XEP-0198 bookkeeping) after every received stanza but
// allocates it only in xmpp_connect_client, so a component connection crashes on the server's
// <handshake/> reply. A client connection attempt that our socket callback refuses before any
// connect() allocates the state without touching the network; components never enable it.
bool Link::prime_stream_management_state() {
  if (xmpp_sm_state_t* state = xmpp_conn_get_sm_state(conn_.get())) {
    xmpp_conn_set_sm_state(conn_.get(), state);
    return true;
  }
  log::debug(
      "working around libstrophe 0.12's component bug: the client connection attempt to "
      "127.0.0.1:1 below is refused on purpose, before any connect()");
  priming_ = true;
  {
    Callbacks::Scope scope(this);
    xmpp_connect_client(conn_.get(), "127.0.0.1", 1, &Callbacks::ignore_connection, nullptr);
  }
  priming_ = false;
  xmpp_sm_state_t* state =
      xmpp_conn_is_disconnected(conn_.get()) ? xmpp_conn_get_sm_state(conn_.get()) : nullptr;
  if (state == nullptr) {
    log::error(
        "cannot work around libstrophe's missing stream-management state; this libstrophe "
        "version would crash on the first stanza");
    return false;
  }
  xmpp_conn_set_sm_state(conn_.get(), state);
  return true;
}

bool Link::on_socket(int fd) {
  if (priming_) return false;
  if (fd >= FD_SETSIZE) {
    log::error(
        "the connection to {} got socket number {}, but libstrophe cannot wait on sockets "
        "numbered {} or more; mucd has too many files open (check the storage's open-file limit)",
        server_text_, fd, FD_SETSIZE);
    exit_ = LinkExit::Fatal;
    return false;
  }
  // Batches are written whole (see the header); Nagle would hold each back for an ACK.
  int one = 1;
  if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) {
    log::debug("cannot set TCP_NODELAY on the connection to {}: {}", server_text_,
               std::strerror(errno));
  }
  return true;
}

void Link::set_library_logging(bool on) {
  logger_->handler = on ? &Callbacks::log : nullptr;
  g_stanza_text_wanted = on;
}

void Link::on_handshake() {
  state_ = State::Online;
  set_library_logging(log::enabled(log::Level::Debug));
  ever_online_ = true;
  ++stats_.sessions;
  backoff_.reset();
  if (stats_.sessions == 1) {
    log::info("connected to {} as component {}", server_text_, config_.domain);
  } else {
    log::info("reconnected to {} as component {}", server_text_, config_.domain);
  }
  if (dropped_since_online_ > 0) {
    log::info("{} outgoing stanzas were dropped while disconnected", dropped_since_online_);
    dropped_since_online_ = 0;
  }
  failures_since_online_ = 0;
  report_online(true);
  if (config_.host_fanout) ask_for_fanout();
  try {
    handler_.on_connected(*this);
  } catch (const std::exception& e) {
    ++stats_.handler_failures;
    log::error("handler failed after connecting: {}", e.what());
  } catch (...) {
    ++stats_.handler_failures;
    log::error("handler failed after connecting");
  }
}

// libstrophe 0.12 does not pass the socket error of a failed connect() to the connection handler
// (it passes 0); it only logs "connection failed, error N". Without it an operator would read
// "the server closed the connection" where "Connection refused" is the truth.
void Link::note_library_message(std::string_view area, std::string_view message) {
  constexpr std::string_view kFailed = "connection failed, error ";
  if (area != "xmpp") return;
  if (message == "Connection attempt timed out.") {
    socket_error_ = ETIMEDOUT;
    return;
  }
  if (message.substr(0, kFailed.size()) != kFailed) return;
  int error = 0;
  for (char c : message.substr(kFailed.size())) {
    if (c < '0' || c > '9' || error > 100000) break;
    error = error * 10 + (c - '0');
  }
  socket_error_ = error;
}

void Link::on_ended(Ending ending) {
  ending.was_online = state_ == State::Online;
  if (ending.error == 0 && !ending.was_online) ending.error = socket_error_;
  state_ = State::Down;
  set_library_logging(true);
  // libstrophe frees its send queue on reconnection; what we had not handed over goes too.
  stats_.dropped_offline += output_stanzas_ + gathered_count_;
  dropped_since_online_ += output_stanzas_ + gathered_count_;
  output_.clear();
  output_stanzas_ = 0;
  gathered_count_ = 0;
  bundling_ = false;
  // The next server (or the restarted one) may not have the module: ask again.
  fanout_ = false;
  bundles_ = false;
  store_.reset(0);
  fanout_question_.clear();
  // Acted on (logged, backoff chosen) in the loop, outside libstrophe.
  ending_ = std::move(ending);
}

void Link::on_stanza(const Stanza& stanza) {
  if (take_fanout_answer(stanza) || take_returned_fanout(stanza)) return;
  ++stats_.received;
  try {
    handler_.handle(stanza, *this);
    return;
  } catch (const std::exception& e) {
    ++stats_.handler_failures;
    log::error("handler failed on <{} type='{}' id='{}' from='{}'>: {}", stanza.name(),
               stanza.type(), stanza.id(), stanza.from(), e.what());
  } catch (...) {
    ++stats_.handler_failures;
    log::error("handler failed on <{} type='{}' id='{}' from='{}'>", stanza.name(), stanza.type(),
               stanza.id(), stanza.from());
  }
  // Every iq request gets an answer, even when we failed.
  if (auto reply = internal_error_reply(stanza)) send(*reply);
}

std::string Link::describe(const Ending& ending) const {
  if (!ending.condition.empty()) {
    if (ending.text.empty()) return fmt::format("stream error {}", ending.condition);
    return fmt::format("stream error {}: {}", ending.condition, ending.text);
  }
  if (ending.error != 0) return std::strerror(ending.error);
  return ending.was_online ? "the server closed the stream" : "the server closed the connection";
}

void Link::report_online(bool online) noexcept {
  if (!config_.on_online_changed) return;
  try {
    config_.on_online_changed(online);
  } catch (...) {
    log::error("the online-state observer failed");
  }
}

void Link::handle_ending(const Ending& ending) {
  if (closing_) return;
  if (ending.was_online) report_online(false);
  std::string reason = describe(ending);
  bool refused = !ending.was_online && is_configuration_refusal(ending.condition);
  if (refused && !ever_online_) {
    log::error(
        "{} refused component {} ({}): check the component secret, that the server has "
        "Component \"{}\" configured, and that {} is its component port",
        server_text_, config_.domain, reason, config_.domain, server_text_);
    exit_ = LinkExit::Refused;
    return;
  }
  auto delay = backoff_.fail();
  if (!ending.was_online) ++failures_since_online_;
  double seconds = std::chrono::duration<double>(delay).count();
  if (ending.was_online) {
    log::warn("lost the connection to {} ({}); reconnecting in {:.1f} s", server_text_, reason,
              seconds);
  } else if (refused) {
    log::error(
        "{} refused component {} ({}): check the secret and the server's Component \"{}\"; "
        "retrying in {:.1f} s",
        server_text_, config_.domain, reason, config_.domain, seconds);
  } else {
    log::warn("cannot connect to {} ({}); retrying in {:.1f} s (attempt {})", server_text_, reason,
              seconds, failures_since_online_);
  }
}

void Link::tick_if_due() {
  auto now = clock_.now();
  if (!fanout_question_.empty() && now >= fanout_deadline_) {
    fanout_question_.clear();
    log::info("{} did not answer the fan-out question; sending one copy per recipient",
              server_text_);
  }
  if (now < next_tick_) return;
  next_tick_ += config_.tick_interval;
  if (next_tick_ <= now) next_tick_ = now + config_.tick_interval;  // we fell behind; skip
  try {
    handler_.on_tick(*this);
  } catch (const std::exception& e) {
    ++stats_.handler_failures;
    log::error("handler failed on a tick: {}", e.what());
  } catch (...) {
    ++stats_.handler_failures;
    log::error("handler failed on a tick");
  }
}

void Link::close_stream() {
  closing_ = true;
  if (state_ != State::Online) return;
  log::info("closing the stream to {}", server_text_);
  flush_output();
  Callbacks::Scope scope(this);
  xmpp_disconnect(conn_.get());
  auto deadline = clock_.now() + config_.close_timeout;
  while (!xmpp_conn_is_disconnected(conn_.get()) && clock_.now() < deadline) {
    xmpp_run_once(ctx_.get(), 50);
  }
  if (!xmpp_conn_is_disconnected(conn_.get())) {
    log::warn("{} did not close its stream within {} ms; leaving anyway", server_text_,
              config_.close_timeout.count());
  }
}

void Link::send(const Stanza& stanza) {
  if (auto problem = outgoing_problem(stanza.from(), stanza.to(), config_.domain)) {
    ++stats_.refused;
    log::error("not sending <{} from='{}' to='{}' id='{}'>: {}", stanza.name(), stanza.from(),
               stanza.to(), stanza.id(), *problem);
    return;
  }
  transmit(stanza.to_string(), stanza.name());
}

void Link::send_raw(std::string xml) {
  auto first = xml.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) {
    transmit(xml, "whitespace");
    return;
  }
  auto tag = scan_start_tag(xml);
  if (!tag) {
    ++stats_.refused;
    log::error("not sending raw text that does not start with an XML element ({} bytes)",
               xml.size());
    return;
  }
  if (is_stanza_name(tag->name)) {
    auto problem = outgoing_problem(tag->from.value_or(std::string_view{}),
                                    tag->to.value_or(std::string_view{}), config_.domain);
    if (problem) {
      ++stats_.refused;
      log::error("not sending <{} from='{}' to='{}'>: {}", tag->name,
                 tag->from.value_or(std::string_view{}), tag->to.value_or(std::string_view{}),
                 *problem);
      return;
    }
  }
  std::string what(tag->name);
  transmit(xml, what);
}

bool Link::may_transmit(std::size_t size, std::string_view what) {
  if (size > kMaxStanzaBytes) {
    ++stats_.refused;
    log::error("not sending a <{}> of {} bytes: the server's limit is {} bytes", what, size,
               kMaxStanzaBytes);
    return false;
  }
  if (state_ != State::Online) {
    ++stats_.dropped_offline;
    ++dropped_since_online_;
    log::debug("not connected: dropping an outgoing <{}>", what);
    return false;
  }
  return true;
}

void Link::transmit(std::string_view xml, std::string_view what) {
  if (!may_transmit(xml.size(), what)) return;
  flush_gathered();  // copies of a broadcast given before this stanza leave before it
  output_.append(xml);
  ++output_stanzas_;
  ++stats_.sent;
  if (output_.size() >= kFlushBytes) flush_output();
}

void Link::send_to(const Broadcast& broadcast, std::string_view to) {
  if (auto problem = outgoing_problem(broadcast.from(), to, config_.domain)) {
    ++stats_.refused;
    log::error("not sending <{} from='{}' to='{}'>: {}", broadcast.name(), broadcast.from(), to,
               *problem);
    return;
  }
  // Escaping makes a byte of `to` at most six; the exact size only matters near the limit.
  std::size_t size = broadcast.text().size() + 6 * to.size() + 6;
  if (size > kMaxStanzaBytes) size = broadcast.size_for(to);
  if (!may_transmit(size, broadcast.name())) return;
  ++stats_.sent;
  if (!fanout_) {
    broadcast.append_to(output_, to);
    ++output_stanzas_;
    if (output_.size() >= kFlushBytes) flush_output();
    return;
  }
  if (gathered_count_ > 0) {
    if (!bundling_ && gathered_->text() == broadcast.text()) {
      // Another copy of the same broadcast. The fan-out stanza is the broadcast plus the list:
      // keep both well under the server's limit.
      if (gathered_list_.size() + size <= kFanoutListBytes &&
          gathered_->text().size() + gathered_list_.size() + size <= kMaxStanzaBytes / 2) {
        gathered_list_.push_back('\n');
        append_attribute_value(gathered_list_, to);
        ++gathered_count_;
        return;
      }
    } else if (bundles_ && to == gathered_first_ && (bundling_ || gathered_count_ == 1)) {
      // A different stanza for the same recipient (an occupant list, history): bundled.
      if (!bundling_) {
        bundle_.clear();
        append_bundled(*gathered_, gathered_first_);
        bundling_ = true;
      }
      if (bundle_.size() + size <= kMaxStanzaBytes / 2) {
        append_bundled(broadcast, to);
        ++gathered_count_;
        return;
      }
    }
    flush_gathered();
  }
  if (gathered_) {
    *gathered_ = broadcast;
  } else {
    gathered_.emplace(broadcast);
  }
  gathered_first_.assign(to);
  gathered_list_.clear();
  append_attribute_value(gathered_list_, to);
  gathered_count_ = 1;
}

void Link::flush_gathered() {
  if (gathered_count_ == 0) return;
  if (gathered_count_ == 1) {
    gathered_->append_to(output_, gathered_first_);
  } else if (bundling_) {
    // The stanzas are the message's children after the marker, so that they stay in the
    // stream's namespace.
    fmt::format_to(std::back_inserter(output_),
                   R"(<message from="{}" to="{}"><bundle xmlns="{}"/>)", config_.domain,
                   config_.domain, kFanoutNamespace);
    output_.append(bundle_);
    output_.append("</message>");
    bundling_ = false;
    ++stats_.bundles;
  } else {
    fanout_child_.assign("<fanout xmlns=\"");
    fanout_child_.append(kFanoutNamespace);
    fanout_child_.push_back('"');
    if (storable(*gathered_) && !store_.find(gathered_->text())) {
      // A presence the host has not kept yet: an occupant's, which every later joiner's list
      // repeats.
      auto ref = store_.store(gathered_->text());
      fmt::format_to(std::back_inserter(fanout_child_), R"( store="{}" generation="{}")", ref.slot,
                     ref.generation);
      ++stats_.stored;
    }
    fanout_child_.push_back('>');
    fanout_child_.append(gathered_list_);
    fanout_child_.append("</fanout>");
    gathered_->with_child(fanout_child_).append_to(output_, config_.domain);
    ++stats_.fanouts;
  }
  output_stanzas_ += gathered_count_;
  gathered_count_ = 0;
  if (output_.size() >= kFlushBytes) flush_output();
}

bool Link::storable(const Broadcast& broadcast) const {
  return store_.slots() > 0 && bundles_ && broadcast.name() == "presence" &&
         broadcast.text().size() <= kStoreMaxBytes;
}

void Link::append_bundled(const Broadcast& broadcast, std::string_view to) {
  if (storable(broadcast)) {
    if (auto ref = store_.find(broadcast.text())) {
      fmt::format_to(std::back_inserter(bundle_), R"(<copy xmlns="{}" slot="{}" generation="{}")",
                     kFanoutNamespace, ref->slot, ref->generation);
      append_attribute(bundle_, "to", to);
      bundle_.append("/>");
      ++stats_.copies;
      return;
    }
  }
  broadcast.append_to(bundle_, to);
}

void Link::flush_output() {
  flush_gathered();
  if (output_.empty()) return;
  if (state_ == State::Online) xmpp_send_raw(conn_.get(), output_.data(), output_.size());
  output_.clear();
  output_stanzas_ = 0;
}

void Link::ask_for_fanout() {
  // Not one of the handler's stanzas: written without counting it as sent.
  fanout_question_ = fmt::format("mucd-fanout-{}", stats_.sessions);
  fanout_deadline_ = clock_.now() + kFanoutQuestionTimeout;
  flush_gathered();
  output_.append(fmt::format(R"(<iq type="get" id="{}" from="{}" to="{}"><query xmlns="{}"/></iq>)",
                             fanout_question_, config_.domain, config_.domain, kFanoutNamespace));
  ++output_stanzas_;
}

bool Link::take_returned_fanout(const Stanza& stanza) {
  if (stanza.to() != config_.domain) return false;
  auto list = child_ns(stanza.root(), "fanout", kFanoutNamespace);
  auto bundle = list ? pugi::xml_node() : child_ns(stanza.root(), "bundle", kFanoutNamespace);
  if (!list && !bundle) return false;
  // Only what we sent: from our domain or a JID at it (the server checks what we send).
  std::string_view from = stanza.from();
  auto at = from.find('@');
  std::string_view domain = from.substr(at == std::string_view::npos ? 0 : at + 1);
  domain = domain.substr(0, domain.find('/'));
  if (domain != config_.domain) return false;
  if (fanout_) {
    fanout_ = false;
    bundles_ = false;
    log::warn(
        "{} handed a fan-out stanza back (mod_mucd_fanout unloaded or reloaded?): sending its "
        "copies, one copy per recipient from now on, and asking for the module again",
        server_text_);
    // A reloaded module answers (and fan-out resumes); an unloaded one hands the question back.
    // Whatever else comes back meanwhile arrives before the answer, while the store still holds
    // the texts it may name.
    if (fanout_question_.empty()) ask_for_fanout();
  }
  if (bundle) {
    // The other children are stanzas of ours, each with its own `to`: sent as they are, after
    // the usual checks.
    for (auto child = stanza.root().first_child(); child; child = child.next_sibling()) {
      if (child.type() != pugi::node_element || child == bundle) continue;
      if (std::string_view(child.name()) == "copy" &&
          std::string_view(child.attribute("xmlns").value()) == kFanoutNamespace) {
        send_copy_back(child);
        continue;
      }
      Stanza copy = Stanza::copy_of(child);
      if (copy.attr("xmlns") == "jabber:component:accept") copy.remove_attr("xmlns");
      send(copy);
    }
    return true;
  }
  std::string recipients = list.text().get();
  Stanza copy = stanza;
  copy.root().remove_child(child_ns(copy.root(), "fanout", kFanoutNamespace));
  Broadcast broadcast(copy);
  std::string_view rest = recipients;
  while (!rest.empty()) {
    auto end = rest.find('\n');
    std::string_view to = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
    if (!to.empty()) send_to(broadcast, to);
  }
  return true;
}

void Link::send_copy_back(pugi::xml_node copy) {
  StanzaStore::Ref ref{copy.attribute("slot").as_uint(UINT32_MAX),
                       copy.attribute("generation").as_uint()};
  std::string_view to = copy.attribute("to").value();
  auto text = store_.text_of(ref);
  std::optional<Stanza> stanza = text ? Stanza::parse(*text) : std::nullopt;
  if (!stanza || to.empty()) {
    // The slot was reused since (or the session ended): the stanza is gone.
    ++stats_.lost;
    log::error(
        "{} handed back a reference to kept stanza {} (generation {}) for {}, which mucd "
        "no longer holds: that stanza is lost",
        server_text_, ref.slot, ref.generation, to);
    return;
  }
  send_to(Broadcast(*stanza), to);
}

bool Link::take_fanout_answer(const Stanza& stanza) {
  if (fanout_question_.empty() || stanza.name() != "iq" || stanza.id() != fanout_question_ ||
      stanza.from() != config_.domain) {
    return false;
  }
  fanout_question_.clear();
  if (stanza.type() == "result") {
    fanout_ = true;
    // A module that also unpacks bundles says so with <bundle/> in its answer.
    auto query = child_ns(stanza.root(), "query", kFanoutNamespace);
    bundles_ = query && query.child("bundle");
    // And one that keeps stanzas for us, how many: <store slots='K'/>.
    std::size_t slots = bundles_ ? query.child("store").attribute("slots").as_ullong() : 0;
    store_.reset(std::min<std::size_t>(slots, kStoreSlots));
    log::info("{} expands fan-out (mod_mucd_fanout): one stanza per broadcast{}{}", server_text_,
              bundles_ ? ", one per run of stanzas to one recipient" : "",
              store_.slots() > 0
                  ? fmt::format(", keeping up to {} presences for joiners' lists", store_.slots())
                  : std::string());
  } else if (stanza.type() == "get") {
    // Nothing on the server answered: it handed our own question back to us.
    log::info(
        "{} does not expand fan-out: one copy per recipient (loading mod_mucd_fanout on the "
        "component makes broadcasts cheaper for the server)",
        server_text_);
  } else {
    log::info("{} refused the fan-out question; sending one copy per recipient", server_text_);
  }
  return true;
}

}  // namespace mucd::component
