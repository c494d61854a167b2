#include "muc/timestamp.hpp"

#include <charconv>
#include <ctime>

namespace mucd::muc {

std::string format_datetime(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

namespace {
bool read_int(std::string_view s, size_t pos, size_t len, int& out) {
  if (pos + len > s.size()) return false;
  auto r = std::from_chars(s.data() + pos, s.data() + pos + len, out);
  return r.ec == std::errc{} && r.ptr == s.data() + pos + len;
}
}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_datetime(std::string_view s) {
  int year, month, day, hour, minute, second;
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  if (!read_int(s, 0, 4, year) || !read_int(s, 5, 2, month) || !read_int(s, 8, 2, day) ||
      !read_int(s, 11, 2, hour) || !read_int(s, 14, 2, minute) || !read_int(s, 17, 2, second)) {
    return std::nullopt;
  }
  size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
  }
  int offset_minutes = 0;
  if (pos < s.size() && s[pos] == 'Z') {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!read_int(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !read_int(s, pos + 4, 2, om)) {
      return std::nullopt;
    }
    offset_minutes = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  using namespace std::chrono;
  auto ymd = year_month_day{std::chrono::year{year}, std::chrono::month{unsigned(month)},
                            std::chrono::day{unsigned(day)}};
  if (!ymd.ok()) return std::nullopt;
  auto tp =
      sys_days{ymd} + hours{hour} + minutes{minute} + seconds{second} - minutes{offset_minutes};
  // system_clock counts nanoseconds in 64 bits (years 1678 to 2262): a date outside that range,
  // which a client may send ("since 2999"), is clamped rather than overflowing.
  constexpr auto kLatest = time_point_cast<seconds>(system_clock::time_point::max());
  constexpr auto kEarliest = time_point_cast<seconds>(system_clock::time_point::min());
  if (tp >= kLatest) return system_clock::time_point::max();
  if (tp <= kEarliest) return system_clock::time_point::min();
  return time_point_cast<system_clock::duration>(tp);
}

int64_t to_unix_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::chrono::system_clock::time_point from_unix_ms(int64_t ms) {
  using Wall = std::chrono::system_clock;
  constexpr int64_t kLastMs =
      std::chrono::duration_cast<std::chrono::milliseconds>(Wall::duration::max()).count();
  constexpr int64_t kFirstMs =
      std::chrono::duration_cast<std::chrono::milliseconds>(Wall::duration::min()).count();
  if (ms >= kLastMs) return Wall::time_point::max();
  if (ms <= kFirstMs) return Wall::time_point::min();
  return Wall::time_point(
      std::chrono::duration_cast<Wall::duration>(std::chrono::milliseconds(ms)));
}

}  // namespace mucd::muc
