#include "component/backoff.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace mucd::component {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Delays without jitter: the random source always answers 0.
std::vector<long> delays(Backoff& b, int n) {
  std::vector<long> out;
  for (int i = 0; i < n; ++i) out.push_back(static_cast<long>(b.fail().count()));
  return out;
}

TEST(Backoff, DoublesFromOneSecondUpToThirtySeconds) {
  FakeClock clock;
  Backoff b(clock, [] { return 0.0; });
  EXPECT_EQ(delays(b, 8), (std::vector<long>{1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000}));
  EXPECT_EQ(b.failures(), 8);
}

TEST(Backoff, ReadyOnlyOnceTheChosenDelayHasPassed) {
  FakeClock clock;
  Backoff b(clock, [] { return 0.0; });
  EXPECT_TRUE(b.ready()) << "the first attempt is not delayed";
  b.fail();
  EXPECT_FALSE(b.ready());
  clock.advance(milliseconds(999));
  EXPECT_FALSE(b.ready());
  clock.advance(milliseconds(1));
  EXPECT_TRUE(b.ready());
  b.fail();
  clock.advance(milliseconds(1999));
  EXPECT_FALSE(b.ready());
  clock.advance(milliseconds(1));
  EXPECT_TRUE(b.ready());
}

TEST(Backoff, ResetAfterSuccessStartsAgainAtOneSecond) {
  FakeClock clock;
  Backoff b(clock, [] { return 0.0; });
  delays(b, 5);
  clock.advance(seconds(3));
  b.reset();
  EXPECT_TRUE(b.ready());
  EXPECT_EQ(b.failures(), 0);
  EXPECT_EQ(b.fail(), milliseconds(1000));
  EXPECT_EQ(b.due(), clock.now() + milliseconds(1000));
}

TEST(Backoff, JitterShortensEachDelayByAtMostAQuarter) {
  FakeClock clock;
  double r = 0.999999;
  Backoff b(clock, [&] { return r; });
  EXPECT_EQ(b.fail(), milliseconds(751)) << "1000 - floor(1000 * 0.25 * 0.999999)";
  r = 0.5;
  EXPECT_EQ(b.fail(), milliseconds(1750)) << "2000 - 2000 * 0.25 * 0.5";
  for (int i = 0; i < 10; ++i) b.fail();
  r = 0.999999;
  auto d = b.fail();
  EXPECT_LE(d, milliseconds(30000)) << "jitter never exceeds the cap";
  EXPECT_GT(d, milliseconds(22500));
}

TEST(Backoff, DifferentRandomValuesSpreadReconnections) {
  FakeClock clock;
  Backoff a(clock, [] { return 0.1; });
  Backoff b(clock, [] { return 0.9; });
  a.fail();
  b.fail();
  EXPECT_NE(a.fail(), b.fail());
}

TEST(Backoff, OutOfRangeRandomValuesAreClamped) {
  FakeClock clock;
  Backoff high(clock, [] { return 7.0; });
  EXPECT_EQ(high.fail(), milliseconds(750));
  Backoff low(clock, [] { return -3.0; });
  EXPECT_EQ(low.fail(), milliseconds(1000));
}

TEST(Backoff, PolicyIsConfigurable) {
  FakeClock clock;
  Backoff b(
      clock, [] { return 0.0; }, BackoffPolicy{milliseconds(50), milliseconds(120), 0.0});
  EXPECT_EQ(delays(b, 4), (std::vector<long>{50, 100, 120, 120}));
}

}  // namespace
}  // namespace mucd::component
