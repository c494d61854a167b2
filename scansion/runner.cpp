#include "scansion/runner.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "scansion/matcher.hpp"
#include "scansion/record.hpp"
#include "scansion/report.hpp"
#include "scansion/variables.hpp"
#include "scansion/xml.hpp"
#include "scansion/xmpp_client.hpp"

namespace mucd::scansion {

namespace {

using std::chrono::milliseconds;

constexpr milliseconds kSlice{10};

std::string bare_of(std::string_view jid) {
  return std::string(jid.substr(0, jid.find('/')));
}

std::string seconds(milliseconds d) {
  if (d.count() % 1000 == 0) return fmt::format("{} s", d.count() / 1000);
  return fmt::format("{:.1f} s", static_cast<double>(d.count()) / 1000.0);
}

struct StepFailure {
  std::string reason;
  std::vector<std::string> details;
};

class ScriptRun {
 public:
  ScriptRun(const Script& script, std::string_view name, const RunOptions& options)
      : script_(script),
        name_(name),
        options_(options),
        session_(options.verbose),
        script_deadline_(Clock::now() + options.script_timeout) {
    for (const auto& spec : script.clients) {
      clients_.push_back(std::make_unique<Client>(session_, spec.name, spec.jid, spec.password));
    }
  }

  ~ScriptRun() {
    // Clients go before the session whose context they use.
    clients_.clear();
  }

  ScriptOutcome run() {
    ScriptOutcome outcome;
    outcome.name = name_;
    std::optional<std::string> failed;  // headline tail
    for (std::size_t i = 0; i < script_.steps.size() && !failed; ++i) {
      const Step& step = script_.steps[i];
      if (i > 0) {
        const Step& previous = script_.steps[i - 1];
        if (previous.action == Action::Send && previous.client != step.client) {
          session_.pump(options_.cross_client_pause);
        }
      }
      auto failure = execute(step, i + 1);
      if (failure) {
        failed = fmt::format("step {} (line {}, {}): {}", i + 1, step.line, step.client,
                             failure->reason);
        // The explanation of the failure comes first, the stepped-over list after it.
        outcome.details = std::move(failure->details);
      }
    }
    if (!failed) failed = check_leftovers();
    // The transcript ends with the script: what the clean-up below provokes (unavailable
    // presences from rooms, in whatever order the server closes sessions) is not part of it.
    outcome.transcripts = transcripts();
    close_all();

    outcome.passed = !failed.has_value();
    outcome.headline =
        outcome.passed ? fmt::format("PASS {}", name_) : fmt::format("FAIL {}: {}", name_, *failed);
    outcome.details.insert(outcome.details.end(), details_.begin(), details_.end());
    return outcome;
  }

 private:
  Client& client(const std::string& name) {
    for (auto& c : clients_) {
      if (c->name() == name) return *c;
    }
    throw std::logic_error("unknown client " + name);  // the parser checked every name
  }

  Clock::time_point deadline_in(milliseconds d) const {
    return std::min(Clock::now() + d, script_deadline_);
  }

  std::string timeout_reason(Clock::time_point deadline, std::string_view what) const {
    if (deadline >= script_deadline_ && Clock::now() >= script_deadline_) {
      return fmt::format("script exceeded its {} limit", seconds(options_.script_timeout));
    }
    return fmt::format("{} within {}", what, seconds(options_.receive_timeout));
  }

  std::optional<StepFailure> execute(const Step& step, std::size_t number) {
    Client& c = client(step.client);
    switch (step.action) {
      case Action::Connect:
        return connect(c);
      case Action::Disconnect:
        return disconnect(c);
      case Action::Send:
        return send(c, step);
      case Action::Receive:
        return receive(c, step, number);
    }
    return std::nullopt;
  }

  std::optional<StepFailure> connect(Client& c) {
    if (c.state() == Client::State::Online) return StepFailure{"already connected", {}};
    const auto where = fmt::format("{}:{}", options_.host, options_.port);
    if (!c.start_connect(options_.host, options_.port)) return StepFailure{c.failure(), {}};
    const auto deadline = deadline_in(options_.receive_timeout);
    while (c.state() == Client::State::Connecting && Clock::now() < deadline) {
      session_.pump(kSlice);
    }
    switch (c.state()) {
      case Client::State::Online:
        return std::nullopt;
      case Client::State::Connecting:
        c.abort();
        return StepFailure{
            timeout_reason(deadline,
                           fmt::format("login as {} at {} did not complete", c.jid(), where)),
            {}};
      default:
        return StepFailure{fmt::format("cannot log in as {} at {}: {}", c.jid(), where,
                                       c.failure().empty() ? "connection closed" : c.failure()),
                           {}};
    }
  }

