// The seam between the link (component/) and the engine (muc/): stanzas in, stanzas out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/stanza.hpp"

namespace mucd {

// A stanza serialized once for many recipients: only its `to` attribute differs from one copy
// to the next. Fan-out to N occupants then costs one serialization and N appends of bytes into
// the link's output buffer, with no tree and no heap allocation per recipient.
class Broadcast {
 public:
  // Serializes `stanza` without its `to` attribute (if it has one).
  explicit Broadcast(const Stanza& stanza);

  // The top element's name and its `from` attribute (empty if none), as serialized.
  std::string_view name() const { return std::string_view(text_).substr(1, name_end_ - 1); }
  // (`from` as it appears in the text, entities left escaped: enough to check its domain.)
  std::string_view from() const { return std::string_view(text_).substr(from_at_, from_size_); }
  // The serialized stanza without `to`.
  const std::string& text() const { return text_; }

  // Bytes of the copy addressed to `to` (`to` escaped as an attribute value).
  std::size_t size_for(std::string_view to) const;
  // Appends the copy addressed to `to` to `out`.
  void append_to(std::string& out, std::string_view to) const;
  std::string text_for(std::string_view to) const;

  // The same stanza with `child` (serialized XML of one element) appended as its last child:
  // how a history entry gets its <delay/> without a second tree.
  Broadcast with_child(std::string_view child) const;

 private:
  Broadcast() = default;
  void remove_to();

  std::string text_;
  std::uint32_t name_end_ = 0;  // index just after "<name", where ` to="..."` goes
  std::uint32_t from_at_ = 0;   // where the value of `from` is in text_ (size 0: none)
  std::uint32_t from_size_ = 0;
};

// Appends `value` escaped for a double-quoted XML attribute.
void append_attribute_value(std::string& out, std::string_view value);
// Appends ` name="value"`, the value escaped: one attribute of a start tag written as text.
void append_attribute(std::string& out, std::string_view name, std::string_view value);

// Where a handler puts the stanzas it wants sent. The link implements it over the socket; engine
// tests implement it as a recording list. Stanzas go out in the order they are given, whichever
// of the three calls gives them.
class Outbox {
 public:
  virtual ~Outbox() = default;
  virtual void send(const Stanza& stanza) = 0;
  // Sends already-serialized stanza text.
  virtual void send_raw(std::string xml) = 0;
  // Sends one copy of `broadcast`, addressed to `to`. The default builds the text and calls
  // send_raw; the link appends the bytes straight to its output buffer.
  virtual void send_to(const Broadcast& broadcast, std::string_view to) {
    send_raw(broadcast.text_for(to));
  }
};

// What the link drives. Every call happens on the event-loop thread.
class StanzaHandler {
 public:
  virtual ~StanzaHandler() = default;
  // One incoming stanza addressed to our domain (or a subdomain of it).
  virtual void handle(const Stanza& stanza, Outbox& out) = 0;
  // Called after every successful handshake (first connection and each reconnection).
  virtual void on_connected(Outbox& out) { (void)out; }
  // Called about once a second from the event loop, for timers.
  virtual void on_tick(Outbox& out) { (void)out; }
};

}  // namespace mucd
