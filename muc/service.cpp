#include "muc/service.hpp"

#include <algorithm>

#include "core/log.hpp"
#include "muc/dataform.hpp"

namespace mucd::muc {

namespace {

constexpr std::string_view kDestroyNode = "http://prosody.im/protocol/muc#destroy";
constexpr std::string_view kSetAffiliationNode = "http://prosody.im/protocol/muc#set-affiliation";
constexpr std::string_view kUnique = "http://jabber.org/protocol/muc#unique";
constexpr auto kTombstoneLifetime = std::chrono::hours(24 * 31);

pugi::xml_node first_element(pugi::xml_node parent) {
  return parent.find_child([](pugi::xml_node n) { return n.type() == pugi::node_element; });
}

}  // namespace

Service::Service(ServiceConfig config, const Clock& clock, storage::RoomStore* store)
    : config_(std::move(config)),
      clock_(clock),
      limiter_(config_.sender_rate, config_.sender_burst),
      random_(std::random_device{}()),
      store_(store) {
  new_id_ = [this] {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string id;
    // Six bits per character, ten characters per 64-bit draw.
    id.reserve(12);
    uint64_t bits = 0;
    for (int i = 0; i < 12; ++i) {
      if (i % 10 == 0) bits = random_();
      id.push_back(kAlphabet[bits % 64]);
      bits /= 64;
    }
    return id;
  };
}

Service::~Service() = default;

bool Service::is_admin(std::string_view bare_jid) const {
  return std::find(config_.admins.begin(), config_.admins.end(), bare_jid) != config_.admins.end();
}

bool Service::may_create_rooms(std::string_view bare_jid) const {
  if (!config_.room_creator_domains || is_admin(bare_jid)) return true;
  auto at = bare_jid.find('@');
  std::string_view domain = at == std::string_view::npos ? bare_jid : bare_jid.substr(at + 1);
  const auto& domains = *config_.room_creator_domains;
  return std::find(domains.begin(), domains.end(), domain) != domains.end();
}

const Room* Service::find_room(std::string_view jid) const {
  auto it = rooms_.find(std::string(jid));
  return it == rooms_.end() ? nullptr : it->second.get();
}

RoomEnv Service::room_env() {
  RoomEnv env;
  env.out = &out_ref_;
  env.clock = &clock_;
  env.service_domain = config_.domain;
  env.is_service_admin = [this](std::string_view jid) { return is_admin(jid); };
  env.new_id = [this] { return new_id_(); };
  env.allow_unaffiliated_register = config_.allow_unaffiliated_register;
  env.max_occupants = config_.max_occupants;
  env.occupant_ids = config_.occupant_ids;
  return env;
}

Room& Service::create_room(const std::string& jid) {
  auto room = std::make_unique<Room>(jid, room_env());
  Room& r = *room;
  rooms_[jid] = std::move(room);
  return r;
}

void Service::dispatch(const Stanza& stanza, Outbox& out) {
  current_out_ = &out;
  std::string_view kind = stanza.name();
  if (kind != "message" && kind != "presence" && kind != "iq") return;
  auto from = Jid::parse(stanza.from());
  if (!from) {
    log::debug("dropping {} without a valid from", kind);
    return;
  }
  auto to = Jid::parse(stanza.to());
  if (!to) {
    if (stanza.type() != "error" && stanza.has_attr("to")) {
      Stanza reply = error_reply(
          stanza, ErrorSpec{ErrorType::Modify, Condition::JidMalformed, {}, config_.domain});
      reply.set_attr("from", config_.domain);
      out.send(reply);
    }
    return;
  }
  if (to->domain() != config_.domain) return;
  if (!within_rate(stanza, *from, out)) return;
  // Answer with the prepared addresses from here on (a copy only when preparing changed them).
  std::optional<Stanza> copy;
  if (!from->is_written_as(stanza.from()) || !to->is_written_as(stanza.to())) {
    copy = stanza;
    copy->set_attr("from", from->full());
    copy->set_attr("to", to->full());
  }
  const Stanza& prepared = copy ? *copy : stanza;
  if (kind == "iq" && (stanza.type() == "get" || stanza.type() == "set") &&
      !first_element(stanza.root())) {
    out.send(error_reply(prepared, ErrorSpec{ErrorType::Modify, Condition::BadRequest}));
    return;
  }
  if (!to->has_node()) {
    handle_to_domain(prepared, out);
    return;
  }
  const std::string room_jid = to->bare();
  handle_to_room(prepared, *to, room_jid, out);
  settle(room_jid);
}

bool Service::within_rate(const Stanza& stanza, const Jid& from, Outbox& out) {
  if (!limiter_.enabled()) return true;  // (--rate-limit 0: not even the bare JID is built)
  std::string_view type = stanza.type();
  // Answers, errors and leaving are never held back: refusing them would break the protocol
  // (an unanswered iq, an occupant that cannot leave) without slowing anyone down.
  if (type == "result" || type == "error" || (stanza.name() == "presence" && type == "unavailable"))
    return true;
  const std::string bare = from.bare();
  if (is_admin(bare) || limiter_.allow(bare, clock_.now())) return true;
  log::debug("{} is sending too fast: {} refused", bare, stanza.name());
  Stanza reply =
      error_reply(stanza, ErrorSpec{ErrorType::Wait, Condition::PolicyViolation,
                                    "You are sending too fast; slow down", config_.domain});
  out.send(reply);
  return false;
}

void Service::settle(const std::string& room_jid) {
  auto it = rooms_.find(room_jid);
  if (it == rooms_.end()) return;
  Room& room = *it->second;
  if (room.destroyed()) {
    if (room.config().persistent) {
      const DestroyNotice& notice = *room.destroy_notice();
      tombstones_[room_jid] =
          Tombstone{notice.reason, notice.new_jid, clock_.wall() + kTombstoneLifetime};
    }
    rooms_.erase(it);
    return;
  }
  if (!room.has_occupants() && !room.config().persistent) rooms_.erase(it);
}

void Service::handle_to_room(const Stanza& stanza, const Jid& to, const std::string& room_jid,
                             Outbox& out) {
  std::string_view kind = stanza.name();
  std::string_view type = stanza.type();
  auto bounce = [&](Condition condition, ErrorType etype, std::string_view text = {}) {
    if (type == "error") return;
    out.send(error_reply(stanza, ErrorSpec{etype, condition, text, config_.domain}));
  };

  if (kind == "iq" && (type == "result" || type == "error") && handle_probe_answer(stanza)) return;
  // Loads the room, or the tombstone of a destroyed one, from the store (before the tombstone
  // is looked at, so the turn sees it removed).
  if (!prepare_room(room_jid, &stanza, out)) return;
  if (auto tomb = tombstones_.find(room_jid); tomb != tombstones_.end()) {
    bool admin_join = is_admin(bare_of(stanza.from())) && kind == "presence" && type.empty();
    if (tomb->second.expires < clock_.wall() || admin_join) {
      tombstones_.erase(tomb);
    } else {
      if (type != "error") {
        Stanza reply = error_reply(stanza, ErrorSpec{ErrorType::Cancel, Condition::Gone,
                                                     tomb->second.reason, config_.domain});
        if (!tomb->second.new_jid.empty()) {
          reply.root().child("error").child("gone").text().set(
              ("xmpp:" + tomb->second.new_jid + "?join").c_str());
        }
        out.send(reply);
      }
      return;
    }
  }

  auto it = rooms_.find(room_jid);
  if (it == rooms_.end()) {
    bool creates = kind == "presence" && type.empty() && to.has_resource() &&
                   child_ns(stanza.root(), "x", ns::kMuc);
    if (!creates) {
      bounce(Condition::ItemNotFound, ErrorType::Cancel);
      return;
    }
    if (!may_create_rooms(bare_of(stanza.from()))) {
      bounce(Condition::NotAllowed, ErrorType::Cancel, "Room creation is restricted");
      return;
    }
    Room& room = create_room(room_jid);
    room.handle_first_presence(stanza);
    return;
  }
  Room& room = *it->second;
  bool to_occupant = to.has_resource();
  if (kind == "presence") {
    if (to_occupant) {
      room.handle_presence_to_occupant(stanza);
    } else {
      room.handle_presence_to_room(stanza);
    }
  } else if (kind == "message") {
    if (to_occupant) {
      room.handle_message_to_occupant(stanza);
    } else {
      room.handle_message_to_room(stanza);
    }
  } else {
    if (to_occupant) {
      room.handle_iq_to_occupant(stanza);
    } else if (!room.handle_iq_to_room(stanza) && (type == "get" || type == "set")) {
      out.send(error_reply(stanza, ErrorSpec{ErrorType::Cancel, Condition::ServiceUnavailable}));
    }
  }
}

void Service::handle_to_domain(const Stanza& stanza, Outbox& out) {
  std::string_view kind = stanza.name();
  std::string_view type = stanza.type();
  if (kind != "iq") {
    if (type != "error" && kind == "message") {
      out.send(error_reply(stanza, ErrorSpec{ErrorType::Cancel, Condition::ItemNotFound}));
    }
    return;
  }
  if (type != "get" && type != "set") return;
  auto payload = first_element(stanza.root());
  std::string_view name = payload.name();
  std::string_view xmlns = payload.attribute("xmlns").value();
  if (type == "get" && name == "query" && xmlns == ns::kDiscoInfo) {
    handle_domain_disco_info(stanza, out);
  } else if (type == "get" && name == "query" && xmlns == ns::kDiscoItems) {
    handle_domain_disco_items(stanza, out);
  } else if (type == "set" && name == "command" && xmlns == ns::kCommands) {
    handle_command(stanza, out);
  } else if (type == "get" && name == "unique" && xmlns == kUnique) {
    handle_unique(stanza, out);
  } else if (type == "get" && name == "ping" && xmlns == ns::kPing) {
    out.send(reply_to(stanza));
  } else {
    out.send(error_reply(stanza, ErrorSpec{ErrorType::Cancel, Condition::ServiceUnavailable}));
  }
}

// XEP-0307: a room name that no room has, in the shape of Prosody's (24 lowercase characters).
void Service::handle_unique(const Stanza& stanza, Outbox& out) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string name;
  do {
    name.clear();
    for (int i = 0; i < 24; ++i) name.push_back(kAlphabet[random_() % (sizeof(kAlphabet) - 1)]);
  } while (rooms_.count(name + "@" + config_.domain) ||
           tombstones_.count(name + "@" + config_.domain));
  Stanza reply = reply_to(stanza);
  add_child(reply.root(), "unique", kUnique).text().set(name.c_str());
  out.send(reply);
}

