#include "storage/key_layout.hpp"

#include <gtest/gtest.h>

#include <string>

namespace mucd::storage {
namespace {

TEST(KeyLayout, RoomWhoseJidPrefixesAnotherDoesNotShareItsPrefixes) {
  EXPECT_FALSE(keys::affiliation("a@xy", "u@h").starts_with(keys::affiliation_prefix("a@x")));
  EXPECT_FALSE(keys::history("a@xy", 1).starts_with(keys::history_prefix("a@x")));
  EXPECT_FALSE(keys::occupant("a@xy", "n", "u@h/r").starts_with(keys::occupant_prefix("a@x")));
  EXPECT_TRUE(keys::occupant("a@x", "n", "u@h/r").starts_with(keys::occupant_prefix("a@x")));
}

TEST(KeyLayout, HistoryKeysSortBySeq) {
  EXPECT_LT(keys::history("r@h", 255), keys::history("r@h", 256));
  EXPECT_LT(keys::history("r@h", 1), keys::history("r@h", uint64_t{1} << 63));
  EXPECT_EQ(keys::history("r@h", 0).size(), keys::history_prefix("r@h").size() + 8);
}

TEST(KeyLayout, OccupantKeysSortByNickThenJid) {
  EXPECT_LT(keys::occupant("r@h", "a", "z@h/r"), keys::occupant("r@h", "ab", "a@h/r"));
  EXPECT_LT(keys::occupant("r@h", "a", "a@h/1"), keys::occupant("r@h", "a", "a@h/2"));
}

TEST(KeyLayout, RoomJidComesBackFromItsKey) {
  EXPECT_EQ(keys::room_jid_of(keys::room("a@x")), "a@x");
  EXPECT_EQ(keys::room_jid_of(keys::affiliation("a@x", "u@h")), std::nullopt);
  EXPECT_EQ(keys::room_jid_of(keys::kSchema), std::nullopt);
}

TEST(KeyLayout, SchemaKeySortsBeforeEveryRecord) {
  for (const std::string& key : {keys::room("a"), keys::affiliation("a", "b"),
                                 keys::history("a", 0), keys::occupant("a", "b", "c")}) {
    EXPECT_LT(std::string(keys::kSchema), key);
  }
}

TEST(KeyLayout, DescribeEscapesUnprintableBytes) {
  EXPECT_EQ(keys::describe(std::string("occ/r\0n\x01\\", 9)), "occ/r\\0n\\x01\\\\");
}

}  // namespace
}  // namespace mucd::storage
