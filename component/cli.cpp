#include "component/cli.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/jid.hpp"

namespace mucd::component {

namespace {

enum class Opt {
  Server,
  Domain,
  Secret,
  SecretFile,
  DataDir,
  Admin,
  LogLevel,
  RateLimit,
  CreateRooms,
  MaxOccupants,
  ListRooms,
  Export,
  Import,
  StatusFile,
  HostFanout,
  OccupantId,
  Health,
  Version,
  Help
};

struct OptSpec {
  std::string_view name;
  Opt opt;
  bool takes_value;
};

constexpr OptSpec kOptions[] = {
    {"--server", Opt::Server, true},
    {"--domain", Opt::Domain, true},
    {"--secret", Opt::Secret, true},
    {"--secret-file", Opt::SecretFile, true},
    {"--data-dir", Opt::DataDir, true},
    {"--admin", Opt::Admin, true},
    {"--log-level", Opt::LogLevel, true},
    {"--create-rooms", Opt::CreateRooms, true},
    {"--max-occupants", Opt::MaxOccupants, true},
    {"--version", Opt::Version, false},
    {"--rate-limit", Opt::RateLimit, true},
    {"--list-rooms", Opt::ListRooms, false},
    {"--export", Opt::Export, true},
    {"--import", Opt::Import, true},
    {"--status-file", Opt::StatusFile, true},
    {"--host-fanout", Opt::HostFanout, true},
    {"--occupant-id", Opt::OccupantId, true},
    {"--health", Opt::Health, false},
    {"--help", Opt::Help, false},
};

// A secret file larger than this is certainly the wrong file.
constexpr size_t kMaxSecretFileBytes = 64 * 1024;

const OptSpec* find_option(std::string_view name) {
  for (const auto& spec : kOptions) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

// The values as given, before validation.
struct RawOptions {
  std::optional<std::string> server, domain, secret, secret_file, data_dir, log_level, rate_limit;
  std::optional<std::string> export_file, import_file;
  bool list_rooms = false;
  std::vector<std::string> admins;
  std::optional<std::string> create_rooms, max_occupants;  // service policy
  std::optional<std::string> status_file;
  std::optional<std::string> host_fanout;
  std::optional<std::string> occupant_id;
  bool health = false;
};

std::optional<std::string>* single_slot(RawOptions& raw, Opt opt) {
  switch (opt) {
    case Opt::Server:
      return &raw.server;
    case Opt::Domain:
      return &raw.domain;
    case Opt::Secret:
      return &raw.secret;
    case Opt::SecretFile:
      return &raw.secret_file;
    case Opt::DataDir:
      return &raw.data_dir;
    case Opt::LogLevel:
      return &raw.log_level;
    case Opt::RateLimit:
      return &raw.rate_limit;
    case Opt::CreateRooms:
      return &raw.create_rooms;
    case Opt::MaxOccupants:
      return &raw.max_occupants;
    case Opt::Export:
      return &raw.export_file;
    case Opt::Import:
      return &raw.import_file;
    case Opt::StatusFile:
      return &raw.status_file;
    case Opt::HostFanout:
      return &raw.host_fanout;
    case Opt::OccupantId:
      return &raw.occupant_id;
    case Opt::Admin:
    case Opt::ListRooms:
    case Opt::Version:
    case Opt::Help:
    case Opt::Health:
      return nullptr;
  }
  return nullptr;
}

// Parses "RATE" or "RATE/BURST": non-negative numbers, BURST at least 1.
std::optional<RateLimit> parse_rate_limit(std::string_view text) {
  auto number = [](std::string_view t) -> std::optional<double> {
    if (t.empty() || t.size() > 12) return std::nullopt;
    std::string copy(t);
    char* end = nullptr;
    double v = std::strtod(copy.c_str(), &end);
    if (end != copy.c_str() + copy.size() || !(v >= 0) || v > 1e9) return std::nullopt;
    return v;
  };
  RateLimit limit;
  auto slash = text.find('/');
  auto rate = number(text.substr(0, slash));
  if (!rate) return std::nullopt;
  limit.per_second = *rate;
  if (slash != std::string_view::npos) {
    auto burst = number(text.substr(slash + 1));
    if (!burst || *burst < 1) return std::nullopt;
    limit.burst = *burst;
  }
  return limit;
}

void blank_out(char* text) {
  for (char* p = text; *p != '\0'; ++p) *p = 'x';
}

// An empty environment variable counts as unset, as `${VAR:-default}` would treat it.
std::optional<std::string> env_value(const EnvLookup& env, const char* name) {
  if (!env) return std::nullopt;
  auto value = env(name);
  if (value && value->empty()) return std::nullopt;
  return value;
}

bool is_ascii_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// A component domain: a JID domain part made of dot-separated labels; ASCII characters limited to
// letters, digits and '-' (non-ASCII is left to nameprep). Returns the prepared domain.
std::optional<std::string> prepare_domain(std::string_view text) {
  if (text.find_first_of("@/") != std::string_view::npos) return std::nullopt;
  auto jid = Jid::parse(text);
  if (!jid || jid->has_node() || jid->has_resource()) return std::nullopt;
  std::string_view domain = jid->domain();
  size_t start = 0;
  while (start <= domain.size()) {
    size_t dot = domain.find('.', start);
    std::string_view label =
        domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63) return std::nullopt;
    for (char c : label) {
      auto u = static_cast<unsigned char>(c);
      if (u < 0x80 && !is_ascii_alnum(c) && c != '-') return std::nullopt;
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return jid->domain();
}

// An admin: user@host, no resource. Returns the prepared bare JID.
std::optional<std::string> prepare_admin(std::string_view text) {
  auto jid = Jid::parse(text);
  if (!jid || !jid->has_node() || jid->has_resource()) return std::nullopt;
  return jid->bare();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value == 0 || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

struct SecretFile {
  std::string secret;
  std::string error;  // names the path and the reason, never the content
  bool world_readable = false;
};

SecretFile read_secret_file(const std::string& path) {
  SecretFile result;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    result.error = fmt::format("cannot read secret file '{}': {}", path, std::strerror(errno));
    return result;
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0) result.world_readable = (st.st_mode & S_IROTH) != 0;
  std::string content;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      result.error = fmt::format("cannot read secret file '{}': {}", path, std::strerror(errno));
      break;
    }
    if (n == 0) break;
    content.append(buf, static_cast<size_t>(n));
    if (content.size() > kMaxSecretFileBytes) {
      result.error = fmt::format("secret file '{}' is larger than {} bytes; is it the right file?",
                                 path, kMaxSecretFileBytes);
      break;
    }
  }
  explicit_bzero(buf, sizeof buf);
  ::close(fd);
  if (result.error.empty()) {
    while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) {
      content.pop_back();
    }
    if (content.empty()) {
      result.error = fmt::format("secret file '{}' is empty", path);
    } else if (content.find('\0') != std::string::npos) {
      result.error = fmt::format("secret file '{}' contains a NUL byte", path);
    } else {
      result.secret = std::move(content);
      return result;
    }
  }
  explicit_bzero(content.data(), content.size());
  return result;
}

// Fills an option not given on the command line from its environment variable; returns the name
// the value came from (the option's or the variable's), for a message about a bad value.
std::string_view fill_from_env(std::optional<std::string>& value, const EnvLookup& env,
                               std::string_view option, const char* variable) {
  if (value) return option;
  value = env_value(env, variable);
  return variable;
}

// A two-word option (or its variable): `yes` sets `out` to true, `no` to false. Returns the
// problem when the value is neither.
std::optional<std::string> resolve_switch(std::optional<std::string>& value, const EnvLookup& env,
                                          std::string_view option, const char* variable,
                                          std::string_view yes, std::string_view no, bool& out) {
  std::string_view source = fill_from_env(value, env, option, variable);
  if (!value) return std::nullopt;
  if (*value != yes && *value != no) {
    return fmt::format("{} '{}': expected {} or {}", source, *value, yes, no);
  }
  out = *value == yes;
  return std::nullopt;
}

// Service policy: --create-rooms, --max-occupants, --host-fanout and --occupant-id (or their
// MUCD_ variables).
// Returns the problem when a value is bad.
std::optional<std::string> resolve_policy(RawOptions& raw, const EnvLookup& env, Options& options) {
  std::string_view create_source =
      fill_from_env(raw.create_rooms, env, "--create-rooms", "MUCD_CREATE_ROOMS");
  if (raw.create_rooms && *raw.create_rooms != "anyone") {
    std::vector<std::string> domains;
    if (*raw.create_rooms != "admins") {
      std::string_view rest = *raw.create_rooms;
      while (!rest.empty()) {
        size_t comma = rest.find(',');
        std::string_view item = trim(rest.substr(0, comma));
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        if (item.empty()) continue;
        auto domain = prepare_domain(item);
        if (!domain) {
          return fmt::format(
              "{} '{}': expected anyone, admins, or domains like example.org,example.net",
              create_source, *raw.create_rooms);
        }
        if (std::find(domains.begin(), domains.end(), *domain) == domains.end()) {
          domains.push_back(std::move(*domain));
        }
      }
      if (domains.empty()) {
        return fmt::format("{} '{}': expected anyone, admins, or a list of domains", create_source,
                           *raw.create_rooms);
      }
    }
    options.room_creator_domains = std::move(domains);
  }

  std::string_view max_source =
      fill_from_env(raw.max_occupants, env, "--max-occupants", "MUCD_MAX_OCCUPANTS");
  if (raw.max_occupants) {
    const std::string& text = *raw.max_occupants;
    unsigned long value = 0;
    bool digits =
        !text.empty() && text.size() <= 9 &&
        std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits) value = std::stoul(text);
    if (!digits || value == 0) {
      return fmt::format("{} '{}' is not a number of occupants (1 or more)", max_source, text);
    }
    options.max_occupants = static_cast<unsigned>(value);
  }

