// Storage benchmark: how long mucd takes to serve its first stanza over a store of many rooms,
// and what durable changes cost.
//
//   mucd-storage-bench [--rooms N] [--changes N] [--messages N] [--dir PATH] [--keep]
//
// 1. Builds a store of N rooms (default 100,000) in PATH (default: a fresh directory in /tmp;
//    a PATH that already holds a store is used as it is, to measure again without rebuilding):
//    one room is created through the engine over an in-memory store (owner, members, a reserved
//    nick, twenty messages of history, a subject, two occupants), and its records are copied
//    under N JIDs, so every stored room is exactly what mucd writes. 1% of the rooms keep their
//    occupants (they are loaded at start-up and their sessions checked), 1% are public.
// 2. Start-up, as main does it: open the store, restore_from_store (the indexes), on_connected,
//    then the first stanza: a join to a room that is not loaded, and a message to a room whose
//    occupants wait to be restored (they must get it). Then the restoring the ticks do (all the
//    rooms with occupants loaded, their sessions pinged), and joins to 1,000 other unloaded
//    rooms (lazy loading).
// 3. Durable changes through the engine, each acknowledged only once synced: affiliation
//    changes and configuration submits; then groupchat messages (history, written without
//    sync); then raw store commits for the floor the disk sets.
//
// The figures are printed; the README's "Storage and restarts" section quotes them.
#include <fmt/format.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/handler.hpp"
#include "core/log.hpp"
#include "muc/service.hpp"
#include "storage/leveldb_store.hpp"
#include "storage/memory_store.hpp"

namespace {

using namespace mucd;
using Timer = std::chrono::steady_clock;
constexpr std::string_view kDomain = "conference.bench.localhost";

double ms_since(Timer::time_point start) {
  return std::chrono::duration<double, std::milli>(Timer::now() - start).count();
}

class CountingOutbox final : public Outbox {
 public:
  void send(const Stanza& stanza) override {
    ++stanzas;
    if (stanza.type() == "error") ++errors;
  }
  void send_raw(std::string xml) override {
    ++stanzas;
    if (xml.find("type='error'") != std::string::npos ||
        xml.find("type=\"error\"") != std::string::npos) {
      ++errors;
    }
  }
  size_t stanzas = 0;
  size_t errors = 0;
};

struct Options {
  size_t rooms = 100'000;
  size_t changes = 1'000;
  size_t messages = 10'000;
  std::string dir;
  bool keep = false;
  bool startup_only = false;  // stop after the start-up figures (for profiling)
};

bool parse(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto number = [&](size_t* out) {
      if (i + 1 >= argc) return false;
      *out = std::strtoull(argv[++i], nullptr, 10);
      return *out > 0;
    };
    if (arg == "--rooms") {
      if (!number(&o->rooms)) return false;
    } else if (arg == "--changes") {
      if (!number(&o->changes)) return false;
    } else if (arg == "--messages") {
      if (!number(&o->messages)) return false;
    } else if (arg == "--dir" && i + 1 < argc) {
      o->dir = argv[++i];
    } else if (arg == "--keep") {
      o->keep = true;
    } else if (arg == "--startup-only") {
      o->startup_only = true;
    } else {
      return false;
    }
  }
  return true;
}

Stanza xml(const std::string& text) {
  auto s = Stanza::parse(text);
  if (!s) {
    fmt::print(stderr, "bad bench XML: {}\n", text);
    std::exit(2);
  }
  return *s;
}

std::string room_jid(size_t i) {
  return fmt::format("room{}@{}", i, kDomain);
}

std::string config_iq(const std::string& room, const std::string& from, const std::string& fields,
                      size_t id) {
  return fmt::format(
      "<iq from='{}' to='{}' type='set' id='c{}'><query "
      "xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>"
      "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>"
      "{}</x></query></iq>",
      from, room, id, fields);
}

// The records of one realistic room, written by the engine itself.
struct Template {
  storage::RoomRecord room;
  std::vector<storage::HistoryRecord> history;
  std::vector<storage::OccupantRecord> occupants;
};

