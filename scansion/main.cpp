// mucd-scansion: runs scansion scripts (Prosody's scripted XMPP test format) against a server.
//
// Exit status: 0 when every script passed, 1 when one failed, 2 on a usage error.

#include <fmt/core.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scansion/runner.hpp"
#include "scansion/xmpp_client.hpp"

namespace {

using mucd::scansion::RunOptions;

constexpr int kUsageError = 2;

constexpr std::string_view kUsage = R"(usage: mucd-scansion --server HOST:PORT [options] SCRIPT...

Runs each scansion script against the XMPP server's client port (plain TCP, SASL PLAIN) and
prints one line per script, `PASS name` or `FAIL name: step N (line L, Client): reason`, with
explanations indented below it, then `N passed, M failed`.

options:
  --server HOST:PORT   client-to-server address of the host under test (required)
  --strict             fail on stanzas a script steps over or never consumes
  --record DIR         write DIR/<script>/<Client>.txt (normalised received stanzas) and
                       DIR/<script>/result.txt
  --timeout SECONDS    longest wait for one receive, login or close (default 5)
  --verbose            copy libstrophe's debug log to stderr
  --help               show this text

exit status: 0 all scripts passed, 1 some failed, 2 usage error
)";

struct Arguments {
  RunOptions options;
  std::optional<std::filesystem::path> record;
  std::vector<std::filesystem::path> scripts;
};

// HOST:PORT or [IPv6]:PORT.
bool parse_server(std::string_view text, RunOptions& options) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) return false;
  auto host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::string port(text.substr(colon + 1));
  char* end = nullptr;
  long value = std::strtol(port.c_str(), &end, 10);
  if (*end != '\0' || value < 1 || value > 65535) return false;
  options.host = std::string(host);
  options.port = static_cast<unsigned short>(value);
  return true;
}

std::optional<std::chrono::milliseconds> parse_seconds(const std::string& text) {
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !(value > 0) || value > 3600) return std::nullopt;
  return std::chrono::milliseconds(static_cast<long long>(value * 1000));
}

int usage_error(std::string_view message) {
  fmt::print(stderr, "mucd-scansion: {}\n(try --help)\n", message);
  return kUsageError;
}

}  // namespace

int main(int argc, char** argv) {
  Arguments args;
  bool have_server = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc) return std::nullopt;
      return std::string(argv[++i]);
    };
    if (arg == "--help" || arg == "-h") {
      fmt::print("{}", kUsage);
      return 0;
    } else if (arg == "--server") {
      auto v = value();
      if (!v) return usage_error("--server needs HOST:PORT");
      if (!parse_server(*v, args.options)) return usage_error("--server expects HOST:PORT");
      have_server = true;
    } else if (arg == "--strict") {
      args.options.strict = true;
    } else if (arg == "--verbose") {
      args.options.verbose = true;
    } else if (arg == "--record") {
      auto v = value();
      if (!v || v->empty()) return usage_error("--record needs a directory");
      args.record = *v;
    } else if (arg == "--timeout") {
      auto v = value();
      auto timeout = v ? parse_seconds(*v) : std::nullopt;
      if (!timeout) return usage_error("--timeout expects a number of seconds (0 < s <= 3600)");
      args.options.receive_timeout = *timeout;
    } else if (arg.starts_with("-") && arg != "-") {
      return usage_error(fmt::format("unknown option {}", arg));
    } else {
      args.scripts.emplace_back(std::string(arg));
    }
  }
  if (!have_server) return usage_error("--server HOST:PORT is required");
  if (args.scripts.empty()) return usage_error("no script given");

  // A server that drops the connection must fail a step, not kill the runner.
  std::signal(SIGPIPE, SIG_IGN);
  mucd::scansion::Library library;

  int passed = 0;
  int failed = 0;
  for (const auto& path : args.scripts) {
    auto outcome = mucd::scansion::run_file(path, args.options);
    fmt::print("{}\n", outcome.headline);
    for (const auto& line : outcome.details) fmt::print("  {}\n", line);
    std::fflush(stdout);
    if (args.record) {
      auto error = mucd::scansion::write_record(*args.record, outcome);
      if (!error.empty()) fmt::print(stderr, "mucd-scansion: {}\n", error);
    }
    (outcome.passed ? passed : failed) += 1;
  }
  fmt::print("{} passed, {} failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