void Service::handle_domain_disco_info(const Stanza& stanza, Outbox& out) {
  Stanza reply = reply_to(stanza);
  auto query = add_child(reply.root(), "query", ns::kDiscoInfo);
  std::string node = first_element(stanza.root()).attribute("node").value();
  if (!node.empty()) query.append_attribute("node").set_value(node.c_str());
  if (node.empty()) {
    auto identity = query.append_child("identity");
    identity.append_attribute("category").set_value("conference");
    identity.append_attribute("type").set_value("text");
    identity.append_attribute("name").set_value(config_.name.c_str());
    for (std::string_view var : {ns::kMuc, kUnique, ns::kDiscoInfo, ns::kDiscoItems, ns::kCommands,
                                 ns::kPing, ns::kOccupantId}) {
      if (var == ns::kOccupantId && !config_.occupant_ids) continue;
      query.append_child("feature").append_attribute("var").set_value(std::string(var).c_str());
    }
  } else if (node == ns::kCommands) {
    auto identity = query.append_child("identity");
    identity.append_attribute("category").set_value("automation");
    identity.append_attribute("type").set_value("command-list");
    identity.append_attribute("name").set_value("Ad-Hoc Commands");
  }
  out.send(reply);
}

void Service::handle_domain_disco_items(const Stanza& stanza, Outbox& out) {
  Stanza reply = reply_to(stanza);
  auto query = add_child(reply.root(), "query", ns::kDiscoItems);
  std::string node = first_element(stanza.root()).attribute("node").value();
  if (node == ns::kCommands) {
    query.append_attribute("node").set_value(node.c_str());
    if (is_admin(bare_of(stanza.from()))) {
      for (auto [cmd, title] : {std::pair{kDestroyNode, "Destroy Rooms"},
                                std::pair{kSetAffiliationNode, "Set affiliation in room"}}) {
        auto item = query.append_child("item");
        item.append_attribute("node").set_value(std::string(cmd).c_str());
        item.append_attribute("name").set_value(title);
        item.append_attribute("jid").set_value(config_.domain.c_str());
      }
    }
  } else if (node.empty()) {
    for (const auto& [jid, name] : public_rooms()) {
      auto item = query.append_child("item");
      item.append_attribute("jid").set_value(jid.c_str());
      if (!name.empty()) item.append_attribute("name").set_value(name.c_str());
    }
  } else {
    query.append_attribute("node").set_value(node.c_str());
  }
  out.send(reply);
}

