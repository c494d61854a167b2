// A parsed scansion script (see SCANSION.md): the clients of its header and its steps.
//
// Parsing is pure: text in, Script or ParseError out. Every step's XML is checked for
// well-formedness here, with `${...}` variables still in place, so that a broken script fails
// before any connection is made, with the file and line of the problem.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mucd::scansion {

struct ClientSpec {
  std::string name;  // as in `[Client] Name`
  std::string jid;   // user@host or user@host/resource
  std::string password;
  int line = 0;  // of the `[Client]` line
};

enum class Action { Connect, Disconnect, Send, Receive };

struct Step {
  Action action = Action::Connect;
  std::string client;
  int line = 0;      // of the action line (`Romeo sends:`)
  std::string xml;   // Send and Receive only: the stanza, variables not yet substituted
  int xml_line = 0;  // line of the first XML line
};

struct Script {
  std::string title;  // the `# Title` line without `# `, empty when the script has none
  std::vector<ClientSpec> clients;
  std::vector<Step> steps;

  // The client named `name`, or nullptr.
  const ClientSpec* client(std::string_view name) const;
};

struct ParseError {
  std::string file;
  int line = 0;
  std::string message;

  // `file:line: message`
  std::string to_string() const;
};

// Parses a script. `file` is only used in error messages.
std::variant<Script, ParseError> parse_script(std::string_view text, std::string_view file);

// `Romeo sends` etc., for messages.
std::string_view action_name(Action action);

}  // namespace mucd::scansion
