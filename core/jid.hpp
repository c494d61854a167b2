// A Jabber ID (RFC 6122): node@domain/resource, each part prepared with stringprep (libidn).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mucd {

class Jid {
 public:
  Jid() = default;

  // Splits and prepares `text` (nodeprep, nameprep, resourceprep). Returns nullopt when any part
  // fails its profile, is too long (1023 bytes), or the domain is empty.
  static std::optional<Jid> parse(std::string_view text);

  // Prepares a nickname with strict resourceprep (unassigned code points refused), as a MUC
  // occupant's resource. Returns nullopt when it fails or is longer than 1023 bytes.
  static std::optional<std::string> prep_resource(std::string_view resource);

  const std::string& node() const { return node_; }
  const std::string& domain() const { return domain_; }
  const std::string& resource() const { return resource_; }

  bool has_node() const { return !node_.empty(); }
  bool has_resource() const { return !resource_.empty(); }

  // node@domain (or domain).
  std::string bare() const;
  // node@domain/resource (or the bare JID when there is no resource).
  std::string full() const;
  // Whether full() == text, without building full() (most JIDs arrive prepared already).
  bool is_written_as(std::string_view text) const;

  Jid bare_jid() const;
  Jid with_resource(std::string resource) const;

  friend bool operator==(const Jid&, const Jid&) = default;

 private:
  std::string node_;
  std::string domain_;
  std::string resource_;
};

}  // namespace mucd
