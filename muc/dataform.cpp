#include "muc/dataform.hpp"

#include "core/stanza.hpp"
#include "muc/types.hpp"

namespace mucd::muc {

pugi::xml_node write_form(pugi::xml_node parent, const FormLayout& form) {
  auto x = add_child(parent, "x", ns::kData);
  x.append_attribute("type").set_value(form.type.c_str());
  if (!form.title.empty()) add_text_child(x, "title", form.title);
  if (!form.instructions.empty()) add_text_child(x, "instructions", form.instructions);
  for (const auto& field : form.fields) {
    auto f = x.append_child("field");
    f.append_attribute("type").set_value(field.type.c_str());
    if (!field.var.empty()) f.append_attribute("var").set_value(field.var.c_str());
    if (!field.label.empty()) f.append_attribute("label").set_value(field.label.c_str());
    if (!field.desc.empty()) add_text_child(f, "desc", field.desc);
    if (!field.datatype.empty() && form.type == "form") {
      add_child(f, "validate", "http://jabber.org/protocol/xdata-validate")
          .append_attribute("datatype")
          .set_value(field.datatype.c_str());
    }
    if (form.type == "form") {
      for (const auto& option : field.options) {
        auto o = f.append_child("option");
        if (!option.label.empty()) o.append_attribute("label").set_value(option.label.c_str());
        add_text_child(o, "value", option.value);
      }
    }
    for (const auto& value : field.values) add_text_child(f, "value", value);
    if (field.required && form.type == "form") f.append_child("required");
  }
  return x;
}

SubmittedForm SubmittedForm::read(pugi::xml_node x) {
  SubmittedForm form;
  form.type_ = x.attribute("type").value();
  for (auto field : x.children("field")) {
    std::string var = field.attribute("var").value();
    if (var.empty()) continue;
    std::vector<std::string> values;
    for (auto value : field.children("value")) values.emplace_back(value.text().get());
    form.fields_.emplace_back(std::move(var), std::move(values));
  }
  return form;
}

bool SubmittedForm::has(std::string_view var) const {
  for (const auto& [name, values] : fields_) {
    if (name == var) return true;
  }
  return false;
}

std::optional<std::string> SubmittedForm::value(std::string_view var) const {
  for (const auto& [name, values] : fields_) {
    if (name == var) {
      if (values.empty()) return std::nullopt;
      return values.front();
    }
  }
  return std::nullopt;
}

std::vector<std::string> SubmittedForm::values(std::string_view var) const {
  for (const auto& [name, values] : fields_) {
    if (name == var) return values;
  }
  return {};
}

std::optional<bool> parse_form_boolean(std::string_view text) {
  if (text == "1" || text == "true") return true;
  if (text == "0" || text == "false") return false;
  return std::nullopt;
}

}  // namespace mucd::muc
