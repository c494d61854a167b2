// mucd: parse the command line, open the room store, build the MUC service, keep the link to
// the server up until SIGTERM or SIGINT. Or run one of the operator tools on the store.
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <iterator>
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
#include "storage/dump.hpp"
#include "storage/leveldb_store.hpp"

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
std::unique_ptr<muc::Service> make_engine(const Options& options, const Clock& clock,
                                          storage::RoomStore& store) {
  muc::ServiceConfig config;
  config.domain = options.domain;
  config.admins = options.admins;
  config.sender_rate = options.rate_limit.per_second;
  config.sender_burst = options.rate_limit.burst;
  config.room_creator_domains = options.room_creator_domains;
  config.max_occupants = options.max_occupants;
  config.occupant_ids = options.occupant_ids;
  return std::make_unique<muc::Service>(std::move(config), clock, &store);
}

void print(std::FILE* stream, const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stream);
  std::fflush(stream);
}

// The one line that says why the data directory cannot be used.
std::string store_problem(const std::string& data_dir, const storage::Status& status) {
  if (status.is_not_found()) {
    return fmt::format("no mucd store in the data directory {} (see --data-dir)", data_dir);
  }
  return fmt::format("cannot use the data directory {}: {}", data_dir, status.message());
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
  log::info("mucd {} starting: server {}, domain {}, data dir {}, {} admin(s){}", MUCD_VERSION,
            options.server.to_string(), options.domain, options.data_dir, options.admins.size(),
            options.occupant_ids ? "" : ", occupant ids off");

  // The store is opened before connecting: a directory we cannot use stops us before the server
  // ever sees us.
  const auto opening = std::chrono::steady_clock::now();
  auto opened = storage::LevelDbStore::open(options.data_dir);
  if (!opened.ok()) {
    log::error("{}", store_problem(options.data_dir, opened.status()));
    return 1;
  }
  std::unique_ptr<storage::LevelDbStore> store = std::move(opened).value();

  install_signal_handlers();
  SystemClock clock;
  auto engine = make_engine(options, clock, *store);
  size_t occupied = 0;
  if (storage::Status s = engine->restore_from_store(&occupied); !s.ok()) {
    log::error("{}", store_problem(options.data_dir, s));
    return 1;
  }
  log::info("data dir {} open in {} ms; {} room(s) with occupants to restore", options.data_dir,
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  opening)
                .count(),
            occupied);
  StatusReporter status(options.status_file);
  status.report(LinkStatus::Disconnected);

  LinkConfig config;
  config.server = options.server;
  config.domain = options.domain;
  config.secret = std::move(options.secret);
  config.host_fanout = options.host_fanout;
  config.on_online_changed = [&status](bool online) {
    status.report(online ? LinkStatus::Connected : LinkStatus::Disconnected);
  };
  Link link(std::move(config), *engine, clock);
  LinkExit exit = link.run(g_stop);
  const LinkStats& totals = link.stats();
  log::info(
      "sent {} stanzas in {} sessions: {} fan-out stanzas, {} bundles, {} presences kept by the "
      "host and {} copies of them; {} dropped while disconnected, {} refused, {} lost",
      totals.sent, totals.sessions, totals.fanouts, totals.bundles, totals.stored, totals.copies,
      totals.dropped_offline, totals.refused, totals.lost);
  if (storage::Status s = engine->sync(); !s.ok()) {
    log::error("cannot sync the data directory {}: {}", options.data_dir, s.to_string());
  }
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

