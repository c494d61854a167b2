// The benchmark workload, shared by the fake host (one component connection) and the end-to-end
// load tool (one c2s connection per occupant):
//
//  1. joins: R rooms, N occupants each. The first occupant of a room creates it, receives its
//     self-presence (status 201: the room is locked) and submits the instant-room form; once the
//     room answers, the other N-1 occupants join. At most `join_window` joins are unanswered at
//     any time. A join is answered by the joiner's self-presence; the phase ends when every
//     occupant has received every presence it should (N*N per room) and its subject message.
//  2. burst: occupant 0 of every room sends M groupchat messages, unpaced, with at most `window`
//     messages whose copies have not all arrived. A message is complete when each of the N
//     occupants (the sender included) has received its copy; its fan-out latency is the time from
//     sending it to receiving its last copy.
//  3. paced (optional): P more messages per room, sent at a fixed fraction of the burst's message
//     rate, to measure latency below saturation.
//
// Every copy is checked off in a bitmap, so the workload knows exactly which stanza is missing
// or duplicated. The workload builds stanza text and hands it to a Transport; the transport feeds
// back what arrived, already attributed to a (room, occupant).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/scanner.hpp"

namespace mucd::bench {

using BenchClock = std::chrono::steady_clock;

struct WorkloadSpec {
  std::string name = "custom";
  int rooms = 1;
  int occupants = 10;
  int messages = 100;           // per room, burst phase
  int paced_messages = 0;       // per room, paced phase (0: no paced phase)
  double paced_fraction = 0.5;  // of the burst's message rate
  int window = 64;              // unfinished messages at once
  int join_window = 256;        // unanswered joins at once
  int body_bytes = 48;
  std::string muc_domain = "conference.bench.local";
  std::string user_domain = "bench.local";
  // Room and user names start with this, so that runs against one server do not collide.
  std::string prefix = "b";
  // Component mode: stanzas carry the occupant's real JID in `from` (the fake host plays the
  // server). In c2s mode the server stamps `from` itself.
  bool stamp_from = true;

  long long expected_deliveries() const {
    return static_cast<long long>(rooms) * (messages + paced_messages) * occupants;
  }
};

// Where the workload's stanzas go.
class Transport {
 public:
  virtual ~Transport() = default;
  // Queues `xml` to be sent on behalf of occupant `occupant` of room `room`.
  virtual void send(int room, int occupant, std::string_view xml) = 0;
};

enum class Phase { Joins, Burst, Paced, Done };
const char* phase_name(Phase phase);

struct PhaseStats {
  Phase phase = Phase::Done;
  double seconds = 0;
  long long operations = 0;         // joins, or messages
  long long stanzas = 0;            // stanzas received during the phase
  long long deliveries = 0;         // message copies received (burst and paced)
  double rate_limit = 0;            // messages/s the paced phase aimed at (0 when unpaced)
  std::vector<float> latencies_us;  // one per operation

  double per_second(long long count) const { return seconds > 0 ? count / seconds : 0; }
  // The q-quantile of latencies in milliseconds (0 when there are none).
  double latency_ms(double q) const;
};

class Workload {
 public:
  // Called when a phase starts (`started` true) and when it ends, so the driver can sample CPU.
  using PhaseHook = std::function<void(Phase phase, bool started)>;

  Workload(WorkloadSpec spec, Transport& transport, PhaseHook hook = {});

  const WorkloadSpec& spec() const { return spec_; }

  // The real (full) JID of an occupant as the workload names it, and its bare JID.
  std::string user_jid(int room, int occupant) const;
  std::string user_node(int room, int occupant) const;
  std::string room_jid(int room) const;

  // Starts the join phase.
  void start(BenchClock::time_point now);
  // One stanza received by occupant (room, occupant).
  void on_stanza(int room, int occupant, const Element& stanza, BenchClock::time_point now);
  // A stanza that could not be attributed to an occupant.
  void on_unattributed(const Element& stanza);
  // Sends whatever the windows and the pacing allow now.
  void pump(BenchClock::time_point now);
  // When pump() next wants to run for pacing (time_point::max() when not pacing).
  BenchClock::time_point next_wakeup() const;

  Phase phase() const { return phase_; }
  bool done() const { return phase_ == Phase::Done; }
  // Stanzas received so far; the driver uses it to detect a stall.
  long long received() const { return received_; }
  const std::vector<PhaseStats>& results() const { return results_; }
  // Errors and unexpected stanzas (the first few, as text), for the report.
  long long error_stanzas() const { return errors_; }
  long long other_stanzas() const { return others_; }
  const std::vector<std::string>& samples() const { return samples_; }
  // What is still missing, one line per kind, for a stall report.
  std::string describe_missing() const;

 private:
  void send_join(int room, int occupant, BenchClock::time_point now);
  void on_self_presence(int room, int occupant, BenchClock::time_point now);
  void on_configured(int room, BenchClock::time_point now);
  void on_message(int room, int occupant, const Element& stanza, BenchClock::time_point now);
  void check_room_joined(int room, BenchClock::time_point now);
  void begin_phase(Phase phase, BenchClock::time_point now);
  void end_phase(BenchClock::time_point now);
  void send_message(long long index, BenchClock::time_point now);
  void note_sample(std::string_view what, const Element& stanza);
  long long phase_first_message() const;
  long long phase_message_count() const;

  WorkloadSpec spec_;
  Transport& transport_;
  PhaseHook hook_;
  std::string body_;
  std::string scratch_;

  Phase phase_ = Phase::Joins;
  BenchClock::time_point phase_start_;
  long long phase_stanzas_at_start_ = 0;
  std::vector<PhaseStats> results_;
  long long received_ = 0;
  long long errors_ = 0;
  long long others_ = 0;
  std::vector<std::string> samples_;

  // Joins.
  struct RoomState {
    long long presences = 0;
    int subjects = 0;
    int joined = 0;  // self-presences seen
    bool configured = false;
    bool complete = false;
  };
  std::vector<RoomState> rooms_;
  std::vector<BenchClock::time_point> join_sent_;  // per occupant
  std::vector<std::uint8_t> self_seen_;            // per occupant
  std::vector<std::pair<int, int>> join_queue_;    // FIFO, read from join_next_
  std::size_t join_next_ = 0;
  int joins_outstanding_ = 0;
  int rooms_complete_ = 0;

  // Messages: index = seq * rooms + room, so that sends go round-robin over rooms.
  std::vector<BenchClock::time_point> sent_at_;
  std::vector<std::uint16_t> copies_;
  std::vector<std::uint64_t> seen_;  // bit (index * occupants + occupant)
  long long next_message_ = 0;       // next index to send
  long long completed_in_phase_ = 0;
  int outstanding_ = 0;
  long long deliveries_ = 0;
  long long duplicates_ = 0;
  double pace_interval_s_ = 0;
  BenchClock::time_point next_paced_;
};

// Parses a decimal number at the start of `text`; returns the characters used (0 if none).
std::size_t parse_index(std::string_view text, int& value);

}  // namespace mucd::bench
