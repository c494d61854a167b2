// Test support for engine tests: a recording outbox and a service driven by XML text.
#pragma once

#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/handler.hpp"
#include "muc/service.hpp"

namespace mucd::muc::testing {

class RecordingOutbox final : public Outbox {
 public:
  void send(const Stanza& stanza) override { sent.push_back(stanza); }
  void send_raw(std::string xml) override {
    auto parsed = Stanza::parse(xml);
    if (parsed) sent.push_back(*parsed);
  }
  std::vector<Stanza> sent;
};

// The configuration of the default harness: conference.localhost, admin@localhost as admin.
ServiceConfig test_config();

// A service for conference.localhost with admin@localhost as administrator.
class ServiceHarness {
 public:
  ServiceHarness();
  // A service with another configuration (the domain should stay conference.localhost).
  explicit ServiceHarness(ServiceConfig config);
  // Handles one stanza given as XML and returns what the service sent in answer.
  std::vector<Stanza> send(std::string_view xml);
  // Joins `nick` in `room` for `jid` and configures the room when it is created.
  std::vector<Stanza> join(std::string_view jid, std::string_view room, std::string_view nick,
                           std::string_view extra = {});
  // Submits the owner configuration form with FORM_TYPE and `fields` (field elements as XML).
  std::vector<Stanza> configure(std::string_view jid, std::string_view room,
                                std::string_view fields);
  // Creates an instant room owned by `jid` with nick `nick`.
  void create_instant(std::string_view jid, std::string_view room, std::string_view nick);

  FakeClock clock;
  Service service;
  int next_id = 0;
};

// Stanzas sent to `to`.
std::vector<Stanza> to(const std::vector<Stanza>& sent, std::string_view jid);
// Whether the x muc#user element of `stanza` has status `code`.
bool has_status(const Stanza& stanza, std::string_view code);
// The muc#user item of a presence (empty node if none).
pugi::xml_node item_of(const Stanza& stanza);

}  // namespace mucd::muc::testing
