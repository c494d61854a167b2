// Messages: groupchat broadcast, private messages and iqs between occupants, mediated
// invitations and declines, and voice requests in moderated rooms.
#include <charconv>

#include "core/jid.hpp"
#include "core/sha256.hpp"
#include "muc/dataform.hpp"
#include "muc/room.hpp"

namespace mucd::muc {

namespace {

bool is_kickable_error(const Stanza& stanza) {
  return means_session_gone(error_condition(stanza));
}

}  // namespace

bool Room::handle_message_to_room(const Stanza& stanza) {
  std::string_view type = stanza.type();
  if (type == "groupchat") {
    handle_groupchat(stanza);
    return true;
  }
  if (type == "error") {
    if (is_kickable_error(stanza)) handle_kickable(stanza);
    return true;
  }
  if (type.empty() || type == "normal") {
    if (auto x = child_ns(stanza.root(), "x", ns::kMucUser)) {
      auto payload = x.find_child([](pugi::xml_node n) { return n.type() == pugi::node_element; });
      if (payload && std::string_view(payload.name()) == "invite" && payload.attribute("to")) {
        handle_mediated_invite(stanza, payload);
      } else if (payload && std::string_view(payload.name()) == "decline" &&
                 payload.attribute("to")) {
        handle_mediated_decline(stanza, payload);
      } else {
        send_error(stanza, ErrorSpec{ErrorType::Cancel, Condition::BadRequest});
      }
      return true;
    }
    if (auto form = child_ns(stanza.root(), "x", ns::kData)) {
      if (SubmittedForm::read(form).form_type() == ns::kMucRequest) {
        handle_voice_request(stanza, form);
        return true;
      }
    }
  }
  return false;
}

void Room::handle_groupchat(const Stanza& incoming) {
  const Occupant* occupant = find_occupant(incoming.from());
  Role role = occupant ? occupant->role : Role::None;
  if (role == Role::None) {
    send_error(incoming, ErrorSpec{ErrorType::Cancel, Condition::NotAcceptable,
                                   "You are not currently connected to this chat"});
    return;
  }
  if (role == Role::Visitor) {
    send_error(incoming, ErrorSpec{ErrorType::Auth, Condition::Forbidden,
                                   "You do not currently have permission to speak in this chat"});
    return;
  }
  if (handle_subject_change(incoming, *occupant)) return;
  Stanza stanza = incoming;
  stanza.remove_attr("to");  // each copy gets its own
  if (!stanza.has_attr("id")) stanza.set_attr("id", env_.new_id());
  // Strip delay elements claiming to be from us.
  auto root = stanza.root();
  for (auto child = root.first_child(); child;) {
    auto next = child.next_sibling();
    std::string_view name = child.name();
    std::string_view xmlns = child.attribute("xmlns").value();
    if (((name == "delay" && xmlns == ns::kDelay) || (name == "x" && xmlns == "jabber:x:delay")) &&
        jid_ == child.attribute("from").value()) {
      root.remove_child(child);
    }
    child = next;
  }
  stamp_occupant_id(stanza, occupant->bare_jid());
  stanza.set_attr("from", occupant->occupant_jid());
  broadcast_message(stanza);
}

bool Room::may_send_pm(const std::string& occupant_jid) const {
  if (config_.allow_pm == PmPolicy::Anyone) return true;
  auto sender = occupant_by_nick(occupant_jid);
  Role role = sender ? sender->role : Role::None;
  switch (config_.allow_pm) {
    case PmPolicy::Anyone:
      return true;
    case PmPolicy::Participants:
      return role == Role::Participant || role == Role::Moderator;
    case PmPolicy::Moderators:
      return role == Role::Moderator;
    case PmPolicy::None:
      return false;
  }
  return false;
}

void Room::handle_message_to_occupant(const Stanza& incoming) {
  const std::string from{incoming.from()};
  auto current = occupant_jid_of(from);
  std::string_view type = incoming.type();
  if (!current) {
    send_error(incoming, room_error(ErrorType::Cancel, Condition::NotAcceptable,
                                    "You are not currently connected to this chat"));
    return;
  }
  if (type == "groupchat") {
    send_error(incoming, room_error(ErrorType::Modify, Condition::BadRequest));
    return;
  }
  if (type == "error") {
    if (is_kickable_error(incoming)) handle_kickable(incoming);
    return;
  }
  auto target = occupant_by_nick(incoming.to());
  if (!target) {
    send_error(incoming,
               room_error(ErrorType::Cancel, Condition::ItemNotFound, "Recipient not in room"));
    return;
  }
  if (!may_send_pm(*current)) {
    send_error(incoming, room_error(ErrorType::Cancel, Condition::NotAllowed,
                                    "Private messages are not allowed in this room"));
    return;
  }
  Stanza pm = incoming;
  remove_muc_payloads(pm);
  add_child(pm.root(), "x", ns::kMucUser);
  pm.set_attr("from", *current);
  stamp_occupant_id(pm, bare_of(from));
  route_to_occupant(*target, std::move(pm));
}

namespace {

std::string hex_encode(std::string_view raw) {
  static const char* const kHex = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::optional<std::string> hex_decode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int v = 0;
    auto r = std::from_chars(hex.data() + i, hex.data() + i + 2, v, 16);
    if (r.ec != std::errc{} || r.ptr != hex.data() + i + 2) return std::nullopt;
    out.push_back(static_cast<char>(v));
  }
  return out;
}

// Identifies the asking session in a relayed iq's id without revealing its real JID to the
// answering client (the room may be semi-anonymous).
std::string session_tag(std::string_view salt, std::string_view session_jid) {
  auto digest = hmac_sha256(salt, session_jid);
  return hex_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), 8));
}

}  // namespace

