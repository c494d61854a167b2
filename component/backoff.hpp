// When to try connecting again after a failure: exponential backoff with jitter.
//
// The delay doubles after each failure from `initial` up to `cap`; jitter shortens each delay by a
// random fraction (at most `jitter` of it) so that many components restarted together do not
// reconnect in lockstep. A successful handshake resets the sequence.
#pragma once

#include <chrono>
#include <functional>

#include "core/clock.hpp"

namespace mucd::component {

struct BackoffPolicy {
  std::chrono::milliseconds initial{1000};
  std::chrono::milliseconds cap{30'000};
  // Fraction of a delay that jitter may remove, in [0, 1].
  double jitter = 0.25;
};

class Backoff {
 public:
  // Returns a number uniformly distributed in [0, 1).
  using RandomSource = std::function<double()>;

  Backoff(const Clock& clock, RandomSource random, BackoffPolicy policy = {});

  // Records a failed attempt: chooses the wait before the next one, starting now, and returns it.
  // The k-th consecutive failure waits min(initial * 2^(k-1), cap) minus up to `jitter` of that.
  std::chrono::milliseconds fail();

  // Forgets past failures (after a successful handshake) and makes the next attempt due at once.
  void reset();

  // True when no wait is pending: before the first failure, after reset(), or once the wait chosen
  // by the last fail() has passed.
  bool ready() const;

  // When the next attempt is due.
  std::chrono::steady_clock::time_point due() const { return due_; }

  // Consecutive failures since construction or the last reset().
  int failures() const { return failures_; }

 private:
  const Clock& clock_;
  RandomSource random_;
  BackoffPolicy policy_;
  int failures_ = 0;
  std::chrono::milliseconds base_{0};
  std::chrono::steady_clock::time_point due_;
};

}  // namespace mucd::component
