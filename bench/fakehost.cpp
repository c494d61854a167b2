// mucd-fakehost: plays the XMPP server's side of XEP-0114 on loopback, lets mucd connect, and
// drives a workload straight into it with no server in between (see workload.hpp). It reports
// what mucd achieved (deliveries/s, joins/s, fan-out latency) and what it cost (mucd's CPU-seconds
// per 1,000 deliveries from /proc/PID/stat, its peak RSS from VmHWM), as a table and as JSON.
//
// It starts mucd itself (--mucd PATH, a fresh process per run) or measures one already started
// (--pid PID --listen PORT; point that mucd's --server at the port). The fake host accepts any
// handshake digest: it is a measuring instrument on loopback, not a server to secure.
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/net.hpp"
#include "bench/options.hpp"
#include "bench/process.hpp"
#include "bench/procstat.hpp"
#include "bench/report.hpp"
#include "bench/scenarios.hpp"
#include "bench/workload.hpp"

namespace mucd::bench {
namespace {

constexpr const char* kUsage =
    R"(usage: mucd-fakehost (--mucd PATH | --pid PID --listen PORT) [options]

  --mucd PATH          start this mucd binary for every run (fresh process, fresh rooms)
  --pid PID            measure an already running mucd that connects to --listen PORT
  --listen PORT        port to listen on (default: any free port with --mucd)
  --domain DOMAIN      mucd's component domain (default conference.bench.local)
  --mucd-arg ARG       extra argument for mucd (repeatable)
  --host-fanout        answer mucd's fan-out question and expand its fan-out stanzas
                       (one stanza per broadcast listing the recipients, as Prosody's
                       and ejabberd's mod_mucd_fanout do), its bundles (stanzas for
                       one recipient) and copies of presences it asked the host to keep
                       (as Prosody's does); default: one copy per recipient
)";

struct Options {
  std::string mucd;
  pid_t pid = 0;
  int listen_port = 0;
  std::string domain = "conference.bench.local";
  std::vector<std::string> mucd_args;
  bool host_fanout = false;
  CommonOptions common;
};

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "mucd-fakehost: %s\n%s%s", message.c_str(), kUsage, kCommonUsage);
  std::exit(2);
}

void fail_usage(const std::string& message) {
  usage_error(message);
}

int to_int(const std::string& flag, const std::string& value) {
  try {
    std::size_t used = 0;
    int v = std::stoi(value, &used);
    if (used == value.size() && v >= 0) return v;
  } catch (const std::exception&) {
  }
  usage_error(flag + " needs a non-negative integer, not '" + value + "'");
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_error(flag + " needs a value");
      return argv[++i];
    };
    if (flag == "--help" || flag == "-h") {
      std::printf("%s%s", kUsage, kCommonUsage);
      std::exit(0);
    } else if (flag == "--mucd") {
      o.mucd = value();
    } else if (flag == "--pid") {
      o.pid = to_int(flag, value());
    } else if (flag == "--listen") {
      o.listen_port = to_int(flag, value());
    } else if (flag == "--domain") {
      o.domain = value();
    } else if (flag == "--host-fanout") {
      o.host_fanout = true;
    } else if (flag == "--mucd-arg") {
      o.mucd_args.push_back(value());
    } else if (!parse_common_option(argc, argv, i, o.common, &fail_usage)) {
      usage_error("unknown option " + flag);
    }
  }
  if (o.mucd.empty() == (o.pid == 0)) usage_error("give exactly one of --mucd and --pid");
  if (o.pid != 0 && o.listen_port == 0) usage_error("--pid needs --listen PORT");
  finish_common_options(o.common, default_engine_scenarios(), "quick", &fail_usage);
  return o;
}

// The single component connection: every stanza of every occupant goes through it.
class ComponentTransport final : public Transport {
 public:
  explicit ComponentTransport(Connection& connection) : connection_(connection) {}
  void send(int, int, std::string_view xml) override { connection_.queue(xml); }

 private:
  Connection& connection_;
};

// Reads `to` = <prefix>u<room>-<occupant>@... back into indexes.
bool attribute(std::string_view to, std::string_view prefix, int& room, int& occupant) {
  if (to.size() <= prefix.size() + 1 || to.substr(0, prefix.size()) != prefix ||
      to[prefix.size()] != 'u') {
    return false;
  }
  std::string_view rest = to.substr(prefix.size() + 1);
  std::size_t n = parse_index(rest, room);
  if (n == 0 || n >= rest.size() || rest[n] != '-') return false;
  rest = rest.substr(n + 1);
  std::size_t m = parse_index(rest, occupant);
  return m > 0 && m < rest.size() && rest[m] == '@';
}