// An iq to an occupant goes to its primary session with the id rewritten to
// hex(target session \0 original id \0 tag of the asking session), as Prosody does (there in
// base64); the answer, addressed to the asker's occupant JID, is routed back with the original id.
void Room::handle_iq_to_occupant(const Stanza& incoming) {
  const std::string from{incoming.from()};
  std::string_view type = incoming.type();
  auto target = occupant_by_nick(incoming.to());
  if (type == "error" || type == "result") {
    // `target` is the asker's occupant; `from` answers the iq we relayed.
    if (!target) return;
    auto decoded = hex_decode(incoming.id());
    if (!decoded) return;
    auto first = decoded->find('\0');
    auto second = first == std::string::npos ? first : decoded->find('\0', first + 1);
    if (second == std::string::npos) return;
    std::string answered = decoded->substr(0, first);
    std::string original_id = decoded->substr(first + 1, second - first - 1);
    std::string tag = decoded->substr(second + 1);
    if (from != answered && from != bare_of(answered)) return;
    auto answerer_nick = occupant_jid_of(answered);
    if (!answerer_nick) return;
    const Session* asker = nullptr;
    for (const auto& session : target->sessions()) {
      if (session_tag(salt(), session.jid) == tag) asker = &session;
    }
    if (!asker) return;
    Stanza reply = incoming;
    reply.set_attr("from", *answerer_nick);
    reply.set_attr("to", asker->jid);
    reply.set_attr("id", original_id);
    route(std::move(reply));
    return;
  }
  auto current = occupant_jid_of(from);
  if (!current) {
    send_error(incoming, room_error(ErrorType::Cancel, Condition::NotAcceptable,
                                    "You are not currently connected to this chat"));
    return;
  }
  if (!target) {
    send_error(incoming,
               room_error(ErrorType::Cancel, Condition::ItemNotFound, "Recipient not in room"));
    return;
  }
  // XEP-0410 self-ping: answered by the room.
  if (incoming.to() == *current && type == "get" && child_ns(incoming.root(), "ping", ns::kPing)) {
    route(reply_to(incoming));
    return;
  }
  std::string to = target->primary();
  std::string raw = to + std::string(1, '\0') + std::string(incoming.id()) + std::string(1, '\0') +
                    session_tag(salt(), from);
  Stanza relayed = incoming;
  relayed.set_attr("id", hex_encode(raw));
  relayed.set_attr("from", *current);
  auto query =
      relayed.root().find_child([](pugi::xml_node n) { return n.type() == pugi::node_element; });
  std::string_view query_ns = query.attribute("xmlns").value();
  if (query_ns == "vcard-temp" || query_ns == "http://jabber.org/protocol/pubsub" ||
      query_ns == "urn:ietf:params:xml:ns:vcard-4.0") {
    to = std::string(bare_of(to));
  }
  relayed.set_attr("to", to);
  route(std::move(relayed));
}