void Service::handle_command(const Stanza& stanza, Outbox& out) {
  auto command = first_element(stanza.root());
  std::string_view node = command.attribute("node").value();
  if (node != kDestroyNode && node != kSetAffiliationNode) {
    out.send(error_reply(stanza, ErrorSpec{ErrorType::Cancel, Condition::ItemNotFound}));
    return;
  }
  if (!is_admin(bare_of(stanza.from()))) {
    // As Prosody's mod_adhoc: the error carries a canceled <command/> with the same note.
    constexpr std::string_view kRefusal = "You don't have permission to execute this command";
    Stanza refusal = error_reply(
        stanza, ErrorSpec{ErrorType::Auth, Condition::Forbidden, std::string(kRefusal)});
    auto cmd = add_child(refusal.root(), "command", ns::kCommands);
    cmd.append_attribute("node").set_value(std::string(node).c_str());
    cmd.append_attribute("status").set_value("canceled");
    add_text_child(cmd, "note", kRefusal).append_attribute("type").set_value("error");
    out.send(std::move(refusal));
    return;
  }
  if (node == kDestroyNode) {
    command_destroy(stanza, command, out);
  } else {
    command_set_affiliation(stanza, command, out);
  }
}

namespace {

Stanza command_reply(const Stanza& stanza, pugi::xml_node request, std::string_view status,
                     const std::string& session) {
  Stanza reply = reply_to(stanza);
  auto cmd = add_child(reply.root(), "command", ns::kCommands);
  cmd.append_attribute("node").set_value(request.attribute("node").value());
  cmd.append_attribute("status").set_value(std::string(status).c_str());
  cmd.append_attribute("sessionid").set_value(session.c_str());
  return reply;
}

void add_note(Stanza& reply, std::string_view type, const std::string& text) {
  auto note = add_text_child(reply.root().child("command"), "note", text);
  note.append_attribute("type").set_value(std::string(type).c_str());
}

}  // namespace

