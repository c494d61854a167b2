#include "muc/rate_limit.hpp"

#include <algorithm>

namespace mucd::muc {

SenderLimiter::SenderLimiter(double rate, double burst)
    : rate_(rate), burst_(std::max(burst, 1.0)) {}

bool SenderLimiter::allow(std::string_view sender, TimePoint now) {
  if (rate_ <= 0) return true;
  if (buckets_.size() >= prune_at_) prune(now);
  auto it = buckets_.find(sender);
  const bool fresh = it == buckets_.end();
  if (fresh) it = buckets_.emplace(std::string(sender), Bucket{burst_, now}).first;
  Bucket& b = it->second;
  if (!fresh) {
    double elapsed = std::chrono::duration<double>(now - b.last).count();
    b.tokens = std::min(burst_, b.tokens + std::max(elapsed, 0.0) * rate_);
    b.last = now;
  }
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

void SenderLimiter::prune(TimePoint now) {
  std::erase_if(buckets_, [&](const auto& entry) {
    double elapsed = std::chrono::duration<double>(now - entry.second.last).count();
    return entry.second.tokens + elapsed * rate_ >= burst_;
  });
  prune_at_ = std::max<size_t>(1024, buckets_.size() * 2);
}

}  // namespace mucd::muc
