// The bytes of each stored value: compact, versioned, no schema outside this file.
//
// Every value starts with a version byte (kVersion). Then, per record, its fields in the order
// declared in records.hpp: strings as a varint length and the bytes, unsigned integers as
// varints (LEB128), signed ones zigzag-encoded, lists as a varint count and the items.
// A RoomRecord's value leaves out its affiliations, which have keys of their own
// (key_layout.hpp).
//
// Decoding is strict: an unknown version, a truncated value or trailing bytes is Corruption, and
// *out is left unchanged on any error.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/records.hpp"
#include "storage/status.hpp"

namespace mucd::storage::encoding {

inline constexpr uint8_t kVersion = 1;

std::string encode(const RoomRecord& room);  // without room.affiliations
std::string encode(const AffiliationRecord& affiliation);
std::string encode(const HistoryRecord& entry);
std::string encode(const OccupantRecord& occupant);
std::string encode(const ListingRecord& listing);
std::string encode(const TombstoneRecord& tombstone);

// A RoomRecord decodes with no affiliations.
Status decode(std::string_view bytes, RoomRecord* out);
Status decode(std::string_view bytes, AffiliationRecord* out);
Status decode(std::string_view bytes, HistoryRecord* out);
Status decode(std::string_view bytes, OccupantRecord* out);
Status decode(std::string_view bytes, ListingRecord* out);
Status decode(std::string_view bytes, TombstoneRecord* out);

}  // namespace mucd::storage::encoding