  std::optional<StepFailure> disconnect(Client& c) {
    if (c.state() != Client::State::Online) return not_online(c);
    c.start_disconnect();
    const auto deadline = deadline_in(options_.receive_timeout);
    while (c.state() == Client::State::Closing && Clock::now() < deadline) session_.pump(kSlice);
    if (c.state() == Client::State::Closing) {
      return StepFailure{timeout_reason(deadline, "the server did not close the stream"), {}};
    }
    return std::nullopt;
  }

  StepFailure not_online(const Client& c) const {
    if (!c.failure().empty()) return {fmt::format("not connected ({})", c.failure()), {}};
    return {"not connected", {}};
  }

  // `xml` with the variables replaced, or a failure.
  std::optional<std::string> substitute_variables(const std::string& xml, StepFailure& failure) {
    auto result =
        substitute(xml, [&](const Variable& v, std::string& error) -> std::optional<std::string> {
          Client& target = client(v.client);
          std::string full = target.bound_jid();
          if (full.empty() && target.jid().find('/') != std::string::npos) full = target.jid();
          if (!v.full) return bare_of(full.empty() ? target.jid() : full);
          if (full.empty()) {
            error = fmt::format("${{{}'s full JID}} is unknown until {} has connected", v.client,
                                v.client);
            return std::nullopt;
          }
          return full;
        });
    if (!result.error.empty()) {
      failure.reason = result.error;
      return std::nullopt;
    }
    return result.text;
  }

  std::optional<StepFailure> send(Client& c, const Step& step) {
    if (c.state() != Client::State::Online) return not_online(c);
    StepFailure failure;
    auto xml = substitute_variables(step.xml, failure);
    if (!xml) return failure;
    c.send_raw(trim(*xml));
    return std::nullopt;
  }

  std::optional<StepFailure> receive(Client& c, const Step& step, std::size_t number) {
    StepFailure failure;
    auto xml = substitute_variables(step.xml, failure);
    if (!xml) return failure;
    auto expected = parse_element(*xml);
    if (!expected) {
      return StepFailure{
          fmt::format("after substituting variables the XML is broken: {}", expected.error), {}};
    }
    const auto where = fmt::format("step {} (line {}, {})", number, step.line, step.client);
    std::vector<Received> examined;
    std::vector<MatchResult> results;
    const auto deadline = deadline_in(options_.receive_timeout);
    for (;;) {
      while (!c.queue().empty()) {
        Received candidate = std::move(c.queue().front());
        c.queue().pop_front();
        auto result = match(expected.root(), candidate.root());
        if (result.matched) {
          for (const auto& skipped : examined) {
            details_.push_back(fmt::format("{}: stepped over {}", where, compact(skipped.root())));
          }
          return std::nullopt;
        }
        if (options_.strict) {
          StepFailure strict{"unexpected stanza (strict mode)", {}};
          explain("received instead", expected.root(), candidate, result, strict.details);
          return strict;
        }
        examined.push_back(std::move(candidate));
        results.push_back(std::move(result));
      }
      const bool gone = c.state() != Client::State::Online && c.state() != Client::State::Closing;
      if (gone || Clock::now() >= deadline) break;
      session_.pump(kSlice);
    }

    StepFailure out;
    if (c.state() != Client::State::Online) {
      out.reason = not_online(c).reason;
    } else if (examined.empty()) {
      out.reason = timeout_reason(deadline, "no stanza arrived");
    } else {
      out.reason = timeout_reason(
          deadline, fmt::format("no matching stanza ({} received, none matched)", examined.size()));
    }
    if (examined.empty()) {
      out.details.push_back("expected:");
      for (const auto& line : pretty(expected.root())) out.details.push_back("  " + line);
      return out;
    }
    std::size_t best = 0;
    for (std::size_t i = 1; i < results.size(); ++i) {
      if (results[i].score > results[best].score) best = i;
    }
    explain("closest received", expected.root(), examined[best], results[best], out.details);
    if (examined.size() > 1) {
      out.details.push_back("also received during this step:");
      for (std::size_t i = 0; i < examined.size(); ++i) {
        if (i != best) out.details.push_back("  " + compact(examined[i].root()));
      }
    }
    return out;
  }

