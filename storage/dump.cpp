#include "storage/dump.hpp"

#include <map>
#include <optional>
#include <vector>

#include "storage/json.hpp"

namespace mucd::storage {
namespace {

using json::quote;

std::string room_line(const RoomRecord& room, const std::vector<HistoryRecord>& history,
                      const std::vector<OccupantRecord>& occupants, const std::string* listed) {
  std::string out = "{\"jid\":" + quote(room.jid) + ",\"config\":{";
  bool first = true;
  for (const auto& [field, value] : room.config) {
    if (!first) out += ',';
    first = false;
    out += quote(field) + ':' + quote(value);
  }
  out += "},\"subject\":" + quote(room.subject) + ",\"subject_from\":" + quote(room.subject_from);
  out += ",\"affiliations\":[";
  first = true;
  for (const AffiliationRecord& a : room.affiliations) {
    if (!first) out += ',';
    first = false;
    out += "{\"jid\":" + quote(a.jid) + ",\"affiliation\":" + quote(a.affiliation) +
           ",\"nick\":" + quote(a.nick) + ",\"reason\":" + quote(a.reason) + '}';
  }
  out += "],\"history\":[";
  first = true;
  for (const HistoryRecord& h : history) {
    if (!first) out += ',';
    first = false;
    out += "{\"seq\":" + std::to_string(h.seq) + ",\"stamp_ms\":" + std::to_string(h.stamp_ms) +
           ",\"from_nick\":" + quote(h.from_nick) + ",\"xml\":" + quote(h.xml) + '}';
  }
  out += "],\"occupants\":[";
  first = true;
  for (const OccupantRecord& o : occupants) {
    if (!first) out += ',';
    first = false;
    out += "{\"nick\":" + quote(o.nick) + ",\"real_jid\":" + quote(o.real_jid) +
           ",\"role\":" + quote(o.role) + ",\"presence_xml\":" + quote(o.presence_xml) + '}';
  }
  out += ']';
  if (listed) out += ",\"listing\":{\"name\":" + quote(*listed) + '}';
  out += '}';
  return out;
}

std::string tombstone_line(const TombstoneRecord& t) {
  return "{\"jid\":" + quote(t.jid) + ",\"reason\":" + quote(t.reason) +
         ",\"new_jid\":" + quote(t.new_jid) + ",\"expires_ms\":" + std::to_string(t.expires_ms) +
         '}';
}

// Reads the fields of one dumped room (or tombstone), naming what is wrong with it.
class RoomReader {
 public:
  RoomReader(const json::Value& v, size_t index, std::string_view kind = "room")
      : v_(v), where_(std::string(kind) + " " + std::to_string(index)) {}

  Status read(RoomRecord* room, std::vector<HistoryRecord>* history,
              std::vector<OccupantRecord>* occupants, std::optional<ListingRecord>* listing) {
    if (!v_.is_object()) return bad("is not an object");
    room->jid = string(v_, "jid", true);
    if (!error_.ok()) return error_;
    where_ = "room " + room->jid;
    if (const json::Value* config = v_.find("config")) {
      if (!config->is_object()) return bad("config is not an object");
      for (const auto& [field, value] : config->members) {
        if (!value.is_string()) return bad("config " + field + " is not a string");
        room->config.emplace_back(field, value.text);
      }
    }
    room->subject = string(v_, "subject", false);
    room->subject_from = string(v_, "subject_from", false);
    for (const json::Value& a : list("affiliations")) {
      room->affiliations.push_back({string(a, "jid", true), string(a, "affiliation", true),
                                    string(a, "nick", false), string(a, "reason", false)});
    }
    for (const json::Value& h : list("history")) {
      HistoryRecord entry;
      const json::Value* seq = h.find("seq");
      const json::Value* stamp = h.find("stamp_ms");
      if (!seq || !seq->as_uint64()) return bad("a history entry has no integer seq");
      if (!stamp || !stamp->as_int64()) return bad("a history entry has no integer stamp_ms");
      entry.seq = *seq->as_uint64();
      entry.stamp_ms = *stamp->as_int64();
      entry.from_nick = string(h, "from_nick", false);
      entry.xml = string(h, "xml", true);
      history->push_back(std::move(entry));
    }
    for (const json::Value& o : list("occupants")) {
      occupants->push_back({string(o, "nick", true), string(o, "real_jid", true),
                            string(o, "role", false), string(o, "presence_xml", false)});
    }
    if (const json::Value* l = v_.find("listing")) {
      if (!l->is_object()) return bad("listing is not an object");
      *listing = ListingRecord{room->jid, string(*l, "name", false)};
    }
    return error_;
  }

