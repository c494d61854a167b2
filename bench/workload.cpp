#include "bench/workload.hpp"

#include <algorithm>
#include <cmath>

namespace mucd::bench {

namespace {

constexpr std::string_view kMessagePrefix = "m.";
constexpr std::string_view kConfigPrefix = "c.";
constexpr std::size_t kMaxSamples = 5;
constexpr std::size_t kSampleChars = 400;

std::string_view resource_of(std::string_view jid) {
  auto slash = jid.find('/');
  return slash == std::string_view::npos ? std::string_view{} : jid.substr(slash + 1);
}

void append_number(std::string& out, long long value) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0);
  while (n > 0) out.push_back(digits[--n]);
}

}  // namespace

const char* phase_name(Phase phase) {
  switch (phase) {
    case Phase::Joins:
      return "joins";
    case Phase::Burst:
      return "burst";
    case Phase::Paced:
      return "paced";
    case Phase::Done:
      return "done";
  }
  return "?";
}

std::size_t parse_index(std::string_view text, int& value) {
  std::size_t i = 0;
  long long v = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9' && i < 10) {
    v = v * 10 + (text[i] - '0');
    ++i;
  }
  value = static_cast<int>(v);
  return i;
}

double PhaseStats::latency_ms(double q) const {
  if (latencies_us.empty()) return 0;
  std::vector<float> sorted = latencies_us;
  auto k = static_cast<std::size_t>(std::min<double>(
      static_cast<double>(sorted.size() - 1), std::floor(q * static_cast<double>(sorted.size()))));
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(k), sorted.end());
  return sorted[k] / 1000.0;
}

Workload::Workload(WorkloadSpec spec, Transport& transport, PhaseHook hook)
    : spec_(std::move(spec)), transport_(transport), hook_(std::move(hook)) {
  const auto rooms = static_cast<std::size_t>(spec_.rooms);
  const auto occupants = static_cast<std::size_t>(spec_.occupants);
  rooms_.resize(rooms);
  join_sent_.resize(rooms * occupants);
  self_seen_.resize(rooms * occupants);
  join_queue_.reserve(rooms * occupants);
  const auto messages = rooms * static_cast<std::size_t>(spec_.messages + spec_.paced_messages);
  sent_at_.resize(messages);
  copies_.resize(messages);
  seen_.resize((messages * occupants + 63) / 64);
  body_ = "benchmark message ";
  while (body_.size() < static_cast<std::size_t>(spec_.body_bytes)) {
    body_.push_back(static_cast<char>('a' + body_.size() % 26));
  }
  body_.resize(static_cast<std::size_t>(std::max(spec_.body_bytes, 1)));
}

std::string Workload::user_node(int room, int occupant) const {
  std::string node = spec_.prefix + "u";
  append_number(node, room);
  node.push_back('-');
  append_number(node, occupant);
  return node;
}

std::string Workload::user_jid(int room, int occupant) const {
  return user_node(room, occupant) + "@" + spec_.user_domain + "/b";
}

std::string Workload::room_jid(int room) const {
  std::string jid = spec_.prefix + "r";
  append_number(jid, room);
  return jid + "@" + spec_.muc_domain;
}

void Workload::start(BenchClock::time_point now) {
  for (int r = 0; r < spec_.rooms; ++r) join_queue_.emplace_back(r, 0);
  begin_phase(Phase::Joins, now);
  pump(now);
}

void Workload::begin_phase(Phase phase, BenchClock::time_point now) {
  phase_ = phase;
  if (phase == Phase::Done) return;
  if (hook_) hook_(phase, true);
  phase_start_ = BenchClock::now();
  (void)now;
  phase_stanzas_at_start_ = received_;
  PhaseStats stats;
  stats.phase = phase;
  stats.deliveries = deliveries_;  // the count at the start; made a difference at the end
  if (phase == Phase::Paced) {
    const PhaseStats* burst = nullptr;
    for (const auto& r : results_) {
      if (r.phase == Phase::Burst) burst = &r;
    }
    double burst_rate = burst ? burst->per_second(burst->operations) : 1000.0;
    stats.rate_limit = std::max(1.0, burst_rate * spec_.paced_fraction);
    pace_interval_s_ = 1.0 / stats.rate_limit;
    next_paced_ = phase_start_;
  }
  completed_in_phase_ = 0;
  results_.push_back(std::move(stats));
}