class Run {
 public:
  Run(const Options& options, WorkloadSpec spec) : options_(options), spec_(std::move(spec)) {}

  RunResult execute() {
    RunResult result;
    result.spec = spec_;
    std::string tmp = make_temp_dir("mucd-fakehost");
    try {
      serve(tmp, result);
    } catch (const std::exception& e) {
      result.complete = false;
      result.failure = e.what();
    }
    if (mucd_pid_ > 0 && !options_.mucd.empty()) {
      std::string status = stop(mucd_pid_, 3000);
      if (status != "exit 0" && result.complete) {
        result.complete = false;
        result.failure = "mucd ended with " + status;
      }
    }
    if (!result.complete) {
      std::ifstream log(tmp + "/mucd.log");
      std::string line, tail;
      std::vector<std::string> lines;
      while (std::getline(log, line)) lines.push_back(line);
      for (std::size_t i = lines.size() > 15 ? lines.size() - 15 : 0; i < lines.size(); ++i) {
        tail += "    " + lines[i] + "\n";
      }
      if (!tail.empty()) result.failure += "\n  mucd log (last lines):\n" + tail;
    }
    remove_tree(tmp);
    return result;
  }

 private:
  void serve(const std::string& tmp, RunResult& result) {
    int port = 0;
    int listener = listen_loopback(options_.listen_port, port);
    std::string secret = random_hex(16);
    if (!options_.mucd.empty()) {
      write_private_file(tmp + "/secret", secret + "\n");
      std::vector<std::string> argv = {
          options_.mucd, "--server", fmt::format("127.0.0.1:{}", port), "--domain", options_.domain,
          "--secret-file", tmp + "/secret", "--data-dir", tmp + "/data", "--log-level", "warn",
          // One synthetic sender per room, unpaced: flood control would refuse the workload.
          "--rate-limit", "0"};
      for (const auto& a : options_.mucd_args) argv.push_back(a);
      mucd_pid_ = spawn(argv, tmp + "/mucd.log");
    } else {
      mucd_pid_ = options_.pid;
    }
    int fd = -1;
    auto give_up = BenchClock::now() + std::chrono::seconds(15);
    while (fd < 0 && BenchClock::now() < give_up) {
      fd = accept_within(listener, std::chrono::milliseconds(200));
      std::string status;
      if (fd < 0 && !options_.mucd.empty() && !running(mucd_pid_, &status)) {
        close(listener);
        mucd_pid_ = 0;
        throw std::runtime_error("mucd exited before connecting (" + status + ")");
      }
    }
    close(listener);
    if (fd < 0) throw std::runtime_error("mucd did not connect within 15 s");
    Connection connection(fd);
    handshake(connection);

    ComponentTransport transport(connection);
    std::vector<std::pair<Phase, double>> mucd_cpu, driver_cpu;
    double mucd_mark = 0, driver_mark = 0;
    auto hook = [&](Phase phase, bool started) {
      double m = cpu_seconds(mucd_pid_).value_or(0);
      double d = cpu_seconds(getpid()).value_or(0);
      if (started) {
        mucd_mark = m;
        driver_mark = d;
      } else {
        mucd_cpu.emplace_back(phase, m - mucd_mark);
        driver_cpu.emplace_back(phase, d - driver_mark);
      }
    };
    Workload workload(spec_, transport, hook);
    drive(connection, workload);
    result.phases = workload.results();
    ProcessCost mucd{"mucd", mucd_cpu, 0};
    mucd.peak_rss_bytes = static_cast<double>(peak_rss_bytes(mucd_pid_).value_or(0));
    result.costs.push_back(mucd);
    driver_cpu_ = driver_cpu;
    if (workload.error_stanzas() > 0) {
      result.failure = fmt::format("{} error stanzas", workload.error_stanzas());
    }
    result.complete = workload.done() && workload.error_stanzas() == 0;
    if (!result.complete && result.failure.empty()) result.failure = workload.describe_missing();
    for (const auto& sample : workload.samples()) result.failure += "\n  " + sample;
    if (!workload.done()) throw std::runtime_error(result.failure);
    // Let mucd close its stream politely: stop it while the connection is still up.
    if (!options_.mucd.empty()) {
      kill(mucd_pid_, SIGTERM);
      auto until = BenchClock::now() + std::chrono::seconds(3);
      while (BenchClock::now() < until) {
        pollfd p{connection.fd(), POLLIN, 0};
        if (poll(&p, 1, 100) <= 0) continue;
        std::size_t got = 0;
        if (!connection.read_available(1 << 20, got)) break;
        Element e;
        bool closed = false;
        for (auto ev = connection.scanner().next(e); ev != StreamScanner::Event::NeedMore;
             ev = connection.scanner().next(e)) {
          if (ev == StreamScanner::Event::StreamClose || ev == StreamScanner::Event::Error) {
            closed = true;
            break;
          }
        }
        if (closed) {
          connection.queue("</stream:stream>");
          connection.flush();
          break;
        }
      }
    }
  }