  if (auto problem = resolve_switch(raw.host_fanout, env, "--host-fanout", "MUCD_HOST_FANOUT",
                                    "auto", "off", options.host_fanout)) {
    return problem;
  }
  return resolve_switch(raw.occupant_id, env, "--occupant-id", "MUCD_OCCUPANT_ID", "on", "off",
                        options.occupant_ids);
}

UsageError error(std::string what) {
  return UsageError{std::move(what)};
}

// An operator tool, when one was asked for: it needs only the data directory.
std::optional<CliOutcome> resolve_tool(const RawOptions& raw, const EnvLookup& env) {
  std::vector<std::string_view> asked;
  if (raw.list_rooms) asked.push_back("--list-rooms");
  if (raw.export_file) asked.push_back("--export");
  if (raw.import_file) asked.push_back("--import");
  if (asked.empty()) return std::nullopt;
  if (asked.size() > 1) {
    return error(fmt::format("{} and {} cannot be used together", asked[0], asked[1]));
  }
  StoreTool tool;
  if (raw.export_file) {
    tool.kind = StoreTool::Kind::Export;
    tool.file = *raw.export_file;
  } else if (raw.import_file) {
    tool.kind = StoreTool::Kind::Import;
    tool.file = *raw.import_file;
  }
  if (raw.data_dir) {
    tool.data_dir = *raw.data_dir;
  } else if (auto dir = env_value(env, "MUCD_DATA_DIR")) {
    tool.data_dir = *dir;
  }
  return tool;
}