// Writes `text` to the file at `path`, created mode 0600 (a dump holds room passwords), or to
// stdout for "-". Returns an error message, empty on success.
class DumpFile {
 public:
  explicit DumpFile(const std::string& path) : path_(path) {
    if (path == "-") {
      fd_ = STDOUT_FILENO;
      return;
    }
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd_ < 0) error_ = fmt::format("cannot create {}: {}", path, std::strerror(errno));
  }
  ~DumpFile() {
    if (fd_ > STDERR_FILENO) ::close(fd_);
  }
  DumpFile(const DumpFile&) = delete;
  DumpFile& operator=(const DumpFile&) = delete;

  void write(std::string_view text) {
    while (error_.empty() && !text.empty()) {
      ssize_t n = ::write(fd_, text.data(), text.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        error_ = fmt::format("cannot write {}: {}", path_, std::strerror(errno));
        return;
      }
      text.remove_prefix(static_cast<size_t>(n));
    }
  }
  // Flushes to disk (a backup that is not on disk is not a backup).
  void finish() {
    if (error_.empty() && fd_ > STDERR_FILENO && ::fsync(fd_) != 0) {
      error_ = fmt::format("cannot write {}: {}", path_, std::strerror(errno));
    }
  }
  const std::string& error() const { return error_; }

 private:
  std::string path_;
  int fd_ = -1;
  std::string error_;
};

bool read_all(const std::string& path, std::string* out, std::string* why) {
  if (path == "-") {
    out->assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    return true;
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *why = fmt::format("cannot read {}: {}", path, std::strerror(errno));
    return false;
  }
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *why = fmt::format("cannot read {}: {}", path, std::strerror(errno));
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    out->append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return true;
}

// --list-rooms, --export, --import. Messages go to stderr, room JIDs and dumps to stdout.
int run_tool(const StoreTool& tool) {
  // An import reads its file first: a file that cannot be read must not create a store.
  std::string import_text;
  if (tool.kind == StoreTool::Kind::Import) {
    std::string why;
    if (!read_all(tool.file, &import_text, &why)) {
      print(stderr, "mucd: " + why + "\n");
      return 1;
    }
  }
  storage::LevelDbOptions store_options;
  store_options.create_if_missing = tool.kind == StoreTool::Kind::Import;
  auto opened = storage::LevelDbStore::open(tool.data_dir, store_options);
  if (!opened.ok()) {
    print(stderr, "mucd: " + store_problem(tool.data_dir, opened.status()) + "\n");
    return 1;
  }
  storage::LevelDbStore& store = *opened.value();
  switch (tool.kind) {
    case StoreTool::Kind::ListRooms: {
      std::vector<std::string> rooms;
      if (storage::Status s = store.list_rooms(&rooms); !s.ok()) {
        print(stderr, "mucd: " + store_problem(tool.data_dir, s) + "\n");
        return 1;
      }
      std::string text;
      for (const std::string& jid : rooms) text += jid + "\n";
      print(stdout, text);
      return 0;
    }
    case StoreTool::Kind::Export: {
      DumpFile file(tool.file);
      size_t rooms = 0, tombstones = 0;
      storage::Status s = storage::export_rooms(
          store, [&](std::string_view part) { file.write(part); }, &rooms, &tombstones);
      file.finish();
      if (!s.ok()) {
        print(stderr, "mucd: " + store_problem(tool.data_dir, s) + "\n");
        return 1;
      }
      if (!file.error().empty()) {
        print(stderr, "mucd: " + file.error() + "\n");
        return 1;
      }
      print(stderr,
            fmt::format("mucd: exported {} room(s) and {} tombstone(s) from {} to {}\n", rooms,
                        tombstones, tool.data_dir, tool.file == "-" ? "stdout" : tool.file));
      return 0;
    }
    case StoreTool::Kind::Import: {
      size_t rooms = 0, tombstones = 0;
      storage::Status s = storage::import_rooms(store, import_text, &rooms, &tombstones);
      if (!s.ok()) {
        print(stderr, fmt::format("mucd: cannot import {}: {}{}\n", tool.file, s.message(),
                                  rooms == 0 ? "; nothing was imported"
                                             : fmt::format(" ({} room(s) were imported)", rooms)));
        return 1;
      }
      print(stderr, fmt::format("mucd: imported {} room(s) and {} tombstone(s) into {}\n", rooms,
                                tombstones, tool.data_dir));
      return 0;
    }
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
          } else if constexpr (std::is_same_v<T, StoreTool>) {
            return run_tool(result);
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