void Service::command_destroy(const Stanza& stanza, pugi::xml_node command, Outbox& out) {
  std::string session = command.attribute("sessionid").value();
  if (session.empty()) session = new_id_();
  if (std::string_view(command.attribute("action").value()) == "cancel") {
    out.send(command_reply(stanza, command, "canceled", session));
    return;
  }
  auto x = child_ns(command, "x", ns::kData);
  if (!x) {
    Stanza reply = command_reply(stanza, command, "executing", session);
    auto cmd = reply.root().child("command");
    auto actions = cmd.append_child("actions");
    actions.append_attribute("execute").set_value("complete");
    actions.append_child("next");
    actions.append_child("complete");
    FormLayout form;
    form.title = "Destroy rooms";
    form.instructions = "Select the rooms to destroy";
    FormField rooms{
        .var = "rooms", .type = "list-multi", .label = "Rooms to destroy:", .required = true};
    for (const auto& jid : all_room_jids()) rooms.options.push_back({jid, jid});
    form.fields = {{.var = "FORM_TYPE", .type = "hidden", .values = {std::string(kDestroyNode)}},
                   rooms};
    write_form(cmd, form);
    out.send(reply);
    return;
  }
  SubmittedForm form = SubmittedForm::read(x);
  auto wanted = form.values("rooms");
  if (wanted.empty()) {
    Stanza reply = command_reply(stanza, command, "completed", session);
    add_note(reply, "error", "rooms: Required value missing");
    out.send(reply);
    return;
  }
  std::vector<std::string> destroyed;
  for (const auto& jid : wanted) {
    if (!prepare_room(jid, nullptr, out)) continue;
    auto it = rooms_.find(jid);
    if (it == rooms_.end()) continue;
    if (it->second->destroy(std::nullopt, std::nullopt, std::nullopt)) {
      destroyed.push_back(jid);
      settle(jid);
    }
  }
  std::string text = "The following rooms were destroyed:";
  for (const auto& jid : destroyed) text += "\n" + jid;
  Stanza reply = command_reply(stanza, command, "completed", session);
  add_note(reply, "info", text);
  out.send(reply);
}

