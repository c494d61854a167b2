#include "component/outgoing.hpp"

#include <fmt/format.h>

namespace mucd::component {

namespace {

constexpr std::string_view kNsStanzas = "urn:ietf:params:xml:ns:xmpp-stanzas";

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool is_name_char(char c) {
  return !is_space(c) && c != '=' && c != '>' && c != '/' && c != '<' && c != '"' && c != '\'';
}

}  // namespace

bool is_at_domain(std::string_view jid, std::string_view domain) {
  std::string_view bare = jid.substr(0, jid.find('/'));
  size_t at = bare.find('@');
  if (at == 0) return false;
  std::string_view host = at == std::string_view::npos ? bare : bare.substr(at + 1);
  return !domain.empty() && host == domain;
}

std::optional<std::string> outgoing_problem(std::string_view from, std::string_view to,
                                            std::string_view domain) {
  if (to.empty()) return std::string("it has no 'to'");
  if (from.empty()) return std::string("it has no 'from'");
  if (!is_at_domain(from, domain)) {
    return fmt::format("'from' is not {} or a JID at it, and the server would close the stream",
                       domain);
  }
  return std::nullopt;
}

std::optional<StartTag> scan_start_tag(std::string_view xml) {
  size_t i = 0;
  while (i < xml.size() && is_space(xml[i])) ++i;
  if (i >= xml.size() || xml[i] != '<') return std::nullopt;
  ++i;
  size_t name_start = i;
  while (i < xml.size() && is_name_char(xml[i])) ++i;
  if (i == name_start) return std::nullopt;
  StartTag tag;
  tag.name = xml.substr(name_start, i - name_start);
  for (;;) {
    while (i < xml.size() && is_space(xml[i])) ++i;
    if (i >= xml.size()) return std::nullopt;
    if (xml[i] == '>' || xml.substr(i, 2) == "/>") return tag;
    size_t attr_start = i;
    while (i < xml.size() && is_name_char(xml[i])) ++i;
    if (i == attr_start) return std::nullopt;
    std::string_view attr = xml.substr(attr_start, i - attr_start);
    while (i < xml.size() && is_space(xml[i])) ++i;
    if (i >= xml.size() || xml[i] != '=') return std::nullopt;
    ++i;
    while (i < xml.size() && is_space(xml[i])) ++i;
    if (i >= xml.size() || (xml[i] != '"' && xml[i] != '\'')) return std::nullopt;
    char quote = xml[i++];
    size_t close = xml.find(quote, i);
    if (close == std::string_view::npos) return std::nullopt;
    std::string_view value = xml.substr(i, close - i);
    if (value.find('<') != std::string_view::npos) return std::nullopt;
    if (attr == "from") tag.from = value;
    if (attr == "to") tag.to = value;
    i = close + 1;
  }
}

bool is_stanza_name(std::string_view name) {
  return name == "message" || name == "presence" || name == "iq";
}

std::optional<Stanza> internal_error_reply(const Stanza& request) {
  if (request.name() != "iq") return std::nullopt;
  if (request.type() != "get" && request.type() != "set") return std::nullopt;
  if (request.from().empty()) return std::nullopt;
  Stanza reply{"iq"};
  reply.set_attr("type", "error");
  if (!request.to().empty()) reply.set_attr("from", request.to());
  reply.set_attr("to", request.from());
  if (request.has_attr("id")) reply.set_attr("id", request.id());
  auto error = add_child(reply.root(), "error");
  error.append_attribute("type").set_value("cancel");
  add_child(error, "internal-server-error", kNsStanzas);
  return reply;
}

}  // namespace mucd::component