  void handshake(Connection& connection) {
    auto deadline = BenchClock::now() + std::chrono::seconds(10);
    bool opened = false;
    while (BenchClock::now() < deadline) {
      pollfd p{connection.fd(), POLLIN, 0};
      poll(&p, 1, 100);
      std::size_t got = 0;
      if (!connection.read_available(1 << 16, got)) break;
      Element e;
      for (auto ev = connection.scanner().next(e); ev != StreamScanner::Event::NeedMore;
           ev = connection.scanner().next(e)) {
        if (ev == StreamScanner::Event::StreamOpen) {
          opened = true;
          connection.queue(fmt::format(
              "<?xml version='1.0'?><stream:stream "
              "xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:component:accept' "
              "id='{}' from='{}'>",
              random_hex(8), options_.domain));
          connection.flush();
        } else if (ev == StreamScanner::Event::Stanza && opened && e.name == "handshake") {
          connection.queue("<handshake/>");
          connection.flush();
          return;
        } else {
          throw std::runtime_error("unexpected data during the handshake");
        }
      }
    }
    throw std::runtime_error("mucd did not complete the XEP-0114 handshake");
  }

  // Counts one stanza mucd sent (or one copy the host made) for its recipient.
  void count(const Element& e, BenchClock::time_point t, Workload& workload) {
    int room = 0, occupant = 0;
    if (attribute(e.to, spec_.prefix, room, occupant)) {
      workload.on_stanza(room, occupant, e, t);
    } else {
      workload.on_unattributed(e);
    }
  }

  // A stanza mucd asked the host to keep (--host-fanout): its text, and the Element describing
  // it, whose views point into that text.
  struct Kept {
    std::string generation;
    std::string raw;
    Element element;
  };
  static constexpr std::size_t kStoreSlots = 4096;

  // The value of attribute `name` in the start tag `tag` (written name="value"), if there.
  static std::optional<std::string_view> attribute_in(std::string_view tag, std::string_view name) {
    std::string key = fmt::format(" {}=\"", name);
    auto at = tag.find(key);
    if (at == std::string_view::npos) return std::nullopt;
    at += key.size();
    auto end = tag.find('"', at);
    if (end == std::string_view::npos) return std::nullopt;
    return tag.substr(at, end - at);
  }

  // Keeps `e` in slot `slot` as generation `generation`, as the module would.
  void keep(std::string_view slot_text, std::string_view generation, const Element& e) {
    int slot = -1;
    if (parse_index(slot_text, slot) != slot_text.size() || slot < 0 ||
        static_cast<std::size_t>(slot) >= kStoreSlots) {
      throw std::runtime_error(fmt::format("mucd asked to keep a stanza in slot {:?}", slot_text));
    }
    Kept& k = kept_[static_cast<std::size_t>(slot)];
    k.generation.assign(generation);
    k.raw.assign(e.raw);
    auto rebase = [&](std::string_view v) {
      if (v.empty()) return std::string_view{};
      return std::string_view(k.raw).substr(static_cast<std::size_t>(v.data() - e.raw.data()),
                                            v.size());
    };
    k.element =
        Element{k.raw, rebase(e.name), rebase(e.to), rebase(e.from), rebase(e.type), rebase(e.id)};
  }

  // The kept stanza a <copy/> in a bundle names, addressed to the copy's `to`; throws when mucd
  // names what it never asked the host to keep.
  Element kept_copy(const Element& copy) {
    std::string_view tag = copy.raw.substr(0, copy.raw.find('>'));
    auto slot_text = attribute_in(tag, "slot");
    auto generation = attribute_in(tag, "generation");
    int slot = -1;
    if (!slot_text || !generation || parse_index(*slot_text, slot) != slot_text->size() ||
        slot < 0 || static_cast<std::size_t>(slot) >= kStoreSlots ||
        kept_[static_cast<std::size_t>(slot)].generation != *generation || copy.to.empty()) {
      throw std::runtime_error(
          fmt::format("mucd sent a copy of a stanza it did not keep: {}", tag));
    }
    Element e = kept_[static_cast<std::size_t>(slot)].element;
    e.to = copy.to;
    return e;
  }

