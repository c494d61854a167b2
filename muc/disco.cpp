// Service discovery of a room (XEP-0045 §6.4): its identity, the muc_* features that describe
// its configuration, the muc#roominfo form, and the reserved-nick node.
#include "muc/dataform.hpp"
#include "muc/room.hpp"

namespace mucd::muc {

void Room::handle_disco_info(const Stanza& stanza) {
  auto request = child_ns(stanza.root(), "query", ns::kDiscoInfo);
  std::string node = request.attribute("node").value();
  Stanza reply = reply_to(stanza);
  auto query = add_child(reply.root(), "query", ns::kDiscoInfo);
  if (!node.empty()) {
    query.append_attribute("node").set_value(node.c_str());
    if (node == "x-roomuser-item") {
      if (auto nick = registered_nick(bare_of(stanza.from()))) {
        auto identity = query.append_child("identity");
        identity.append_attribute("category").set_value("conference");
        identity.append_attribute("type").set_value("text");
        identity.append_attribute("name").set_value(nick->c_str());
      }
    }
    route(std::move(reply));
    return;
  }
  auto identity = query.append_child("identity");
  identity.append_attribute("category").set_value("conference");
  identity.append_attribute("type").set_value("text");
  if (!config_.name.empty()) identity.append_attribute("name").set_value(config_.name.c_str());
  auto feature = [&](std::string_view var) {
    query.append_child("feature").append_attribute("var").set_value(std::string(var).c_str());
  };
  feature(ns::kMuc);
  feature("http://jabber.org/protocol/muc#stable_id");
  feature("http://jabber.org/protocol/muc#self-ping-optimization");
  feature(config_.hidden ? "muc_hidden" : "muc_public");
  feature(config_.password.empty() ? "muc_unsecured" : "muc_passwordprotected");
  feature(config_.members_only ? "muc_membersonly" : "muc_open");
  feature(config_.moderated ? "muc_moderated" : "muc_unmoderated");
  feature(ns::kMucRequest);
  feature(config_.persistent ? "muc_persistent" : "muc_temporary");
  feature(ns::kRegister);
  if (env_.occupant_ids) feature(ns::kOccupantId);
  feature(config_.whois == Whois::Anyone ? "muc_nonanonymous" : "muc_semianonymous");

  FormLayout info;
  info.type = "result";
  auto values_if = [](const std::string& v) {
    return v.empty() ? std::vector<std::string>{} : std::vector<std::string>{v};
  };
  info.fields = {
      {.var = "FORM_TYPE", .type = "hidden", .values = {std::string(ns::kRoomInfo)}},
      {.var = "muc#roominfo_occupants",
       .label = "Number of occupants",
       .values = {std::to_string(occupants_.size())}},
      {.var = "muc#roomconfig_roomname", .label = "Title", .values = values_if(config_.name)},
      {.var = "muc#roominfo_description", .label = "Description", .values = {config_.description}},
      {.var = "muc#roominfo_lang", .values = {config_.language}},
      {.var = "{http://prosody.im/protocol/muc}roomconfig_allowmemberinvites",
       .type = "boolean",
       .label = "Allow members to invite new members",
       .values = {config_.allow_member_invites ? "1" : "0"}},
      {.var = "muc#roomconfig_allowinvites",
       .type = "boolean",
       .label = "Allow users to invite other users",
       .values = {(!config_.members_only || config_.allow_member_invites) ? "1" : "0"}},
      // XEP-0045 §15.5.4 registers the subject for disco; Prosody 0.12 leaves it out.
      {.var = "muc#roominfo_subject", .label = "Subject", .values = values_if(subject_)},
      {.var = "muc#roomconfig_changesubject",
       .type = "boolean",
       .values =
           config_.change_subject ? std::vector<std::string>{"1"} : std::vector<std::string>{}},
  };
  write_form(query, info);
  route(std::move(reply));
}

void Room::handle_disco_items(const Stanza& stanza) {
  Stanza reply = reply_to(stanza);
  add_child(reply.root(), "query", ns::kDiscoItems);
  route(std::move(reply));
}

bool Room::handle_iq_to_room(const Stanza& stanza) {
  std::string_view type = stanza.type();
  auto payload =
      stanza.root().find_child([](pugi::xml_node n) { return n.type() == pugi::node_element; });
  std::string_view name = payload.name();
  std::string_view xmlns = payload.attribute("xmlns").value();
  if (name != "query") return false;
  if (type == "get" && xmlns == ns::kDiscoInfo) {
    handle_disco_info(stanza);
  } else if (type == "get" && xmlns == ns::kDiscoItems) {
    handle_disco_items(stanza);
  } else if (type == "get" && xmlns == ns::kMucAdmin) {
    handle_admin_get(stanza);
  } else if (type == "set" && xmlns == ns::kMucAdmin) {
    handle_admin_set(stanza);
  } else if (type == "get" && xmlns == ns::kMucOwner) {
    handle_owner_get(stanza);
  } else if (type == "set" && xmlns == ns::kMucOwner) {
    handle_owner_set(stanza);
  } else if ((type == "get" || type == "set") && xmlns == ns::kRegister) {
    handle_register(stanza);
  } else {
    return false;
  }
  return true;
}

}  // namespace mucd::muc
