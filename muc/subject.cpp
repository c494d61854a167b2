// The room subject (XEP-0045 §8.1): who may change it, and the subject message on join.
#include "muc/room.hpp"
#include "muc/timestamp.hpp"

namespace mucd::muc {

namespace {
Stanza subject_message(const std::string& from, const std::string& subject) {
  Stanza msg{"message"};
  msg.set_attr("from", from);
  msg.set_attr("type", "groupchat");
  add_text_child(msg.root(), "subject", subject);
  return msg;
}
}  // namespace

void Room::send_subject(const std::string& to) {
  Stanza msg = subject_message(subject_from_.empty() ? jid_ : subject_from_, subject_);
  msg.set_attr("to", to);
  if (subject_time_) {
    auto delay = add_child(msg.root(), "delay", ns::kDelay);
    delay.append_attribute("from").set_value(jid_.c_str());
    delay.append_attribute("stamp").set_value(format_datetime(*subject_time_).c_str());
  }
  route(std::move(msg));
}

// Returns true when the groupchat message was a subject change (handled or refused).
bool Room::handle_subject_change(const Stanza& stanza, const Occupant& occupant) {
  auto subject = stanza.root().child("subject");
  if (!subject) return false;
  if (stanza.root().child("body") || stanza.root().child("thread")) return false;
  bool allowed = occupant.role == Role::Moderator ||
                 (rank(occupant.role) >= rank(Role::Participant) && config_.change_subject);
  if (!allowed) {
    send_error(stanza, ErrorSpec{ErrorType::Auth, Condition::Forbidden,
                                 "You are not allowed to change the subject"});
    return true;
  }
  std::string text = subject.text().get();
  if (text == subject_ && occupant.occupant_jid() == subject_from_) return true;
  subject_ = text;
  subject_from_ = occupant.occupant_jid();
  subject_time_ = env_.clock->wall();
  changes_.settings = true;
  broadcast_message(subject_message(subject_from_, subject_));
  return true;
}

}  // namespace mucd::muc
