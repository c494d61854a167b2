// Time as a seam: the engine and the link read time only through a Clock, so tests control it.
#pragma once

#include <chrono>

namespace mucd {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time, for timers and backoff.
  virtual std::chrono::steady_clock::time_point now() const = 0;
  // Wall-clock time, for delay stamps, history and tombstone expiry.
  virtual std::chrono::system_clock::time_point wall() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point now() const override {
    return std::chrono::steady_clock::now();
  }
  std::chrono::system_clock::time_point wall() const override {
    return std::chrono::system_clock::now();
  }
};

// A clock that moves only when told to.
class FakeClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point now() const override { return steady_; }
  std::chrono::system_clock::time_point wall() const override { return wall_; }
  void advance(std::chrono::steady_clock::duration d) {
    steady_ += d;
    wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
  }
  void set_wall(std::chrono::system_clock::time_point t) { wall_ = t; }

 private:
  std::chrono::steady_clock::time_point steady_{std::chrono::hours(1000)};
  std::chrono::system_clock::time_point wall_{std::chrono::seconds(1'600'000'000)};
};

}  // namespace mucd
