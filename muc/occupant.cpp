#include "muc/occupant.hpp"

#include <algorithm>

namespace mucd::muc {

bool is_available(const Stanza& presence) {
  return !presence.has_attr("type");
}

StoredPresence::StoredPresence(const Stanza& presence)
    : text_(presence), available_(is_available(presence)) {}

Stanza StoredPresence::stanza() const {
  auto parsed = Stanza::parse(text_.text());
  return parsed ? std::move(*parsed) : Stanza{"presence"};
}

std::string_view Occupant::nick() const {
  std::string_view j = occupant_jid_;
  auto slash = j.find('/');
  return slash == std::string_view::npos ? std::string_view{} : j.substr(slash + 1);
}

void remove_muc_payloads(Stanza& stanza) {
  auto root = stanza.root();
  for (auto child = root.first_child(); child;) {
    auto next = child.next_sibling();
    std::string_view xmlns = child.attribute("xmlns").value();
    if (child.type() == pugi::node_element && (xmlns == ns::kMuc || xmlns == ns::kMucUser)) {
      root.remove_child(child);
    }
    child = next;
  }
}

void Occupant::set_session(const std::string& jid, Stanza presence) {
  // Filtered in place: callers that are done with their presence move it in, and a join
  // makes one tree fewer.
  remove_muc_payloads(presence);
  presence.set_attr("from", occupant_jid_);
  presence.set_attr("to", jid);
  StoredPresence pr(presence);
  bool available = pr.available();
  auto it = std::find_if(sessions_.begin(), sessions_.end(),
                         [&](const Session& s) { return s.jid == jid; });
  if (it == sessions_.end()) {
    sessions_.push_back(Session{jid, std::move(pr)});
  } else {
    it->presence = std::move(pr);
  }
  if (primary_.empty() || (!available && primary_ == jid)) {
    std::string next = choose_new_primary();
    primary_ = next.empty() ? jid : next;
  }
}

void Occupant::remove_session(const std::string& jid) {
  std::erase_if(sessions_, [&](const Session& s) { return s.jid == jid; });
  if (primary_ == jid) primary_ = choose_new_primary();
}

const Session* Occupant::session(std::string_view jid) const {
  for (const auto& s : sessions_) {
    if (s.jid == jid) return &s;
  }
  return nullptr;
}

void Occupant::prune() {
  std::erase_if(sessions_,
                [&](const Session& s) { return !is_available(s.presence) && s.jid != primary_; });
}

const StoredPresence* Occupant::presence() const {
  const Session* s = session(primary_);
  return s ? &s->presence : nullptr;
}

bool Occupant::has_live_session() const {
  return live_session_count() > 0;
}

size_t Occupant::live_session_count() const {
  return static_cast<size_t>(
      std::count_if(sessions_.begin(), sessions_.end(),
                    [](const Session& s) { return is_available(s.presence); }));
}

std::string Occupant::choose_new_primary() const {
  for (const auto& s : sessions_) {
    if (is_available(s.presence)) return s.jid;
  }
  return {};
}

}  // namespace mucd::muc
