#include "muc/types.hpp"

namespace mucd::muc {

std::string_view to_string(Role role) {
  switch (role) {
    case Role::None:
      return "none";
    case Role::Visitor:
      return "visitor";
    case Role::Participant:
      return "participant";
    case Role::Moderator:
      return "moderator";
  }
  return "none";
}

std::string_view to_string(Affiliation affiliation) {
  switch (affiliation) {
    case Affiliation::Outcast:
      return "outcast";
    case Affiliation::None:
      return "none";
    case Affiliation::Member:
      return "member";
    case Affiliation::Admin:
      return "admin";
    case Affiliation::Owner:
      return "owner";
  }
  return "none";
}

std::optional<Role> parse_role(std::string_view text) {
  if (text == "none") return Role::None;
  if (text == "visitor") return Role::Visitor;
  if (text == "participant") return Role::Participant;
  if (text == "moderator") return Role::Moderator;
  return std::nullopt;
}

std::optional<Affiliation> parse_affiliation(std::string_view text) {
  if (text == "outcast") return Affiliation::Outcast;
  if (text == "none") return Affiliation::None;
  if (text == "member") return Affiliation::Member;
  if (text == "admin") return Affiliation::Admin;
  if (text == "owner") return Affiliation::Owner;
  return std::nullopt;
}

}  // namespace mucd::muc