void Workload::end_phase(BenchClock::time_point now) {
  PhaseStats& stats = results_.back();
  stats.seconds = std::chrono::duration<double>(now - phase_start_).count();
  stats.stanzas = received_ - phase_stanzas_at_start_;
  stats.deliveries = deliveries_ - stats.deliveries;
  if (hook_) hook_(stats.phase, false);
  Phase next = Phase::Done;
  if (stats.phase == Phase::Joins && spec_.messages > 0) {
    next = Phase::Burst;
  } else if ((stats.phase == Phase::Joins || stats.phase == Phase::Burst) &&
             spec_.paced_messages > 0) {
    next = Phase::Paced;
  }
  begin_phase(next, now);
  pump(BenchClock::now());  // the hook may have taken a while
}

long long Workload::phase_first_message() const {
  return phase_ == Phase::Paced ? static_cast<long long>(spec_.rooms) * spec_.messages : 0;
}

long long Workload::phase_message_count() const {
  int per_room = phase_ == Phase::Paced ? spec_.paced_messages : spec_.messages;
  return static_cast<long long>(spec_.rooms) * per_room;
}

void Workload::pump(BenchClock::time_point now) {
  if (phase_ == Phase::Joins) {
    while (joins_outstanding_ < spec_.join_window && join_next_ < join_queue_.size()) {
      auto [room, occupant] = join_queue_[join_next_++];
      send_join(room, occupant, now);
    }
    return;
  }
  if (phase_ != Phase::Burst && phase_ != Phase::Paced) return;
  const long long end = phase_first_message() + phase_message_count();
  while (outstanding_ < spec_.window && next_message_ < end) {
    if (phase_ == Phase::Paced) {
      if (now < next_paced_) break;
      next_paced_ += std::chrono::duration_cast<BenchClock::duration>(
          std::chrono::duration<double>(pace_interval_s_));
    }
    send_message(next_message_++, now);
  }
}

BenchClock::time_point Workload::next_wakeup() const {
  if (phase_ != Phase::Paced) return BenchClock::time_point::max();
  return next_paced_;
}

