// XEP-0082 date-time profile: formatting and parsing of UTC timestamps.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace mucd::muc {

// "2019-08-31T13:45:32Z"
std::string format_datetime(std::chrono::system_clock::time_point t);
// Accepts "YYYY-MM-DDThh:mm:ss[.sss](Z|+hh:mm|-hh:mm)".
std::optional<std::chrono::system_clock::time_point> parse_datetime(std::string_view text);

}  // namespace mucd::muc
