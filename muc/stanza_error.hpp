// XMPP stanza errors (RFC 6120 §8.3), built in one place from a condition enum.
#pragma once

#include <string>
#include <string_view>

#include "core/stanza.hpp"

namespace mucd::muc {

enum class ErrorType { Auth, Cancel, Continue, Modify, Wait };

enum class Condition {
  BadRequest,
  Conflict,
  FeatureNotImplemented,
  Forbidden,
  Gone,
  InternalServerError,
  ItemNotFound,
  JidMalformed,
  NotAcceptable,
  NotAllowed,
  NotAuthorized,
  PolicyViolation,
  RegistrationRequired,
  ResourceConstraint,
  ServiceUnavailable,
};

std::string_view to_string(Condition condition);

struct ErrorSpec {
  ErrorType type;
  Condition condition;
  std::string_view text = {};
  std::string_view by = {};
  // Adds XEP-0086's numeric `code` attribute, for the clients that still read it.
  bool legacy_code = false;
};

// The error reply to `original`: same element name, swapped to/from, same id, type='error', and
// `<error type by code><condition/><text/></error>`. `by` is omitted when it equals the reply's
// `from` (as Prosody does).
Stanza error_reply(const Stanza& original, const ErrorSpec& error);

// Whether an error with this condition, bounced by an occupant's client (or answering our ping
// of a restored session), means the session is gone: the conditions for which Prosody removes
// the occupant (status 333). No condition at all (a malformed error) counts as gone; any other,
// even feature-not-implemented, came from a live client.
bool means_session_gone(std::string_view condition);

// The defined condition of an error stanza (e.g. "item-not-found"), "" when it has none.
std::string error_condition(const Stanza& stanza);

// `<iq type='result'>` (or the same element with the original type) with swapped addresses.
Stanza reply_to(const Stanza& original);
// reply_to(original) serialized, byte for byte, without building a tree: for a reply that
// carries nothing more (an iq result), as every join's room configuration gets.
std::string reply_text(const Stanza& original);

}  // namespace mucd::muc