// Turns the raw values plus environment defaults into Options.
CliOutcome resolve(RawOptions raw, const EnvLookup& env) {
  if (auto tool = resolve_tool(raw, env)) return std::move(*tool);
  Options options;

  // Status file; --health needs nothing else.
  if (!raw.status_file) raw.status_file = env_value(env, "MUCD_STATUS_FILE");
  if (raw.status_file) options.status_file = *raw.status_file;
  if (raw.health) {
    if (!raw.status_file) {
      return error("--health needs the status file: --status-file PATH or MUCD_STATUS_FILE");
    }
    return CheckHealth{*raw.status_file};
  }

  // Server.
  std::string_view server_source = fill_from_env(raw.server, env, "--server", "MUCD_SERVER");
  if (raw.server) {
    std::string why;
    auto address = parse_server_address(*raw.server, &why);
    if (!address) return error(fmt::format("{} '{}': {}", server_source, *raw.server, why));
    options.server = *address;
  }

  // Domain.
  std::string_view domain_source = fill_from_env(raw.domain, env, "--domain", "MUCD_DOMAIN");
  if (!raw.domain) {
    return error(
        "missing --domain: the component's domain, as in the server's Component line "
        "(e.g. conference.example.org)");
  }
  auto domain = prepare_domain(*raw.domain);
  if (!domain) {
    return error(
        fmt::format("{} '{}' is not a valid component domain (e.g. conference.example.org)",
                    domain_source, *raw.domain));
  }
  options.domain = std::move(*domain);

  // Data directory.
  if (!raw.data_dir) raw.data_dir = env_value(env, "MUCD_DATA_DIR");
  if (raw.data_dir) options.data_dir = *raw.data_dir;

  // Log level.
  std::string_view level_source =
      fill_from_env(raw.log_level, env, "--log-level", "MUCD_LOG_LEVEL");
  if (raw.log_level) {
    auto level = log::parse_level(*raw.log_level);
    if (!level) {
      return error(fmt::format("{} '{}' is not a log level: use error, warn, info or debug",
                               level_source, *raw.log_level));
    }
    options.log_level = *level;
  }

  // Flood control: RATE[/BURST], per sender.
  std::string_view rate_source =
      fill_from_env(raw.rate_limit, env, "--rate-limit", "MUCD_RATE_LIMIT");
  if (raw.rate_limit) {
    auto limit = parse_rate_limit(*raw.rate_limit);
    if (!limit) {
      return error(fmt::format("{} '{}' is not RATE or RATE/BURST, e.g. 20/200 (0 turns it off)",
                               rate_source, *raw.rate_limit));
    }
    options.rate_limit = *limit;
  }

  // Admins: the command line replaces the environment's list.
  std::string admin_source = "--admin";
  if (raw.admins.empty()) {
    if (auto list = env_value(env, "MUCD_ADMINS")) {
      admin_source = "MUCD_ADMINS";
      std::string_view rest = *list;
      while (!rest.empty()) {
        size_t comma = rest.find(',');
        std::string_view item = trim(rest.substr(0, comma));
        if (!item.empty()) raw.admins.emplace_back(item);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      }
    }
  }
  for (const auto& text : raw.admins) {
    auto admin = prepare_admin(text);
    if (!admin) {
      return error(
          fmt::format("{} '{}' is not a bare JID like user@example.org", admin_source, text));
    }
    if (std::find(options.admins.begin(), options.admins.end(), *admin) == options.admins.end()) {
      options.admins.push_back(std::move(*admin));
    }
  }

  if (auto problem = resolve_policy(raw, env, options)) return error(std::move(*problem));

  // Secret: exactly one source.
  auto env_secret = env_value(env, "MUCD_SECRET");
  std::vector<std::string_view> sources;
  if (raw.secret) sources.push_back("--secret");
  if (raw.secret_file) sources.push_back("--secret-file");
  if (env_secret) sources.push_back("MUCD_SECRET");
  if (sources.empty()) {
    return error(
        "no secret given: use --secret-file PATH, the MUCD_SECRET environment variable, "
        "or --secret");
  }
  if (sources.size() > 1) {
    return error(fmt::format("the secret is given by both {} and {}: use exactly one", sources[0],
                             sources[1]));
  }
  if (raw.secret) {
    options.secret = std::move(*raw.secret);
    options.warnings.push_back(
        "the secret given with --secret was visible to other local users (ps, /proc) while mucd "
        "started; prefer --secret-file or MUCD_SECRET");
  } else if (raw.secret_file) {
    auto file = read_secret_file(*raw.secret_file);
    if (!file.error.empty()) return error(std::move(file.error));
    options.secret = std::move(file.secret);
    if (file.world_readable) {
      options.warnings.push_back(fmt::format(
          "secret file '{}' is readable by every local user; chmod o-r it", *raw.secret_file));
    }
  } else {
    options.secret = std::move(*env_secret);
  }
  return options;
}

}  // namespace

