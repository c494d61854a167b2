// Discussion history (XEP-0045 §7.2.15): what is kept, and what a joining client is sent.
#include <charconv>

#include "muc/room.hpp"
#include "muc/timestamp.hpp"

namespace mucd::muc {

namespace {

// Is the message worth keeping (XEP-0334 hints, a body, encryption, chat markers)?
bool is_historic(const Stanza& message) {
  auto root = message.root();
  if (child_ns(root, "no-store", "urn:xmpp:hints") ||
      child_ns(root, "no-permanent-store", "urn:xmpp:hints")) {
    return false;
  }
  if (child_ns(root, "store", "urn:xmpp:hints")) return true;
  if (root.child("body")) return true;
  if (child_ns(root, "encryption", "urn:xmpp:eme:0")) return true;
  for (auto child : root.children()) {
    if (std::string_view(child.attribute("xmlns").value()) == "urn:xmpp:chat-markers:0") {
      return true;
    }
  }
  return false;
}

std::optional<long> parse_number(std::string_view text) {
  long value = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size(), value);
  if (r.ec != std::errc{} || r.ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

void Room::broadcast_message(const Stanza& stanza) {
  if (is_historic(stanza)) add_history(stanza);
  broadcast(stanza);
}

void Room::add_history(const Stanza& message) {
  int length = config_.effective_history_length();
  if (length <= 0) {
    for (const HistoryEntry& dropped : history_) changes_.history_dropped.push_back(dropped.seq);
    history_.clear();
    return;
  }
  auto now = env_.clock->wall();
  Stanza entry = message;
  entry.remove_attr("to");
  auto delay = add_child(entry.root(), "delay", ns::kDelay);
  delay.append_attribute("from").set_value(jid_.c_str());
  delay.append_attribute("stamp").set_value(format_datetime(now).c_str());
  history_.push_back(HistoryEntry{std::move(entry), now, ++history_seq_});
  while (history_.size() > static_cast<size_t>(length)) {
    changes_.history_dropped.push_back(history_.front().seq);
    history_.pop_front();
  }
  ++changes_.history_added;
}

void Room::send_history(const Stanza& join) {
  std::optional<long> maxchars, maxstanzas;
  std::optional<std::chrono::system_clock::time_point> since;
  auto muc_x = child_ns(join.root(), "x", ns::kMuc);
  auto h = muc_x.child("history");
  if (h) {
    if (auto a = h.attribute("maxchars")) maxchars = parse_number(a.value());
    if (auto a = h.attribute("maxstanzas")) maxstanzas = parse_number(a.value());
    if (auto a = h.attribute("since")) since = parse_datetime(a.value());
    if (auto a = h.attribute("seconds")) {
      if (auto secs = parse_number(a.value())) {
        auto from_seconds = env_.clock->wall() - std::chrono::seconds(*secs);
        since = since ? std::max(*since, from_seconds) : from_seconds;
      }
    }
  }
  if (!maxchars && !maxstanzas && !since) maxstanzas = config_.effective_default_history();

  const std::string to{join.from()};
  size_t count = 0;
  long chars = 0;
  long limit = maxstanzas ? *maxstanzas : static_cast<long>(history_.size());
  for (auto it = history_.rbegin(); it != history_.rend(); ++it) {
    if (maxchars) {
      chars += static_cast<long>(it->stanza.to_string().size() + to.size());
      if (chars > *maxchars) break;
    }
    if (since && *since > it->stamp) break;
    if (static_cast<long>(count) + 1 > limit) break;
    ++count;
  }
  for (size_t i = history_.size() - count; i < history_.size(); ++i) {
    Stanza msg = history_[i].stanza;
    msg.set_attr("to", to);
    route(std::move(msg));
  }
}

}  // namespace mucd::muc