void Workload::send_join(int room, int occupant, BenchClock::time_point now) {
  std::string& x = scratch_;
  x.assign("<presence");
  if (spec_.stamp_from) x.append(" from='").append(user_jid(room, occupant)).append("'");
  x.append(" to='").append(room_jid(room)).append("/n");
  append_number(x, occupant);
  x.append("' id='j.");
  append_number(x, room);
  x.push_back('.');
  append_number(x, occupant);
  x.append("'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
  join_sent_[static_cast<std::size_t>(room) * spec_.occupants + occupant] = BenchClock::now();
  (void)now;
  ++joins_outstanding_;
  transport_.send(room, occupant, x);
}

void Workload::send_message(long long index, BenchClock::time_point now) {
  const int room = static_cast<int>(index % spec_.rooms);
  const long long seq = index / spec_.rooms;
  std::string& x = scratch_;
  x.assign("<message");
  if (spec_.stamp_from) x.append(" from='").append(user_jid(room, 0)).append("'");
  x.append(" to='").append(room_jid(room)).append("' type='groupchat' id='m.");
  append_number(x, room);
  x.push_back('.');
  append_number(x, seq);
  x.append("'><body>").append(body_).append("</body></message>");
  sent_at_[static_cast<std::size_t>(index)] = now;
  ++outstanding_;
  transport_.send(room, 0, x);
}

void Workload::on_unattributed(const Element& stanza) {
  ++received_;
  ++others_;
  note_sample("unattributed", stanza);
}

void Workload::note_sample(std::string_view what, const Element& stanza) {
  if (samples_.size() >= kMaxSamples) return;
  std::string text(what);
  text += ": ";
  text += stanza.raw.substr(0, kSampleChars);
  samples_.push_back(std::move(text));
}

void Workload::on_stanza(int room, int occupant, const Element& stanza,
                         BenchClock::time_point now) {
  ++received_;
  if (room < 0 || room >= spec_.rooms || occupant < 0 || occupant >= spec_.occupants) {
    ++others_;
    note_sample("unknown recipient", stanza);
    return;
  }
  if (stanza.type == "error") {
    ++errors_;
    note_sample("error", stanza);
    return;
  }
  if (stanza.name == "message") {
    if (stanza.id.substr(0, kMessagePrefix.size()) == kMessagePrefix) {
      on_message(room, occupant, stanza, now);
    } else if (stanza.contains("<subject")) {
      ++rooms_[static_cast<std::size_t>(room)].subjects;
      check_room_joined(room, now);
    } else {
      ++others_;
      note_sample("other message", stanza);
    }
    return;
  }
  if (stanza.name == "presence") {
    ++rooms_[static_cast<std::size_t>(room)].presences;
    std::string_view nick = resource_of(stanza.from);
    int nick_index = -1;
    if (stanza.type.empty() && nick.size() > 1 && nick[0] == 'n' &&
        parse_index(nick.substr(1), nick_index) == nick.size() - 1 && nick_index == occupant) {
      on_self_presence(room, occupant, now);
    }
    check_room_joined(room, now);
    return;
  }
  if (stanza.name == "iq" && stanza.type == "result" &&
      stanza.id.substr(0, kConfigPrefix.size()) == kConfigPrefix) {
    on_configured(room, now);
    return;
  }
  ++others_;
  note_sample("other", stanza);
}

void Workload::on_self_presence(int room, int occupant, BenchClock::time_point now) {
  auto slot = static_cast<std::size_t>(room) * spec_.occupants + occupant;
  if (self_seen_[slot]) return;  // a later presence update, not the join's answer
  self_seen_[slot] = 1;
  --joins_outstanding_;
  ++rooms_[static_cast<std::size_t>(room)].joined;
  if (phase_ == Phase::Joins && !results_.empty()) {
    results_.back().latencies_us.push_back(static_cast<float>(
        std::chrono::duration<double, std::micro>(now - join_sent_[slot]).count()));
    ++results_.back().operations;
  }
  if (occupant == 0) {
    std::string& x = scratch_;
    x.assign("<iq");
    if (spec_.stamp_from) x.append(" from='").append(user_jid(room, 0)).append("'");
    x.append(" to='").append(room_jid(room)).append("' type='set' id='c.");
    append_number(x, room);
    x.append(
        "'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
        "type='submit'/></query></iq>");
    transport_.send(room, 0, x);
  }
  pump(now);
}

void Workload::on_configured(int room, BenchClock::time_point now) {
  auto& state = rooms_[static_cast<std::size_t>(room)];
  if (state.configured) return;
  state.configured = true;
  for (int j = 1; j < spec_.occupants; ++j) join_queue_.emplace_back(room, j);
  check_room_joined(room, now);
  pump(now);
}

void Workload::check_room_joined(int room, BenchClock::time_point now) {
  auto& state = rooms_[static_cast<std::size_t>(room)];
  const long long n = spec_.occupants;
  if (state.complete || !state.configured || state.presences < n * n ||
      state.subjects < spec_.occupants) {
    return;
  }
  state.complete = true;
  if (++rooms_complete_ == spec_.rooms && phase_ == Phase::Joins) end_phase(now);
}

void Workload::on_message(int room, int occupant, const Element& stanza,
                          BenchClock::time_point now) {
  std::string_view id = stanza.id.substr(kMessagePrefix.size());
  int id_room = -1, seq = -1;
  std::size_t used = parse_index(id, id_room);
  if (used == 0 || used >= id.size() || id[used] != '.' ||
      parse_index(id.substr(used + 1), seq) != id.size() - used - 1 || id_room != room ||
      seq >= spec_.messages + spec_.paced_messages) {
    ++errors_;
    note_sample("misrouted message", stanza);
    return;
  }
  const long long index = static_cast<long long>(seq) * spec_.rooms + room;
  if (index >= next_message_) {
    ++errors_;
    note_sample("message never sent", stanza);
    return;
  }
  const auto bit = static_cast<std::size_t>(index) * spec_.occupants + occupant;
  std::uint64_t& word = seen_[bit / 64];
  const std::uint64_t mask = std::uint64_t{1} << (bit % 64);
  if (word & mask) {
    ++duplicates_;
    ++errors_;
    note_sample("duplicate copy", stanza);
    return;
  }
  word |= mask;
  ++deliveries_;
  auto& copies = copies_[static_cast<std::size_t>(index)];
  if (++copies < spec_.occupants) return;
  --outstanding_;
  if (!results_.empty()) {
    results_.back().latencies_us.push_back(static_cast<float>(
        std::chrono::duration<double, std::micro>(now - sent_at_[static_cast<std::size_t>(index)])
            .count()));
    ++results_.back().operations;
  }
  if (++completed_in_phase_ == phase_message_count()) {
    end_phase(now);
    return;
  }
  pump(now);
}

std::string Workload::describe_missing() const {
  std::string out = std::string("phase ") + phase_name(phase_) + ": ";
  if (phase_ == Phase::Joins) {
    out += std::to_string(rooms_complete_) + "/" + std::to_string(spec_.rooms) +
           " rooms complete, " + std::to_string(joins_outstanding_) + " joins unanswered, " +
           std::to_string(join_queue_.size() - join_next_) + " not sent";
    for (std::size_t r = 0; r < rooms_.size(); ++r) {
      const auto& s = rooms_[r];
      if (s.complete) continue;
      const long long n = spec_.occupants;
      out += "; first incomplete room " + room_jid(static_cast<int>(r)) +
             (s.configured ? " (configured)" : " (NOT configured)") + ": " +
             std::to_string(s.joined) + "/" + std::to_string(n) + " joined, " +
             std::to_string(s.presences) + "/" + std::to_string(n * n) + " presences, " +
             std::to_string(s.subjects) + "/" + std::to_string(n) + " subjects";
      break;
    }
  } else if (phase_ != Phase::Done) {
    out += std::to_string(outstanding_) + " messages unfinished, " + std::to_string(next_message_) +
           " sent, " + std::to_string(deliveries_) + " copies received";
    for (long long i = phase_first_message(); i < next_message_; ++i) {
      if (copies_[static_cast<std::size_t>(i)] >= spec_.occupants) continue;
      const int room = static_cast<int>(i % spec_.rooms);
      out += "; first unfinished message m." + std::to_string(room) + "." +
             std::to_string(i / spec_.rooms) + " has " +
             std::to_string(copies_[static_cast<std::size_t>(i)]) + "/" +
             std::to_string(spec_.occupants) + " copies, missing for occupants";
      int listed = 0;
      for (int j = 0; j < spec_.occupants && listed < 5; ++j) {
        auto bit = static_cast<std::size_t>(i) * spec_.occupants + j;
        if (!(seen_[bit / 64] & (std::uint64_t{1} << (bit % 64)))) {
          out += " " + std::to_string(j);
          ++listed;
        }
      }
      break;
    }
  }
  out += "; " + std::to_string(errors_) + " error stanzas, " + std::to_string(others_) +
         " other stanzas";
  return out;
}

}  // namespace mucd::bench