std::string ServerAddress::to_string() const {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

std::optional<ServerAddress> parse_server_address(std::string_view text, std::string* why) {
  auto fail = [&](std::string reason) -> std::optional<ServerAddress> {
    if (why) *why = std::move(reason);
    return std::nullopt;
  };
  if (text.find_first_of(" \t\r\n/") != std::string_view::npos) {
    return fail("expected HOST[:PORT] or [IPV6]:PORT");
  }
  ServerAddress address;
  std::string_view host;
  std::optional<std::string_view> port;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return fail("missing ']' after the IPv6 address");
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return fail("expected ':PORT' after ']'");
      port = rest.substr(1);
    }
    if (host.find(':') == std::string_view::npos) {
      return fail("brackets are only for IPv6 addresses");
    }
  } else if (std::count(text.begin(), text.end(), ':') > 1) {
    // A bare IPv6 literal; a port needs the bracketed form.
    host = text;
  } else {
    size_t colon = text.find(':');
    host = text.substr(0, colon);
    if (colon != std::string_view::npos) port = text.substr(colon + 1);
  }
  if (host.empty()) return fail("missing host");
  if (port) {
    auto number = parse_port(*port);
    if (!number) return fail(fmt::format("bad port '{}': use a number from 1 to 65535", *port));
    address.port = *number;
  }
  address.host = std::string(host);
  return address;
}

