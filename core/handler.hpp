// The seam between the link (component/) and the engine (muc/): stanzas in, stanzas out.
#pragma once

#include <string>

#include "core/stanza.hpp"

namespace mucd {

// Where a handler puts the stanzas it wants sent. The link implements it over the socket; engine
// tests implement it as a recording list.
class Outbox {
 public:
  virtual ~Outbox() = default;
  virtual void send(const Stanza& stanza) = 0;
  // Sends already-serialized stanza text (a broadcast serialized once for many recipients).
  virtual void send_raw(std::string xml) = 0;
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
