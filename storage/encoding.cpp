#include "storage/encoding.hpp"

#include <utility>

namespace mucd::storage::encoding {
namespace {

class Writer {
 public:
  Writer() { bytes_.push_back(static_cast<char>(kVersion)); }

  void varint(uint64_t v) {
    while (v >= 0x80) {
      bytes_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    bytes_.push_back(static_cast<char>(v));
  }
  void signed_varint(int64_t v) {
    // Zigzag: small negative numbers stay short.
    const auto u = static_cast<uint64_t>(v);
    varint((u << 1) ^ (v < 0 ? ~uint64_t{0} : uint64_t{0}));
  }
  void string(std::string_view s) {
    varint(s.size());
    bytes_.append(s);
  }

  std::string take() && { return std::move(bytes_); }

 private:
  std::string bytes_;
};

// Reads fields in order; the first failure sticks and later reads return empty values, so a
// decoder can read everything and check ok() once.
class Reader {
 public:
  Reader(std::string_view bytes, const char* what) : rest_(bytes), what_(what) {
    if (rest_.empty()) {
      fail("empty value");
      return;
    }
    const auto version = static_cast<uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    if (version != kVersion) {
      fail("unknown encoding version " + std::to_string(version) + " (this mucd reads " +
           std::to_string(kVersion) + ")");
    }
  }

  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; ok_; shift += 7) {
      if (rest_.empty()) {
        fail("truncated number");
        break;
      }
      const auto byte = static_cast<uint8_t>(rest_.front());
      rest_.remove_prefix(1);
      if (shift == 63 && byte > 1) {
        fail("number longer than 64 bits");
        break;
      }
      v |= uint64_t{byte & 0x7fu} << shift;
      if ((byte & 0x80) == 0) return v;
    }
    return 0;
  }
  int64_t signed_varint() {
    const uint64_t u = varint();
    return static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
  }
  std::string string() {
    const uint64_t size = varint();
    if (!ok_) return {};
    if (size > rest_.size()) {
      fail("truncated string");
      return {};
    }
    std::string s(rest_.substr(0, size));
    rest_.remove_prefix(size);
    return s;
  }
  // A list count; refuses counts that cannot fit in what is left (each item takes at least
  // `min_item_size` bytes), so corrupt input cannot make us reserve huge vectors.
  size_t count(size_t min_item_size) {
    const uint64_t n = varint();
    if (ok_ && n > rest_.size() / min_item_size) {
      fail("list longer than the value");
      return 0;
    }
    return ok_ ? static_cast<size_t>(n) : 0;
  }

  // Ok when every read succeeded and nothing is left over.
  Status finish() {
    if (ok_ && !rest_.empty()) fail(std::to_string(rest_.size()) + " trailing bytes");
    return status_;
  }

 private:
  void fail(const std::string& why) {
    if (!ok_) return;
    ok_ = false;
    status_ = Status::corruption(std::string("bad ") + what_ + " value: " + why);
  }

  std::string_view rest_;
  const char* what_;
  bool ok_ = true;
  Status status_;
};

// Decodes into a fresh record and moves it to *out only on success.
template <typename Record, typename ReadFields>
Status decode_into(std::string_view bytes, const char* what, Record* out, ReadFields read) {
  Reader in(bytes, what);
  Record record;
  read(in, record);
  Status s = in.finish();
  if (s.ok()) *out = std::move(record);
  return s;
}

}  // namespace

std::string encode(const RoomRecord& room) {
  Writer out;
  out.string(room.jid);
  out.varint(room.config.size());
  for (const auto& [field, value] : room.config) {
    out.string(field);
    out.string(value);
  }
  out.string(room.subject);
  out.string(room.subject_from);
  return std::move(out).take();
}

std::string encode(const AffiliationRecord& affiliation) {
  Writer out;
  out.string(affiliation.jid);
  out.string(affiliation.affiliation);
  out.string(affiliation.nick);
  out.string(affiliation.reason);
  return std::move(out).take();
}

std::string encode(const HistoryRecord& entry) {
  Writer out;
  out.varint(entry.seq);
  out.signed_varint(entry.stamp_ms);
  out.string(entry.from_nick);
  out.string(entry.xml);
  return std::move(out).take();
}

std::string encode(const OccupantRecord& occupant) {
  Writer out;
  out.string(occupant.nick);
  out.string(occupant.real_jid);
  out.string(occupant.role);
  out.string(occupant.presence_xml);
  return std::move(out).take();
}

std::string encode(const ListingRecord& listing) {
  Writer out;
  out.string(listing.jid);
  out.string(listing.name);
  return std::move(out).take();
}

std::string encode(const TombstoneRecord& tombstone) {
  Writer out;
  out.string(tombstone.jid);
  out.string(tombstone.reason);
  out.string(tombstone.new_jid);
  out.signed_varint(tombstone.expires_ms);
  return std::move(out).take();
}

Status decode(std::string_view bytes, RoomRecord* out) {
  return decode_into(bytes, "room", out, [](Reader& in, RoomRecord& room) {
    room.jid = in.string();
    const size_t n = in.count(2);  // two empty strings at least
    room.config.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      std::string field = in.string();
      std::string value = in.string();
      room.config.emplace_back(std::move(field), std::move(value));
    }
    room.subject = in.string();
    room.subject_from = in.string();
  });
}

Status decode(std::string_view bytes, AffiliationRecord* out) {
  return decode_into(bytes, "affiliation", out, [](Reader& in, AffiliationRecord& a) {
    a.jid = in.string();
    a.affiliation = in.string();
    a.nick = in.string();
    a.reason = in.string();
  });
}

Status decode(std::string_view bytes, HistoryRecord* out) {
  return decode_into(bytes, "history", out, [](Reader& in, HistoryRecord& entry) {
    entry.seq = in.varint();
    entry.stamp_ms = in.signed_varint();
    entry.from_nick = in.string();
    entry.xml = in.string();
  });
}

Status decode(std::string_view bytes, OccupantRecord* out) {
  return decode_into(bytes, "occupant", out, [](Reader& in, OccupantRecord& o) {
    o.nick = in.string();
    o.real_jid = in.string();
    o.role = in.string();
    o.presence_xml = in.string();
  });
}

Status decode(std::string_view bytes, ListingRecord* out) {
  return decode_into(bytes, "listing", out, [](Reader& in, ListingRecord& l) {
    l.jid = in.string();
    l.name = in.string();
  });
}

Status decode(std::string_view bytes, TombstoneRecord* out) {
  return decode_into(bytes, "tombstone", out, [](Reader& in, TombstoneRecord& t) {
    t.jid = in.string();
    t.reason = in.string();
    t.new_jid = in.string();
    t.expires_ms = in.signed_varint();
  });
}

}  // namespace mucd::storage::encoding
