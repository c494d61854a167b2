#include "component/stanza_store.hpp"

#include <stdexcept>

namespace mucd::component {

void StanzaStore::reset(std::size_t slots) {
  index_.clear();
  slots_.clear();
  slots_.resize(slots);
  index_.reserve(slots);
  newest_ = oldest_ = kNone;
  // Every slot starts in the use order, the lowest numbers to be used first.
  for (std::uint32_t i = 0; i < slots; ++i) make_newest(i);
}

void StanzaStore::unlink(std::uint32_t slot) {
  Slot& s = slots_[slot];
  if (s.newer != kNone) slots_[s.newer].older = s.older;
  if (s.older != kNone) slots_[s.older].newer = s.newer;
  if (newest_ == slot) newest_ = s.older;
  if (oldest_ == slot) oldest_ = s.newer;
  s.newer = s.older = kNone;
}

void StanzaStore::make_newest(std::uint32_t slot) {
  Slot& s = slots_[slot];
  s.older = newest_;
  s.newer = kNone;
  if (newest_ != kNone) slots_[newest_].newer = slot;
  newest_ = slot;
  if (oldest_ == kNone) oldest_ = slot;
}

std::optional<StanzaStore::Ref> StanzaStore::find(std::string_view text) {
  auto it = index_.find(text);
  if (it == index_.end()) return std::nullopt;
  std::uint32_t slot = it->second;
  if (newest_ != slot) {
    unlink(slot);
    make_newest(slot);
  }
  return Ref{slot, slots_[slot].generation};
}

StanzaStore::Ref StanzaStore::store(std::string_view text) {
  if (slots_.empty()) throw std::logic_error("StanzaStore::store on a store that is off");
  if (auto held = find(text)) return *held;
  std::uint32_t slot = oldest_;
  Slot& s = slots_[slot];
  if (s.filled) index_.erase(std::string_view(s.text));
  s.text.assign(text);
  s.filled = true;
  s.generation = ++generations_;
  index_.emplace(std::string_view(s.text), slot);
  unlink(slot);
  make_newest(slot);
  return Ref{slot, s.generation};
}

std::optional<std::string_view> StanzaStore::text_of(Ref ref) const {
  if (ref.slot >= slots_.size()) return std::nullopt;
  const Slot& s = slots_[ref.slot];
  if (!s.filled || s.generation != ref.generation) return std::nullopt;
  return std::string_view(s.text);
}

}  // namespace mucd::component
