// Affiliations and roles (XEP-0045 §9 and §8): the muc#admin lists, their permission rules,
// and what occupants are told when their affiliation or role changes.
#include "core/jid.hpp"
#include "muc/room.hpp"

namespace mucd::muc {

namespace {

pugi::xml_node add_plain_item(pugi::xml_node x, Affiliation affiliation, std::string_view jid,
                              const std::optional<std::string>& reason) {
  auto item = x.append_child("item");
  item.append_attribute("affiliation").set_value(std::string(to_string(affiliation)).c_str());
  item.append_attribute("jid").set_value(std::string(jid).c_str());
  if (reason) add_text_child(item, "reason", *reason);
  return item;
}

}  // namespace

std::optional<std::string> Room::registered_nick(std::string_view bare_jid) const {
  auto it = affiliations_.find(bare_jid);
  if (it == affiliations_.end() || it->second.reserved_nick.empty()) return std::nullopt;
  return it->second.reserved_nick;
}

std::optional<std::string> Room::registered_jid(std::string_view nick) const {
  for (const auto& [jid, entry] : affiliations_) {
    if (!entry.reserved_nick.empty() && entry.reserved_nick == nick) return jid;
  }
  return std::nullopt;
}

std::optional<ErrorSpec> Room::set_affiliation(const std::optional<std::string>& actor,
                                               const std::string& jid_text, Affiliation affiliation,
                                               const std::optional<std::string>& reason,
                                               const std::optional<std::string>& reserved_nick,
                                               bool clear_data) {
  auto parsed = Jid::parse(jid_text);
  if (!parsed) return ErrorSpec{ErrorType::Modify, Condition::NotAcceptable};
  const std::string jid = parsed->bare();
  const bool host_only = !parsed->has_node();
  if (affiliation != Affiliation::Owner && env_.is_service_admin && env_.is_service_admin(jid)) {
    return ErrorSpec{ErrorType::Modify, Condition::NotAcceptable};
  }
  auto existing = affiliations_.find(jid);
  Affiliation target =
      existing == affiliations_.end() ? Affiliation::None : existing->second.affiliation;
  bool downgrade = rank(target) > rank(affiliation);

  if (actor) {
    Affiliation actor_affiliation = affiliation_of(*actor);
    if (actor_affiliation == Affiliation::Owner) {
      if (bare_of(*actor) == jid && downgrade) {
        bool last = true;
        for (const auto& [other, entry] : affiliations_) {
          if (entry.affiliation == Affiliation::Owner && other != jid) last = false;
        }
        if (last) return ErrorSpec{ErrorType::Cancel, Condition::Conflict};
      }
    } else if (affiliation == Affiliation::Owner || affiliation == Affiliation::Admin ||
               actor_affiliation != Affiliation::Admin || target == Affiliation::Owner ||
               target == Affiliation::Admin) {
      return ErrorSpec{ErrorType::Cancel, Condition::NotAllowed};
    }
  }

  if (affiliation == Affiliation::None) {
    affiliations_.erase(jid);
  } else {
    AffiliationEntry& entry = affiliations_[jid];
    entry.affiliation = affiliation;
    if (clear_data) {
      entry.reserved_nick.clear();
      entry.reason.clear();
    } else if (reserved_nick) {
      entry.reserved_nick = *reserved_nick;
    }
    if (affiliation == Affiliation::Outcast) entry.reason = reason.value_or("");
  }
  changes_.affiliations.insert(jid);

  Role role = default_role(affiliation);
  std::vector<std::pair<Occupant, Role>> updated;
  for (const auto& [occupant_jid, stored] : occupants_) {
    std::string_view occ_bare = stored.bare_jid();
    bool matches = occ_bare == jid;
    if (!matches && host_only && affiliation == Affiliation::Outcast) {
      auto at = occ_bare.find('@');
      matches = at != std::string_view::npos && occ_bare.substr(at + 1) == jid;
    }
    if (!matches) continue;
    Occupant occupant = stored;
    occupant.prune();
    updated.emplace_back(occupant, occupant.role);
  }
  for (auto& [occupant, old_role] : updated) {
    if (occupant.role != role && (downgrade || rank(occupant.role) < rank(role))) {
      occupant.role = role;
      save_occupant(occupant);
    }
  }

  PresenceX x;
  if (role == Role::None) x.codes.push_back(affiliation == Affiliation::Outcast ? "301" : "321");
  bool semi_anonymous = config_.whois == Whois::Moderators;
  if (!updated.empty()) {
    for (const auto& [occupant, old_role] : updated) {
      publicise(occupant, x, std::nullopt, actor, reason, old_role);
      if (occupant.role != Role::None && semi_anonymous &&
          ((old_role == Role::Moderator) != (occupant.role == Role::Moderator))) {
        // Gained or lost moderator status: the real JIDs this occupant may see changed.
        for (const auto& session : occupant.sessions()) {
          send_occupant_list(session.jid, [&](const std::string&, const Occupant* o) {
            return o == nullptr || o->bare_jid() != jid;
          });
        }
      }
    }
  } else {
    // XEP-0045 example 195: tell the room about a change for someone who is not in it.
    Stanza announce{"message"};
    announce.set_attr("from", jid_);
    auto ax = add_child(announce.root(), "x", ns::kMucUser);
    for (const auto& code : x.codes) {
      ax.append_child("status").append_attribute("code").set_value(code.c_str());
    }
    add_plain_item(ax, affiliation, jid, reason);
    Role min_role = semi_anonymous ? Role::Moderator : Role::None;
    broadcast(announce, [&](const Occupant& o) { return rank(o.role) >= rank(min_role); });
  }
  return std::nullopt;
}

std::optional<ErrorSpec> Room::may_set_role(const std::string& actor, const Occupant& occupant,
                                            Role role) const {
  Affiliation actor_affiliation = affiliation_of(actor);
  Affiliation occupant_affiliation = affiliation_of(occupant.bare_jid());
  if (rank(actor_affiliation) < rank(occupant_affiliation)) {
    return ErrorSpec{ErrorType::Cancel, Condition::NotAllowed};
  }
  if ((occupant.role == Role::Moderator || role == Role::Moderator) &&
      actor_affiliation != Affiliation::Owner && actor_affiliation != Affiliation::Admin) {
    return ErrorSpec{ErrorType::Cancel, Condition::NotAllowed};
  }
  auto actor_occupant = occupant_by_real_jid(actor);
  if (!actor_occupant || actor_occupant->role != Role::Moderator) {
    return ErrorSpec{ErrorType::Cancel, Condition::NotAllowed};
  }
  return std::nullopt;
}

std::optional<ErrorSpec> Room::set_role(const std::optional<std::string>& actor,
                                        const std::string& occupant_jid, Role role,
                                        const std::optional<std::string>& reason) {
  auto occupant = occupant_by_nick(occupant_jid);
  if (!occupant) return ErrorSpec{ErrorType::Modify, Condition::ItemNotFound};
  if (actor) {
    if (auto error = may_set_role(*actor, *occupant, role)) return error;
  }
  PresenceX x;
  if (role == Role::None) x.codes.push_back("307");
  Role prev = occupant->role;
  occupant->role = role;
  save_occupant(*occupant);
  publicise(*occupant, x, std::nullopt, actor, reason, prev);
  return std::nullopt;
}

void Room::handle_admin_set(const Stanza& stanza) {
  auto query = stanza.root().first_element_by_path("query");
  std::vector<pugi::xml_node> items;
  for (auto item : query.children("item")) items.push_back(item);
  if (items.empty()) {
    send_error(stanza, ErrorSpec{ErrorType::Cancel, Condition::BadRequest});
    return;
  }
  const std::string actor{stanza.from()};

  struct Change {
    std::optional<std::string> jid, nick, reason;
    std::optional<Affiliation> affiliation;
    std::optional<Role> role;
  };
  std::vector<Change> changes;
  // Validate every item before applying any, so that a list is applied whole or not at all.
  for (auto item : items) {
    Change c;
    if (auto a = item.attribute("jid")) {
      auto jid = Jid::parse(a.value());
      if (!jid) {
        send_error(stanza, ErrorSpec{ErrorType::Modify, Condition::JidMalformed});
        return;
      }
      c.jid = jid->bare();  // buggy clients send a full JID: the bare one is meant
    }
    if (auto a = item.attribute("nick")) {
      auto nick = Jid::prep_resource(a.value());
      if (!nick || nick->empty()) {
        send_error(stanza,
                   ErrorSpec{ErrorType::Modify, Condition::JidMalformed, "invalid nickname"});
        return;
      }
      c.nick = *nick;
    }
    if (auto a = item.attribute("affiliation")) {
      c.affiliation = parse_affiliation(a.value());
      if (!c.affiliation) {
        send_error(stanza, ErrorSpec{ErrorType::Modify, Condition::NotAcceptable});
        return;
      }
    }
    if (auto a = item.attribute("role")) {
      c.role = parse_role(a.value());
      if (!c.role) {
        send_error(stanza, ErrorSpec{ErrorType::Modify, Condition::NotAcceptable});
        return;
      }
    }
    if (auto r = item.child("reason")) c.reason = r.text().get();
    if (!c.jid && c.nick) {
      if (auto occupant = occupant_by_nick(jid_ + "/" + *c.nick)) c.jid = occupant->bare_jid();
    } else if (c.role && !c.nick && c.jid) {
      for (const auto& [ojid, occ] : occupants_) {
        if (occ.bare_jid() == *c.jid) {
          c.nick = std::string(resource_of(ojid));
          break;
        }
      }
    }
    bool affiliation_change = c.affiliation && c.jid && !c.role;
    bool role_change = c.role && c.nick && !c.affiliation;
    if (!affiliation_change && !role_change) {
      send_error(stanza, ErrorSpec{ErrorType::Cancel, Condition::BadRequest});
      return;
    }
    changes.push_back(std::move(c));
  }
  if (changes.size() > 1) {
    // Permission check of every item against the current state before anything changes.
    for (const auto& c : changes) {
      if (c.affiliation) {
        Affiliation actor_affiliation = affiliation_of(actor);
        auto existing = affiliations_.find(*c.jid);
        Affiliation target =
            existing == affiliations_.end() ? Affiliation::None : existing->second.affiliation;
        if (actor_affiliation != Affiliation::Owner &&
            (*c.affiliation == Affiliation::Owner || *c.affiliation == Affiliation::Admin ||
             actor_affiliation != Affiliation::Admin || target == Affiliation::Owner ||
             target == Affiliation::Admin)) {
          send_error(stanza, ErrorSpec{ErrorType::Cancel, Condition::NotAllowed});
          return;
        }
      } else if (auto occupant = occupant_by_nick(jid_ + "/" + *c.nick)) {
        if (auto error = may_set_role(actor, *occupant, *c.role)) {
          send_error(stanza, *error);
          return;
        }
      }
    }
  }
  for (const auto& c : changes) {
    std::optional<ErrorSpec> error;
    if (c.affiliation) {
      if (c.nick) {
        std::string room_nick = jid_ + "/" + *c.nick;
        auto squatter = occupant_by_nick(room_nick);
        if (squatter && squatter->bare_jid() != *c.jid) {
          set_role(std::nullopt, room_nick, Role::None, std::string("This nickname is reserved"));
        }
      }
      error = set_affiliation(actor, *c.jid, *c.affiliation, c.reason, c.nick);
    } else {
      error = set_role(actor, jid_ + "/" + *c.nick, *c.role, c.reason);
    }
    if (error) {
      send_error(stanza, *error);
      return;
    }
  }
  route(reply_to(stanza));
}

void Room::handle_admin_get(const Stanza& stanza) {
  const std::string actor{stanza.from()};
  Affiliation affiliation = affiliation_of(actor);
  auto item = stanza.root().first_element_by_path("query/item");
  auto aff_attr = item.attribute("affiliation");
  auto role_attr = item.attribute("role");
  if (aff_attr && !role_attr && parse_affiliation(aff_attr.value())) {
    const Affiliation wanted = *parse_affiliation(aff_attr.value());
    bool allowed =
        (rank(affiliation) >= rank(Affiliation::Admin) && rank(affiliation) >= rank(wanted)) ||
        (config_.members_only && config_.whois == Whois::Anyone &&
         rank(affiliation) >= rank(Affiliation::Member));
    if (!allowed) {
      send_error(stanza, ErrorSpec{ErrorType::Auth, Condition::Forbidden});
      return;
    }
    Stanza reply = reply_to(stanza);
    auto query = add_child(reply.root(), "query", ns::kMucAdmin);
    for (const auto& [jid, entry] : affiliations_) {
      if (entry.affiliation != wanted) continue;
      auto it = query.append_child("item");
      it.append_attribute("affiliation").set_value(std::string(to_string(wanted)).c_str());
      it.append_attribute("jid").set_value(jid.c_str());
      if (!entry.reserved_nick.empty()) {
        it.append_attribute("nick").set_value(entry.reserved_nick.c_str());
      }
      if (!entry.reason.empty()) add_text_child(it, "reason", entry.reason);
    }
    route(std::move(reply));
    return;
  }
  if (role_attr && !aff_attr && parse_role(role_attr.value())) {
    const Role wanted_role = *parse_role(role_attr.value());
    auto me = occupant_by_real_jid(actor);
    Role role = me ? me->role : default_role(affiliation);
    if (role != Role::Moderator) {
      send_error(stanza, ErrorSpec{ErrorType::Auth, Condition::Forbidden});
      return;
    }
    Stanza reply = reply_to(stanza);
    auto query = add_child(reply.root(), "query", ns::kMucAdmin);
    for (const auto& [occupant_jid, stored] : occupants_) {
      if (stored.role != wanted_role) continue;
      Occupant occupant = stored;
      occupant.prune();
      add_items(query, occupant, false, std::string(resource_of(occupant_jid)), std::nullopt,
                std::nullopt, std::nullopt);
    }
    route(std::move(reply));
    return;
  }
  send_error(stanza, ErrorSpec{ErrorType::Cancel, Condition::BadRequest});
}

}  // namespace mucd::muc
