// The MUC service: owns the rooms of one component domain and routes every stanza addressed to
// the domain, a room, or an occupant. It also answers for the domain itself: service discovery
// and the administrators' ad-hoc commands.
//
// With a RoomStore (service_storage.cpp), persistent rooms are durable. Each stanza (and each
// tick) is one turn: what the rooms send is held back, what they changed is written as one
// atomic batch, and only then does the held output go out, so nothing is acknowledged before it
// is stored. Batches holding a change a client is told succeeded (configuration, affiliations,
// reserved nicks, subject, destruction) are synced; history and occupant changes are written
// without waiting for the disk (they survive a crash of mucd; a sync on the next tick bounds
// what a power loss can take). When a write fails, the held output is dropped, the rooms go back
// to their state before the turn, and the stanza is answered with internal-server-error.
//
// Rooms load lazily from the store on their first stanza, so start-up reads only two small
// indexes (restore_from_store): the public room list and the rooms that have stored occupants.
// Those rooms are then loaded a few at a time on each tick (at once when a stanza reaches one:
// its occupants receive messages as if mucd had never stopped), and each restored session is
// checked with an XEP-0199 ping once connected: a session that is gone, or does not answer
// within probe_timeout, leaves the room with status 333.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.hpp"
#include "core/handler.hpp"
#include "core/jid.hpp"
#include "muc/rate_limit.hpp"
#include "muc/room.hpp"
#include "storage/room_store.hpp"

namespace mucd::muc {

struct ServiceConfig {
  std::string domain;
  std::vector<std::string> admins;  // bare JIDs of service administrators
  std::string name = "Chatrooms";   // the service's disco#info identity name
  bool allow_unaffiliated_register = false;
  // Flood control per sender (bare JID): `sender_burst` stanzas at once, then `sender_rate` per
  // second; beyond that, policy-violation (wait). Service admins are exempt; rate 0 turns it off.
  double sender_rate = 20.0;
  double sender_burst = 200.0;
  // Who may create rooms: nullopt lets anyone; otherwise the admins and the users of these
  // domains may (an empty list: admins only). Refused creations get not-allowed, as Prosody's
  // restrict_room_creation answers.
  std::optional<std::vector<std::string>> room_creator_domains;
  // The most occupants a room admits; its owners and admins always enter. nullopt: no limit.
  std::optional<size_t> max_occupants;
  // Whether occupants' stanzas carry XEP-0421 occupant ids (and rooms advertise them).
  bool occupant_ids = true;
  // How long a restored occupant's session has to answer the ping that checks it is still there.
  std::chrono::steady_clock::duration probe_timeout = std::chrono::seconds(30);
  // How long each tick may spend loading rooms with stored occupants after a restart.
  std::chrono::steady_clock::duration restore_budget = std::chrono::milliseconds(200);
};

class Service final : public StanzaHandler {
 public:
  // `store`, when given, must outlive the service; without one, rooms live in memory only.
  Service(ServiceConfig config, const Clock& clock, storage::RoomStore* store = nullptr);
  ~Service() override;
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  void handle(const Stanza& stanza, Outbox& out) override;
  // Checks every restored session (and, after a reconnection, every session: the server may
  // have dropped presences while we were away).
  void on_connected(Outbox& out) override;
  // Loads some of the rooms waiting to be restored, removes sessions whose check timed out,
  // syncs writes that were not synced yet.
  void on_tick(Outbox& out) override;

  // Reads what start-up needs from the store: the public room list, and the index of rooms
  // with stored occupants, which wait to be loaded (load_restored_rooms). Sets *rooms to the
  // number of those rooms. Returns a failing store's error.
  storage::Status restore_from_store(size_t* rooms);
  // Loads rooms waiting to be restored until `budget` is spent (at least one), and sends the
  // checks of their sessions when connected. A room that cannot be read is logged and skipped.
  // Returns how many rooms still wait.
  size_t load_restored_rooms(std::chrono::steady_clock::duration budget, Outbox& out);
  // Makes every write so far durable (a synced empty batch); for a clean stop.
  storage::Status sync();

  // Replaces the id source (tests use a predictable one).
  void set_id_generator(std::function<std::string()> generator) { new_id_ = std::move(generator); }

  bool is_admin(std::string_view bare_jid) const;
  // Whether the user with this bare JID may create a room (the service policy).
  bool may_create_rooms(std::string_view bare_jid) const;
  // A room in memory (a stored room that is not loaded is not found).
  const Room* find_room(std::string_view jid) const;
  size_t room_count() const { return rooms_.size(); }
  // Sessions whose check is under way.
  size_t pending_probes() const { return probes_.size(); }

 private:
  // A destroyed persistent room's, kept (and stored) until it expires: wall-clock time, since
  // it outlives restarts.
  struct Tombstone {
    std::string reason;
    std::string new_jid;
    std::chrono::system_clock::time_point expires;

    friend bool operator==(const Tombstone&, const Tombstone&) = default;
  };

