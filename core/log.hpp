// Process-wide logging to stderr through fmt: one line per event, with a level.
//
// The threshold is set once at start-up (from --log-level); everything else only reads it.
#pragma once

#include <fmt/core.h>

#include <optional>
#include <string_view>

namespace mucd::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3 };

void set_threshold(Level level);
Level threshold();
std::optional<Level> parse_level(std::string_view name);
bool enabled(Level level);
void write(Level level, std::string_view message);

template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::Debug)) write(Level::Debug, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::Info)) write(Level::Info, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::Warn)) write(Level::Warn, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::Error)) write(Level::Error, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace mucd::log
