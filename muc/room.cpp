// Occupants and their presence: joining, leaving, nick changes, multi-session, and the
// presence broadcast that goes with each (Prosody's publicise_occupant_status).
#include "muc/room.hpp"

#include <set>

#include "core/jid.hpp"
#include "core/sha256.hpp"

namespace mucd::muc {

std::string_view resource_of(std::string_view jid) {
  auto slash = jid.find('/');
  return slash == std::string_view::npos ? std::string_view{} : jid.substr(slash + 1);
}

std::string_view bare_of(std::string_view jid) {
  return jid.substr(0, jid.find('/'));
}

Room::Room(std::string jid, RoomEnv env) : jid_(std::move(jid)), env_(std::move(env)) {}

void Room::route(Stanza stanza) {
  env_.out->send(stanza);
}

const std::string& Room::salt() {
  if (occupant_id_salt_.empty()) {
    occupant_id_salt_ = env_.new_id() + env_.new_id();
    changes_.settings = true;
  }
  return occupant_id_salt_;
}

void Room::stamp_occupant_id(Stanza& stanza, std::string_view bare_jid) {
  auto root = stanza.root();
  while (auto old = child_ns(root, "occupant-id", ns::kOccupantId)) root.remove_child(old);
  if (!env_.occupant_ids) return;
  add_child(root, "occupant-id", ns::kOccupantId)
      .append_attribute("id")
      .set_value(occupant_id_of(bare_jid).c_str());
}

const std::string& Room::occupant_id_of(std::string_view bare_jid) {
  const std::string& room_salt = salt();
  auto& cache = occupant_ids_;
  std::size_t salt_hash = std::hash<std::string>{}(room_salt);
  if (cache.salt_hash != salt_hash) {
    cache = OccupantIdCache{};
    cache.salt_hash = salt_hash;
  }
  for (const auto& [jid, id] : cache.entries) {
    if (!id.empty() && jid == bare_jid) return id;
  }
  auto digest = hmac_sha256(bare_jid, room_salt);
  auto& slot = cache.entries[cache.next];
  cache.next = (cache.next + 1) % cache.entries.size();
  slot.first.assign(bare_jid);
  slot.second = base64_encode(digest.data(), digest.size());
  return slot.second;
}

std::unique_ptr<Room> Room::clone() const {
  std::unique_ptr<Room> copy(new Room(*this));
  // The session index holds views of session JIDs and pointers to occupants: a member-wise copy
  // would point into this room. Rebuild it over the copy's own occupants.
  copy->jid_nick_.clear();
  for (const auto& [occupant_jid, occupant] : copy->occupants_) {
    for (const auto& session : occupant.sessions()) copy->jid_nick_.emplace(session.jid, &occupant);
  }
  return copy;
}

const Occupant* Room::find_occupant(std::string_view real_jid) const {
  auto it = jid_nick_.find(real_jid);
  return it == jid_nick_.end() ? nullptr : it->second;
}

void Room::send_error(const Stanza& stanza, ErrorSpec error) {
  if (stanza.type() == "error") return;  // never answer an error with an error
  route(error_reply(stanza, error));
}

void Room::route_to_occupant(const Occupant& occupant, Stanza stanza) {
  for (const auto& session : occupant.sessions()) {
    stanza.set_attr("to", session.jid);
    route(stanza);
  }
}

void Room::send_to_occupant(const Occupant& occupant, const Broadcast& copy) {
  for (const auto& session : occupant.sessions()) env_.out->send_to(copy, session.jid);
}

void Room::broadcast(const Stanza& stanza, const std::function<bool(const Occupant&)>& filter) {
  Broadcast copy(stanza);
  for (const auto& [nick, occupant] : occupants_) {
    if (!filter || filter(occupant)) send_to_occupant(occupant, copy);
  }
}

std::optional<Occupant> Room::occupant_by_nick(std::string_view occupant_jid) const {
  auto it = occupants_.find(occupant_jid);
  if (it == occupants_.end()) return std::nullopt;
  Occupant copy = it->second;
  copy.prune();
  return copy;
}

std::optional<std::string> Room::occupant_jid_of(std::string_view real_jid) const {
  auto it = jid_nick_.find(real_jid);
  if (it == jid_nick_.end()) return std::nullopt;
  return it->second->occupant_jid();
}

std::optional<Occupant> Room::occupant_by_real_jid(std::string_view real_jid) const {
  auto nick = occupant_jid_of(real_jid);
  if (!nick) return std::nullopt;
  return occupant_by_nick(*nick);
}

void Room::note_occupant_change(const std::string& occupant_jid) {
  if (changes_.occupants.count(occupant_jid)) return;
  std::vector<std::string>& live = changes_.occupants[occupant_jid];
  if (auto old = occupants_.find(occupant_jid); old != occupants_.end()) {
    for (const auto& s : old->second.sessions()) {
      if (is_available(s.presence)) live.push_back(s.jid);
    }
  }
}

const Occupant* Room::save_occupant(Occupant occupant) {
  // As Prosody's save_occupant, which starts from a copy: sessions gone unavailable are dropped
  // (except the primary one), so what it returns shows only the sessions still there.
  occupant.prune();
  const std::string id = occupant.occupant_jid();
  note_occupant_change(id);
  if (auto old = occupants_.find(id); old != occupants_.end()) {
    for (const auto& s : old->second.sessions()) jid_nick_.erase(s.jid);
  }
  bool live = false;
  if (occupant.role != Role::None) {
    for (const auto& s : occupant.sessions()) live = live || is_available(s.presence);
    if (!live) occupant.role = Role::None;
  }
  if (!live) {
    occupants_.erase(id);
    return nullptr;
  }
  const Occupant& stored = occupants_.insert_or_assign(id, std::move(occupant)).first->second;
  // Keys view the stored sessions' JIDs: erase first, so no key is left viewing another's.
  for (const auto& s : stored.sessions()) {
    if (!is_available(s.presence)) continue;
    jid_nick_.erase(s.jid);
    jid_nick_.emplace(s.jid, &stored);
  }
  return &stored;
}

Affiliation Room::affiliation_of(std::string_view jid) const {
  std::string_view bare = bare_of(jid);
  if (env_.is_service_admin && env_.is_service_admin(bare)) return Affiliation::Owner;
  if (auto it = affiliations_.find(bare); it != affiliations_.end()) {
    return it->second.affiliation;
  }
  // A whole server may be banned.
  auto at = bare.find('@');
  if (at != std::string_view::npos) {
    auto host = affiliations_.find(bare.substr(at + 1));
    if (host != affiliations_.end() && host->second.affiliation == Affiliation::Outcast) {
      return Affiliation::Outcast;
    }
  }
  return Affiliation::None;
}

Role Room::default_role(Affiliation affiliation) const {
  if (affiliation == Affiliation::None) {
    if (config_.members_only) return Role::None;
    if (config_.moderated) return Role::Visitor;
  }
  if (rank(affiliation) >= rank(Affiliation::Admin)) return Role::Moderator;
  if (rank(affiliation) >= rank(Affiliation::None)) return Role::Participant;
  return Role::None;
}

Occupant Room::new_occupant(const std::string& bare_jid, const std::string& occupant_jid) const {
  Occupant occupant{occupant_jid, bare_jid};
  occupant.role = default_role(affiliation_of(bare_jid));
  return occupant;
}

bool Room::can_see_real_jids(const Occupant& viewer) const {
  if (config_.whois == Whois::Anyone) return true;
  return viewer.role == Role::Moderator;
}

bool Room::is_anonymous_for(std::string_view jid) const {
  if (config_.whois == Whois::Anyone) return false;
  Affiliation a = affiliation_of(jid);
  if (a == Affiliation::Admin || a == Affiliation::Owner) return false;
  auto occupant = occupant_by_real_jid(jid);
  return !(occupant && can_see_real_jids(*occupant));
}

namespace {

pugi::xml_node add_item(pugi::xml_node x, Affiliation affiliation, Role role,
                        const std::optional<std::string>& jid,
                        const std::optional<std::string>& nick,
                        const std::optional<std::string>& actor_nick,
                        const std::optional<std::string>& actor_jid,
                        const std::optional<std::string>& reason) {
  auto item = x.append_child("item");
  item.append_attribute("affiliation").set_value(std::string(to_string(affiliation)).c_str());
  item.append_attribute("role").set_value(std::string(to_string(role)).c_str());
  if (jid) item.append_attribute("jid").set_value(jid->c_str());
  if (nick) item.append_attribute("nick").set_value(nick->c_str());
  if (actor_nick || actor_jid) {
    auto actor = item.append_child("actor");
    if (actor_nick) actor.append_attribute("nick").set_value(actor_nick->c_str());
    if (actor_jid) actor.append_attribute("jid").set_value(actor_jid->c_str());
  }
  if (reason) add_text_child(item, "reason", *reason);
  return item;
}

// `stored`, or a pruned copy of it in `scratch` when it has sessions Occupant::prune() drops.
const Occupant& pruned(const Occupant& stored, std::optional<Occupant>& scratch) {
  for (const auto& session : stored.sessions()) {
    if (!is_available(session.presence) && session.jid != stored.primary()) {
      scratch = stored;
      scratch->prune();
      return *scratch;
    }
  }
  return stored;
}

}  // namespace

void Room::append_items(std::string& out, const Occupant& occupant, bool anonymous,
                        const ItemExtras& extras) const {
  Affiliation affiliation = affiliation_of(occupant.bare_jid());
  auto attribute = [&](std::string_view name, std::string_view value) {
    append_attribute(out, name, value);
  };
  // As add_item() builds it, attribute for attribute and child for child.
  auto item = [&](const std::string* jid) {
    out += "<item";
    attribute("affiliation", to_string(affiliation));
    attribute("role", to_string(occupant.role));
    if (jid) attribute("jid", *jid);
    if (extras.nick) attribute("nick", *extras.nick);
    if (!extras.actor_nick && !extras.actor_jid && !extras.reason) {
      out += "/>";
      return;
    }
    out += '>';
    if (extras.actor_nick || extras.actor_jid) {
      out += "<actor";
      if (extras.actor_nick) attribute("nick", *extras.actor_nick);
      if (extras.actor_jid) attribute("jid", *extras.actor_jid);
      out += "/>";
    }
    if (extras.reason) {
      if (extras.reason->empty()) {
        out += "<reason/>";
      } else {
        out += "<reason>";
        append_attribute_value(out, *extras.reason);  // escapes what text needs, and more
        out += "</reason>";
      }
    }
    out += "</item>";
  };
  if (anonymous) {
    item(nullptr);
    return;
  }
  for (const auto& session : occupant.sessions()) item(&session.jid);
}

void Room::add_items(pugi::xml_node x, const Occupant& occupant, bool anonymous,
                     const std::optional<std::string>& nick,
                     const std::optional<std::string>& actor_nick,
                     const std::optional<std::string>& actor_jid,
                     const std::optional<std::string>& reason) const {
  Affiliation affiliation = affiliation_of(occupant.bare_jid());
  if (anonymous) {
    add_item(x, affiliation, occupant.role, std::nullopt, nick, actor_nick, actor_jid, reason);
    return;
  }
  for (const auto& session : occupant.sessions()) {
    add_item(x, affiliation, occupant.role, session.jid, nick, actor_nick, actor_jid, reason);
  }
}

bool Room::carries_own_occupant_id(const StoredPresence& presence, std::string_view bare_jid) {
  // Compared piece by piece from the end, without building the expected tail. (An id is
  // base64: nothing in it is escaped in an attribute value.)
  constexpr std::string_view kHead = "<occupant-id xmlns=\"urn:xmpp:occupant-id:0\" id=\"";
  constexpr std::string_view kEnd = "\"/></presence>";
  std::string_view text = presence.serialized().text();
  // Off: none at all (a leaving session's presence is stored as the client sent it, which may
  // carry a forged one; anything that looks like one means rebuilding and stamping).
  if (!env_.occupant_ids) return text.find("occupant-id") == std::string_view::npos;
  const std::string& id = occupant_id_of(bare_jid);
  if (!text.ends_with(kEnd)) return false;
  text.remove_suffix(kEnd.size());
  if (!text.ends_with(id)) return false;
  text.remove_suffix(id.size());
  return text.ends_with(kHead);
}

// The muc#user <x/> of a presence broadcast, as text: destroy, status codes, self codes, items.
std::string Room::presence_x(const PresenceX& x, const std::string& destroy, bool for_self,
                             const Occupant& occupant, bool anonymous, const ItemExtras& extras,
                             bool own_presence) const {
  std::string out = "<x xmlns=\"";
  out += ns::kMucUser;
  out += "\">";
  out += destroy;
  auto status = [&](std::string_view code) {
    out += "<status code=\"";
    append_attribute_value(out, code);
    out += "\"/>";
  };
  for (const auto& code : x.codes) status(code);
  if (for_self) {
    for (const auto& code : x.self_codes) status(code);
  }
  append_items(out, occupant, anonymous, extras);
  if (own_presence) status("110");
  out += "</x>";
  return out;
}

void Room::publicise(const Occupant& occupant, const PresenceX& x,
                     const std::optional<std::string>& nick,
                     const std::optional<std::string>& actor,
                     const std::optional<std::string>& reason, std::optional<Role> prev_role,
                     bool force_unavailable, const Occupant* recipient) {
  // The presence every copy starts from, serialized once. Usually the occupant's stored presence
  // as it is (it already carries its occupant id); otherwise built, and stamped.
  const StoredPresence* pr = occupant.presence();
  bool use_stored = pr && (occupant.role != Role::None || !is_available(*pr)) && !force_unavailable;
  std::optional<Broadcast> built;
  const Broadcast* base = nullptr;
  if (use_stored && !recipient && carries_own_occupant_id(*pr, occupant.bare_jid())) {
    base = &pr->serialized();
  } else {
    Stanza stanza{"presence"};
    if (use_stored) {
      stanza = pr->stanza();
    } else {
      stanza.set_attr("from", occupant.occupant_jid());
      stanza.set_attr("type", "unavailable");
    }
    if (!recipient) stamp_occupant_id(stanza, occupant.bare_jid());
    base = &built.emplace(stanza);
  }

  ItemExtras extras{nick, std::nullopt, std::nullopt, reason};
  if (actor) {
    if (auto actor_occupant = occupant_jid_of(*actor)) {
      extras.actor_nick = std::string(resource_of(*actor_occupant));
    }
  }
  const std::string destroy = x.destroy ? x.destroy->to_string() : std::string();

  // What a viewer is shown: real JIDs, the occupant's own view (another nick of the same user),
  // or the anonymous one; as is, or marked unavailable. Each is built at most once.
  enum View { kFull, kSelf, kAnon };
  auto view_of = [&](const Occupant& viewer) {
    if (can_see_real_jids(viewer)) return kFull;
    if (occupant.bare_jid() == viewer.bare_jid()) return kSelf;
    return kAnon;
  };
  std::optional<Broadcast> unavailable_base;
  std::optional<Broadcast> copies[3][2];  // [view][shown as unavailable]
  auto copy_of = [&](View view, bool unavailable) -> const Broadcast& {
    auto& slot = copies[view][unavailable ? 1 : 0];
    if (slot) return *slot;
    const Broadcast* from = base;
    if (unavailable) {
      if (!unavailable_base) {
        auto stanza = Stanza::parse(base->text());
        Stanza marked = stanza ? *stanza : Stanza{"presence"};
        marked.set_attr("type", "unavailable");
        unavailable_base.emplace(marked);
      }
      from = &*unavailable_base;
    }
    ItemExtras view_extras = extras;
    if (view == kFull) view_extras.actor_jid = actor;
    slot.emplace(from->with_child(
        presence_x(x, destroy, view == kSelf, occupant, view == kAnon, view_extras, false)));
    return *slot;
  };

  if (recipient) {
    send_to_occupant(*recipient, copy_of(view_of(*recipient), false));
    return;
  }

  const auto& roles = config_.presence_broadcast;
  for (const auto& [occupant_jid, other] : occupants_) {
    if (occupant_jid == occupant.occupant_jid()) continue;
    bool unavailable = false;
    if (roles.includes(occupant.role) || force_unavailable) {
      unavailable = false;
    } else if (prev_role && roles.includes(*prev_role)) {
      unavailable = true;
    } else {
      continue;
    }
    const Broadcast& copy = copy_of(view_of(other), unavailable);
    // The sessions Occupant::prune() keeps: live ones, and the primary.
    for (const auto& session : other.sessions()) {
      if (is_available(session.presence) || session.jid == other.primary()) {
        env_.out->send_to(copy, session.jid);
      }
    }
  }

  // The occupant itself: status 110, and its own presences as templates while it is in.
  const std::string self_x = presence_x(x, destroy, true, occupant, false, extras, true);
  if (occupant.role == Role::None) {
    send_to_occupant(occupant, base->with_child(self_x));
  } else {
    for (const auto& session : occupant.sessions()) {
      env_.out->send_to(session.presence.serialized().with_child(self_x), session.jid);
    }
  }
}

void Room::send_occupant_list(
    const std::string& to, const std::function<bool(const std::string&, const Occupant*)>& filter) {
  std::string to_bare{bare_of(to)};
  const auto& roles = config_.presence_broadcast;
  bool anonymous = is_anonymous_for(to);
  std::set<std::string> seen_bare;  // only needed to list absent members (roles.none)
  std::optional<Occupant> scratch;
  std::string x;
  // One presence per occupant, spliced from its stored text: a joiner of a room of N costs N
  // appends, not N trees (a presence storm is N joins of this).
  for (const auto& [occupant_jid, stored] : occupants_) {
    const Occupant& occupant = pruned(stored, scratch);
    if (roles.none) seen_bare.insert(occupant.bare_jid());
    if (filter && !filter(occupant_jid, &occupant)) continue;
    const StoredPresence* presence = occupant.presence();
    if (!presence) continue;
    bool own = to_bare == occupant.bare_jid();
    if (!own && !roles.includes(occupant.role)) continue;
    x.assign("<x xmlns=\"");
    x += ns::kMucUser;
    x += "\">";
    append_items(x, occupant, anonymous && !own, ItemExtras{});
    x += "</x>";
    env_.out->send_to(presence->serialized().with_child(x), to);
  }
  if (!roles.none) return;
  // Affiliated users who are not in the room are shown as unavailable.
  for (const auto& [bare, entry] : affiliations_) {
    bool has_nick = !entry.reserved_nick.empty();
    if ((!has_nick && anonymous) || seen_bare.count(bare)) continue;
    if (filter && !filter(bare, nullptr)) continue;
    Stanza pres{"presence"};
    pres.set_attr("to", to);
    pres.set_attr("from", has_nick ? jid_ + "/" + entry.reserved_nick : jid_);
    pres.set_attr("type", "unavailable");
    add_item(add_child(pres.root(), "x", ns::kMucUser), entry.affiliation, Role::None,
             anonymous ? std::nullopt : std::optional<std::string>(bare),
             has_nick ? std::optional<std::string>(entry.reserved_nick) : std::nullopt,
             std::nullopt, std::nullopt, std::nullopt);
    route(std::move(pres));
  }
}

void Room::handle_first_presence(const Stanza& stanza) {
  const std::string real_jid{stanza.from()};
  const std::string bare{bare_of(real_jid)};
  // Room creation (Prosody's muc-room-pre-create): locked until configured, creator is owner,
  // and a password given in the creating presence becomes the room's password.
  locked_until_ = env_.clock->now() + std::chrono::seconds(300);
  affiliations_[bare].affiliation = Affiliation::Owner;
  changes_.settings = true;
  changes_.affiliations.insert(bare);
  auto muc_x = child_ns(stanza.root(), "x", ns::kMuc);
  if (auto pw = muc_x.child("password"); pw) config_.password = pw.text().get();
  // The room's language is the creator's (Prosody's set_room_defaults takes the xml:lang of the
  // creating presence, which Prosody stamps on everything a client sends).
  config_.language = std::string(stanza.attr("xml:lang"));

  Occupant dest = new_occupant(bare, std::string(stanza.to()));
  Stanza joining = stanza;
  stamp_occupant_id(joining, bare);
  if (veto_join(stanza, dest, true)) return;
  dest.set_session(real_jid, std::move(joining));
  PresenceX x;
  x.codes.push_back("201");
  if (config_.whois == Whois::Anyone) x.codes.push_back("100");
  auto saved = save_occupant(dest);
  publicise(saved ? *saved : dest, x);
  send_history(stanza);
  send_subject(real_jid);
}

void Room::handle_presence_to_room(const Stanza& stanza) {
  // Some clients send presence updates to the room rather than to their nick.
  auto current = occupant_jid_of(stanza.from());
  if (!current) return;
  Stanza copy = stanza;
  copy.set_attr("to", *current);
  handle_presence_to_occupant(copy);
}

void Room::handle_presence_to_occupant(const Stanza& stanza) {
  std::string_view type = stanza.type();
  if (type == "error") {
    handle_kickable(stanza);
  } else if (type.empty() || type == "unavailable" || type == "probe") {
    handle_normal_presence(stanza);
  } else if (type != "result" && type != "visible" && type != "invisible") {
    send_error(stanza, room_error(ErrorType::Modify, Condition::BadRequest));
  }
}

void Room::respond_to_probe(const Stanza& stanza, const std::optional<Occupant>& prober) {
  if (!prober) {
    send_error(stanza, room_error(ErrorType::Cancel, Condition::NotAcceptable,
                                  "You are not currently connected to this chat"));
    return;
  }
  std::string target{stanza.to()};
  auto probed = occupant_by_nick(target);
  if (!probed) {
    auto registered = registered_jid(resource_of(target));
    if (!registered) return;
    Stanza pr{"presence"};
    pr.set_attr("to", stanza.from());
    pr.set_attr("from", target);
    pr.set_attr("type", "unavailable");
    bool anonymous = is_anonymous_for(stanza.from());
    add_item(add_child(pr.root(), "x", ns::kMucUser), affiliation_of(*registered), Role::None,
             anonymous ? std::nullopt : std::optional<std::string>(*registered),
             std::string(resource_of(target)), std::nullopt, std::nullopt, std::nullopt);
    route(std::move(pr));
    return;
  }
  publicise(*probed, PresenceX{}, std::nullopt, std::nullopt, std::nullopt, std::nullopt, false,
            &*prober);
}

void Room::handle_kickable(const Stanza& stanza) {
  const std::string real_jid{stanza.from()};
  auto occupant = occupant_by_real_jid(real_jid);
  if (!occupant) return;
  std::string condition = error_condition(stanza);
  std::string text = stanza.root().child("error").child("text").text().get();
  std::string message = "Kicked: ";
  if (condition.empty()) {
    message += "presence error";
  } else {
    for (char c : condition) message += (c == '-') ? ' ' : c;
  }
  if (!text.empty() && config_.whois == Whois::Anyone) message += ": " + text;
  Stanza unavailable{"presence"};
  unavailable.set_attr("type", "unavailable");
  add_text_child(unavailable.root(), "status", message);
  occupant->set_session(real_jid, std::move(unavailable));
  Role orig_role = occupant->role;
  bool last_session = occupant->primary() == real_jid;
  if (last_session) occupant->role = Role::None;
  auto saved = save_occupant(*occupant);
  PresenceX x;
  if (last_session) x.codes.push_back("333");
  publicise(saved ? *saved : *occupant, x, std::nullopt, std::nullopt, std::nullopt, orig_role);
}

void Room::handle_normal_presence(const Stanza& stanza) {
  std::string_view type = stanza.type();
  const std::string real_jid{stanza.from()};
  const std::string bare{bare_of(real_jid)};
  auto orig = occupant_by_real_jid(real_jid);
  bool has_muc_x = static_cast<bool>(child_ns(stanza.root(), "x", ns::kMuc));

  if (!orig && !has_muc_x && type.empty()) {
    send_error(stanza, room_error(ErrorType::Cancel, Condition::ItemNotFound,
                                  "You are not currently connected to this chat"));
    return;
  }

  bool first_dest_session = false;
  std::optional<Occupant> dest;
  if (type == "unavailable") {
    if (!orig) return;
  } else if (type == "probe") {
    respond_to_probe(stanza, orig);
    return;
  } else if (orig && orig->occupant_jid() == stanza.to()) {
    dest = orig;  // a presence update
  } else {
    dest = occupant_by_nick(stanza.to());
    if (!dest) {
      first_dest_session = true;
      dest = new_occupant(bare, std::string(stanza.to()));
      if (orig) dest->role = orig->role;
    }
  }
  bool last_orig_session = orig && orig->sessions().size() < 2;

  Stanza presence = stanza;
  if (dest) stamp_occupant_id(presence, bare);
  if (!orig) {
    if (veto_join(stanza, *dest, false)) return;
  } else if (dest) {
    if (veto_change(stanza, *dest)) return;
  }

  if (dest && !first_dest_session && bare != dest->bare_jid()) {
    send_join_error(stanza, room_error(ErrorType::Cancel, Condition::Conflict));
    return;
  }

  bool swapping = orig && (!dest || orig->occupant_jid() != dest->occupant_jid());
  if (swapping) {
    PresenceX orig_x;
    Role orig_role = orig->role;
    std::optional<std::string> dest_nick;
    if (!dest) {  // this session is leaving
      if (last_orig_session) orig->role = Role::None;
      orig->set_session(real_jid, stanza);
    } else {
      Stanza generated{"presence"};
      generated.set_attr("from", orig->occupant_jid());
      generated.set_attr("to", real_jid);
      generated.set_attr("type", "unavailable");
      orig->set_session(real_jid, generated);
      dest_nick = std::string(resource_of(dest->occupant_jid()));
      if (!first_dest_session) {
        // Joining a nick held by another session of the same user: show that session leaving.
        Stanza pr{"presence"};
        pr.set_attr("from", dest->occupant_jid());
        pr.set_attr("to", real_jid);
        pr.set_attr("type", "unavailable");
        add_text_child(pr.root(), "status", "you are joining pre-existing session " + *dest_nick);
        add_item(add_child(pr.root(), "x", ns::kMucUser), affiliation_of(bare), Role::None,
                 std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt);
        route(std::move(pr));
      }
      if (first_dest_session && last_orig_session) {
        orig_x.codes.push_back("303");  // an ordinary nick change
      } else {
        // Only this session changes nick: it alone sees the change.
        orig->remove_session(real_jid);
        Stanza own = generated;
        auto x = add_child(own.root(), "x", ns::kMucUser);
        add_item(x, affiliation_of(bare), orig->role, real_jid, dest_nick, std::nullopt,
                 std::nullopt, std::nullopt);
        x.append_child("status").append_attribute("code").set_value("303");
        x.append_child("status").append_attribute("code").set_value("110");
        route(std::move(own));
        dest_nick.reset();
      }
    }
    Occupant snapshot = *orig;
    save_occupant(*orig);
    publicise(snapshot, orig_x, dest_nick, std::nullopt, std::nullopt, orig_role);
  }

  if (dest) {
    dest->set_session(real_jid, std::move(presence));
    const Occupant* saved = save_occupant(*dest);
    // (Nothing below changes the occupants: the stored one can be read in place.)
    const Occupant& current = saved ? *saved : *dest;
    if (!orig || has_muc_x) {
      send_occupant_list(real_jid, [&](const std::string&, const Occupant* o) {
        return o == nullptr || o->session(real_jid) == nullptr;
      });
    }
    PresenceX x;
    if (!orig && config_.whois == Whois::Anyone) x.self_codes.push_back("100");
    publicise(current, x, std::nullopt, std::nullopt, std::nullopt,
              orig ? std::optional<Role>(orig->role) : std::nullopt);
    if (swapping && !last_orig_session) {
      // The session split from a multi-session nick: show it the nick it left, still there.
      if (auto left = occupant_by_nick(orig->occupant_jid()); left && left->presence()) {
        Stanza pr = left->presence()->stanza();
        pr.set_attr("to", real_jid);
        auto x = add_child(pr.root(), "x", ns::kMucUser);
        add_items(x, *left, false, std::nullopt, std::nullopt, std::nullopt, std::nullopt);
        route(std::move(pr));
      }
    }
    if (!orig || has_muc_x) {
      send_history(stanza);
      send_subject(real_jid);
    }
  }
}

}  // namespace mucd::muc
