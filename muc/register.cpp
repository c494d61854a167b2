// Room registration (XEP-0045 §7.10): reserving a nickname, which makes the user a member.
#include "core/jid.hpp"
#include "muc/dataform.hpp"
#include "muc/room.hpp"

namespace mucd::muc {

namespace {
FormLayout registration_form() {
  FormLayout form;
  form.fields = {
      {.var = "FORM_TYPE", .type = "hidden", .values = {std::string(ns::kMucRegister)}},
      {.var = "muc#register_roomnick",
       .type = "text-single",
       .label = "Nickname",
       .required = true},
  };
  return form;
}
}  // namespace

void Room::handle_register(const Stanza& stanza) {
  const std::string user{bare_of(stanza.from())};
  Affiliation affiliation = affiliation_of(user);
  if (affiliation == Affiliation::Outcast) {
    send_error(stanza, ErrorSpec{ErrorType::Auth, Condition::Forbidden});
    return;
  }
  if (affiliation == Affiliation::None && !env_.allow_unaffiliated_register) {
    send_error(stanza, ErrorSpec{ErrorType::Auth, Condition::RegistrationRequired});
    return;
  }
  auto registered = registered_nick(user);
  Stanza reply = reply_to(stanza);
  if (stanza.type() == "get") {
    auto query = add_child(reply.root(), "query", ns::kRegister);
    if (registered) {
      query.append_child("registered");
      add_text_child(query, "username", *registered);
    } else {
      write_form(query, registration_form());
    }
    route(std::move(reply));
    return;
  }
  if (stanza.type() != "set") return;
  auto query = child_ns(stanza.root(), "query", ns::kRegister);
  if (query.child("remove")) {
    Affiliation remaining = affiliation == Affiliation::Member ? Affiliation::None : affiliation;
    if (auto error =
            set_affiliation(std::nullopt, user, remaining, std::nullopt, std::nullopt, true)) {
      send_error(stanza, *error);
      return;
    }
    route(std::move(reply));
    return;
  }
  auto x = child_ns(query, "x", ns::kData);
  if (!x) {
    send_error(stanza, ErrorSpec{ErrorType::Modify, Condition::BadRequest, "Missing dataform"});
    return;
  }
  SubmittedForm form = SubmittedForm::read(x);
  if (form.form_type() != ns::kMucRegister) {
    send_error(stanza, ErrorSpec{ErrorType::Modify, Condition::BadRequest, "Error in form"});
    return;
  }
  auto raw_nick = form.value("muc#register_roomnick");
  auto nick = raw_nick ? Jid::prep_resource(*raw_nick) : std::nullopt;
  if (!nick || nick->empty()) {
    send_error(stanza, ErrorSpec{ErrorType::Modify, Condition::BadRequest, "Invalid Nickname"});
    return;
  }
  auto current = occupant_by_nick(jid_ + "/" + *nick);
  if (current && current->bare_jid() != user) {
    send_error(stanza, ErrorSpec{ErrorType::Cancel, Condition::Conflict});
    return;
  }
  auto reserved_by = registered_jid(*nick);
  if (reserved_by && *reserved_by != user) {
    send_error(stanza, ErrorSpec{ErrorType::Cancel, Condition::Conflict});
    return;
  }
  if (registered != nick) {
    Affiliation new_affiliation =
        affiliation == Affiliation::None ? Affiliation::Member : affiliation;
    if (auto error = set_affiliation(std::nullopt, user, new_affiliation, std::nullopt, *nick)) {
      send_error(stanza, *error);
      return;
    }
  }
  route(std::move(reply));
}

}  // namespace mucd::muc
