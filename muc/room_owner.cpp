// Owner operations (XEP-0045 §10): the room configuration form and room destruction.
#include <charconv>

#include "muc/dataform.hpp"
#include "muc/room.hpp"

namespace mucd::muc {

namespace {

constexpr std::pair<PmPolicy, const char*> kPmPolicies[] = {
    {PmPolicy::Anyone, "anyone"},
    {PmPolicy::Participants, "participants"},
    {PmPolicy::Moderators, "moderators"},
    {PmPolicy::None, "none"}};

std::string bool_value(bool b) {
  return b ? "1" : "0";
}
// Prosody stores false options as absent, so the form shows no value for them.
std::vector<std::string> true_or_absent(bool b) {
  return b ? std::vector<std::string>{"1"} : std::vector<std::string>{};
}

}  // namespace

std::string_view to_string(PmPolicy policy) {
  for (const auto& [p, name] : kPmPolicies) {
    if (p == policy) return name;
  }
  return "anyone";
}

std::optional<PmPolicy> parse_pm_policy(std::string_view text) {
  for (const auto& [p, name] : kPmPolicies) {
    if (text == name) return p;
  }
  return std::nullopt;
}

namespace {

FormLayout config_layout(const std::string& room_jid, const RoomConfig& c) {
  FormLayout form;
  form.title = "Configuration for " + room_jid;
  form.instructions = "Complete and submit this form to configure the room.";
  auto fixed = [](std::string text) {
    return FormField{.type = "fixed", .values = {std::move(text)}};
  };
  std::vector<std::string> broadcast;
  if (c.presence_broadcast.none) broadcast.push_back("none");
  if (c.presence_broadcast.visitor) broadcast.push_back("visitor");
  if (c.presence_broadcast.participant) broadcast.push_back("participant");
  if (c.presence_broadcast.moderator) broadcast.push_back("moderator");
  form.fields = {
      {.var = "FORM_TYPE", .type = "hidden", .values = {std::string(ns::kRoomConfig)}},
      fixed("Room information"),
      {.var = "muc#roomconfig_roomname",
       .label = "Title",
       .values = c.name.empty() ? std::vector<std::string>{} : std::vector<std::string>{c.name}},
      {.var = "muc#roomconfig_roomdesc",
       .label = "Description",
       .desc = "A brief description of the room",
       .values = {c.description}},
      {.var = "muc#roomconfig_lang",
       .label = "Language tag for room (e.g. 'en', 'de', 'fr' etc.)",
       .desc = "Indicate the primary language spoken in this room",
       .datatype = "xs:language",
       .values = {c.language}},
      {.var = "muc#roomconfig_persistentroom",
       .type = "boolean",
       .label = "Persistent (room should remain even when it is empty)",
       .desc = "Rooms are automatically deleted when they are empty, unless this option is enabled",
       .values = true_or_absent(c.persistent)},
      {.var = "muc#roomconfig_publicroom",
       .type = "boolean",
       .label = "Include room information in public lists",
       .desc = "Enable this to allow people to find the room",
       .values = {bool_value(!c.hidden)}},
      fixed("Access to the room"),
      {.var = "muc#roomconfig_roomsecret",
       .type = "text-private",
       .label = "Password",
       .values = {c.password}},
      {.var = "muc#roomconfig_membersonly",
       .type = "boolean",
       .label = "Only allow members to join",
       .desc = "Enable this to only allow access for room owners, admins and members",
       .values = true_or_absent(c.members_only)},
      {.var = "{http://prosody.im/protocol/muc}roomconfig_allowmemberinvites",
       .type = "boolean",
       .label = "Allow members to invite new members",
       .values = true_or_absent(c.allow_member_invites)},
      fixed("Permissions in the room"),
      {.var = "muc#roomconfig_changesubject",
       .type = "boolean",
       .label = "Allow anyone to set the room's subject",
       .desc = "Choose whether anyone, or only moderators, may set the room's subject",
       .values = true_or_absent(c.change_subject)},
      {.var = "muc#roomconfig_moderatedroom",
       .type = "boolean",
       .label = "Moderated (require permission to speak)",
       .desc = "In moderated rooms occupants must be given permission to speak by a room moderator",
       .values = true_or_absent(c.moderated)},
      {.var = "muc#roomconfig_whois",
       .type = "list-single",
       .label = "Addresses (JIDs) of room occupants may be viewed by:",
       .values = {c.whois == Whois::Anyone ? "anyone" : "moderators"},
       .options = {{"Moderators only", "moderators"}, {"Anyone", "anyone"}}},
      {.var = "muc#roomconfig_allowpm",
       .type = "list-single",
       .label = "Allow private messages from",
       .values = {std::string(to_string(c.allow_pm))},
       .options = {{"Everyone", "anyone"},
                   {"Participants", "participants"},
                   {"Moderators", "moderators"},
                   {"Nobody", "none"}}},
      fixed("Other options"),
      {.var = "muc#roomconfig_historylength",
       .label = "Maximum number of history messages returned by room",
       .desc = "Specify the maximum number of previous messages that should be sent to users when "
               "they join the room",
       .datatype = "xs:integer",
       .values = {std::to_string(c.effective_history_length())}},
      {.var = "muc#roomconfig_defaulthistorymessages",
       .label = "Default number of history messages returned by room",
       .desc = "Specify the number of previous messages sent to new users when they join the room",
       .datatype = "xs:integer",
       .values = {std::to_string(c.effective_default_history())}},
      {.var = "muc#roomconfig_presencebroadcast",
       .type = "list-multi",
       .label = "Only show participants with roles:",
       .values = broadcast,
       .options = {{"none", "none"},
                   {"visitor", "visitor"},
                   {"participant", "participant"},
                   {"moderator", "moderator"}}},
  };
  return form;
}

std::optional<int> parse_int(const std::string& text) {
  int value = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size(), value);
  if (r.ec != std::errc{} || r.ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

void Room::handle_owner_get(const Stanza& stanza) {
  if (affiliation_of(stanza.from()) != Affiliation::Owner) {
    send_error(stanza,
               ErrorSpec{ErrorType::Auth, Condition::Forbidden, "Only owners can configure rooms"});
    return;
  }
  Stanza reply = reply_to(stanza);
  auto query = add_child(reply.root(), "query", ns::kMucOwner);
  write_form(query, config_layout(jid_, config_));
  route(std::move(reply));
}

void Room::handle_owner_set(const Stanza& stanza) {
  if (affiliation_of(stanza.from()) != Affiliation::Owner) {
    send_error(stanza,
               ErrorSpec{ErrorType::Auth, Condition::Forbidden, "Only owners can configure rooms"});
    return;
  }
  auto query = child_ns(stanza.root(), "query", ns::kMucOwner);
  auto child = query.find_child([](pugi::xml_node n) { return n.type() == pugi::node_element; });
  if (!child) {
    send_error(stanza, ErrorSpec{ErrorType::Modify, Condition::BadRequest});
    return;
  }
  std::string_view name = child.name();
  if (name == "destroy") {
    std::optional<std::string> new_jid, reason, password;
    if (auto a = child.attribute("jid")) new_jid = a.value();
    if (auto r = child.child("reason")) reason = r.text().get();
    if (auto p = child.child("password")) password = p.text().get();
    if (destroy(new_jid, reason, password)) {
      route(reply_to(stanza));
    } else {
      send_error(stanza, ErrorSpec{ErrorType::Cancel, Condition::NotAllowed});
    }
    return;
  }
  if (name == "x" && std::string_view(child.attribute("xmlns").value()) == ns::kData) {
    process_config_form(stanza, child);
    return;
  }
  send_error(stanza, ErrorSpec{ErrorType::Cancel, Condition::ServiceUnavailable});
}

void Room::process_config_form(const Stanza& stanza, pugi::xml_node x) {
  std::string_view type = x.attribute("type").value();
  if (type == "cancel") {
    bool was_new = locked();
    route(reply_to(stanza));
    // XEP-0045 §10.1.3: cancelling the initial configuration destroys the new room.
    if (was_new) destroy(std::nullopt, std::nullopt, std::nullopt);
    return;
  }
  if (type != "submit") {
    send_error(stanza, ErrorSpec{ErrorType::Cancel, Condition::BadRequest, "Not a submitted form"});
    return;
  }
  bool instant = !x.find_child([](pugi::xml_node n) { return n.type() == pugi::node_element; });
  SubmittedForm form = SubmittedForm::read(x);
  if (!instant && form.form_type() != ns::kRoomConfig) {
    send_error(stanza, ErrorSpec{ErrorType::Cancel, Condition::BadRequest,
                                 "Form is not of type room configuration"});
    return;
  }

  // Validate everything first: a refused form changes nothing.
  // A submitted boolean: absent (unchanged), a value, or invalid. An empty field means false.
  enum class Submitted { Absent, False, True, Invalid };
  auto boolean = [&](std::string_view var) {
    if (!form.has(var)) return Submitted::Absent;
    auto v = form.value(var);
    if (!v) return Submitted::False;
    auto b = parse_form_boolean(*v);
    if (!b) return Submitted::Invalid;
    return *b ? Submitted::True : Submitted::False;
  };
  struct Bool {
    const char* var;
    bool RoomConfig::*field;
    bool inverted;
  };
  static const Bool kBooleans[] = {
      {"muc#roomconfig_persistentroom", &RoomConfig::persistent, false},
      {"muc#roomconfig_publicroom", &RoomConfig::hidden, true},
      {"muc#roomconfig_membersonly", &RoomConfig::members_only, false},
      {"{http://prosody.im/protocol/muc}roomconfig_allowmemberinvites",
       &RoomConfig::allow_member_invites, false},
      {"muc#roomconfig_changesubject", &RoomConfig::change_subject, false},
      {"muc#roomconfig_moderatedroom", &RoomConfig::moderated, false},
  };
  auto invalid = [&](std::string_view var) {
    send_error(stanza, ErrorSpec{ErrorType::Modify, Condition::NotAcceptable,
                                 std::string("Invalid value for ") + std::string(var)});
  };
  std::vector<std::pair<const Bool*, bool>> bool_changes;
  for (const auto& b : kBooleans) {
    Submitted v = boolean(b.var);
    if (v == Submitted::Invalid) return invalid(b.var);
    if (v == Submitted::Absent) continue;
    bool value = v == Submitted::True;
    bool_changes.emplace_back(&b, b.inverted ? !value : value);
  }
  std::optional<Whois> whois;
  if (form.has("muc#roomconfig_whois")) {
    auto v = form.value("muc#roomconfig_whois").value_or("");
    if (v == "anyone") {
      whois = Whois::Anyone;
    } else if (v == "moderators") {
      whois = Whois::Moderators;
    } else {
      return invalid("muc#roomconfig_whois");
    }
  }
  std::optional<PmPolicy> allow_pm;
  if (form.has("muc#roomconfig_allowpm")) {
    allow_pm = parse_pm_policy(form.value("muc#roomconfig_allowpm").value_or(""));
    if (!allow_pm) return invalid("muc#roomconfig_allowpm");
  }
  std::optional<int> history_length, default_history;
  if (auto v = form.value("muc#roomconfig_historylength")) {
    history_length = parse_int(*v);
    if (!history_length || *history_length < 0) return invalid("muc#roomconfig_historylength");
  }
  if (auto v = form.value("muc#roomconfig_defaulthistorymessages")) {
    default_history = parse_int(*v);
    if (!default_history || *default_history < 0) {
      return invalid("muc#roomconfig_defaulthistorymessages");
    }
  }
  std::optional<PresenceBroadcast> broadcast;
  if (form.has("muc#roomconfig_presencebroadcast")) {
    PresenceBroadcast roles{false, false, false, false};
    for (const auto& v : form.values("muc#roomconfig_presencebroadcast")) {
      auto role = parse_role(v);
      if (!role) return invalid("muc#roomconfig_presencebroadcast");
      switch (*role) {
        case Role::None:
          roles.none = true;
          break;
        case Role::Visitor:
          roles.visitor = true;
          break;
        case Role::Participant:
          roles.participant = true;
          break;
        case Role::Moderator:
          roles.moderator = true;
          break;
      }
    }
    broadcast = roles;
  }

  // Apply, noting the status codes to announce (104, or 172/173 for whois).
  bool changed = false;
  std::vector<std::string> codes;
  locked_until_.reset();
  auto text = [&](const char* var, std::string RoomConfig::*field) {
    if (!form.has(var)) return;
    std::string v = form.value(var).value_or("");
    if (config_.*field != v) {
      config_.*field = v;
      changed = true;
    }
  };
  text("muc#roomconfig_roomname", &RoomConfig::name);
  text("muc#roomconfig_roomdesc", &RoomConfig::description);
  text("muc#roomconfig_lang", &RoomConfig::language);
  text("muc#roomconfig_roomsecret", &RoomConfig::password);
  for (const auto& [b, value] : bool_changes) {
    if (b->field == &RoomConfig::members_only) {
      apply_members_only(value, changed);
    } else if (config_.*(b->field) != value) {
      config_.*(b->field) = value;
      changed = true;
    }
  }
  if (allow_pm && *allow_pm != config_.allow_pm) {
    config_.allow_pm = *allow_pm;
    changed = true;
  }
  if (whois && *whois != config_.whois) {
    config_.whois = *whois;
    codes.push_back(*whois == Whois::Moderators ? "173" : "172");
  }
  if (history_length) {
    // Prosody announces 104 whenever the history length is submitted.
    config_.history_length = *history_length == kDefaultHistoryLength
                                 ? std::nullopt
                                 : std::optional<int>(*history_length);
    changed = true;
  }
  if (default_history) {
    int n = std::min(*default_history, config_.effective_history_length());
    config_.default_history_messages =
        n == kDefaultHistoryLength ? std::nullopt : std::optional<int>(n);
  }
  if (broadcast) apply_presence_broadcast(*broadcast, changed);
  if (changed) codes.insert(codes.begin(), "104");
  changes_.settings = true;
  env_.out->send_raw(reply_text(stanza));
  if (!codes.empty()) {
    Stanza msg{"message"};
    msg.set_attr("type", "groupchat");
    msg.set_attr("from", jid_);
    auto mx = add_child(msg.root(), "x", ns::kMucUser);
    for (const auto& code : codes) {
      mx.append_child("status").append_attribute("code").set_value(code.c_str());
    }
    broadcast_message(msg);
  }
}

void Room::apply_members_only(bool members_only, bool& changed) {
  if (config_.members_only == members_only) return;
  config_.members_only = members_only;
  changed = true;
  if (!members_only) return;
  // XEP-0045 §9.3: non-members are removed, with status 322.
  std::vector<Occupant> removed;
  for (const auto& [occupant_jid, stored] : occupants_) {
    if (rank(affiliation_of(stored.bare_jid())) <= rank(Affiliation::None)) {
      Occupant o = stored;
      o.prune();
      removed.push_back(o);
    }
  }
  PresenceX x;
  x.codes.push_back("322");
  for (auto& occupant : removed) {
    occupant.role = Role::None;
    save_occupant(occupant);
  }
  for (const auto& occupant : removed) {
    publicise(occupant, x);
  }
}

void Room::apply_presence_broadcast(const PresenceBroadcast& roles, bool& changed) {
  PresenceBroadcast old = config_.presence_broadcast;
  if (old == roles) return;
  config_.presence_broadcast = roles;
  changed = true;
  std::vector<Occupant> current;
  for (const auto& [jid, stored] : occupants_) {
    Occupant o = stored;
    o.prune();
    current.push_back(o);
  }
  for (const auto& occupant : current) {
    if (roles.includes(occupant.role) && !old.includes(occupant.role)) {
      publicise(occupant, PresenceX{});
    } else if (old.includes(occupant.role) && !roles.includes(occupant.role)) {
      publicise(occupant, PresenceX{}, std::nullopt, std::nullopt, std::nullopt, std::nullopt,
                true);
    }
  }
}

void Room::clear(const PresenceX& x) {
  std::vector<std::pair<Occupant, Role>> removed;
  for (const auto& [occupant_jid, stored] : occupants_) {
    Occupant o = stored;
    o.prune();
    removed.emplace_back(o, o.role);
  }
  for (auto& [occupant, prev] : removed) {
    occupant.role = Role::None;
    save_occupant(occupant);
  }
  for (const auto& [occupant, prev] : removed) {
    publicise(occupant, x, std::nullopt, std::nullopt, std::nullopt, prev);
  }
}

bool Room::destroy(std::optional<std::string> new_jid, std::optional<std::string> reason,
                   std::optional<std::string> password) {
  Stanza d{"destroy"};
  if (new_jid) d.set_attr("jid", *new_jid);
  if (reason) add_text_child(d.root(), "reason", *reason);
  if (password) add_text_child(d.root(), "password", *password);
  PresenceX x;
  x.destroy = std::move(d);
  clear(x);
  destroyed_ = DestroyNotice{reason.value_or(""), new_jid.value_or("")};
  changes_.settings = true;
  return true;
}

}  // namespace mucd::muc
