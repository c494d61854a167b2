#include "muc/testing.hpp"

#include <stdexcept>

namespace mucd::muc::testing {

ServiceConfig test_config() {
  ServiceConfig c;
  c.domain = "conference.localhost";
  c.admins = {"admin@localhost"};
  return c;
}

ServiceHarness::ServiceHarness() : ServiceHarness(test_config()) {}

ServiceHarness::ServiceHarness(ServiceConfig config) : service(std::move(config), clock) {
  service.set_id_generator([this] { return "gen" + std::to_string(++next_id); });
}

std::vector<Stanza> ServiceHarness::send(std::string_view xml) {
  auto stanza = Stanza::parse(xml);
  if (!stanza) throw std::runtime_error("bad test XML: " + std::string(xml));
  RecordingOutbox out;
  service.handle(*stanza, out);
  return out.sent;
}

std::vector<Stanza> ServiceHarness::join(std::string_view jid, std::string_view room,
                                         std::string_view nick, std::string_view extra) {
  return send("<presence from='" + std::string(jid) + "' to='" + std::string(room) +
              "@conference.localhost/" + std::string(nick) +
              "'><x xmlns='http://jabber.org/protocol/muc'>" + std::string(extra) +
              "</x></presence>");
}

std::vector<Stanza> ServiceHarness::configure(std::string_view jid, std::string_view room,
                                              std::string_view fields) {
  return send("<iq from='" + std::string(jid) + "' to='" + std::string(room) +
              "@conference.localhost' type='set' id='c'><query "
              "xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
              "type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/"
              "muc#roomconfig</value></field>" +
              std::string(fields) + "</x></query></iq>");
}

void ServiceHarness::create_instant(std::string_view jid, std::string_view room,
                                    std::string_view nick) {
  join(jid, room, nick);
  send("<iq from='" + std::string(jid) + "' to='" + std::string(room) +
       "@conference.localhost' type='set' id='cfg'><query "
       "xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
       "type='submit'/></query></iq>");
}

std::vector<Stanza> to(const std::vector<Stanza>& sent, std::string_view jid) {
  std::vector<Stanza> out;
  for (const auto& s : sent) {
    if (s.to() == jid) out.push_back(s);
  }
  return out;
}

bool has_status(const Stanza& stanza, std::string_view code) {
  auto x = child_ns(stanza.root(), "x", "http://jabber.org/protocol/muc#user");
  for (auto status : x.children("status")) {
    if (code == status.attribute("code").value()) return true;
  }
  return false;
}

pugi::xml_node item_of(const Stanza& stanza) {
  return child_ns(stanza.root(), "x", "http://jabber.org/protocol/muc#user").child("item");
}

}  // namespace mucd::muc::testing
