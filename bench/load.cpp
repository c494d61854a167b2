// mucd-load: the benchmark workload (workload.hpp) end to end, as real XMPP clients: one c2s
// connection per occupant to a server (Prosody or ejabberd), logging in with SASL PLAIN and
// binding a resource, then joining rooms and sending groupchat messages through the server to
// whichever MUC serves the domain (the server's own, or mucd as its component). It reports the
// same figures as mucd-fakehost, and the CPU time and peak RSS of the processes named with
// --watch (the server, mucd), per 1,000 deliveries.
//
// It speaks plain-text XMPP (no TLS): the server must allow PLAIN authentication without
// encryption, as the test harness's Prosody does; any password works there.
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/net.hpp"
#include "bench/options.hpp"
#include "bench/procstat.hpp"
#include "bench/report.hpp"
#include "bench/scenarios.hpp"
#include "bench/workload.hpp"

namespace mucd::bench {
namespace {

constexpr const char* kUsage =
    R"(usage: mucd-load --server HOST:PORT [options]

  --server HOST:PORT   the server's c2s port (IPv4 address)
  --user-domain D      the domain users log in to (default localhost)
  --muc-domain D       the MUC domain (default conference.localhost)
  --watch LABEL=PID    report CPU and peak RSS of this process (repeatable), e.g. prosody=1234
  --label TEXT         names the setup in the report (e.g. "prosody+mucd")
  --password P         the password every user logs in with (default "bench")
  --connect-window N   logins in progress at once (default 50)
)";

struct Watch {
  std::string label;
  pid_t pid = 0;
};

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string user_domain = "localhost";
  std::string muc_domain = "conference.localhost";
  std::string password = "bench";
  std::string label = "server";
  std::vector<Watch> watches;
  int connect_window = 50;
  CommonOptions common;
};

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "mucd-load: %s\n%s%s", message.c_str(), kUsage, kCommonUsage);
  std::exit(2);
}

void fail_usage(const std::string& message) {
  usage_error(message);
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
    } else if (flag == "--server") {
      std::string v = value();
      auto colon = v.rfind(':');
      if (colon == std::string::npos) usage_error("--server needs HOST:PORT");
      o.host = v.substr(0, colon);
      o.port = std::atoi(v.c_str() + colon + 1);
      if (o.port <= 0 || o.port > 65535) usage_error("bad port in --server " + v);
    } else if (flag == "--user-domain") {
      o.user_domain = value();
    } else if (flag == "--muc-domain") {
      o.muc_domain = value();
    } else if (flag == "--password") {
      o.password = value();
    } else if (flag == "--label") {
      o.label = value();
    } else if (flag == "--connect-window") {
      o.connect_window = std::max(1, std::atoi(value().c_str()));
    } else if (flag == "--watch") {
      std::string v = value();
      auto eq = v.find('=');
      if (eq == std::string::npos || eq == 0) usage_error("--watch needs LABEL=PID");
      Watch w{v.substr(0, eq), static_cast<pid_t>(std::atoi(v.c_str() + eq + 1))};
      if (w.pid <= 0) usage_error("bad PID in --watch " + v);
      o.watches.push_back(w);
    } else if (!parse_common_option(argc, argv, i, o.common, &fail_usage)) {
      usage_error("unknown option " + flag);
    }
  }
  if (o.port == 0) usage_error("--server is required");
  finish_common_options(
      o.common, {"e2e-1x50", "e2e-20x10", "e2e-1x200", "e2e-joins-distinct", "e2e-joins-one"},
      "e2e-quick", &fail_usage);
  return o;
}

