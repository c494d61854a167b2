// The MUC service: owns the rooms of one component domain and routes every stanza addressed to
// the domain, a room, or an occupant. It also answers for the domain itself: service discovery
// and the administrators' ad-hoc commands.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/handler.hpp"
#include "core/jid.hpp"
#include "muc/room.hpp"

namespace mucd::muc {

struct ServiceConfig {
  std::string domain;
  std::vector<std::string> admins;  // bare JIDs of service administrators
  std::string name = "Chatrooms";   // the service's disco#info identity name
  bool allow_unaffiliated_register = false;
};

class Service final : public StanzaHandler {
 public:
  Service(ServiceConfig config, const Clock& clock);
  ~Service() override;
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  void handle(const Stanza& stanza, Outbox& out) override;

  // Replaces the id source (tests use a predictable one).
  void set_id_generator(std::function<std::string()> generator) { new_id_ = std::move(generator); }

  bool is_admin(std::string_view bare_jid) const;
  const Room* find_room(std::string_view jid) const;
  size_t room_count() const { return rooms_.size(); }

 private:
  struct Tombstone {
    std::string reason;
    std::string new_jid;
    std::chrono::steady_clock::time_point expires;
  };

  void handle_to_domain(const Stanza& stanza, Outbox& out);
  void handle_to_room(const Stanza& stanza, const Jid& to, Outbox& out);
  void handle_domain_disco_info(const Stanza& stanza, Outbox& out);
  void handle_domain_disco_items(const Stanza& stanza, Outbox& out);
  void handle_command(const Stanza& stanza, Outbox& out);
  void command_destroy(const Stanza& stanza, pugi::xml_node command, Outbox& out);
  void command_set_affiliation(const Stanza& stanza, pugi::xml_node command, Outbox& out);
  Room& create_room(const std::string& jid);
  // After a stanza: drop destroyed rooms (leaving a tombstone for persistent ones) and empty
  // temporary rooms.
  void settle(const std::string& room_jid);
  RoomEnv room_env();

  // Rooms keep one environment for their life; this forwards to the outbox of the stanza being
  // handled.
  class CurrentOutbox final : public Outbox {
   public:
    explicit CurrentOutbox(Outbox** target) : target_(target) {}
    void send(const Stanza& stanza) override { (*target_)->send(stanza); }
    void send_raw(std::string xml) override { (*target_)->send_raw(std::move(xml)); }
    void send_to(const Broadcast& broadcast, std::string_view to) override {
      (*target_)->send_to(broadcast, to);
    }

   private:
    Outbox** target_;
  };

  ServiceConfig config_;
  const Clock& clock_;
  std::map<std::string, std::unique_ptr<Room>> rooms_;
  std::map<std::string, Tombstone> tombstones_;
  std::mt19937_64 random_;
  std::function<std::string()> new_id_;
  Outbox* current_out_ = nullptr;
  CurrentOutbox out_ref_{&current_out_};
};

}  // namespace mucd::muc