  Status read(TombstoneRecord* tombstone) {
    if (!v_.is_object()) return bad("is not an object");
    tombstone->jid = string(v_, "jid", true);
    if (!error_.ok()) return error_;
    where_ = "tombstone " + tombstone->jid;
    tombstone->reason = string(v_, "reason", false);
    tombstone->new_jid = string(v_, "new_jid", false);
    const json::Value* expires = v_.find("expires_ms");
    if (!expires || !expires->as_int64()) return bad("no integer expires_ms");
    tombstone->expires_ms = *expires->as_int64();
    return error_;
  }

 private:
  Status bad(const std::string& what) {
    if (error_.ok()) error_ = Status::invalid_argument(where_ + ": " + what);
    return error_;
  }
  std::string string(const json::Value& object, const char* key, bool required) {
    if (!object.is_object()) {
      bad("a list item is not an object");
      return {};
    }
    const json::Value* v = object.find(key);
    if (!v) {
      if (required) bad(std::string("missing \"") + key + "\"");
      return {};
    }
    if (!v->is_string()) bad(std::string("\"") + key + "\" is not a string");
    return v->text;
  }
  const std::vector<json::Value>& list(const char* key) {
    static const std::vector<json::Value> kNone;
    const json::Value* v = v_.find(key);
    if (!v) return kNone;
    if (!v->is_array()) {
      bad(std::string("\"") + key + "\" is not a list");
      return kNone;
    }
    return v->items;
  }