  // Flood control: false (and the sender told) when `from` is over its rate.
  bool within_rate(const Stanza& stanza, const Jid& from, Outbox& out);
  // service_storage.cpp: one turn of the store's write-before-acknowledge.
  //
  // What the rooms send during a turn, held until the turn's changes are stored. Copies of a
  // broadcast keep the broadcast once and only their addressees, and go out through send_to: a
  // fan-out in a turn costs what it costs outside one, not a string (and a re-scan by the link)
  // per recipient.
  class HeldOutbox final : public Outbox {
   public:
    void send(const Stanza& stanza) override { held_.push_back(Held{stanza.to_string()}); }
    void send_raw(std::string xml) override { held_.push_back(Held{std::move(xml)}); }
    void send_to(const Broadcast& broadcast, std::string_view to) override {
      // Consecutive copies usually come from one broadcast object; its text decides.
      if (broadcasts_.empty() || last_ != &broadcast ||
          broadcasts_.back().text() != broadcast.text()) {
        broadcasts_.push_back(broadcast);
        last_ = &broadcast;
      }
      held_.push_back(Held{{}, broadcasts_.size() - 1, recipients_.size(), to.size()});
      recipients_ += to;
    }
    void flush(Outbox& to) {
      for (Held& held : held_) {
        if (held.broadcast == kNone) {
          to.send_raw(std::move(held.text));
        } else {
          to.send_to(broadcasts_[held.broadcast],
                     std::string_view(recipients_).substr(held.to_at, held.to_size));
        }
      }
      drop();
    }
    void drop() {
      held_.clear();
      broadcasts_.clear();
      recipients_.clear();
      last_ = nullptr;
    }

   private:
    static constexpr size_t kNone = static_cast<size_t>(-1);
    struct Held {
      std::string text;               // a whole stanza, when not a copy of a broadcast
      size_t broadcast = kNone;       // else: index in broadcasts_,
      size_t to_at = 0, to_size = 0;  // and its addressee in recipients_
    };
    std::vector<Held> held_;
    std::vector<Broadcast> broadcasts_;
    std::string recipients_;
    const Broadcast* last_ = nullptr;
  };
  struct Turn;
  // The outbox turns hold their output in, emptied for each.
  HeldOutbox& reusable_held();
  struct Probe {
    std::string room_jid;
    std::string occupant_jid;
    std::string real_jid;
    std::chrono::steady_clock::time_point deadline;
  };
  void dispatch(const Stanza& stanza, Outbox& out);
  void begin_turn(Turn& turn);
  void finish_turn(const Stanza* cause);
  void abandon_turn(Turn& turn);
  void roll_back(Turn& turn);
  // Before a room is handed a stanza or changed: loads it (or, when there is none, its
  // tombstone) from the store when it is not in memory, and notes its state for this turn.
  // Returns false (having answered `stanza`, when given) when the store cannot be read.
  bool prepare_room(const std::string& room_jid, const Stanza* stanza, Outbox& out);
  void touch(const std::string& room_jid);
  storage::Status load_room(const std::string& room_jid, bool* found);
  // Into tombstones_, if the store has one for the room (expired or not).
  storage::Status load_tombstone(const std::string& room_jid);
  void queue_probes(const Room& room);
  void send_probes(Outbox& out);
  bool handle_probe_answer(const Stanza& stanza);
  void remove_session(const Probe& probe, std::string_view condition);
  // The public room list (disco#items): JID -> name, loaded rooms and listed stored ones.
  std::map<std::string, std::string> public_rooms() const;
  // Every room, loaded or stored (the administrators' destroy form).
  std::vector<std::string> all_room_jids() const;

  void handle_to_domain(const Stanza& stanza, Outbox& out);
  // `room_jid` is to.bare().
  void handle_to_room(const Stanza& stanza, const Jid& to, const std::string& room_jid,
                      Outbox& out);
  void handle_domain_disco_info(const Stanza& stanza, Outbox& out);
  void handle_unique(const Stanza& stanza, Outbox& out);
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
  // By bare JID. Hashed: every stanza looks its room up several times, and a tree of 100,000
  // rooms compares a dozen long common prefixes per lookup. (Nothing depends on its order.)
  std::unordered_map<std::string, std::unique_ptr<Room>> rooms_;
  std::map<std::string, Tombstone> tombstones_;
  SenderLimiter limiter_;
  std::mt19937_64 random_;
  std::function<std::string()> new_id_;
  Outbox* current_out_ = nullptr;
  CurrentOutbox out_ref_{&current_out_};

  storage::RoomStore* store_ = nullptr;
  Turn* turn_ = nullptr;
  HeldOutbox held_out_;    // reused by every turn (reusable_held)
  bool unsynced_ = false;  // a batch was written without sync since the last sync
  bool connected_ = false;
  std::vector<Probe> unprobed_;                // sessions to check once connected
  std::map<std::string, Probe> probes_;        // checks under way, by iq id
  std::map<std::string, std::string> listed_;  // stored public rooms: JID -> name, as stored
  std::deque<std::string> to_restore_;         // rooms with stored occupants, not loaded yet
  uint64_t probe_counter_ = 0;
};

}  // namespace mucd::muc
