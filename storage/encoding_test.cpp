#include "storage/encoding.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace mucd::storage {
namespace {

using ::testing::HasSubstr;

// Bytes a JID never holds but an XML payload or a reason might: NUL, high bytes, UTF-8.
const std::string kAwkward("a\0b\xff\x80 caf\xc3\xa9", 11);

RoomRecord sample_room() {
  RoomRecord room;
  room.jid = "coven@chat.shakespeare.lit";
  room.config = {{"persistent", "1"}, {"password", kAwkward}, {"", ""}, {"persistent", "0"}};
  room.subject = "Fire Burn and Cauldron Bubble!";
  room.subject_from = "thirdwitch";
  return room;
}

template <typename Record>
Record round_trip(const Record& in) {
  Record out;
  Status s = encoding::decode(encoding::encode(in), &out);
  EXPECT_TRUE(s.ok()) << s.to_string();
  return out;
}

TEST(Encoding, RoomRoundTrips) {
  const RoomRecord room = sample_room();
  EXPECT_EQ(round_trip(room), room);
  EXPECT_EQ(round_trip(RoomRecord{}), RoomRecord{});
}

TEST(Encoding, RoomValueLeavesOutAffiliations) {
  RoomRecord room = sample_room();
  room.affiliations = {{"crone1@shakespeare.lit", "owner", "firstwitch", ""}};
  const RoomRecord decoded = round_trip(room);
  EXPECT_TRUE(decoded.affiliations.empty());
  room.affiliations.clear();
  EXPECT_EQ(decoded, room);
}

TEST(Encoding, AffiliationRoundTrips) {
  const AffiliationRecord a{"hag66@shakespeare.lit", "outcast", "", kAwkward};
  EXPECT_EQ(round_trip(a), a);
  EXPECT_EQ(round_trip(AffiliationRecord{}), AffiliationRecord{});
}

TEST(Encoding, HistoryRoundTripsExtremeNumbers) {
  for (uint64_t seq : {uint64_t{0}, uint64_t{1}, uint64_t{127}, uint64_t{128},
                       std::numeric_limits<uint64_t>::max()}) {
    for (int64_t stamp :
         {int64_t{0}, int64_t{-1}, int64_t{1'700'000'000'000}, std::numeric_limits<int64_t>::min(),
          std::numeric_limits<int64_t>::max()}) {
      const HistoryRecord h{seq, stamp, "thirdwitch", "<message>" + kAwkward + "</message>"};
      EXPECT_EQ(round_trip(h), h) << seq << " " << stamp;
    }
  }
}

TEST(Encoding, OccupantRoundTrips) {
  const OccupantRecord o{"thirdwitch", "hag66@shakespeare.lit/pda", "participant",
                         "<presence><show>away</show></presence>"};
  EXPECT_EQ(round_trip(o), o);
  EXPECT_EQ(round_trip(OccupantRecord{}), OccupantRecord{});
}

TEST(Encoding, ListingRoundTrips) {
  const ListingRecord l{"coven@chat.shakespeare.lit", "The Coven \xe2\x9a\x97"};
  EXPECT_EQ(round_trip(l), l);
  ListingRecord out;
  EXPECT_TRUE(encoding::decode(encoding::encode(l).substr(0, 5), &out).is_corruption());
}

TEST(Encoding, TombstoneRoundTrips) {
  for (int64_t expires :
       {int64_t{0}, int64_t{-1}, int64_t{1'700'000'000'000}, std::numeric_limits<int64_t>::max()}) {
    const TombstoneRecord t{"coven@chat.shakespeare.lit", "moved \xe2\x9a\x97",
                            "heath@chat.shakespeare.lit", expires};
    EXPECT_EQ(round_trip(t), t);
  }
  TombstoneRecord out;
  EXPECT_TRUE(
      encoding::decode(encoding::encode(TombstoneRecord{"a@b", "r", "", 7}).substr(0, 4), &out)
          .is_corruption());
}

TEST(Encoding, LongStringsUseMultiByteLengths) {
  const HistoryRecord h{7, 7, "n", std::string(300'000, 'x')};
  EXPECT_EQ(round_trip(h), h);
}

TEST(Encoding, ValuesStartWithTheVersionByte) {
  EXPECT_EQ(encoding::encode(sample_room()).front(), static_cast<char>(encoding::kVersion));
  EXPECT_EQ(encoding::encode(OccupantRecord{}).front(), static_cast<char>(encoding::kVersion));
}

// Every strict prefix of a valid value is refused, and the output is left untouched.
TEST(Encoding, TruncatedValuesAreRefused) {
  RoomRecord room = sample_room();
  const std::string room_bytes = encoding::encode(room);
  const std::string aff_bytes = encoding::encode(AffiliationRecord{"a@b", "member", "n", "r"});
  const std::string hist_bytes = encoding::encode(HistoryRecord{300, -5, "n", "<m/>"});
  const std::string occ_bytes = encoding::encode(OccupantRecord{"n", "a@b/c", "visitor", "<p/>"});

  for (size_t n = 0; n < room_bytes.size(); ++n) {
    RoomRecord out;
    out.jid = "untouched";
    Status s = encoding::decode(std::string_view(room_bytes).substr(0, n), &out);
    EXPECT_TRUE(s.is_corruption()) << n << ": " << s.to_string();
    EXPECT_EQ(out.jid, "untouched");
  }
  for (size_t n = 0; n < aff_bytes.size(); ++n) {
    AffiliationRecord out;
    out.jid = "untouched";
    EXPECT_TRUE(encoding::decode(std::string_view(aff_bytes).substr(0, n), &out).is_corruption());
    EXPECT_EQ(out.jid, "untouched");
  }
  for (size_t n = 0; n < hist_bytes.size(); ++n) {
    HistoryRecord out;
    out.seq = 99;
    EXPECT_TRUE(encoding::decode(std::string_view(hist_bytes).substr(0, n), &out).is_corruption());
    EXPECT_EQ(out.seq, 99u);
  }
  for (size_t n = 0; n < occ_bytes.size(); ++n) {
    OccupantRecord out;
    out.nick = "untouched";
    EXPECT_TRUE(encoding::decode(std::string_view(occ_bytes).substr(0, n), &out).is_corruption());
    EXPECT_EQ(out.nick, "untouched");
  }
}

TEST(Encoding, EmptyValueIsRefused) {
  OccupantRecord out;
  Status s = encoding::decode("", &out);
  EXPECT_TRUE(s.is_corruption());
  EXPECT_THAT(s.message(), HasSubstr("empty"));
}

TEST(Encoding, UnknownVersionsAreRefused) {
  for (int version : {0, 2, 255}) {
    std::string bytes = encoding::encode(sample_room());
    bytes[0] = static_cast<char>(version);
    RoomRecord out;
    out.jid = "untouched";
    Status s = encoding::decode(bytes, &out);
    EXPECT_TRUE(s.is_corruption()) << version;
    EXPECT_THAT(s.message(), HasSubstr("unknown encoding version " + std::to_string(version)));
    EXPECT_EQ(out.jid, "untouched");
  }
}

TEST(Encoding, TrailingBytesAreRefused) {
  std::string bytes = encoding::encode(AffiliationRecord{"a@b", "member", "", ""});
  bytes.push_back('\0');
  AffiliationRecord out;
  Status s = encoding::decode(bytes, &out);
  EXPECT_TRUE(s.is_corruption());
  EXPECT_THAT(s.message(), HasSubstr("trailing"));
}

TEST(Encoding, OverlongNumbersAreRefused) {
  // Version, then a seq of eleven continuation bytes: more than 64 bits.
  std::string bytes(1, static_cast<char>(encoding::kVersion));
  bytes.append(10, '\xff');
  bytes.push_back('\x01');
  HistoryRecord out;
  EXPECT_TRUE(encoding::decode(bytes, &out).is_corruption());
}

TEST(Encoding, HugeCountsAreRefusedWithoutAllocating) {
  // A room whose config claims 2^62 entries.
  std::string bytes(1, static_cast<char>(encoding::kVersion));
  bytes += '\x01';
  bytes += 'r';                                     // jid "r"
  bytes += "\x80\x80\x80\x80\x80\x80\x80\x80\x40";  // count 2^62
  RoomRecord out;
  Status s = encoding::decode(bytes, &out);
  EXPECT_TRUE(s.is_corruption());
  EXPECT_THAT(s.message(), HasSubstr("list longer than the value"));
}

TEST(Encoding, StringLongerThanValueIsRefused) {
  std::string bytes(1, static_cast<char>(encoding::kVersion));
  bytes += '\x05';  // nick of 5 bytes, only 2 follow
  bytes += "ab";
  OccupantRecord out;
  Status s = encoding::decode(bytes, &out);
  EXPECT_TRUE(s.is_corruption());
  EXPECT_THAT(s.message(), HasSubstr("truncated"));
}

}  // namespace
}  // namespace mucd::storage