CliOutcome parse_command_line(int argc, char** argv, const EnvLookup& env) {
  RawOptions raw;
  bool after_secret_option = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-h") return ShowHelp{};
    if (arg.size() < 3 || arg.substr(0, 2) != "--") {
      if (!arg.empty() && arg.front() == '-') {
        return error(fmt::format("unknown option '{}'", arg.substr(0, arg.find('='))));
      }
      // Do not echo what may be the second word of an unquoted secret.
      if (after_secret_option) return error("unexpected argument after --secret's value");
      return error(fmt::format("unexpected argument '{}': options start with --", arg));
    }
    after_secret_option = false;
    size_t eq = arg.find('=');
    std::string_view name = arg.substr(0, eq);
    const OptSpec* spec = find_option(name);
    if (!spec) return error(fmt::format("unknown option '{}'", name));

    if (!spec->takes_value) {
      if (eq != std::string_view::npos) return error(fmt::format("{} takes no value", name));
      if (spec->opt == Opt::Health) {
        raw.health = true;
        continue;
      }
      if (spec->opt == Opt::Help) return ShowHelp{};
      if (spec->opt == Opt::ListRooms) {
        raw.list_rooms = true;
        continue;
      }
      return ShowVersion{};
    }

    char* storage = nullptr;
    if (eq != std::string_view::npos) {
      storage = argv[i] + eq + 1;
    } else {
      // A following option is a forgotten value, not the value (use --opt=--x for that).
      if (i + 1 >= argc || std::string_view(argv[i + 1]).substr(0, 2) == "--") {
        return error(fmt::format("{} needs a value", name));
      }
      storage = argv[++i];
    }
    std::string value(storage);
    if (spec->opt == Opt::Secret) {
      blank_out(storage);
      after_secret_option = eq == std::string_view::npos;
    }
    if (value.empty()) return error(fmt::format("{} needs a value", name));

    if (spec->opt == Opt::Admin) {
      raw.admins.push_back(std::move(value));
      continue;
    }
    auto* slot = single_slot(raw, spec->opt);
    if (slot->has_value()) return error(fmt::format("{} is given twice", name));
    *slot = std::move(value);
  }
  return resolve(std::move(raw), env);
}

