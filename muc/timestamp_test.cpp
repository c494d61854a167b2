#include "muc/timestamp.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace mucd::muc {
namespace {

using std::chrono::system_clock;

TEST(Timestamp, RoundTripsXep0082) {
  auto t = parse_datetime("2019-08-31T13:45:32Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_datetime(*t), "2019-08-31T13:45:32Z");
  auto offset = parse_datetime("2019-08-31T15:45:32.250+02:00");
  ASSERT_TRUE(offset);
  EXPECT_EQ(format_datetime(*offset), "2019-08-31T13:45:32Z");
}

TEST(Timestamp, RefusesMalformedDates) {
  EXPECT_FALSE(parse_datetime(""));
  EXPECT_FALSE(parse_datetime("2019-08-31 13:45:32Z"));
  EXPECT_FALSE(parse_datetime("2019-02-30T00:00:00Z"));
  EXPECT_FALSE(parse_datetime("2019-08-31T13:45:32"));
  EXPECT_FALSE(parse_datetime("2019-08-31T13:45:32Zjunk"));
}

// A client may ask for history "since 2999": beyond what a 64-bit nanosecond clock holds. The date
// is clamped to the clock's range (no overflow), so it still means "later than every message".
TEST(Timestamp, DatesBeyondTheClockRangeAreClamped) {
  auto future = parse_datetime("2999-01-01T00:00:00Z");
  ASSERT_TRUE(future);
  EXPECT_EQ(*future, system_clock::time_point::max());
  EXPECT_GT(*future, system_clock::now());
  auto past = parse_datetime("1000-01-01T00:00:00Z");
  ASSERT_TRUE(past);
  EXPECT_EQ(*past, system_clock::time_point::min());
  EXPECT_LT(*past, system_clock::now());
}

TEST(Timestamp, UnixMillisecondsRoundTripAndAreClampedToTheClock) {
  const auto t = system_clock::time_point(std::chrono::milliseconds(1'700'000'000'123));
  EXPECT_EQ(to_unix_ms(t), 1'700'000'000'123);
  EXPECT_EQ(from_unix_ms(1'700'000'000'123), t);
  EXPECT_EQ(from_unix_ms(-5), system_clock::time_point(std::chrono::milliseconds(-5)));
  EXPECT_EQ(from_unix_ms(std::numeric_limits<int64_t>::max()), system_clock::time_point::max());
  EXPECT_EQ(from_unix_ms(std::numeric_limits<int64_t>::min()), system_clock::time_point::min());
}

}  // namespace
}  // namespace mucd::muc
