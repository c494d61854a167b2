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

// Serialized once: the same text goes to every occupant and, with a <delay/>, into the history.
void Room::broadcast_message(const Stanza& stanza) {
  Broadcast message(stanza);
  if (is_historic(stanza)) add_history(message);
  for (const auto& [nick, occupant] : occupants_) send_to_occupant(occupant, message);
}

void Room::add_history(const Broadcast& message) {
  int length = config_.effective_history_length();
  if (length <= 0) {
    for (const HistoryEntry& dropped : history_) changes_.history_dropped.push_back(dropped.seq);
    history_.clear();
    return;
  }
  auto now = env_.clock->wall();
  std::string delay = "<delay xmlns=\"";
  delay += ns::kDelay;
  delay += "\" from=\"";
  append_attribute_value(delay, jid_);
  delay += "\" stamp=\"";
  append_attribute_value(delay, format_datetime(now));
  delay += "\"/>";
  history_.push_back(HistoryEntry{message.with_child(delay), now, ++history_seq_});
  if (history_.size() > static_cast<size_t>(length)) {
    const size_t excess = history_.size() - static_cast<size_t>(length);
    for (size_t i = 0; i < excess; ++i) changes_.history_dropped.push_back(history_[i].seq);
    history_.erase(history_.begin(), history_.begin() + static_cast<std::ptrdiff_t>(excess));
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
      chars += static_cast<long>(it->message.text().size() + to.size());
      if (chars > *maxchars) break;
    }
    if (since && *since > it->stamp) break;
    if (static_cast<long>(count) + 1 > limit) break;
    ++count;
  }
  for (size_t i = history_.size() - count; i < history_.size(); ++i) {
    env_.out->send_to(history_[i].message, to);
  }
}

}  // namespace mucd::muc
