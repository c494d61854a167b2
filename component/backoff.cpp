#include "component/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace mucd::component {

Backoff::Backoff(const Clock& clock, RandomSource random, BackoffPolicy policy)
    : clock_(clock), random_(std::move(random)), policy_(policy), due_(clock.now()) {
  policy_.jitter = std::clamp(policy_.jitter, 0.0, 1.0);
  policy_.cap = std::max(policy_.cap, policy_.initial);
}

std::chrono::milliseconds Backoff::fail() {
  base_ = failures_ == 0 ? policy_.initial : std::min(base_ * 2, policy_.cap);
  ++failures_;
  double r = std::clamp(random_ ? random_() : 0.0, 0.0, 1.0);
  auto cut = static_cast<std::chrono::milliseconds::rep>(
      std::floor(static_cast<double>(base_.count()) * policy_.jitter * r));
  std::chrono::milliseconds delay = base_ - std::chrono::milliseconds(cut);
  due_ = clock_.now() + delay;
  return delay;
}

void Backoff::reset() {
  failures_ = 0;
  base_ = std::chrono::milliseconds(0);
  due_ = clock_.now();
}

bool Backoff::ready() const {
  return clock_.now() >= due_;
}

}  // namespace mucd::component
