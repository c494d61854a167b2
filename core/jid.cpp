#include "core/jid.hpp"

#include <stringprep.h>

#include <vector>

namespace mucd {

namespace {

constexpr size_t kMaxPart = 1023;

enum class Profile { Node, Name, Resource };

bool is_ascii(std::string_view in) {
  for (char c : in) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// Stringprep restricted to ASCII, where its tables reduce to: case folding (nodeprep and
// nameprep), no other mapping, normalization changes nothing, no bidirectional characters, and
// prohibited code points: ASCII controls (nodeprep and resourceprep), space (nodeprep) and
// "&'/:<>@ (nodeprep). Every incoming stanza has its `from` and `to` prepared, and libidn takes
// tens of microseconds per JID; jid_test.cpp checks this agrees with libidn on ASCII.
std::optional<std::string> prep_ascii(std::string_view in, Profile profile) {
  std::string out(in);
  for (char& c : out) {
    if (profile != Profile::Name && (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)) {
      return std::nullopt;
    }
    if (profile == Profile::Node) {
      switch (c) {
        case ' ':
        case '"':
        case '&':
        case '\'':
        case '/':
        case ':':
        case '<':
        case '>':
        case '@':
          return std::nullopt;
        default:
          break;
      }
    }
    if (profile != Profile::Resource && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::optional<std::string> prep(std::string_view in, const Stringprep_profile* profile,
                                Stringprep_profile_flags flags) {
  if (in.size() > kMaxPart) return std::nullopt;
  if (is_ascii(in) && in.find('\0') == std::string_view::npos) {
    if (profile == stringprep_xmpp_nodeprep) return prep_ascii(in, Profile::Node);
    if (profile == stringprep_nameprep) return prep_ascii(in, Profile::Name);
    if (profile == stringprep_xmpp_resourceprep) return prep_ascii(in, Profile::Resource);
  }
  // Preparation can grow the string (case folding); leave generous room.
  std::vector<char> buf(in.size() * 4 + 16, '\0');
  std::copy(in.begin(), in.end(), buf.begin());
  if (stringprep(buf.data(), buf.size(), flags, profile) != STRINGPREP_OK) return std::nullopt;
  std::string out(buf.data());
  if (out.size() > kMaxPart) return std::nullopt;
  return out;
}

}  // namespace

std::optional<Jid> Jid::parse(std::string_view text) {
  std::string_view node, domain, resource;
  auto slash = text.find('/');
  std::string_view head = text.substr(0, slash);
  bool has_resource = slash != std::string_view::npos;
  if (has_resource) resource = text.substr(slash + 1);
  auto at = head.find('@');
  if (at != std::string_view::npos) {
    node = head.substr(0, at);
    domain = head.substr(at + 1);
    if (node.empty()) return std::nullopt;
  } else {
    domain = head;
  }
  if (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
  if (domain.empty()) return std::nullopt;
  if (has_resource && resource.empty()) return std::nullopt;

  Jid jid;
  if (!node.empty()) {
    auto n = prep(node, stringprep_xmpp_nodeprep, Stringprep_profile_flags(0));
    if (!n || n->empty()) return std::nullopt;
    jid.node_ = std::move(*n);
  }
  auto d = prep(domain, stringprep_nameprep, Stringprep_profile_flags(0));
  if (!d || d->empty()) return std::nullopt;
  jid.domain_ = std::move(*d);
  if (has_resource) {
    auto r = prep(resource, stringprep_xmpp_resourceprep, Stringprep_profile_flags(0));
    if (!r || r->empty()) return std::nullopt;
    jid.resource_ = std::move(*r);
  }
  return jid;
}

std::optional<std::string> Jid::prep_resource(std::string_view resource) {
  return prep(resource, stringprep_xmpp_resourceprep, STRINGPREP_NO_UNASSIGNED);
}

std::string Jid::bare() const {
  if (node_.empty()) return domain_;
  std::string out;
  out.reserve(node_.size() + 1 + domain_.size());
  out += node_;
  out += '@';
  out += domain_;
  return out;
}

std::string Jid::full() const {
  if (resource_.empty()) return bare();
  std::string out;
  out.reserve(node_.size() + domain_.size() + resource_.size() + 2);
  if (!node_.empty()) {
    out += node_;
    out += '@';
  }
  out += domain_;
  out += '/';
  out += resource_;
  return out;
}

bool Jid::is_written_as(std::string_view text) const {
  if (!node_.empty()) {
    if (!text.starts_with(node_) || text.size() <= node_.size() || text[node_.size()] != '@') {
      return false;
    }
    text.remove_prefix(node_.size() + 1);
  }
  if (!text.starts_with(domain_)) return false;
  text.remove_prefix(domain_.size());
  if (resource_.empty()) return text.empty();
  return text.size() == resource_.size() + 1 && text[0] == '/' && text.substr(1) == resource_;
}

Jid Jid::bare_jid() const {
  Jid j = *this;
  j.resource_.clear();
  return j;
}

Jid Jid::with_resource(std::string resource) const {
  Jid j = *this;
  j.resource_ = std::move(resource);
  return j;
}

}  // namespace mucd
