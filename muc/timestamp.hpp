// XEP-0082 date-time profile: formatting and parsing of UTC timestamps; and the milliseconds
// since the Unix epoch the store keeps times as.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mucd::muc {

// "2019-08-31T13:45:32Z"
std::string format_datetime(std::chrono::system_clock::time_point t);
// Accepts "YYYY-MM-DDThh:mm:ss[.sss](Z|+hh:mm|-hh:mm)".
std::optional<std::chrono::system_clock::time_point> parse_datetime(std::string_view text);

int64_t to_unix_ms(std::chrono::system_clock::time_point t);
// Clamped to what the clock can count: a stored value out of its range (an imported "never")
// becomes its first or last time point rather than overflowing.
std::chrono::system_clock::time_point from_unix_ms(int64_t ms);

}  // namespace mucd::muc
