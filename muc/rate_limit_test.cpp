#include "muc/rate_limit.hpp"

#include <gtest/gtest.h>

#include <optional>

#include "muc/stanza_error.hpp"
#include "muc/testing.hpp"

namespace mucd::muc {
namespace {

using namespace std::chrono_literals;
using Time = SenderLimiter::TimePoint;

TEST(SenderLimiter, BurstThenRateThenRefill) {
  SenderLimiter limiter(2.0, 5.0);
  Time t0{std::chrono::hours(1)};
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.allow("romeo@localhost", t0)) << i;
  EXPECT_FALSE(limiter.allow("romeo@localhost", t0));
  EXPECT_TRUE(limiter.allow("juliet@localhost", t0));         // buckets are per sender
  EXPECT_TRUE(limiter.allow("romeo@localhost", t0 + 500ms));  // 2/s: one token after 0.5 s
  EXPECT_FALSE(limiter.allow("romeo@localhost", t0 + 500ms));
  // A long pause refills to the burst, no further.
  Time later = t0 + 1h;
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.allow("romeo@localhost", later)) << i;
  EXPECT_FALSE(limiter.allow("romeo@localhost", later));
}

TEST(SenderLimiter, RateZeroIsOff) {
  SenderLimiter limiter(0, 1);
  Time t0{};
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(limiter.allow("romeo@localhost", t0));
  EXPECT_EQ(limiter.tracked(), 0u);
}

TEST(SenderLimiter, IdleSendersAreForgotten) {
  SenderLimiter limiter(10.0, 10.0);
  Time t0{std::chrono::hours(1)};
  for (int i = 0; i < 5000; ++i) limiter.allow("user" + std::to_string(i) + "@localhost", t0);
  EXPECT_LE(limiter.tracked(), 5000u);
  // Everyone refills within a second; the next new sender triggers a prune.
  // The map grows to twice its size after a prune before it prunes again (8192 here).
  for (int i = 0; i < 4000; ++i) {
    limiter.allow("other" + std::to_string(i) + "@localhost", t0 + 10s);
  }
  EXPECT_EQ(limiter.tracked(), 4000u);
}

using testing::ServiceHarness;

std::string groupchat(std::string_view from, int n) {
  return std::string("<message from='") + std::string(from) +
         "' to='garden@conference.localhost' type='groupchat' id='m" + std::to_string(n) +
         "'><body>hi</body></message>";
}

TEST(FloodControl, ASenderBeyondItsBurstIsToldToWait) {
  ServiceHarness h;  // the service defaults: burst 200, 20 per second
  h.create_instant("romeo@localhost/r1", "garden", "romeo");
  int refused = 0;
  std::optional<Stanza> last_refusal;
  for (int i = 0; i < 250; ++i) {
    auto out = h.send(groupchat("romeo@localhost/r1", i));
    ASSERT_EQ(out.size(), 1u);
    if (out[0].type() == "error") {
      ++refused;
      last_refusal = out[0];
    }
  }
  // Two stanzas of the burst went to creating and configuring the room.
  EXPECT_EQ(refused, 52);
  ASSERT_TRUE(last_refusal);
  EXPECT_EQ(error_condition(*last_refusal), "policy-violation");
  EXPECT_STREQ(last_refusal->root().child("error").attribute("type").value(), "wait");
  // The refusals do not spill over to other senders.
  auto juliet = h.join("juliet@localhost/j1", "garden", "juliet");
  ASSERT_FALSE(juliet.empty());
  EXPECT_NE(juliet[0].type(), "error");
  // A second later, Romeo may speak again (20 tokens a second).
  h.clock.advance(std::chrono::seconds(1));
  auto again = h.send(groupchat("romeo@localhost/r1", 999));
  ASSERT_FALSE(again.empty());
  EXPECT_NE(again[0].type(), "error");
  // Leaving is never held back, even with an empty bucket.
  for (int i = 0; i < 30; ++i) h.send(groupchat("romeo@localhost/r1", 1000 + i));
  EXPECT_EQ(h.send(groupchat("romeo@localhost/r1", 2000))[0].type(), "error");
  auto left = h.send(
      "<presence from='romeo@localhost/r1' to='garden@conference.localhost/romeo' "
      "type='unavailable'/>");
  ASSERT_FALSE(left.empty());
  EXPECT_EQ(left[0].type(), "unavailable");
}

TEST(FloodControl, ServiceAdminsAreExempt) {
  ServiceHarness h;
  h.create_instant("admin@localhost/a", "garden", "admin");
  for (int i = 0; i < 400; ++i) {
    auto out = h.send(groupchat("admin@localhost/a", i));
    ASSERT_EQ(out.size(), 1u);
    ASSERT_NE(out[0].type(), "error") << i;
  }
}

}  // namespace
}  // namespace mucd::muc