void Service::command_set_affiliation(const Stanza& stanza, pugi::xml_node command, Outbox& out) {
  std::string session = command.attribute("sessionid").value();
  if (session.empty()) session = new_id_();
  auto x = child_ns(command, "x", ns::kData);
  if (!x) {
    Stanza reply = command_reply(stanza, command, "executing", session);
    auto cmd = reply.root().child("command");
    FormLayout form;
    form.title = "Set affiliation";
    form.fields = {
        {.var = "FORM_TYPE", .type = "hidden", .values = {std::string(kSetAffiliationNode)}},
        {.var = "room", .type = "jid-single", .label = "Room", .required = true},
        {.var = "jid", .type = "jid-single", .label = "JID", .required = true},
        {.var = "affiliation",
         .type = "list-single",
         .label = "Affiliation",
         .options = {{"owner", "owner"},
                     {"admin", "admin"},
                     {"member", "member"},
                     {"none", "none"},
                     {"outcast", "outcast"}},
         .required = true},
        {.var = "reason", .type = "text-single"},
    };
    write_form(cmd, form);
    out.send(reply);
    return;
  }
  SubmittedForm form = SubmittedForm::read(x);
  auto room_jid = form.value("room").value_or("");
  if (!room_jid.empty()) prepare_room(room_jid, nullptr, out);
  auto it = rooms_.find(room_jid);
  if (it == rooms_.end()) {
    Stanza reply = command_reply(stanza, command, "canceled", session);
    add_note(reply, "error", "No such room");
    out.send(reply);
    return;
  }
  auto affiliation = parse_affiliation(form.value("affiliation").value_or(""));
  auto jid = form.value("jid");
  std::optional<ErrorSpec> error;
  if (!affiliation || !jid) {
    error = ErrorSpec{ErrorType::Modify, Condition::BadRequest};
  } else {
    error = it->second->set_affiliation(std::nullopt, *jid, *affiliation, form.value("reason"),
                                        std::nullopt);
  }
  if (error) {
    Stanza reply = command_reply(stanza, command, "canceled", session);
    add_note(reply, "error",
             "Affiliation change failed: " + std::string(to_string(error->condition)));
    out.send(reply);
    return;
  }
  Stanza reply = command_reply(stanza, command, "completed", session);
  add_note(reply, "info", "Affiliation updated");
  out.send(reply);
  settle(room_jid);
}

}  // namespace mucd::muc
