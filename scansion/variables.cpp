#include "scansion/variables.hpp"

#include "scansion/xml.hpp"

namespace mucd::scansion {

namespace {

std::optional<Variable> interpret(std::string_view text) {
  constexpr std::string_view kFull = "'s full JID";
  constexpr std::string_view kBare = "'s JID";
  auto ends_with = [&](std::string_view suffix) {
    return text.size() > suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
  };
  if (ends_with(kFull)) {
    return Variable{std::string(text.substr(0, text.size() - kFull.size())), true};
  }
  if (ends_with(kBare)) {
    return Variable{std::string(text.substr(0, text.size() - kBare.size())), false};
  }
  return std::nullopt;
}

}  // namespace

std::vector<VariableUse> find_variables(std::string_view text) {
  std::vector<VariableUse> uses;
  std::size_t pos = 0;
  while ((pos = text.find("${", pos)) != std::string_view::npos) {
    VariableUse use;
    use.offset = pos;
    auto close = text.find('}', pos + 2);
    if (close == std::string_view::npos) {
      use.length = text.size() - pos;
      use.text = std::string(text.substr(pos + 2));
      uses.push_back(std::move(use));
      break;
    }
    use.length = close + 1 - pos;
    use.text = std::string(text.substr(pos + 2, close - pos - 2));
    use.variable = interpret(use.text);
    uses.push_back(std::move(use));
    pos = close + 1;
  }
  return uses;
}

Substituted substitute(std::string_view xml, const VariableLookup& lookup) {
  Substituted out;
  std::size_t copied = 0;
  for (const auto& use : find_variables(xml)) {
    if (!use.variable) {
      out.error = "malformed variable ${" + use.text + "}";
      return out;
    }
    std::string error;
    auto value = lookup(*use.variable, error);
    if (!value) {
      out.error = error.empty() ? "no value for ${" + use.text + "}" : error;
      return out;
    }
    out.text.append(xml.substr(copied, use.offset - copied));
    // The value may land in a single- or a double-quoted attribute.
    for (char c : escape(*value)) {
      if (c == '\'') {
        out.text += "&apos;";
      } else {
        out.text += c;
      }
    }
    copied = use.offset + use.length;
  }
  out.text.append(xml.substr(copied));
  return out;
}

}  // namespace mucd::scansion