  const json::Value& v_;
  std::string where_;
  Status error_;
};

}  // namespace

Status export_rooms(const RoomStore& store, const std::function<void(std::string_view)>& write,
                    size_t* rooms, size_t* tombstone_count) {
  *rooms = 0;
  if (tombstone_count) *tombstone_count = 0;
  std::vector<std::string> jids;
  if (Status s = store.list_rooms(&jids); !s.ok()) return s;
  std::vector<ListingRecord> listings;
  if (Status s = store.list_listed_rooms(&listings); !s.ok()) return s;
  std::map<std::string, std::string, std::less<>> listed;
  for (ListingRecord& l : listings) listed.emplace(std::move(l.jid), std::move(l.name));
  write("{\"format\":" + quote(kDumpFormat) + ",\"version\":" + std::to_string(kDumpVersion) +
        ",\"rooms\":[\n");
  for (const std::string& jid : jids) {
    RoomRecord room;
    std::vector<HistoryRecord> history;
    std::vector<OccupantRecord> occupants;
    if (Status s = store.load_room(jid, &room); !s.ok()) return s;
    if (Status s = store.load_history(jid, &history); !s.ok()) return s;
    if (Status s = store.load_occupants(jid, &occupants); !s.ok()) return s;
    auto l = listed.find(jid);
    write((*rooms == 0 ? "" : ",\n") +
          room_line(room, history, occupants, l == listed.end() ? nullptr : &l->second));
    ++*rooms;
  }
  std::vector<TombstoneRecord> tombstones;
  if (Status s = store.list_tombstones(&tombstones); !s.ok()) return s;
  write("\n],\"tombstones\":[\n");
  for (size_t i = 0; i < tombstones.size(); ++i) {
    write((i == 0 ? "" : ",\n") + tombstone_line(tombstones[i]));
  }
  write("\n]}\n");
  if (tombstone_count) *tombstone_count = tombstones.size();
  return {};
}

Status import_rooms(RoomStore& store, std::string_view json_text, size_t* rooms,
                    size_t* tombstone_count) {
  *rooms = 0;
  if (tombstone_count) *tombstone_count = 0;
  Result<json::Value> parsed = json::parse(json_text);
  if (!parsed.ok()) return parsed.status();
  const json::Value& doc = parsed.value();
  const json::Value* format = doc.find("format");
  if (!format || !format->is_string() || format->text != kDumpFormat) {
    return Status::invalid_argument("not a mucd room dump (no \"format\": \"mucd-rooms\")");
  }
  const json::Value* version = doc.find("version");
  if (!version || version->as_int64() != kDumpVersion) {
    return Status::invalid_argument("unsupported dump version " +
                                    (version ? version->text : std::string("(none)")) +
                                    "; this mucd reads version " + std::to_string(kDumpVersion));
  }
  const json::Value* list = doc.find("rooms");
  if (!list || !list->is_array()) return Status::invalid_argument("no \"rooms\" list");

  // Check everything before writing anything.
  std::vector<StoreBatch> batches;
  batches.reserve(list->items.size());
  for (size_t i = 0; i < list->items.size(); ++i) {
    RoomRecord room;
    std::vector<HistoryRecord> history;
    std::vector<OccupantRecord> occupants;
    std::optional<ListingRecord> listing;
    Status s = RoomReader(list->items[i], i + 1).read(&room, &history, &occupants, &listing);
    if (!s.ok()) return s;
    StoreBatch batch;
    const std::string jid = room.jid;
    batch.forget_room(jid);
    batch.remove_tombstone(jid);  // the room is back: joins must not be told it is gone
    batch.save_room(std::move(room));
    for (HistoryRecord& h : history) batch.put_history(jid, std::move(h));
    for (OccupantRecord& o : occupants) batch.put_occupant(jid, std::move(o));
    if (listing) batch.list_room(std::move(*listing));
    if (s = batch.validate(); !s.ok()) {
      return Status::invalid_argument("room " + jid + ": " + s.message());
    }
    batches.push_back(std::move(batch));
  }
  // Tombstones (dumps before them have none), after the rooms: a room and a tombstone of the
  // same JID both come back, as they were stored.
  StoreBatch tombstones;
  if (const json::Value* tombs = doc.find("tombstones")) {
    if (!tombs->is_array()) return Status::invalid_argument("\"tombstones\" is not a list");
    for (size_t i = 0; i < tombs->items.size(); ++i) {
      TombstoneRecord tombstone;
      Status s = RoomReader(tombs->items[i], i + 1, "tombstone").read(&tombstone);
      if (!s.ok()) return s;
      tombstones.put_tombstone(std::move(tombstone));
    }
    if (Status s = tombstones.validate(); !s.ok()) return Status::invalid_argument(s.message());
  }
  const size_t room_count = batches.size();
  const size_t tombstones_read = tombstones.size();
  if (!tombstones.empty()) batches.push_back(std::move(tombstones));
  // Rooms are written a few thousand mutations at a time (a batch per room would cost a write
  // each; one batch for everything would hold the whole store in memory twice).
  StoreBatch chunk;
  size_t in_chunk = 0;
  for (size_t i = 0; i < batches.size(); ++i) {
    for (StoreBatch::Operation& op : std::move(batches[i]).take_operations()) {
      chunk.add(std::move(op));
    }
    if (i < room_count) ++in_chunk;
    const bool last = i + 1 == batches.size();
    if (chunk.size() >= 20'000 || last) {
      if (Status s = store.commit(std::move(chunk), last); !s.ok()) return s;
      *rooms += in_chunk;
      in_chunk = 0;
      chunk = StoreBatch();
    }
  }
  if (tombstone_count) *tombstone_count = tombstones_read;
  return {};
}

}  // namespace mucd::storage