  // The diff and the broken rules for one received stanza against the expected one.
  static void explain(std::string_view label, pugi::xml_node expected, const Received& received,
                      const MatchResult& result, std::vector<std::string>& details) {
    details.push_back(fmt::format("{} (stanza #{} for this client):", label, received.sequence));
    details.push_back("  " + compact(received.root()));
    auto aligned = align(expected, received.root());
    details.push_back("diff (- expected, + received):");
    for (const auto& line : line_diff(aligned.expected, aligned.received)) {
      details.push_back("  " + line);
    }
    details.push_back("differences:");
    for (const auto& difference : result.differences) details.push_back("  " + difference);
  }

  // After the last step: what nobody consumed. Returns the headline tail in strict mode.
  std::optional<std::string> check_leftovers() {
    session_.pump(options_.straggler_wait);
    std::optional<std::string> failed;
    for (auto& c : clients_) {
      if (c->queue().empty()) continue;
      for (const auto& left : c->queue()) {
        details_.push_back(
            fmt::format("end of script ({}): never consumed {}", c->name(), compact(left.root())));
      }
      if (options_.strict && !failed) {
        auto n = c->queue().size();
        failed = fmt::format("end of script ({}): {} stanza{} never consumed (strict mode)",
                             c->name(), n, n == 1 ? "" : "s");
      }
    }
    return failed;
  }

  void close_all() {
    for (auto& c : clients_) c->start_disconnect();
    const auto deadline = Clock::now() + milliseconds(2000);
    auto closing = [&] {
      for (const auto& c : clients_) {
        if (c->state() == Client::State::Closing) return true;
      }
      return false;
    };
    while (closing() && Clock::now() < deadline) session_.pump(kSlice);
  }

  std::vector<std::pair<std::string, std::vector<std::string>>> transcripts() const {
    Normaliser normalise;
    for (const auto& c : clients_) {
      normalise.add_client(c->name(), bare_of(c->bound_jid().empty() ? c->jid() : c->bound_jid()),
                           c->bound_jid());
    }
    std::vector<std::string> xml;
    for (const auto& step : script_.steps) xml.push_back(step.xml);
    normalise.keep_ids(ids_in(xml));
    std::vector<std::pair<std::string, std::vector<std::string>>> out;
    for (const auto& c : clients_) {
      std::vector<std::string> lines;
      for (const auto& received : c->transcript()) lines.push_back(normalise(received.root()));
      out.emplace_back(c->name(), std::move(lines));
    }
    return out;
  }

  const Script& script_;
  std::string name_;
  const RunOptions& options_;
  Session session_;
  std::vector<std::unique_ptr<Client>> clients_;
  Clock::time_point script_deadline_;
  std::vector<std::string> details_;  // stepped-over and never-consumed stanzas
};

}  // namespace

ScriptOutcome run_script(const Script& script, std::string_view name, const RunOptions& options) {
  return ScriptRun(script, name, options).run();
}

ScriptOutcome run_file(const std::filesystem::path& path, const RunOptions& options) {
  const std::string name = path.stem().string();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ScriptOutcome outcome;
    outcome.name = name;
    outcome.headline = fmt::format("FAIL {}: cannot read {}", name, path.string());
    return outcome;
  }
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = parse_script(text.str(), path.string());
  if (auto* error = std::get_if<ParseError>(&parsed)) {
    ScriptOutcome outcome;
    outcome.name = name;
    outcome.headline = fmt::format("FAIL {}: {}", name, error->to_string());
    return outcome;
  }
  return run_script(std::get<Script>(parsed), name, options);
}

std::string write_record(const std::filesystem::path& dir, const ScriptOutcome& outcome) {
  std::error_code ec;
  const auto where = dir / outcome.name;
  std::filesystem::create_directories(where, ec);
  if (ec) return fmt::format("cannot create {}: {}", where.string(), ec.message());
  auto write = [&](const std::filesystem::path& file, const std::vector<std::string>& lines) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    for (const auto& line : lines) out << line << '\n';
    out.close();
    return out ? std::string() : fmt::format("cannot write {}", file.string());
  };
  for (const auto& [client, lines] : outcome.transcripts) {
    if (auto error = write(where / (client + ".txt"), lines); !error.empty()) return error;
  }
  return write(where / "result.txt", {outcome.headline});
}

}  // namespace mucd::scansion
