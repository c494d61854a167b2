#include "core/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>

namespace mucd::log {

namespace {
// Written once by main before anything logs; atomic so that a signal-time read is well defined.
std::atomic<Level> g_threshold{Level::Info};

const char* name_of(Level level) {
  switch (level) {
    case Level::Debug:
      return "debug";
    case Level::Info:
      return "info";
    case Level::Warn:
      return "warn";
    case Level::Error:
      return "error";
  }
  return "?";
}
}  // namespace

void set_threshold(Level level) {
  g_threshold.store(level);
}
Level threshold() {
  return g_threshold.load();
}
bool enabled(Level level) {
  return level >= g_threshold.load();
}

std::optional<Level> parse_level(std::string_view name) {
  if (name == "debug") return Level::Debug;
  if (name == "info") return Level::Info;
  if (name == "warn" || name == "warning") return Level::Warn;
  if (name == "error") return Level::Error;
  return std::nullopt;
}

void write(Level level, std::string_view message) {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto secs = time_point_cast<seconds>(now);
  auto ms = duration_cast<milliseconds>(now - secs).count();
  std::time_t t = system_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string line = fmt::format("{}.{:03}Z {:<5} {}\n", stamp, ms, name_of(level), message);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace mucd::log
