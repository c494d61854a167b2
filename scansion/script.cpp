#include "scansion/script.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <optional>

#include "scansion/variables.hpp"
#include "scansion/xml.hpp"

namespace mucd::scansion {

namespace {

struct Line {
  int number = 0;
  std::string_view text;  // without the line break

  bool blank() const { return trim(text).empty(); }
  bool comment() const { return !text.empty() && text.front() == '#'; }
  bool indented() const { return !text.empty() && (text.front() == ' ' || text.front() == '\t'); }
  bool header_end() const {
    auto t = trim(text);
    return t.size() >= 3 && std::all_of(t.begin(), t.end(), [](char c) { return c == '-'; });
  }
};

std::vector<Line> split_lines(std::string_view text) {
  std::vector<Line> lines;
  int number = 1;
  while (!text.empty()) {
    auto end = text.find('\n');
    auto line = text.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back({number++, line});
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

struct ActionLine {
  Action action;
  std::string client;
};

// `Romeo sends:` -> {Send, "Romeo"}; nullopt when the line ends in no known verb.
std::optional<ActionLine> split_action(std::string_view text) {
  struct Verb {
    std::string_view suffix;
    Action action;
  };
  static constexpr Verb kVerbs[] = {{" connects", Action::Connect},
                                    {" disconnects", Action::Disconnect},
                                    {" sends:", Action::Send},
                                    {" receives:", Action::Receive}};
  text = trim(text);
  for (const auto& verb : kVerbs) {
    if (text.size() > verb.suffix.size() && text.ends_with(verb.suffix)) {
      auto name = trim(text.substr(0, text.size() - verb.suffix.size()));
      if (!name.empty()) return ActionLine{verb.action, std::string(name)};
    }
  }
  return std::nullopt;
}

class Parser {
 public:
  Parser(std::string_view text, std::string_view file) : lines_(split_lines(text)), file_(file) {}

  std::variant<Script, ParseError> run() {
    if (!parse_header() || !parse_body()) return error_;
    return std::move(script_);
  }

 private:
  bool fail(int line, std::string message) {
    error_ = ParseError{std::string(file_), line, std::move(message)};
    return false;
  }

  bool parse_header() {
    ClientSpec* current = nullptr;
    bool seen_content = false;
    for (; pos_ < lines_.size(); ++pos_) {
      const auto& line = lines_[pos_];
      if (line.blank()) continue;
      if (line.comment()) {
        if (!seen_content && script_.title.empty()) {
          script_.title = std::string(trim(line.text.substr(1)));
        }
        seen_content = true;
        continue;
      }
      seen_content = true;
      if (line.header_end()) {
        ++pos_;
        return check_clients(line.number);
      }
      auto text = trim(line.text);
      if (line.indented()) {
        if (current == nullptr) {
          return fail(line.number, "indented line outside a [Client] block");
        }
        if (!parse_client_field(*current, line)) return false;
        continue;
      }
      if (text.starts_with("[Client]")) {
        auto name = std::string(trim(text.substr(8)));
        if (name.empty()) return fail(line.number, "[Client] without a name");
        if (script_.client(name) != nullptr) {
          return fail(line.number, fmt::format("client \"{}\" declared twice", name));
        }
        script_.clients.push_back({name, "", "", line.number});
        current = &script_.clients.back();
        continue;
      }
      if (split_action(text)) {
        return fail(line.number,
                    "missing header end: an action before the '-----' line that ends the header");
      }
      return fail(line.number, fmt::format("unexpected line in the header: \"{}\"", text));
    }
    int last = lines_.empty() ? 1 : lines_.back().number;
    if (script_.clients.empty()) {
      return fail(last, "missing header: no [Client] block and no '-----' line");
    }
    return fail(last, "missing header end: no '-----' line after the [Client] blocks");
  }

  bool parse_client_field(ClientSpec& client, const Line& line) {
    auto text = trim(line.text);
    auto colon = text.find(':');
    if (colon == std::string_view::npos) {
      return fail(line.number, fmt::format("expected 'key: value' in [Client] {}", client.name));
    }
    auto key = trim(text.substr(0, colon));
    auto value = std::string(trim(text.substr(colon + 1)));
    if (key == "jid") {
      auto at = value.find('@');
      if (at == 0 || at == std::string::npos || at + 1 == value.size()) {
        return fail(line.number, fmt::format("jid \"{}\" is not user@host[/resource]", value));
      }
      client.jid = value;
    } else if (key == "password") {
      client.password = value;
    } else {
      return fail(line.number,
                  fmt::format("unknown [Client] field \"{}\" (expected jid or password)", key));
    }
    return true;
  }

  bool check_clients(int header_end_line) {
    if (script_.clients.empty()) {
      return fail(header_end_line, "missing header: no [Client] block before '-----'");
    }
    for (const auto& client : script_.clients) {
      if (client.jid.empty()) {
        return fail(client.line, fmt::format("[Client] {} has no jid", client.name));
      }
    }
    return true;
  }

  bool parse_body() {
    while (pos_ < lines_.size()) {
      const auto& line = lines_[pos_++];
      if (line.blank() || line.comment()) continue;
      if (line.indented()) {
        return fail(line.number,
                    "indented line without an action (XML belongs after 'Name sends:' or "
                    "'Name receives:')");
      }
      auto text = trim(line.text);
      auto action = split_action(text);
      if (!action) return fail(line.number, fmt::format("unknown action \"{}\"", text));
      if (script_.client(action->client) == nullptr) {
        return fail(line.number, fmt::format("unknown client \"{}\"", action->client));
      }
      Step step{action->action, action->client, line.number, "", 0};
      if (!collect_xml(step)) return false;
      script_.steps.push_back(std::move(step));
    }
    return true;
  }

  // Reads the indented lines after an action line into `step.xml` and checks them.
  bool collect_xml(Step& step) {
    std::vector<const Line*> block;
    while (pos_ < lines_.size()) {
      const auto& line = lines_[pos_];
      if (line.comment()) {
        ++pos_;
        continue;
      }
      if (line.blank() || !line.indented()) break;
      block.push_back(&line);
      ++pos_;
    }
    bool wants_xml = step.action == Action::Send || step.action == Action::Receive;
    if (!wants_xml) {
      if (!block.empty()) {
        return fail(block.front()->number,
                    fmt::format("'{} {}' takes no XML", step.client, action_name(step.action)));
      }
      return true;
    }
    if (block.empty()) {
      return fail(step.line, fmt::format("expected indented XML after '{} {}:'", step.client,
                                         action_name(step.action)));
    }
    std::vector<int> numbers;  // line number of each line of step.xml
    for (const auto* line : block) {
      if (!step.xml.empty()) step.xml += '\n';
      step.xml += line->text;
      numbers.push_back(line->number);
    }
    step.xml_line = numbers.front();
    auto line_at = [&](std::size_t offset) {
      auto breaks = std::count(
          step.xml.begin(),
          step.xml.begin() + static_cast<std::ptrdiff_t>(std::min(offset, step.xml.size())), '\n');
      return numbers[static_cast<std::size_t>(breaks)];
    };
    auto parsed = parse_element(step.xml);
    if (!parsed) {
      return fail(line_at(static_cast<std::size_t>(std::max<std::ptrdiff_t>(parsed.offset, 0))),
                  fmt::format("XML syntax error: {}", parsed.error));
    }
    for (const auto& use : find_variables(step.xml)) {
      if (!use.variable) {
        return fail(line_at(use.offset),
                    fmt::format("unknown variable ${{{}}} (expected ${{Name's full JID}} or "
                                "${{Name's JID}})",
                                use.text));
      }
      if (script_.client(use.variable->client) == nullptr) {
        return fail(line_at(use.offset), fmt::format("variable ${{{}}} names unknown client \"{}\"",
                                                     use.text, use.variable->client));
      }
    }
    return true;
  }

  std::vector<Line> lines_;
  std::string_view file_;
  std::size_t pos_ = 0;
  Script script_;
  ParseError error_;
};

}  // namespace

const ClientSpec* Script::client(std::string_view name) const {
  for (const auto& c : clients) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string ParseError::to_string() const {
  return fmt::format("{}:{}: {}", file, line, message);
}

std::variant<Script, ParseError> parse_script(std::string_view text, std::string_view file) {
  return Parser(text, file).run();
}

std::string_view action_name(Action action) {
  switch (action) {
    case Action::Connect:
      return "connects";
    case Action::Disconnect:
      return "disconnects";
    case Action::Send:
      return "sends";
    case Action::Receive:
      return "receives";
  }
  return "?";
}

}  // namespace mucd::scansion