Template make_template() {
  storage::MemoryStore memory;
  SystemClock clock;
  muc::ServiceConfig config;
  config.domain = std::string(kDomain);
  muc::Service service(config, clock, &memory);
  CountingOutbox out;
  const std::string room = fmt::format("template@{}", kDomain);
  auto send = [&](const std::string& text) { service.handle(xml(text), out); };
  send(
      fmt::format("<presence from='owner@bench.localhost/a' to='{}/owner'><x "
                  "xmlns='http://jabber.org/protocol/muc'/></presence>",
                  room));
  send(config_iq(room, "owner@bench.localhost/a",
                 "<field var='muc#roomconfig_persistentroom'><value>1</value></field>"
                 "<field var='muc#roomconfig_roomname'><value>A benchmark room</value></field>"
                 "<field var='muc#roomconfig_roomdesc'><value>One of many</value></field>",
                 1));
  send(
      fmt::format("<iq from='owner@bench.localhost/a' to='{}' type='set' id='a'><query "
                  "xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member' "
                  "jid='member@bench.localhost' nick='Member'/><item affiliation='admin' "
                  "jid='admin@bench.localhost'/></query></iq>",
                  room));
  send(
      fmt::format("<presence from='member@bench.localhost/b' to='{}/Member'><x "
                  "xmlns='http://jabber.org/protocol/muc'/></presence>",
                  room));
  send(fmt::format(
      "<message from='owner@bench.localhost/a' to='{}' type='groupchat'><subject>Benchmarks"
      "</subject></message>",
      room));
  for (int i = 0; i < 20; ++i) {
    send(fmt::format(
        "<message from='member@bench.localhost/b' to='{}' type='groupchat' id='m{}'><body>"
        "Message number {} of the history, long enough to look like a real one.</body>"
        "</message>",
        room, i, i));
  }
  Template t;
  if (!memory.load_room(room, &t.room).ok() || !memory.load_history(room, &t.history).ok() ||
      !memory.load_occupants(room, &t.occupants).ok() || t.occupants.size() != 2 ||
      t.history.size() != 20) {
    fmt::print(stderr, "the template room was not stored as expected\n");
    std::exit(1);
  }
  return t;
}

size_t disk_bytes(const std::string& dir) {
  size_t total = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_regular_file(ec)) total += entry.file_size(ec);
  }
  return total;
}

void fail(const std::string& what, const storage::Status& s) {
  fmt::print(stderr, "{}: {}\n", what, s.to_string());
  std::exit(1);
}

bool occupied(size_t i) {
  return i % 100 == 0;
}
bool listed(size_t i) {
  return i % 100 == 50;
}

