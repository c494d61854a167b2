// A room's configuration, with the defaults Prosody gives a new room.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "muc/types.hpp"

namespace mucd::muc {

enum class Whois { Moderators, Anyone };
// Who may send private messages to other occupants (muc#roomconfig_allowpm).
enum class PmPolicy { Anyone, Participants, Moderators, None };

struct PresenceBroadcast {
  bool none = false;
  bool visitor = true;
  bool participant = true;
  bool moderator = true;
  bool includes(Role role) const {
    switch (role) {
      case Role::None:
        return none;
      case Role::Visitor:
        return visitor;
      case Role::Participant:
        return participant;
      case Role::Moderator:
        return moderator;
    }
    return false;
  }
  friend bool operator==(const PresenceBroadcast&, const PresenceBroadcast&) = default;
};

inline constexpr int kDefaultHistoryLength = 20;

std::string_view to_string(PmPolicy policy);
std::optional<PmPolicy> parse_pm_policy(std::string_view text);

struct RoomConfig {
  std::string name;
  std::string description;
  std::string language;
  std::string password;  // empty: no password
  bool persistent = false;
  bool hidden = true;  // not listed in disco#items (Prosody's muc_room_default_public = false)
  bool members_only = false;
  bool allow_member_invites = false;
  bool moderated = false;
  bool change_subject = false;
  Whois whois = Whois::Moderators;
  PmPolicy allow_pm = PmPolicy::Anyone;
  std::optional<int> history_length;            // unset: kDefaultHistoryLength
  std::optional<int> default_history_messages;  // unset: kDefaultHistoryLength
  PresenceBroadcast presence_broadcast;

  int effective_history_length() const { return history_length.value_or(kDefaultHistoryLength); }
  int effective_default_history() const {
    return default_history_messages.value_or(kDefaultHistoryLength);
  }
};

}  // namespace mucd::muc
