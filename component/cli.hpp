// The command line: argv and the environment in, Options or a reason to stop out.
//
// Parsing is pure apart from reading --secret-file and blanking the --secret value in argv; it
// never prints and never exits, so main decides what to do with each outcome.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/log.hpp"

namespace mucd::component {

// Where the host server listens for components.
struct ServerAddress {
  std::string host = "127.0.0.1";
  std::uint16_t port = 5347;

  // "host:port", with an IPv6 literal in brackets ("[::1]:5347").
  std::string to_string() const;
};

// Flood control per sender; per_second 0 turns it off.
struct RateLimit {
  double per_second = 20;
  double burst = 200;
};

struct Options {
  ServerAddress server;
  // The component's domain, nameprepped (lowercase).
  std::string domain;
  // The shared component secret. Never log it, print it or put it in an error message.
  std::string secret;
  // Where rooms are stored (a LevelDB store; created when missing). One mucd per directory.
  std::string data_dir = "./mucd-data";
  // Bare JIDs (user@host), prepared, without duplicates.
  std::vector<std::string> admins;
  log::Level log_level = log::Level::Info;
  RateLimit rate_limit;
  // Service policy. Who may create rooms: nullopt lets anyone; otherwise service admins and the
  // users of these (prepared) domains may, and an empty list means service admins only.
  std::optional<std::vector<std::string>> room_creator_domains;
  // The most occupants a room admits (its owners and admins always enter); nullopt: no limit.
  std::optional<unsigned> max_occupants;
  // Whether the link asks the server to expand broadcasts (--host-fanout auto) or never does.
  bool host_fanout = true;
  // Whether occupants' stanzas carry XEP-0421 occupant ids (--occupant-id on, the default).
  bool occupant_ids = true;
  // Where to write the link's status word (component/status_file.hpp); empty: nowhere.
  std::string status_file;
  // Things worth telling the operator once logging is set up (e.g. "--secret is visible in ps").
  std::vector<std::string> warnings;
};

struct ShowHelp {};
struct ShowVersion {};
// --health: report the status file's word and exit 0 only if mucd is connected.
struct CheckHealth {
  std::string status_file;
};
// A bad command line or environment. `what` names the problem and never contains the secret.
struct UsageError {
  std::string what;
};

// An operator tool on the data directory instead of serving: --list-rooms, --export FILE or
// --import FILE. Needs no domain and no secret; refuses a directory a running mucd holds.
struct StoreTool {
  enum class Kind { ListRooms, Export, Import };
  Kind kind = Kind::ListRooms;
  std::string file;  // Export and Import: the JSON file, "-" for stdout / stdin
  std::string data_dir = "./mucd-data";
};

using CliOutcome = std::variant<Options, ShowHelp, ShowVersion, UsageError, StoreTool, CheckHealth>;

// Looks up an environment variable; nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(const char* name)>;

// Parses `argv` (argv[0] is the program name) with environment defaults from `env`; the command
// line wins over the environment. --help and --version are answered as soon as they are seen;
// --health needs only a status file (--status-file or MUCD_STATUS_FILE).
// The value of --secret is overwritten with 'x' in argv, so that it stops showing in
// /proc/PID/cmdline (best effort: it was visible until then).
CliOutcome parse_command_line(int argc, char** argv, const EnvLookup& env);

// Parses HOST, HOST:PORT, [IPV6] or [IPV6]:PORT; the port defaults to 5347. Returns nullopt and
// sets `why` when the text is not an address.
std::optional<ServerAddress> parse_server_address(std::string_view text, std::string* why);

// The text for --help: every option with its default, and the environment variables.
std::string help_text();
// The text for --version.
std::string version_text();
// The one line to print on stderr for `error`: "mucd: <what> (see mucd --help)".
std::string usage_error_line(const UsageError& error);

// An EnvLookup over the real process environment.
EnvLookup process_environment();

// Exit status for a bad command line.
inline constexpr int kExitUsage = 2;

}  // namespace mucd::component
