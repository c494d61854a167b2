// XEP-0004 data forms: reading submitted forms and writing forms to fill in.
#pragma once

#include <optional>
#include <pugixml.hpp>
#include <string>
#include <vector>

namespace mucd::muc {

struct FormOption {
  std::string label;
  std::string value;
};

struct FormField {
  std::string var;  // empty for 'fixed' fields
  std::string type = "text-single";
  std::string label;
  std::string desc;
  std::string datatype;  // XEP-0122 validate datatype, e.g. "xs:integer"
  std::vector<std::string> values;
  std::vector<FormOption> options;
  bool required = false;
};

struct FormLayout {
  std::string type = "form";  // form, result
  std::string title;
  std::string instructions;
  std::vector<FormField> fields;
};

// Appends the `<x xmlns='jabber:x:data'>` element for `form` to `parent`.
pugi::xml_node write_form(pugi::xml_node parent, const FormLayout& form);

// A submitted form: fields by var, each with its values (in document order).
class SubmittedForm {
 public:
  // Reads `<x xmlns='jabber:x:data'>`. Fields without var are ignored.
  static SubmittedForm read(pugi::xml_node x);

  std::string_view type() const { return type_; }
  bool empty() const { return fields_.empty(); }
  bool has(std::string_view var) const;
  // The first value, or nullopt when the field is absent or has no value.
  std::optional<std::string> value(std::string_view var) const;
  std::vector<std::string> values(std::string_view var) const;
  // The value of FORM_TYPE, empty when absent.
  std::string form_type() const { return value("FORM_TYPE").value_or(""); }
  const std::vector<std::pair<std::string, std::vector<std::string>>>& fields() const {
    return fields_;
  }

 private:
  std::string type_;
  std::vector<std::pair<std::string, std::vector<std::string>>> fields_;
};

// XEP-0004 booleans: "1"/"true" and "0"/"false". Anything else is nullopt.
std::optional<bool> parse_form_boolean(std::string_view text);

}  // namespace mucd::muc
