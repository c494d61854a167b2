#include "muc/stanza_error.hpp"

#include <algorithm>

#include "core/handler.hpp"
#include "muc/types.hpp"

namespace mucd::muc {

namespace {

std::string_view type_name(ErrorType type) {
  switch (type) {
    case ErrorType::Auth:
      return "auth";
    case ErrorType::Cancel:
      return "cancel";
    case ErrorType::Continue:
      return "continue";
    case ErrorType::Modify:
      return "modify";
    case ErrorType::Wait:
      return "wait";
  }
  return "cancel";
}

// XEP-0086's mapping from conditions to the legacy numeric codes.
std::string_view legacy_code(Condition condition) {
  switch (condition) {
    case Condition::BadRequest:
      return "400";
    case Condition::Conflict:
      return "409";
    case Condition::FeatureNotImplemented:
      return "501";
    case Condition::Forbidden:
      return "403";
    case Condition::Gone:
      return "302";
    case Condition::InternalServerError:
      return "500";
    case Condition::ItemNotFound:
      return "404";
    case Condition::JidMalformed:
      return "400";
    case Condition::NotAcceptable:
      return "406";
    case Condition::NotAllowed:
      return "405";
    case Condition::NotAuthorized:
      return "401";
    case Condition::PolicyViolation:
      return "500";
    case Condition::RegistrationRequired:
      return "407";
    case Condition::ResourceConstraint:
      return "500";
    case Condition::ServiceUnavailable:
      return "503";
  }
  return "500";
}

}  // namespace

std::string_view to_string(Condition condition) {
  switch (condition) {
    case Condition::BadRequest:
      return "bad-request";
    case Condition::Conflict:
      return "conflict";
    case Condition::FeatureNotImplemented:
      return "feature-not-implemented";
    case Condition::Forbidden:
      return "forbidden";
    case Condition::Gone:
      return "gone";
    case Condition::InternalServerError:
      return "internal-server-error";
    case Condition::ItemNotFound:
      return "item-not-found";
    case Condition::JidMalformed:
      return "jid-malformed";
    case Condition::NotAcceptable:
      return "not-acceptable";
    case Condition::NotAllowed:
      return "not-allowed";
    case Condition::NotAuthorized:
      return "not-authorized";
    case Condition::PolicyViolation:
      return "policy-violation";
    case Condition::RegistrationRequired:
      return "registration-required";
    case Condition::ResourceConstraint:
      return "resource-constraint";
    case Condition::ServiceUnavailable:
      return "service-unavailable";
  }
  return "undefined-condition";
}

bool means_session_gone(std::string_view condition) {
  static constexpr std::string_view kGone[] = {"gone",
                                               "internal-server-error",
                                               "item-not-found",
                                               "jid-malformed",
                                               "recipient-unavailable",
                                               "redirect",
                                               "remote-server-not-found",
                                               "remote-server-timeout",
                                               "service-unavailable"};
  if (condition.empty()) return true;
  return std::find(std::begin(kGone), std::end(kGone), condition) != std::end(kGone);
}

std::string error_condition(const Stanza& stanza) {
  for (auto child : stanza.root().child("error").children()) {
    if (child.type() == pugi::node_element && std::string_view(child.name()) != "text") {
      return child.name();
    }
  }
  return {};
}

Stanza reply_to(const Stanza& original) {
  Stanza reply{original.name()};
  if (original.has_attr("from")) reply.set_attr("to", original.from());
  if (original.has_attr("to")) reply.set_attr("from", original.to());
  if (original.has_attr("id")) reply.set_attr("id", original.id());
  if (original.name() == "iq") {
    reply.set_attr("type", "result");
  } else if (original.has_attr("type")) {
    reply.set_attr("type", original.type());
  }
  return reply;
}

std::string reply_text(const Stanza& original) {
  std::string out;
  out.reserve(64 + original.from().size() + original.to().size() + original.id().size());
  out += '<';
  out += original.name();
  auto attribute = [&](std::string_view name, std::string_view value) {
    append_attribute(out, name, value);
  };
  // As reply_to() sets them, in its order.
  if (original.has_attr("from")) attribute("to", original.from());
  if (original.has_attr("to")) attribute("from", original.to());
  if (original.has_attr("id")) attribute("id", original.id());
  if (original.name() == "iq") {
    attribute("type", "result");
  } else if (original.has_attr("type")) {
    attribute("type", original.type());
  }
  out += "/>";
  return out;
}

Stanza error_reply(const Stanza& original, const ErrorSpec& error) {
  Stanza reply = reply_to(original);
  reply.set_attr("type", "error");
  auto el = reply.root().append_child("error");
  el.append_attribute("type").set_value(std::string(type_name(error.type)).c_str());
  if (!error.by.empty() && error.by != reply.from()) {
    el.append_attribute("by").set_value(std::string(error.by).c_str());
  }
  if (error.legacy_code) {
    el.append_attribute("code").set_value(std::string(legacy_code(error.condition)).c_str());
  }
  add_child(el, to_string(error.condition), ns::kStanzas);
  if (!error.text.empty()) {
    add_text_child(el, "text", error.text)
        .append_attribute("xmlns")
        .set_value(std::string(ns::kStanzas).c_str());
  }
  return reply;
}

}  // namespace mucd::muc