  // With --host-fanout: answers mucd's question as mod_mucd_fanout for Prosody does (fan-out,
  // bundles, kept stanzas), counts a fan-out stanza as one copy per listed recipient (each with
  // that recipient as its `to`) and a bundle as the stanzas it holds, a copy of a kept stanza as
  // that stanza. False for any other stanza.
  bool host_fanout(Connection& connection, const Element& e, BenchClock::time_point t,
                   Workload& workload) {
    constexpr std::string_view kNs = "urn:mucd:fanout:0";
    if (e.name == "iq" && e.type == "get" && e.contains(kNs)) {
      kept_.assign(kStoreSlots, Kept{});
      connection.queue(
          fmt::format(R"(<iq type="result" id="{}" from="{}" to="{}"><query xmlns="{}"><bundle/>)"
                      R"(<store slots="{}"/></query></iq>)",
                      e.id, options_.domain, options_.domain, kNs, kStoreSlots));
      return true;
    }
    constexpr std::string_view kBundle = "<bundle xmlns=\"urn:mucd:fanout:0\"/>";
    if (e.name == "message" && e.raw.find(kBundle) != std::string_view::npos) {
      auto inner_at = e.raw.find(kBundle) + kBundle.size();
      auto inner_end = e.raw.rfind("</message>");
      if (inner_end == std::string_view::npos || inner_end < inner_at) return false;
      bundle_scanner_.reset();
      bundle_scanner_.feed(e.raw.data() + inner_at, inner_end - inner_at);
      Element inner;
      for (auto ev = bundle_scanner_.next(inner); ev == StreamScanner::Event::Stanza;
           ev = bundle_scanner_.next(inner)) {
        if (inner.name == "copy") {
          count(kept_copy(inner), t, workload);
          ++copies_;
        } else {
          count(inner, t, workload);
        }
      }
      if (bundle_scanner_.pending() != 0) {
        throw std::runtime_error("a bundle from mucd does not hold whole stanzas");
      }
      return true;
    }
    constexpr std::string_view kOpen = "<fanout xmlns=\"urn:mucd:fanout:0\"";
    auto open = e.raw.find(kOpen);
    if (open == std::string_view::npos) return false;
    auto tag_end = e.raw.find('>', open);
    if (tag_end == std::string_view::npos) return false;
    std::string_view tag = e.raw.substr(open, tag_end - open);
    auto list_at = tag_end + 1;
    auto close = e.raw.find("</fanout>", list_at);
    if (close == std::string_view::npos) return false;
    if (auto slot = attribute_in(tag, "store")) {
      keep(*slot, attribute_in(tag, "generation").value_or(""), e);
      ++kept_count_;
    }
    std::string_view list = e.raw.substr(list_at, close - list_at);
    Element copy = e;
    while (!list.empty()) {
      auto end = list.find('\n');
      copy.to = list.substr(0, end);
      list = end == std::string_view::npos ? std::string_view{} : list.substr(end + 1);
      count(copy, t, workload);
    }
    return true;
  }

