#include "bench/scanner.hpp"

#include <cstring>

namespace mucd::bench {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

constexpr std::string_view kStreamName = "stream:stream";

}  // namespace

bool read_start_tag(std::string_view tag, Element& element) {
  if (tag.size() < 3 || tag.front() != '<' || tag.back() != '>') return false;
  std::size_t i = 1;
  std::size_t name_start = i;
  while (i < tag.size() && !is_space(tag[i]) && tag[i] != '>' && tag[i] != '/') ++i;
  if (i == name_start) return false;
  element.name = tag.substr(name_start, i - name_start);
  element.to = element.from = element.type = element.id = {};
  for (;;) {
    while (i < tag.size() && is_space(tag[i])) ++i;
    if (i >= tag.size()) return false;
    if (tag[i] == '>' || tag[i] == '/') return true;
    std::size_t attr_start = i;
    while (i < tag.size() && tag[i] != '=' && !is_space(tag[i]) && tag[i] != '>') ++i;
    std::string_view attr = tag.substr(attr_start, i - attr_start);
    while (i < tag.size() && is_space(tag[i])) ++i;
    if (i >= tag.size() || tag[i] != '=') return false;
    ++i;
    while (i < tag.size() && is_space(tag[i])) ++i;
    if (i >= tag.size() || (tag[i] != '\'' && tag[i] != '"')) return false;
    char quote = tag[i++];
    std::size_t close = tag.find(quote, i);
    if (close == std::string_view::npos) return false;
    std::string_view value = tag.substr(i, close - i);
    if (attr == "to") {
      element.to = value;
    } else if (attr == "from") {
      element.from = value;
    } else if (attr == "type") {
      element.type = value;
    } else if (attr == "id") {
      element.id = value;
    }
    i = close + 1;
  }
}

void StreamScanner::feed(const char* data, std::size_t size) {
  // Drop what was returned before growing the buffer, so it stays about one read large.
  if (consumed_ > 0 && (consumed_ >= buffer_.size() / 2 || consumed_ > (1u << 20))) {
    buffer_.erase(0, consumed_);
    scan_ -= consumed_;
    start_ = depth_ > 0 ? start_ - consumed_ : 0;
    consumed_ = 0;
  }
  buffer_.append(data, size);
}

void StreamScanner::reset() {
  buffer_.clear();
  consumed_ = scan_ = start_ = 0;
  depth_ = 0;
  error_ = false;
}

std::size_t StreamScanner::tag_end(std::size_t at) const {
  const char* p = buffer_.data();
  std::size_t n = buffer_.size();
  char quote = 0;
  for (std::size_t i = at + 1; i < n; ++i) {
    char c = p[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '>') {
      return i;
    }
  }
  return std::string::npos;
}

StreamScanner::Event StreamScanner::next(Element& element) {
  if (error_) return Event::Error;
  const std::size_t n = buffer_.size();
  while (scan_ < n) {
    const char* base = buffer_.data();
    const void* lt = std::memchr(base + scan_, '<', n - scan_);
    if (!lt) {
      if (depth_ == 0) consumed_ = n;  // whitespace between stanzas
      scan_ = n;
      return Event::NeedMore;
    }
    std::size_t at = static_cast<std::size_t>(static_cast<const char*>(lt) - base);
    if (at + 1 >= n) {
      scan_ = at;
      return Event::NeedMore;
    }
    char kind = base[at + 1];
    if (kind == '?' || kind == '!') {
      // An XML declaration, or a comment/CDATA (never sent in XMPP streams, skipped anyway).
      std::string_view closer = kind == '?' ? "?>" : (base[at + 2] == '[' ? "]]>" : "-->");
      std::size_t close = buffer_.find(closer, at + 2);
      if (close == std::string::npos) {
        scan_ = at;
        return Event::NeedMore;
      }
      scan_ = close + closer.size();
      if (depth_ == 0) consumed_ = scan_;
      continue;
    }
    std::size_t end = tag_end(at);
    if (end == std::string::npos) {
      scan_ = at;
      return Event::NeedMore;
    }
    scan_ = end + 1;
    if (kind == '/') {
      if (depth_ == 0) {
        consumed_ = scan_;
        return Event::StreamClose;  // the only end tag at the top is the stream's
      }
      if (--depth_ == 0) {
        // The start tag is read again: feed() may have moved the buffer since it was scanned.
        read_start_tag(std::string_view(base + start_, start_tag_size_), element);
        element.raw = std::string_view(base + start_, scan_ - start_);
        consumed_ = scan_;
        return Event::Stanza;
      }
      continue;
    }
    bool empty = base[end - 1] == '/';
    if (depth_ > 0) {
      if (!empty) ++depth_;
      continue;
    }
    std::string_view tag(base + at, end + 1 - at);
    if (!read_start_tag(tag, current_)) {
      error_ = true;
      return Event::Error;
    }
    if (current_.name == kStreamName) {
      element = current_;
      element.raw = tag;
      consumed_ = scan_;
      return Event::StreamOpen;
    }
    start_ = at;
    start_tag_size_ = tag.size();
    if (empty) {
      element = current_;
      element.raw = tag;
      consumed_ = scan_;
      return Event::Stanza;
    }
    depth_ = 1;
  }
  return Event::NeedMore;
}

}  // namespace mucd::bench
