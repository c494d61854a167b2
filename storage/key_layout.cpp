#include "storage/key_layout.hpp"

#include <cstdio>

namespace mucd::storage::keys {
namespace {

constexpr std::string_view kRoom = "room/";
constexpr std::string_view kAffiliation = "aff/";
constexpr std::string_view kHistory = "hist/";
constexpr std::string_view kOccupant = "occ/";
constexpr std::string_view kListing = "list/";
constexpr std::string_view kTombstone = "tomb/";
constexpr char kSeparator = '\0';

std::string under_room(std::string_view kind, std::string_view room_jid) {
  std::string key;
  key.reserve(kind.size() + room_jid.size() + 1);
  key.append(kind).append(room_jid).push_back(kSeparator);
  return key;
}

}  // namespace

std::string room(std::string_view room_jid) {
  return std::string(kRoom).append(room_jid);
}

std::string room_prefix() {
  return std::string(kRoom);
}

std::optional<std::string_view> room_jid_of(std::string_view key) {
  if (!key.starts_with(kRoom)) return std::nullopt;
  return key.substr(kRoom.size());
}

std::string affiliation(std::string_view room_jid, std::string_view jid) {
  return affiliation_prefix(room_jid).append(jid);
}

std::string affiliation_prefix(std::string_view room_jid) {
  return under_room(kAffiliation, room_jid);
}

std::string history(std::string_view room_jid, uint64_t seq) {
  std::string key = history_prefix(room_jid);
  for (int shift = 56; shift >= 0; shift -= 8) key.push_back(static_cast<char>(seq >> shift));
  return key;
}

std::string history_prefix(std::string_view room_jid) {
  return under_room(kHistory, room_jid);
}

std::string occupant(std::string_view room_jid, std::string_view nick, std::string_view real_jid) {
  std::string key = occupant_prefix(room_jid);
  key.append(nick).push_back(kSeparator);
  key.append(real_jid);
  return key;
}

std::string occupant_prefix(std::string_view room_jid) {
  return under_room(kOccupant, room_jid);
}

std::string occupants_prefix() {
  return std::string(kOccupant);
}

std::optional<std::string_view> occupant_room_of(std::string_view key) {
  if (!key.starts_with(kOccupant)) return std::nullopt;
  key.remove_prefix(kOccupant.size());
  const size_t end = key.find(kSeparator);
  if (end == std::string_view::npos || end == 0) return std::nullopt;
  return key.substr(0, end);
}

std::string occupants_after(std::string_view room_jid) {
  // The separator is '\0', so "\x01" sorts right after it and before any other room's keys.
  std::string key(kOccupant);
  key.append(room_jid).push_back('\x01');
  return key;
}

std::string listing(std::string_view room_jid) {
  return std::string(kListing).append(room_jid);
}

std::string listing_prefix() {
  return std::string(kListing);
}

std::string tombstone(std::string_view room_jid) {
  return std::string(kTombstone).append(room_jid);
}

std::string tombstone_prefix() {
  return std::string(kTombstone);
}

std::string describe(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte == 0) {
      out += "\\0";
    } else if (byte == '\\') {
      out += "\\\\";
    } else if (byte < 0x20 || byte >= 0x7f) {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", byte);
      out += hex;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace mucd::storage::keys
