// Normalised transcripts for `--record`: what each client received, in a form that does not
// change between runs or servers, so that two recordings can be compared with `diff`.
//
// Per stanza, one line: bound JIDs become `${Name's full JID}` / `${Name's JID}`; `id` values the
// script did not write become `{id}`, `stamp` becomes `{stamp}`, `sessionid` becomes
// `{sessionid}`, the `id` of `<occupant-id>` becomes `{occupant-id}`; redundant xmlns declarations
// are dropped, attributes are sorted by name and sibling elements by their serialized form.
#pragma once

#include <pugixml.hpp>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mucd::scansion {

class Normaliser {
 public:
  // A client's JIDs, replaced wherever they occur in attribute values and text. The full JID may
  // be empty (never bound).
  void add_client(std::string_view name, std::string_view bare_jid, std::string_view full_jid);

  // `id` values written in the script: these are echoed back by the server and kept.
  void keep_ids(std::set<std::string> ids) { kept_ids_ = std::move(ids); }

  // The normalised one-line serialization of `stanza`.
  std::string operator()(pugi::xml_node stanza) const;

  // `text` with the clients' JIDs replaced by their variables.
  std::string replace_jids(std::string_view text) const;

 private:
  std::string canonical(pugi::xml_node node, const std::string& inherited_ns) const;

  std::vector<std::pair<std::string, std::string>> jids_;  // literal -> variable, longest first
  std::set<std::string> kept_ids_;
};

// Every `id` attribute value in a script's step XML (see Normaliser::keep_ids).
std::set<std::string> ids_in(const std::vector<std::string>& step_xml);

}  // namespace mucd::scansion
