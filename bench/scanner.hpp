// Splits an incoming XMPP stream into top-level stanzas without building a tree.
//
// The benchmark tools must read what mucd (or Prosody) sends faster than it is produced, so they
// never parse a stanza into a DOM: the scanner finds where each top-level element ends (tracking
// depth over start, end and empty-element tags, and quotes inside tags) and reads only the
// attributes of its start tag. It trusts the peer to send well-formed XML; it is a measuring
// instrument, not a validating parser.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mucd::bench {

// One top-level element. Every view points into the scanner's buffer and stays valid until the
// next call of feed() or reset().
struct Element {
  std::string_view raw;                 // the whole element, start tag to end tag
  std::string_view name;                // e.g. "message"
  std::string_view to, from, type, id;  // attribute values as written (entities left as is)

  // Does the element's text contain `needle` anywhere (tags included)?
  bool contains(std::string_view needle) const { return raw.find(needle) != raw.npos; }
};

class StreamScanner {
 public:
  enum class Event {
    NeedMore,     // no complete element buffered
    StreamOpen,   // <stream:stream ...> (the element's start tag is in `element`)
    StreamClose,  // </stream:stream>
    Stanza,       // a complete top-level element
    Error,        // the bytes cannot be XML; the scanner stays in this state
  };

  // Appends received bytes. Invalidates the views of the last Element.
  void feed(const char* data, std::size_t size);
  // Returns the next event and fills `element` for StreamOpen and Stanza.
  Event next(Element& element);
  // Forgets everything buffered (a new stream begins, as after SASL success).
  void reset();

  // Bytes buffered but not yet returned.
  std::size_t pending() const { return buffer_.size() - consumed_; }

 private:
  // Finds the end of a tag starting at `at` ('<'); returns the index of its '>' or npos.
  std::size_t tag_end(std::size_t at) const;

  std::string buffer_;
  std::size_t consumed_ = 0;  // everything before this was returned
  std::size_t scan_ = 0;      // where scanning resumes
  std::size_t start_ = 0;     // start of the element being scanned (when depth_ > 0)
  std::size_t start_tag_size_ = 0;
  int depth_ = 0;  // element depth inside the current stanza
  bool error_ = false;
  Element current_;  // scratch for start tags at the top level
};

// Parses the attributes of the start tag `tag` ("<name a='1' b=\"2\">") into `element`
// (name, to, from, type, id). Returns false when the tag is malformed.
bool read_start_tag(std::string_view tag, Element& element);

}  // namespace mucd::bench
