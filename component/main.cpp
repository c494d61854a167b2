// mucd: parse the command line, build the MUC service, keep the link to the server up until
// SIGTERM or SIGINT.
#include <fmt/format.h>

#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <type_traits>
#include <variant>

#include "component/cli.hpp"
#include "component/link.hpp"
#include "component/status_file.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "muc/service.hpp"

namespace {

using namespace mucd;
using namespace mucd::component;

// Raised by the signal handler, read by the link's loop. Lock-free, hence async-signal-safe.
std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void request_stop(int) {
  g_stop.store(true);
}

void install_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = &request_stop;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: a signal interrupts the poll at once
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  // A write to a closed socket must be an error return, not death.
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGPIPE, &ignore, nullptr);
}

// The one place that knows how to build the engine from the options.
std::unique_ptr<StanzaHandler> make_engine(const Options& options, const Clock& clock) {
  muc::ServiceConfig config;
  config.domain = options.domain;
  config.admins = options.admins;
  return std::make_unique<muc::Service>(std::move(config), clock);
}

void print(std::FILE* stream, const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stream);
  std::fflush(stream);
}

// Writes the status file when there is one; a failure is logged once per kind of status, not
// fatal: the service works without it, only the health check cannot tell.
class StatusReporter {
 public:
  explicit StatusReporter(std::string path) : path_(std::move(path)) {}
  void report(LinkStatus status) {
    if (path_.empty()) return;
    std::string problem = write_status_file(path_, status);
    if (problem.empty()) return;
    if (problem != last_problem_) log::warn("{}", problem);
    last_problem_ = std::move(problem);
  }

 private:
  std::string path_;
  std::string last_problem_;
};

int serve(Options options) {
  log::set_threshold(options.log_level);
  for (const auto& warning : options.warnings) log::warn("{}", warning);
  log::info("mucd {} starting: server {}, domain {}, data dir {}, {} admin(s)", MUCD_VERSION,
            options.server.to_string(), options.domain, options.data_dir, options.admins.size());

  install_signal_handlers();
  SystemClock clock;
  auto engine = make_engine(options, clock);
  StatusReporter status(options.status_file);
  status.report(LinkStatus::Disconnected);

  LinkConfig config;
  config.server = options.server;
  config.domain = options.domain;
  config.secret = std::move(options.secret);
  config.on_online_changed = [&status](bool online) {
    status.report(online ? LinkStatus::Connected : LinkStatus::Disconnected);
  };
  Link link(std::move(config), *engine, clock);
  LinkExit exit = link.run(g_stop);
  status.report(LinkStatus::Stopped);

  switch (exit) {
    case LinkExit::Stopped:
      log::info("stopped");
      return 0;
    case LinkExit::Refused:
    case LinkExit::Fatal:
      return 1;
  }
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    auto outcome = parse_command_line(argc, argv, process_environment());
    return std::visit(
        [](auto&& result) -> int {
          using T = std::decay_t<decltype(result)>;
          if constexpr (std::is_same_v<T, ShowHelp>) {
            print(stdout, help_text());
            return 0;
          } else if constexpr (std::is_same_v<T, ShowVersion>) {
            print(stdout, version_text());
            return 0;
          } else if constexpr (std::is_same_v<T, UsageError>) {
            print(stderr, usage_error_line(result));
            return kExitUsage;
          } else if constexpr (std::is_same_v<T, CheckHealth>) {
            Health health = read_health(result.status_file);
            print(stdout, health.message + "\n");
            return health.connected ? 0 : 1;
          } else {
            return serve(std::move(result));
          }
        },
        std::move(outcome));
  } catch (const std::exception& e) {
    log::error("fatal: {}", e.what());
    return 1;
  }
}
