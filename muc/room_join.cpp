// The checks a join (or a nick change) must pass, in Prosody's priority order, because the
// order decides which error a client sees: nick prep (2), empty nick (1), reserved nick (0),
// members-only (-5), outcast (-10), password (-20), then mucd's occupant limit, room lock (-30).
#include <algorithm>
#include <cctype>

#include "core/jid.hpp"
#include "muc/room.hpp"

namespace mucd::muc {

namespace {

bool is_invisible(std::string_view nick) {
  return std::all_of(nick.begin(), nick.end(),
                     [](unsigned char c) { return std::isspace(c) != 0; });
}

}  // namespace

void Room::send_join_error(const Stanza& stanza, ErrorSpec error) {
  if (stanza.type() == "error") return;
  Stanza reply = error_reply(stanza, error);
  // XEP-0045's error examples carry the MUC <x/> back, and clients match on it.
  add_child(reply.root(), "x", ns::kMuc);
  route(std::move(reply));
}

bool Room::veto_change(const Stanza& stanza, const Occupant& dest) {
  std::string_view nick = resource_of(dest.occupant_jid());
  if (!Jid::prep_resource(nick)) {
    send_join_error(stanza, room_error(ErrorType::Modify, Condition::JidMalformed,
                                       "Nickname must pass strict validation"));
    return true;
  }
  if (is_invisible(nick)) {
    send_join_error(stanza, room_error(ErrorType::Modify, Condition::NotAllowed,
                                       "Invisible Nicknames are forbidden"));
    return true;
  }
  auto reserved_by = registered_jid(nick);
  if (reserved_by && *reserved_by != bare_of(stanza.from())) {
    send_join_error(stanza, room_error(ErrorType::Cancel, Condition::Conflict));
    return true;
  }
  return false;
}

bool Room::veto_join(const Stanza& stanza, const Occupant& occupant, bool is_new_room) {
  if (veto_change(stanza, occupant)) return true;
  Affiliation affiliation = affiliation_of(stanza.from());
  if (config_.members_only && rank(affiliation) <= rank(Affiliation::None)) {
    send_join_error(stanza, room_error(ErrorType::Auth, Condition::RegistrationRequired));
    return true;
  }
  if (affiliation == Affiliation::Outcast) {
    send_join_error(stanza, room_error(ErrorType::Auth, Condition::Forbidden));
    return true;
  }
  if (!config_.password.empty()) {
    auto muc_x = child_ns(stanza.root(), "x", ns::kMuc);
    if (muc_x) {
      std::string given = child_ns(muc_x, "password", ns::kMuc).text().get();
      if (given.empty()) given = muc_x.child("password").text().get();
      if (given != config_.password) {
        // The acceptance script expects the legacy code="401" here (XEP-0045 §7.2.5).
        ErrorSpec error = room_error(ErrorType::Auth, Condition::NotAuthorized);
        error.legacy_code = true;
        send_join_error(stanza, error);
        return true;
      }
    }
  }
  // XEP-0045 §7.2.10: a full room refuses newcomers, but never its owners and admins. A further
  // session of an occupant (same nick, same user) is not a newcomer.
  if (env_.max_occupants && occupants_.size() >= *env_.max_occupants &&
      !occupants_.count(occupant.occupant_jid()) && rank(affiliation) < rank(Affiliation::Admin)) {
    send_join_error(stanza, room_error(ErrorType::Wait, Condition::ServiceUnavailable));
    return true;
  }
  if (!is_new_room && locked()) {
    send_join_error(stanza,
                    ErrorSpec{ErrorType::Cancel, Condition::ItemNotFound, {}, env_.service_domain});
    return true;
  }
  return false;
}

bool Room::locked() const {
  return locked_until_ && env_.clock->now() < *locked_until_;
}

}  // namespace mucd::muc