void Room::handle_mediated_invite(const Stanza& stanza, pugi::xml_node payload) {
  auto invitee = Jid::parse(payload.attribute("to").value());
  if (!invitee) {
    send_error(stanza, ErrorSpec{ErrorType::Cancel, Condition::JidMalformed});
    return;
  }
  const std::string from{stanza.from()};
  auto inviter = occupant_by_real_jid(from);
  Role role = inviter ? inviter->role : default_role(affiliation_of(from));
  if (rank(role) <= rank(Role::Visitor)) {
    send_error(stanza, ErrorSpec{ErrorType::Auth, Condition::Forbidden});
    return;
  }
  if (config_.members_only) {
    Affiliation required = config_.allow_member_invites ? Affiliation::Member : Affiliation::Admin;
    if (rank(affiliation_of(from)) < rank(required)) {
      send_error(stanza, room_error(ErrorType::Auth, Condition::Forbidden));
      return;
    }
  }
  std::string reason = payload.child("reason").text().get();
  Stanza invite = stanza;
  remove_muc_payloads(invite);
  invite.set_attr("from", jid_);
  invite.set_attr("to", invitee->full());
  auto x = add_child(invite.root(), "x", ns::kMucUser);
  auto inv = x.append_child("invite");
  std::string shown_from = from;
  if (config_.whois == Whois::Moderators &&
      default_role(affiliation_of(invitee->full())) != Role::Moderator) {
    if (auto nick = occupant_jid_of(from)) shown_from = *nick;
  }
  inv.append_attribute("from").set_value(shown_from.c_str());
  add_text_child(inv, "reason", reason);
  if (!config_.password.empty()) add_text_child(x, "password", config_.password);
  if (config_.members_only && rank(affiliation_of(invitee->full())) <= rank(Affiliation::None)) {
    set_affiliation(std::nullopt, invitee->bare(), Affiliation::Member, "Invited by " + shown_from,
                    std::nullopt);
  }
  auto conference = add_child(invite.root(), "x", "jabber:x:conference");
  conference.append_attribute("jid").set_value(jid_.c_str());
  if (!reason.empty()) conference.text().set(reason.c_str());
  if (!invite.root().child("body")) {
    add_text_child(invite.root(), "body",
                   shown_from + " invited you to the room " + jid_ +
                       (reason.empty() ? "" : " (" + reason + ")"));
  }
  route(std::move(invite));
}

void Room::handle_mediated_decline(const Stanza& stanza, pugi::xml_node payload) {
  auto declinee = Jid::parse(payload.attribute("to").value());
  if (!declinee) {
    send_error(stanza, ErrorSpec{ErrorType::Cancel, Condition::JidMalformed});
    return;
  }
  std::string reason = payload.child("reason").text().get();
  Stanza decline = stanza;
  remove_muc_payloads(decline);
  decline.set_attr("from", jid_);
  decline.set_attr("to", declinee->full());
  auto x = add_child(decline.root(), "x", ns::kMucUser);
  auto d = x.append_child("decline");
  d.append_attribute("from").set_value(std::string(stanza.from()).c_str());
  add_text_child(d, "reason", reason);
  if (!decline.root().child("body")) {
    add_text_child(decline.root(), "body",
                   std::string(stanza.from()) + " declined your invite to the room " + jid_ +
                       (reason.empty() ? "" : " (" + reason + ")"));
  }
  if (declinee->bare() == jid_) {
    if (auto occupant = occupant_by_nick(declinee->full())) {
      route_to_occupant(*occupant, std::move(decline));
      return;
    }
  }
  route(std::move(decline));
}

void Room::handle_voice_request(const Stanza& stanza, pugi::xml_node form_node) {
  auto occupant = occupant_by_real_jid(stanza.from());
  if (!occupant) return;
  SubmittedForm form = SubmittedForm::read(form_node);
  if (occupant->role == Role::Moderator) {
    // A moderator's answer to a voice request.
    auto allow = parse_form_boolean(form.value("muc#request_allow").value_or(""));
    if (!allow || !*allow) return;
    auto affected = occupant_by_real_jid(form.value("muc#jid").value_or(""));
    if (!affected || affected->role != Role::Visitor) return;
    if (auto error = set_role(std::string(stanza.from()), affected->occupant_jid(),
                              Role::Participant, std::string("Voice granted"))) {
      send_error(stanza, *error);
    }
    return;
  }
  if (occupant->role != Role::Visitor) return;
  Stanza message{"message"};
  message.set_attr("type", "normal");
  message.set_attr("from", jid_);
  FormLayout layout;
  layout.title = "Voice Request";
  layout.fields = {
      {.var = "FORM_TYPE", .type = "hidden", .values = {std::string(ns::kMucRequest)}},
      {.var = "muc#jid",
       .type = "jid-single",
       .label = "User ID",
       .desc = "The user's JID (address)",
       .values = {std::string(stanza.from())}},
      {.var = "muc#roomnick",
       .type = "text-single",
       .label = "Room nickname",
       .desc = "The user's nickname within the room",
       .values = {std::string(occupant->nick())}},
      {.var = "muc#role",
       .type = "list-single",
       .label = "Requested role",
       .values = {"participant"},
       .options = {{"none", "none"},
                   {"visitor", "visitor"},
                   {"participant", "participant"},
                   {"moderator", "moderator"}}},
      {.var = "muc#request_allow",
       .type = "boolean",
       .label = "Grant voice to this person?",
       .desc = "Specify whether this person is able to speak in a moderated room",
       .values = {"0"}},
  };
  write_form(message.root(), layout);
  broadcast(message, [](const Occupant& o) { return o.role == Role::Moderator; });
}

}  // namespace mucd::muc
