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
// Character data as pugixml writes it: &, < and > escaped, and control characters (which
// parsed XML does not contain) as character references.
void append_text(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 32 && c != '\t' && c != '\n' && c != '\r') {
          out += "&#";
          out += static_cast<char>('0' + c / 10);
          out += static_cast<char>('0' + c % 10);
          out += ';';
        } else {
          out += c;
        }
    }
  }
}

}  // namespace

void Room::send_subject(const std::string& to) {
  // Every join gets one: written as text, as subject_message() would serialize it (attributes
  // escaped as pugixml escapes them, the subject as its text), without building a tree.
  std::string xml;
  xml.reserve(160 + jid_.size() * 2 + subject_from_.size() + to.size() + subject_.size());
  xml += "<message from=\"";
  append_attribute_value(xml, subject_from_.empty() ? jid_ : subject_from_);
  xml += "\" type=\"groupchat\" to=\"";
  append_attribute_value(xml, to);
  xml += "\">";
  if (subject_.empty()) {
    xml += "<subject/>";
  } else {
    xml += "<subject>";
    append_text(xml, subject_);
    xml += "</subject>";
  }
  if (subject_time_) {
    xml += "<delay xmlns=\"";
    xml += ns::kDelay;
    xml += "\" from=\"";
    append_attribute_value(xml, jid_);
    xml += "\" stamp=\"";
    append_attribute_value(xml, format_datetime(*subject_time_));
    xml += "\"/>";
  }
  xml += "</message>";
  env_.out->send_raw(std::move(xml));
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
