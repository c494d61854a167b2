// Flood control per sender: a token bucket per bare JID. A sender may send `burst` stanzas at
// once and `rate` per second after that; what goes beyond is refused by the service with
// <resource-constraint/> (type wait). Pure logic: time comes from the caller.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace mucd::muc {

class SenderLimiter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // rate <= 0 turns the limiter off (every stanza allowed).
  SenderLimiter(double rate, double burst);

  // Takes one token from `sender`'s bucket; false when it is empty.
  bool allow(std::string_view sender, TimePoint now);

  bool enabled() const { return rate_ > 0; }
  size_t tracked() const { return buckets_.size(); }

 private:
  struct Bucket {
    double tokens;
    TimePoint last;
  };
  // Drops buckets that have refilled completely: their senders are back to a fresh start, so
  // forgetting them changes nothing, and the map stays as small as the set of active senders.
  void prune(TimePoint now);

  // Looked up by string_view: a sender that has a bucket costs no string.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  double rate_;
  double burst_;
  std::unordered_map<std::string, Bucket, Hash, std::equal_to<>> buckets_;
  size_t prune_at_ = 1024;
};

}  // namespace mucd::muc
