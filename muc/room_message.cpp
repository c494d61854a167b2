// Messages: groupchat broadcast, private messages and iqs between occupants, mediated
// invitations and declines, and voice requests in moderated rooms.
#include <charconv>

#include "core/jid.hpp"
#include "muc/dataform.hpp"
#include "muc/room.hpp"

namespace mucd::muc {

namespace {

bool is_kickable_error(const Stanza& stanza) {
  std::string condition = error_condition(stanza);
  static const char* const kKickable[] = {"gone",
                                          "internal-server-error",
                                          "item-not-found",
                                          "jid-malformed",
                                          "recipient-unavailable",
                                          "redirect",
                                          "remote-server-not-found",
                                          "remote-server-timeout",
                                          "service-unavailable"};
  if (condition.empty()) return true;  // a malformed error
  for (const char* k : kKickable) {
    if (condition == k) return true;
  }
  return false;
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
  Stanza pm = incoming;
  remove_muc_payloads(pm);
  add_child(pm.root(), "x", ns::kMucUser);
  pm.set_attr("from", *current);
  stamp_occupant_id(pm, bare_of(from));
  route_to_occupant(*target, std::move(pm));
}

void Room::handle_iq_to_occupant(const Stanza& incoming) {
  const std::string from{incoming.from()};
  std::string_view type = incoming.type();
  auto target = occupant_by_nick(incoming.to());
  if (type == "error" || type == "result") {
    // A reply to an iq we relayed: the id is "<full jid of asker>\0<original id>" in hex.
    if (!target) return;
    std::string_view id = incoming.id();
    std::string decoded;
    for (size_t i = 0; i + 1 < id.size(); i += 2) {
      int v = 0;
      auto r = std::from_chars(id.data() + i, id.data() + i + 2, v, 16);
      if (r.ec != std::errc{}) return;
      decoded.push_back(static_cast<char>(v));
    }
    auto sep = decoded.find('\0');
    if (sep == std::string::npos) return;
    std::string asker = decoded.substr(0, sep);
    std::string original_id = decoded.substr(sep + 1);
    if (!target->session(from) && bare_of(from) != target->bare_jid()) return;
    auto asker_nick = occupant_jid_of(asker);
    if (!asker_nick) return;
    Stanza reply = incoming;
    reply.set_attr("from", incoming.to());
    reply.set_attr("to", asker);
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
  std::string raw = from + std::string(1, '\0') + std::string(incoming.id());
  std::string encoded;
  static const char* const kHex = "0123456789abcdef";
  for (unsigned char c : raw) {
    encoded.push_back(kHex[c >> 4]);
    encoded.push_back(kHex[c & 15]);
  }
  Stanza relayed = incoming;
  relayed.set_attr("id", encoded);
  relayed.set_attr("from", *current);
  std::string to = target->primary();
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
