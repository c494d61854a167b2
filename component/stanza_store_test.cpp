#include "component/stanza_store.hpp"

#include <gtest/gtest.h>

#include <string>

namespace mucd::component {
namespace {

TEST(StanzaStore, FindsWhatItStoredAndNothingElse) {
  StanzaStore store;
  store.reset(4);
  EXPECT_FALSE(store.find("<presence/>"));
  auto ref = store.store("<presence/>");
  EXPECT_EQ(store.find("<presence/>"), ref);
  EXPECT_FALSE(store.find("<presence type=\"unavailable\"/>"));
  EXPECT_EQ(store.text_of(ref), "<presence/>");
  EXPECT_EQ(store.size(), 1u);
}

TEST(StanzaStore, StoringWhatItHoldsReturnsTheSameSlot) {
  StanzaStore store;
  store.reset(2);
  auto first = store.store("a");
  EXPECT_EQ(store.store("a"), first);
  EXPECT_EQ(store.size(), 1u);
}

TEST(StanzaStore, ReusesTheLeastRecentlyUsedSlot) {
  StanzaStore store;
  store.reset(3);
  auto a = store.store("a");
  auto b = store.store("b");
  auto c = store.store("c");
  EXPECT_NE(a.slot, b.slot);
  EXPECT_NE(b.slot, c.slot);
  EXPECT_NE(a.slot, c.slot);
  ASSERT_TRUE(store.find("a"));  // now b is the least recently used
  auto d = store.store("d");
  EXPECT_EQ(d.slot, b.slot);
  EXPECT_FALSE(store.find("b"));
  EXPECT_TRUE(store.find("a"));
  EXPECT_TRUE(store.find("c"));
  EXPECT_TRUE(store.find("d"));
  EXPECT_EQ(store.size(), 3u);
}

TEST(StanzaStore, AReferenceToAReusedSlotNoLongerResolves) {
  StanzaStore store;
  store.reset(1);
  auto a = store.store("a");
  auto b = store.store("b");
  EXPECT_EQ(a.slot, b.slot);
  EXPECT_NE(a.generation, b.generation);
  EXPECT_FALSE(store.text_of(a));
  EXPECT_EQ(store.text_of(b), "b");
  EXPECT_FALSE(store.text_of({7, b.generation}));
}

TEST(StanzaStore, ManyTextsThroughFewSlotsKeepTheNewest) {
  StanzaStore store;
  store.reset(16);
  for (int i = 0; i < 1000; ++i) store.store("<presence id=\"" + std::to_string(i) + "\"/>");
  EXPECT_EQ(store.size(), 16u);
  for (int i = 0; i < 1000; ++i) {
    bool held = store.find("<presence id=\"" + std::to_string(i) + "\"/>").has_value();
    EXPECT_EQ(held, i >= 1000 - 16) << i;
  }
}

TEST(StanzaStore, ResetForgetsAndOffRefusesToStore) {
  StanzaStore store;
  store.reset(2);
  auto a = store.store("a");
  store.reset(2);
  EXPECT_FALSE(store.find("a"));
  EXPECT_FALSE(store.text_of(a));
  auto again = store.store("a");
  EXPECT_NE(again.generation, a.generation) << "an old reference must not name the new text";
  EXPECT_FALSE(store.text_of(a));
  store.reset(0);
  EXPECT_EQ(store.slots(), 0u);
  EXPECT_THROW(store.store("a"), std::logic_error);
}

}  // namespace
}  // namespace mucd::component
