// The link's record of the stanzas the host's module holds for it (mod_mucd_fanout's stored
// presences; see link.hpp): a fixed number of slots, each holding one stanza's text (serialized
// without `to`), reused least recently used first.
//
// Each filling of a slot gets a new generation number (never reused, even across resets), so a
// reference ("slot 17, generation 3") names one text for good: when a reference comes back
// unresolved (the module was unloaded), the link can still tell whether the slot holds what was
// referred to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mucd::component {

class StanzaStore {
 public:
  struct Ref {
    std::uint32_t slot = 0;
    std::uint32_t generation = 0;
    bool operator==(const Ref&) const = default;
  };

  // Forgets everything and makes `slots` slots, all empty (0: the store is off).
  void reset(std::size_t slots);
  std::size_t slots() const { return slots_.size(); }
  // Filled slots.
  std::size_t size() const { return index_.size(); }

  // The slot that holds `text`, if any; it becomes the most recently used.
  std::optional<Ref> find(std::string_view text);
  // Puts `text` in the least recently used slot, forgetting what that held, and returns the new
  // reference (or, when `text` is held already, find(text)). The store must not be off.
  Ref store(std::string_view text);
  // The text `ref` names, if its slot still holds it.
  std::optional<std::string_view> text_of(Ref ref) const;

 private:
  static constexpr std::uint32_t kNone = UINT32_MAX;
  struct Slot {
    std::string text;
    std::uint32_t generation = 0;
    bool filled = false;
    // Neighbours in the use order (kNone at the ends).
    std::uint32_t newer = kNone;
    std::uint32_t older = kNone;
  };
  void unlink(std::uint32_t slot);
  void make_newest(std::uint32_t slot);

  // Never resized between resets: index_'s keys are views of the slots' texts.
  std::vector<Slot> slots_;
  std::unordered_map<std::string_view, std::uint32_t> index_;
  std::uint32_t generations_ = 0;  // the last generation given
  std::uint32_t newest_ = kNone;
  std::uint32_t oldest_ = kNone;
};

}  // namespace mucd::component