  void drive(Connection& connection, Workload& workload) {
    workload.start(BenchClock::now());
    auto last_progress = BenchClock::now();
    long long last_received = 0;
    while (!workload.done()) {
      auto now = BenchClock::now();
      workload.pump(now);
      if (connection.wants_write() && !connection.flush()) {
        throw std::runtime_error("writing to mucd failed: " + workload.describe_missing());
      }
      pollfd p{connection.fd(),
               static_cast<short>(POLLIN | (connection.wants_write() ? POLLOUT : 0)), 0};
      int ready = poll_until(&p, 1, workload.next_wakeup());
      if (ready > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR))) {
        std::size_t got = 0;
        bool alive = connection.read_available(4 << 20, got);
        Element e;
        for (auto ev = connection.scanner().next(e); ev != StreamScanner::Event::NeedMore;
             ev = connection.scanner().next(e)) {
          if (ev == StreamScanner::Event::Stanza) {
            auto t = BenchClock::now();
            if (options_.host_fanout && e.to == options_.domain &&
                host_fanout(connection, e, t, workload)) {
              continue;
            }
            count(e, t, workload);
          } else {
            throw std::runtime_error(ev == StreamScanner::Event::Error
                                         ? "mucd sent something that is not XML"
                                         : "mucd closed the stream: " +
                                               workload.describe_missing());
          }
        }
        if (!alive) {
          throw std::runtime_error("mucd closed the connection: " + workload.describe_missing());
        }
      }
      now = BenchClock::now();
      if (workload.received() != last_received) {
        last_received = workload.received();
        last_progress = now;
      } else if (now - last_progress > std::chrono::seconds(options_.common.timeout_s)) {
        throw std::runtime_error(fmt::format("nothing arrived for {} s: {}",
                                             options_.common.timeout_s,
                                             workload.describe_missing()));
      }
    }
  }

 public:
  std::vector<std::pair<Phase, double>> driver_cpu_;
  // With --host-fanout: stanzas mucd asked the host to keep, and copies of them it sent.
  long long kept_count_ = 0;
  long long copies_ = 0;

 private:
  const Options& options_;
  WorkloadSpec spec_;
  StreamScanner bundle_scanner_;  // splits a bundle's stanzas (--host-fanout)
  std::vector<Kept> kept_;        // by slot (--host-fanout)
  pid_t mucd_pid_ = 0;
};

int main_fakehost(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  Options options = parse(argc, argv);
  const CommonOptions& common = options.common;
  std::vector<WorkloadSpec> specs = selected_workloads(common, &fail_usage);
  std::vector<Summary> summaries;
  bool all_complete = true;
  int run_index = 0;
  for (auto spec : specs) {
    spec.muc_domain = options.domain;
    std::vector<RunResult> runs;
    for (int k = 0; k < common.runs; ++k) {
      WorkloadSpec run_spec = spec;
      // Distinct names per run, for a long-lived mucd given with --pid.
      run_spec.prefix = options.pid ? fmt::format("b{}x{}", getpid(), run_index) : "b";
      ++run_index;
      std::fprintf(stderr, "mucd-fakehost: %s run %d/%d: %s\n", spec.name.c_str(), k + 1,
                   common.runs, describe_spec(spec).c_str());
      Run run(options, run_spec);
      RunResult result = run.execute();
      if (!result.complete) {
        all_complete = false;
        std::fprintf(stderr, "mucd-fakehost: %s run %d FAILED: %s\n", spec.name.c_str(), k + 1,
                     result.failure.c_str());
      } else {
        std::string line;
        for (const auto& [metric, value] : result.metrics()) {
          line += fmt::format(" {}={:.4g}", metric, value);
        }
        for (const auto& [phase, cpu] : run.driver_cpu_) {
          for (const auto& ps : result.phases) {
            if (ps.phase == phase && ps.seconds > 0) {
              line += fmt::format(" fakehost_busy_{}={:.2f}", phase_name(phase), cpu / ps.seconds);
            }
          }
        }
        if (options.host_fanout) {
          line += fmt::format(" host_kept={} host_copies={}", run.kept_count_, run.copies_);
        }
        std::fprintf(stderr, "  ok:%s\n", line.c_str());
      }
      runs.push_back(std::move(result));
    }
    summaries.push_back(summarize(runs));
  }
  std::vector<std::pair<std::string, std::string>> columns = {
      {"joins_per_s", "joins/s"},
      {"join_p99_ms", "join p99 ms"},
      {"deliveries_per_s", "deliveries/s"},
      {"fanout_p50_ms", "fan-out p50 ms"},
      {"fanout_p99_ms", "fan-out p99 ms"},
      {"mucd_cpu_s_per_1k_deliveries", "mucd CPU s/1k deliveries"},
      {"mucd_deliveries_per_cpu_s", "deliveries/CPU-s"},
      {"paced_deliveries_per_s", "paced deliveries/s"},
      {"paced_p99_ms", "paced p99 ms"},
      {"mucd_peak_rss_mib", "peak RSS MiB"},
  };
  std::fputs(format_table(summaries, columns).c_str(), stdout);
  if (!common.json_path.empty()) {
    std::ofstream out(common.json_path);
    out << to_json(summaries, "mucd-fakehost");
  }
  if (!all_complete) std::fputs("mucd-fakehost: some runs did not complete\n", stderr);
  return all_complete ? 0 : 1;
}

}  // namespace
}  // namespace mucd::bench

int main(int argc, char** argv) {
  try {
    return mucd::bench::main_fakehost(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mucd-fakehost: %s\n", e.what());
    return 1;
  }
}