void build_store(const Options& o, const Template& t) {
  auto opened = storage::LevelDbStore::open(o.dir);
  if (!opened.ok()) fail("cannot open " + o.dir, opened.status());
  storage::LevelDbStore& store = *opened.value();
  const auto start = Timer::now();
  storage::StoreBatch batch;
  for (size_t i = 0; i < o.rooms; ++i) {
    const std::string jid = room_jid(i);
    storage::RoomRecord room = t.room;
    room.jid = jid;
    if (listed(i)) {
      for (auto& [field, value] : room.config) {
        if (field == "public") value = "1";
      }
      batch.list_room({jid, "A benchmark room"});
    }
    batch.save_room(std::move(room));
    for (const auto& h : t.history) batch.append_history(jid, h, 20);
    if (occupied(i)) {
      for (auto o2 : t.occupants) {
        o2.real_jid = fmt::format("user{}-{}", i, o2.real_jid);
        batch.put_occupant(jid, std::move(o2));
      }
    }
    if (batch.size() >= 20'000 || i + 1 == o.rooms) {
      storage::Status s = store.commit(std::move(batch), i + 1 == o.rooms);
      if (!s.ok()) fail("cannot write the rooms", s);
      batch = storage::StoreBatch();
    }
  }
  fmt::print(
      "built: {} rooms ({} with 2 occupants each, {} public), each with 3 affiliations, "
      "20 history messages and a subject, in {:.1f} s; {:.0f} MB in {}\n",
      o.rooms, (o.rooms + 99) / 100, (o.rooms + 49) / 100, ms_since(start) / 1000,
      static_cast<double>(disk_bytes(o.dir)) / 1e6, o.dir);
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, &o)) {
    fmt::print(stderr,
               "usage: mucd-storage-bench [--rooms N] [--changes N] [--messages N] "
               "[--dir PATH] [--keep]\n");
    return 2;
  }
  log::set_threshold(log::Level::Warn);
  bool made_dir = false;
  if (o.dir.empty()) {
    std::string name = "/tmp/mucd-storage-bench-XXXXXX";
    if (::mkdtemp(name.data()) == nullptr) return 1;
    o.dir = name + "/store";
    made_dir = true;
  }

  if (std::filesystem::exists(o.dir + "/CURRENT")) {
    fmt::print("reusing the store in {} ({:.0f} MB)\n", o.dir,
               static_cast<double>(disk_bytes(o.dir)) / 1e6);
  } else {
    build_store(o, make_template());
  }

  // --- start-up, as main does it
  SystemClock clock;
  const auto start = Timer::now();
  auto opened = storage::LevelDbStore::open(o.dir);
  if (!opened.ok()) fail("cannot open " + o.dir, opened.status());
  std::unique_ptr<storage::LevelDbStore> store = std::move(opened).value();
  const double open_ms = ms_since(start);
  muc::ServiceConfig config;
  config.domain = std::string(kDomain);
  muc::Service service(config, clock, store.get());
  size_t occupied_rooms = 0;
  const auto indexing = Timer::now();
  if (storage::Status s = service.restore_from_store(&occupied_rooms); !s.ok()) {
    fail("restore", s);
  }
  const double index_ms = ms_since(indexing);
  CountingOutbox connected;
  service.on_connected(connected);
  CountingOutbox first;
  const auto joining = Timer::now();
  const std::string late_room = room_jid(o.rooms / 2 + 1);
  service.handle(xml(fmt::format("<presence from='late@bench.localhost/x' to='{}/late'><x "
                                 "xmlns='http://jabber.org/protocol/muc'/></presence>",
                                 late_room)),
                 first);
  const double first_ms = ms_since(joining);
  const double serving_ms = ms_since(start);
  if (first.errors > 0 || first.stanzas < 20) {
    fmt::print(stderr, "the first join was not served ({} stanzas, {} errors)\n", first.stanzas,
               first.errors);
    return 1;
  }
  // A message from a restored occupant to a room not restored yet reaches the others.
  CountingOutbox restored_msg;
  const auto messaging = Timer::now();
  service.handle(xml(fmt::format("<message from='user0-{}' to='{}' type='groupchat' id='r'>"
                                 "<body>back already?</body></message>",
                                 make_template().occupants[0].real_jid, room_jid(0))),
                 restored_msg);
  const double restored_msg_ms = ms_since(messaging);
  fmt::print(
      "start-up: open {:.0f} ms, indexes read {:.0f} ms ({} rooms with occupants to restore), "
      "first join to an unloaded room {:.1f} ms ({} stanzas out)\n",
      open_ms, index_ms, occupied_rooms, first_ms, first.stanzas);
  fmt::print(
      "start-up: first stanza served {:.0f} ms after opening the store (target < 1000 ms: "
      "{})\n",
      serving_ms, serving_ms < 1000 ? "met" : "NOT MET");
  fmt::print(
      "start-up: a message in a room waiting to be restored: {:.1f} ms, {} stanzas out "
      "(restored occupants included){}\n",
      restored_msg_ms, restored_msg.stanzas, restored_msg.errors ? " ERRORS" : "");
  CountingOutbox pings;
  const auto restoring = Timer::now();
  service.load_restored_rooms(std::chrono::hours(1), pings);
  fmt::print(
      "restore after start-up (done by ticks, {} ms each): {} rooms loaded and {} "
      "sessions pinged in {:.0f} ms\n",
      std::chrono::duration_cast<std::chrono::milliseconds>(config.restore_budget).count(),
      service.room_count(), pings.stanzas, ms_since(restoring));
  for (const std::string& who : {std::string("late@bench.localhost/x")}) {
    CountingOutbox out;  // leave, so that a reused store does not keep the room occupied
    service.handle(
        xml(fmt::format("<presence from='{}' to='{}/late' type='unavailable'/>", who, late_room)),
        out);
  }

  if (o.startup_only) return 0;

  // --- lazy loading
  std::mt19937_64 random(42);
  std::vector<double> loads;
  for (size_t k = 0; k < std::min<size_t>(1000, o.rooms / 2); ++k) {
    size_t i = random() % o.rooms;
    if (occupied(i) || service.find_room(room_jid(i))) continue;
    CountingOutbox out;
    const auto t0 = Timer::now();
    service.handle(xml(fmt::format("<presence from='lazy{}@bench.localhost/x' to='{}/lazy'><x "
                                   "xmlns='http://jabber.org/protocol/muc'/></presence>",
                                   k, room_jid(i))),
                   out);
    loads.push_back(ms_since(t0));
    service.handle(xml(fmt::format("<presence from='lazy{}@bench.localhost/x' to='{}/lazy' "
                                   "type='unavailable'/>",
                                   k, room_jid(i))),
                   out);
  }
  fmt::print("lazy load: {} joins to unloaded rooms: median {:.2f} ms, p99 {:.2f} ms\n",
             loads.size(), percentile(loads, 0.5), percentile(loads, 0.99));

  // --- durable changes through the engine
  const std::string room = room_jid(1);
  const std::string owner = "owner@bench.localhost/a";
  {
    CountingOutbox out;
    service.handle(xml(fmt::format("<presence from='{}' to='{}/owner'><x "
                                   "xmlns='http://jabber.org/protocol/muc'/></presence>",
                                   owner, room)),
                   out);
  }
  auto measure = [&](const char* what, size_t n, const std::function<std::string(size_t)>& make) {
    std::vector<double> each;
    size_t errors = 0;
    const auto t0 = Timer::now();
    for (size_t k = 0; k < n; ++k) {
      CountingOutbox out;
      const auto t1 = Timer::now();
      service.handle(xml(make(k)), out);
      each.push_back(ms_since(t1));
      errors += out.errors;
    }
    const double total = ms_since(t0);
    fmt::print("{}: {} in {:.2f} s = {:.0f}/s (median {:.2f} ms, p99 {:.2f} ms){}\n", what, n,
               total / 1000, static_cast<double>(n) * 1000 / total, percentile(each, 0.5),
               percentile(each, 0.99), errors ? fmt::format(", {} errors!", errors) : "");
  };
  measure("durable changes, synced: affiliation changes", o.changes, [&](size_t k) {
    return fmt::format(
        "<iq from='{}' to='{}' type='set' id='a{}'><query "
        "xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member' "
        "jid='user{}@bench.localhost'/></query></iq>",
        owner, room, k, k);
  });
  measure("durable changes, synced: configuration submits", o.changes / 2, [&](size_t k) {
    return config_iq(room, owner,
                     fmt::format("<field var='muc#roomconfig_roomname'><value>Name {}</value>"
                                 "</field>",
                                 k),
                     k);
  });
  measure("history, written unsynced: groupchat messages", o.messages, [&](size_t k) {
    return fmt::format(
        "<message from='{}' to='{}' type='groupchat' id='m{}'><body>message {}</body></message>",
        owner, room, k, k);
  });

  // --- the floor the disk sets
  for (bool sync : {true, false}) {
    const size_t n = sync ? o.changes : o.messages;
    const auto t0 = Timer::now();
    for (size_t k = 0; k < n; ++k) {
      storage::StoreBatch batch;
      batch.put_affiliation(room_jid(2),
                            {fmt::format("raw{}@bench.localhost", k), "member", "", ""});
      if (storage::Status s = store->commit(std::move(batch), sync); !s.ok()) fail("commit", s);
    }
    const double total = ms_since(t0);
    fmt::print("raw store: {} one-key commits {} in {:.2f} s = {:.0f}/s\n", n,
               sync ? "synced" : "unsynced", total / 1000, static_cast<double>(n) * 1000 / total);
  }

  store.reset();
  if (made_dir && !o.keep) {
    std::error_code ec;
    std::filesystem::remove_all(std::filesystem::path(o.dir).parent_path(), ec);
  } else {
    fmt::print("store kept in {}\n", o.dir);
  }
  return 0;
}