std::string help_text() {
  const Options defaults;
  return fmt::format(
      R"(Usage: mucd --domain DOMAIN --secret-file PATH [options]

mucd is a Multi-User Chat service (XEP-0045) that runs as an external component
(XEP-0114) of an XMPP server such as Prosody or ejabberd.

Options (each also as --option=value):
  --server HOST[:PORT]  the server's component port (default {server});
                        write IPv6 addresses in brackets: [::1]:5347
  --domain DOMAIN       the component's domain, exactly as the server's
                        Component "DOMAIN" line (required, no default)
  --secret-file PATH    read the component secret from PATH; a trailing
                        newline is removed
  --secret SECRET       the component secret itself; other local users can see
                        it in ps while mucd starts, prefer --secret-file
  --data-dir PATH       where persistent rooms are stored (default {data_dir});
                        created when missing; one mucd per directory
  --admin JID           a bare JID (user@host) that administers every room;
                        repeat for more (default: none)
  --log-level LEVEL     error, warn, info or debug (default info)
  --rate-limit R[/B]    flood control per sender (bare JID): a burst of B
                        stanzas, then R a second; beyond that the sender gets
                        policy-violation (wait). Service admins are exempt.
                        0 turns it off (default {rate}/{burst})
  --create-rooms WHO    who may create rooms: anyone (default), admins (the
                        --admin JIDs only), or a comma separated list of
                        domains whose users may (admins always may), e.g.
                        example.org,staff.example.org
  --max-occupants N     the most occupants a room admits (default: no limit);
                        its owners and admins always enter
  --host-fanout MODE    auto (default): after connecting, ask the server for
                        mod_mucd_fanout (shipped with mucd for Prosody and
                        ejabberd, in /usr/share/mucd) and,
                        if it answers, send each broadcast once with its list
                        of recipients instead of one copy per occupant (and
                        a joiner's occupant list as one bundle naming
                        presences the module kept);
                        off: always one copy per occupant
  --occupant-id MODE    on (default): occupants' messages and presences carry
                        an XEP-0421 occupant id, stable per user and room;
                        off: none, and rooms do not advertise them (what
                        servers without an occupant-id module send)
  --status-file PATH    keep PATH holding 'connected', 'disconnected' or
                        'stopped' (default: none)
  --health              exit 0 if the status file says 'connected', else 1
                        (for a container HEALTHCHECK); reads --status-file
  --version             print the version and exit
  --help                print this help and exit

Operator tools, run instead of the service on --data-dir (need no --domain or
secret; refused while a running mucd holds the directory):
  --list-rooms          print the JID of every stored room, one per line
  --export FILE         write every stored room, and the tombstones of
                        destroyed rooms, as JSON to FILE (- for stdout); the
                        file holds room passwords: it is created mode 0600
  --import FILE         store the rooms and tombstones of an --export file
                        (- for stdin); each replaces the stored one with the
                        same JID

The secret comes from exactly one of --secret-file, --secret or MUCD_SECRET.

Environment (the command line wins):
  MUCD_SERVER           default for --server
  MUCD_DOMAIN           default for --domain
  MUCD_SECRET           the component secret (instead of --secret-file)
  MUCD_DATA_DIR         default for --data-dir
  MUCD_LOG_LEVEL        default for --log-level
  MUCD_RATE_LIMIT       default for --rate-limit
  MUCD_ADMINS           default for --admin, comma separated
                        (e.g. alice@example.org,bob@example.org)
  MUCD_CREATE_ROOMS     default for --create-rooms
  MUCD_MAX_OCCUPANTS    default for --max-occupants
  MUCD_STATUS_FILE      default for --status-file
  MUCD_HOST_FANOUT      default for --host-fanout
  MUCD_OCCUPANT_ID      default for --occupant-id

Exit status: 0 after SIGTERM or SIGINT (or a tool's success); 1 when the data
directory cannot be used (not a mucd store, locked by a running mucd, not
writable) or the server refuses the component on the first connection; 2 for a
bad command line. With --health: 0 when connected, 1 otherwise.
)",
      fmt::arg("server", defaults.server.to_string()), fmt::arg("data_dir", defaults.data_dir),
      fmt::arg("rate", defaults.rate_limit.per_second),
      fmt::arg("burst", defaults.rate_limit.burst));
}

std::string version_text() {
  return fmt::format("mucd {}\n", MUCD_VERSION);
}

std::string usage_error_line(const UsageError& error) {
  return fmt::format("mucd: {} (see mucd --help)\n", error.what);
}

EnvLookup process_environment() {
  return [](const char* name) -> std::optional<std::string> {
    const char* value = std::getenv(name);
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

}  // namespace mucd::component