std::string base64(const std::string& in) {
  static const char* const kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    unsigned v =
        (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

// One client: log-in state machine, then a pipe for the workload's stanzas.
struct Client {
  enum class State { Idle, Connecting, Stream1, Auth, Stream2, Bind, Ready, Failed };
  int room = 0, occupant = 0;
  std::string node;
  Connection connection;
  State state = State::Idle;
  std::string failure;
};

class LoadRun final : public Transport {
 public:
  LoadRun(const Options& options, WorkloadSpec spec) : options_(options), spec_(std::move(spec)) {}

  void send(int room, int occupant, std::string_view xml) override {
    Client& c = clients_[static_cast<std::size_t>(room) * spec_.occupants + occupant];
    bool was_idle = !c.connection.wants_write();
    c.connection.queue(xml);
    if (was_idle) dirty_.push_back(&c);
  }

  RunResult execute() {
    RunResult result;
    result.spec = spec_;
    try {
      connect_all();
      std::vector<std::pair<Phase, double>> marks(options_.watches.size());
      std::vector<ProcessCost> costs;
      for (const auto& w : options_.watches) costs.push_back(ProcessCost{w.label, {}, 0});
      auto hook = [&](Phase phase, bool started) {
        for (std::size_t k = 0; k < options_.watches.size(); ++k) {
          double cpu = cpu_seconds(options_.watches[k].pid).value_or(0);
          if (started) {
            marks[k] = {phase, cpu};
          } else {
            costs[k].cpu_by_phase.emplace_back(phase, cpu - marks[k].second);
          }
        }
      };
      Workload workload(spec_, *this, hook);
      drive(workload);
      result.phases = workload.results();
      for (std::size_t k = 0; k < costs.size(); ++k) {
        costs[k].peak_rss_bytes =
            static_cast<double>(peak_rss_bytes(options_.watches[k].pid).value_or(0));
      }
      result.costs = costs;
      result.complete = workload.done() && workload.error_stanzas() == 0;
      if (!result.complete) {
        result.failure = workload.error_stanzas() > 0
                             ? fmt::format("{} error stanzas", workload.error_stanzas())
                             : workload.describe_missing();
        for (const auto& sample : workload.samples()) result.failure += "\n  " + sample;
      }
    } catch (const std::exception& e) {
      result.complete = false;
      result.failure = e.what();
    }
    for (auto& c : clients_) {
      if (c.connection.open() && c.state == Client::State::Ready) {
        c.connection.queue("</stream:stream>");
        c.connection.flush();
      }
      c.connection.close();
    }
    return result;
  }

 private:
  std::string stream_header() const {
    return fmt::format(
        "<?xml version='1.0'?><stream:stream to='{}' version='1.0' xml:lang='en' "
        "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>",
        options_.user_domain);
  }

  void start_connect(Client& c) {
    c.connection = Connection(connect_nonblocking(options_.host, options_.port));
    c.state = Client::State::Connecting;
  }

  void fail(Client& c, const std::string& why) {
    c.state = Client::State::Failed;
    c.failure = why;
    throw std::runtime_error(fmt::format("client {}@{}: {}", c.node, options_.user_domain, why));
  }

  // One step of the log-in dialogue for an incoming event.
  void on_login_event(Client& c, StreamScanner::Event ev, const Element& e) {
    using S = Client::State;
    if (ev == StreamScanner::Event::StreamClose) fail(c, "the server closed the stream");
    if (ev == StreamScanner::Event::Error) fail(c, "the server sent something that is not XML");
    if (ev == StreamScanner::Event::StreamOpen) return;  // features follow
    if (e.name == "stream:error") fail(c, "stream error: " + std::string(e.raw.substr(0, 300)));
    switch (c.state) {
      case S::Stream1:
        if (e.name == "stream:features") {
          if (!e.contains("PLAIN")) fail(c, "the server offers no SASL PLAIN without TLS");
          std::string credentials = std::string(1, '\0') + c.node + '\0' + options_.password;
          c.connection.queue("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
                             base64(credentials) + "</auth>");
          c.state = S::Auth;
        }
        break;
      case S::Auth:
        if (e.name == "success") {
          c.connection.scanner().reset();
          c.connection.queue(stream_header());
          c.state = S::Stream2;
        } else if (e.name == "failure") {
          fail(c, "authentication failed: " + std::string(e.raw.substr(0, 300)));
        }
        break;
      case S::Stream2:
        if (e.name == "stream:features") {
          c.connection.queue(
              "<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
              "<resource>b</resource></bind></iq>");
          c.state = S::Bind;
        }
        break;
      case S::Bind:
        if (e.name == "iq" && e.id == "bind") {
          if (e.type != "result") fail(c, "resource binding failed: " + std::string(e.raw));
          c.state = S::Ready;
          ++ready_;
        }
        break;
      default:
        break;
    }
  }

  void connect_all() {
    const int total = spec_.rooms * spec_.occupants;
    clients_.resize(static_cast<std::size_t>(total));
    for (int r = 0; r < spec_.rooms; ++r) {
      for (int j = 0; j < spec_.occupants; ++j) {
        Client& c = clients_[static_cast<std::size_t>(r) * spec_.occupants + j];
        c.room = r;
        c.occupant = j;
        c.node = spec_.prefix + "u" + std::to_string(r) + "-" + std::to_string(j);
      }
    }
    std::size_t next = 0;
    int in_progress = 0;
    auto deadline = BenchClock::now() + std::chrono::seconds(60 + total / 20);
    std::vector<pollfd> fds;
    std::vector<Client*> owners;
    while (ready_ < total) {
      if (BenchClock::now() > deadline) {
        int counts[8] = {};
        for (const auto& c : clients_) ++counts[static_cast<int>(c.state)];
        throw std::runtime_error(fmt::format(
            "only {} of {} clients logged in in time (idle {}, connecting {}, opening {}, "
            "authenticating {}, reopening {}, binding {})",
            ready_, total, counts[0], counts[1], counts[2], counts[3], counts[4], counts[5]));
      }
      while (in_progress < options_.connect_window && next < clients_.size()) {
        start_connect(clients_[next++]);
        ++in_progress;
      }
      fds.clear();
      owners.clear();
      for (auto& c : clients_) {
        if (c.state == Client::State::Idle || c.state == Client::State::Ready) continue;
        short events = POLLIN;
        if (c.state == Client::State::Connecting || c.connection.wants_write()) events |= POLLOUT;
        fds.push_back(pollfd{c.connection.fd(), events, 0});
        owners.push_back(&c);
      }
      if (fds.empty()) continue;
      poll(fds.data(), fds.size(), 100);
      for (std::size_t k = 0; k < fds.size(); ++k) {
        Client& c = *owners[k];
        if (fds[k].revents == 0) continue;
        if (c.state == Client::State::Connecting) {
          if (fds[k].revents & (POLLERR | POLLHUP)) fail(c, "cannot connect");
          if (fds[k].revents & POLLOUT) {
            c.connection.queue(stream_header());
            c.state = Client::State::Stream1;
          }
        } else if (fds[k].revents & (POLLIN | POLLHUP | POLLERR)) {
          std::size_t got = 0;
          bool alive = c.connection.read_available(1 << 20, got);
          Element e;
          for (auto ev = c.connection.scanner().next(e); ev != StreamScanner::Event::NeedMore;
               ev = c.connection.scanner().next(e)) {
            auto before = c.state;
            on_login_event(c, ev, e);
            if (c.state == Client::State::Ready) --in_progress;
            // After <success/> the scanner was reset: nothing buffered is left to read.
            if (before == Client::State::Auth && c.state == Client::State::Stream2) break;
          }
          if (!alive) fail(c, "the server closed the connection during log-in");
        }
        if (c.connection.wants_write() && !c.connection.flush()) fail(c, "write failed");
      }
    }
  }

  void drive(Workload& workload) {
    workload.start(BenchClock::now());
    std::vector<pollfd> fds(clients_.size());
    for (std::size_t k = 0; k < clients_.size(); ++k) fds[k] = {clients_[k].connection.fd(), 0, 0};
    auto last_progress = BenchClock::now();
    long long last_received = 0;
    while (!workload.done()) {
      auto now = BenchClock::now();
      workload.pump(now);
      for (Client* c : dirty_) {
        if (!c->connection.flush()) throw std::runtime_error("write to the server failed");
      }
      dirty_.clear();
      for (std::size_t k = 0; k < clients_.size(); ++k) {
        fds[k].events =
            static_cast<short>(POLLIN | (clients_[k].connection.wants_write() ? POLLOUT : 0));
        fds[k].revents = 0;
      }
      int ready = poll_until(fds.data(), fds.size(), workload.next_wakeup());
      for (std::size_t k = 0; ready > 0 && k < fds.size(); ++k) {
        if (fds[k].revents == 0) continue;
        Client& c = clients_[k];
        if (fds[k].revents & POLLOUT) {
          if (!c.connection.flush()) throw std::runtime_error("write to the server failed");
        }
        if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        std::size_t got = 0;
        bool alive = c.connection.read_available(1 << 20, got);
        Element e;
        for (auto ev = c.connection.scanner().next(e); ev != StreamScanner::Event::NeedMore;
             ev = c.connection.scanner().next(e)) {
          if (ev != StreamScanner::Event::Stanza) {
            throw std::runtime_error(fmt::format("client {}: the server ended the stream ({})",
                                                 c.node, workload.describe_missing()));
          }
          workload.on_stanza(c.room, c.occupant, e, BenchClock::now());
        }
        if (!alive) {
          throw std::runtime_error(fmt::format("client {}: the server closed the connection ({})",
                                               c.node, workload.describe_missing()));
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

  const Options& options_;
  WorkloadSpec spec_;
  std::vector<Client> clients_;
  std::vector<Client*> dirty_;
  int ready_ = 0;
};

int main_load(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  Options options = parse(argc, argv);
  const CommonOptions& common = options.common;
  std::vector<WorkloadSpec> specs = selected_workloads(common, &fail_usage);
  std::vector<Summary> summaries;
  bool all_complete = true;
  int run_index = 0;
  // Each run names its users and rooms afresh: the server keeps what earlier runs left.
  const std::string prefix = fmt::format("l{}x", getpid() % 100000);
  for (auto spec : specs) {
    spec.muc_domain = options.muc_domain;
    spec.user_domain = options.user_domain;
    spec.stamp_from = false;
    std::vector<RunResult> runs;
    for (int k = 0; k < common.runs; ++k) {
      WorkloadSpec run_spec = spec;
      run_spec.prefix = fmt::format("{}{}", prefix, run_index++);
      std::fprintf(stderr, "mucd-load [%s]: %s run %d/%d: %s\n", options.label.c_str(),
                   spec.name.c_str(), k + 1, common.runs, describe_spec(spec).c_str());
      LoadRun run(options, run_spec);
      RunResult result = run.execute();
      if (!result.complete) {
        all_complete = false;
        std::fprintf(stderr, "mucd-load [%s]: %s run %d FAILED: %s\n", options.label.c_str(),
                     spec.name.c_str(), k + 1, result.failure.c_str());
      } else {
        std::string line;
        for (const auto& [metric, value] : result.metrics()) {
          line += fmt::format(" {}={:.4g}", metric, value);
        }
        std::fprintf(stderr, "  ok:%s\n", line.c_str());
      }
      runs.push_back(std::move(result));
    }
    summaries.push_back(summarize(runs));
  }
  std::vector<std::pair<std::string, std::string>> columns = {
      {"joins_per_s", "joins/s"},           {"join_p50_ms", "join p50 ms"},
      {"deliveries_per_s", "deliveries/s"}, {"fanout_p50_ms", "fan-out p50 ms"},
      {"fanout_p99_ms", "fan-out p99 ms"},
  };
  for (const auto& w : options.watches) {
    columns.emplace_back(w.label + "_cpu_s_per_1k_deliveries", w.label + " CPU s/1k");
  }
  if (options.watches.size() > 1) {
    columns.emplace_back("total_cpu_s_per_1k_deliveries", "total CPU s/1k");
  }
  std::printf("%s\n%s", options.label.c_str(), format_table(summaries, columns).c_str());
  if (!common.json_path.empty()) {
    std::ofstream out(common.json_path);
    out << to_json(summaries, "mucd-load " + options.label);
  }
  if (!all_complete) std::fputs("mucd-load: some runs did not complete\n", stderr);
  return all_complete ? 0 : 1;
}

}  // namespace
}  // namespace mucd::bench

int main(int argc, char** argv) {
  try {
    return mucd::bench::main_load(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mucd-load: %s\n", e.what());
    return 1;
  }
}
