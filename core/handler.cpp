#include "core/handler.hpp"

namespace mucd {

namespace {

// What an attribute value needs escaped inside double quotes (pugixml's quoting).
const char* escape_of(char c) {
  switch (c) {
    case '&':
      return "&amp;";
    case '<':
      return "&lt;";
    case '>':
      return "&gt;";
    case '"':
      return "&quot;";
    case '\r':
      return "&#13;";
    case '\n':
      return "&#10;";
    case '\t':
      return "&#9;";
    default:
      return nullptr;
  }
}

// Which bytes escape_of() changes, looked up per byte on the fan-out path.
struct EscapeTable {
  bool needs[256] = {};
  constexpr EscapeTable() {
    for (unsigned char c : {'&', '<', '>', '"', '\r', '\n', '\t'}) needs[c] = true;
  }
};
constexpr EscapeTable kEscape;

std::size_t escaped_size(std::string_view value) {
  std::size_t size = value.size();
  for (char c : value) {
    if (kEscape.needs[static_cast<unsigned char>(c)]) {
      size += std::char_traits<char>::length(escape_of(c)) - 1;
    }
  }
  return size;
}

}  // namespace

void append_attribute_value(std::string& out, std::string_view value) {
  std::size_t clean = 0;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (!kEscape.needs[static_cast<unsigned char>(value[i])]) continue;
    out.append(value.data() + clean, i - clean);
    out.append(escape_of(value[i]));
    clean = i + 1;
  }
  out.append(value.data() + clean, value.size() - clean);
}

void append_attribute(std::string& out, std::string_view name, std::string_view value) {
  out += ' ';
  out += name;
  out += "=\"";
  append_attribute_value(out, value);
  out += '"';
}

namespace {

constexpr std::string_view kToOpen = " to=\"";

}  // namespace

Broadcast::Broadcast(const Stanza& stanza) : text_(stanza.to_string()) {
  if (stanza.has_attr("to")) remove_to();
  text_.shrink_to_fit();  // kept for long in histories and occupants' presences
  name_end_ = static_cast<std::uint32_t>(1 + stanza.name().size());
  // Find from="..." in the start tag (pugixml writes attributes with double quotes).
  constexpr std::string_view kFrom = " from=\"";
  std::string_view head = std::string_view(text_).substr(0, text_.find('>'));
  if (auto at = head.find(kFrom); at != std::string_view::npos) {
    auto value = at + kFrom.size();
    auto end = head.find('"', value);
    if (end != std::string_view::npos) {
      from_at_ = static_cast<std::uint32_t>(value);
      from_size_ = static_cast<std::uint32_t>(end - value);
    }
  }
}

// Cuts ` to="..."` out of the start tag, as pugixml wrote it: name="value" pairs, double
// quotes, no quote inside a value.
void Broadcast::remove_to() {
  std::size_t i = text_.find_first_of(" />");
  while (i < text_.size() && text_[i] == ' ') {
    std::size_t name = i + 1;
    std::size_t eq = text_.find('=', name);
    if (eq == std::string::npos || eq + 1 >= text_.size() || text_[eq + 1] != '"') return;
    std::size_t close = text_.find('"', eq + 2);
    if (close == std::string::npos) return;
    if (std::string_view(text_).substr(name, eq - name) == "to") {
      text_.erase(i, close + 1 - i);
      return;
    }
    i = close + 1;
  }
}

std::size_t Broadcast::size_for(std::string_view to) const {
  return text_.size() + kToOpen.size() + escaped_size(to) + 1;
}

void Broadcast::append_to(std::string& out, std::string_view to) const {
  out.append(text_.data(), name_end_);
  out.append(kToOpen);
  append_attribute_value(out, to);
  out.push_back('"');
  out.append(text_.data() + name_end_, text_.size() - name_end_);
}

std::string Broadcast::text_for(std::string_view to) const {
  std::string out;
  out.reserve(size_for(to));
  append_to(out, to);
  return out;
}

Broadcast Broadcast::with_child(std::string_view child) const {
  Broadcast copy;
  copy.name_end_ = name_end_;
  copy.from_at_ = from_at_;
  copy.from_size_ = from_size_;
  copy.text_.reserve(text_.size() + child.size() + name_end_ + 3);
  if (text_.size() >= 2 && text_.compare(text_.size() - 2, 2, "/>") == 0) {
    // <name .../> becomes <name ...>child</name>
    copy.text_.append(text_, 0, text_.size() - 2);
    copy.text_.push_back('>');
    copy.text_.append(child);
    copy.text_.append("</");
    copy.text_.append(name());
    copy.text_.push_back('>');
  } else {
    std::size_t close = text_.rfind("</");
    copy.text_.append(text_, 0, close);
    copy.text_.append(child);
    copy.text_.append(text_, close, std::string::npos);
  }
  return copy;
}

}  // namespace mucd
