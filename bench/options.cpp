#include "bench/options.hpp"

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "bench/report.hpp"
#include "bench/scenarios.hpp"

namespace mucd::bench {

const char* const kCommonUsage = R"(  --scenario A,B,...   named workloads (--list shows them)
  --rooms R --occupants N --messages M [--paced P]
                       a custom workload instead of named ones
  --window W           unfinished messages at once (default 64)
  --join-window W      unanswered joins at once (default 256)
  --paced-fraction F   rate of the paced phase, as a fraction of the burst rate (default 0.5)
  --body-bytes B       message body size (default 48)
  --runs K             runs per scenario; the table shows medians and min-max (default 1)
  --timeout S          fail a run when nothing arrives for S seconds (default 30)
  --json FILE          also write the results as JSON
  --quick              the quick scenario once: checks that every stanza arrives
  --list               list the scenarios and exit
)";

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

namespace {

int to_int(const std::string& flag, const std::string& value,
           void (*fail)(const std::string& message)) {
  try {
    std::size_t used = 0;
    int v = std::stoi(value, &used);
    if (used == value.size() && v >= 0) return v;
  } catch (const std::exception&) {
  }
  fail(flag + " needs a non-negative integer, not '" + value + "'");
  return 0;
}

}  // namespace

bool parse_common_option(int argc, char** argv, int& i, CommonOptions& o,
                         void (*fail)(const std::string& message)) {
  std::string flag = argv[i];
  auto value = [&]() -> std::string {
    if (i + 1 >= argc) fail(flag + " needs a value");
    return argv[++i];
  };
  auto custom = [&]() -> WorkloadSpec& {
    if (!o.custom) {
      o.custom = WorkloadSpec{};
      o.custom->name = "custom";
    }
    return *o.custom;
  };
  if (flag == "--scenario") {
    for (auto& s : split_commas(value())) o.scenarios.push_back(s);
  } else if (flag == "--rooms") {
    custom().rooms = to_int(flag, value(), fail);
  } else if (flag == "--occupants") {
    custom().occupants = to_int(flag, value(), fail);
  } else if (flag == "--messages") {
    custom().messages = to_int(flag, value(), fail);
  } else if (flag == "--paced") {
    custom().paced_messages = to_int(flag, value(), fail);
  } else if (flag == "--window") {
    o.window = to_int(flag, value(), fail);
  } else if (flag == "--join-window") {
    o.join_window = to_int(flag, value(), fail);
  } else if (flag == "--paced-fraction") {
    o.paced_fraction = std::atof(value().c_str());
  } else if (flag == "--body-bytes") {
    o.body_bytes = to_int(flag, value(), fail);
  } else if (flag == "--runs") {
    o.runs = to_int(flag, value(), fail);
  } else if (flag == "--timeout") {
    o.timeout_s = to_int(flag, value(), fail);
  } else if (flag == "--json") {
    o.json_path = value();
  } else if (flag == "--quick") {
    o.quick = true;
  } else if (flag == "--list") {
    for (const auto* list : {&engine_scenarios(), &end_to_end_scenarios()}) {
      for (const auto& s : *list) {
        std::printf("%-20s %-50s %s\n", s.name.c_str(), describe_spec(s.spec).c_str(),
                    s.purpose.c_str());
      }
    }
    std::exit(0);
  } else {
    return false;
  }
  return true;
}

void finish_common_options(CommonOptions& o, const std::vector<std::string>& defaults,
                           const std::string& quick_scenario,
                           void (*fail)(const std::string& message)) {
  if (o.quick) {
    o.scenarios = {quick_scenario};
    o.custom.reset();
    o.runs = 1;
  }
  if (o.custom) {
    if (o.custom->rooms < 1 || o.custom->occupants < 1) {
      fail("--rooms and --occupants must be at least 1");
    }
    if (!o.scenarios.empty()) fail("give either --scenario or a custom workload, not both");
  } else if (o.scenarios.empty()) {
    o.scenarios = defaults;
  }
  if (o.runs < 1) fail("--runs must be at least 1");
  if (o.window < 1 || o.join_window < 1) fail("windows must be at least 1");
  if (o.paced_fraction <= 0) fail("--paced-fraction must be positive");
}

std::vector<WorkloadSpec> selected_workloads(const CommonOptions& o,
                                             void (*fail)(const std::string& message)) {
  std::vector<WorkloadSpec> specs;
  if (o.custom) {
    specs.push_back(*o.custom);
  } else {
    for (const auto& name : o.scenarios) {
      auto s = find_scenario(name);
      if (!s) fail("unknown scenario '" + name + "' (see --list)");
      specs.push_back(s->spec);
    }
  }
  for (auto& spec : specs) {
    spec.window = o.window;
    spec.join_window = o.join_window;
    spec.paced_fraction = o.paced_fraction;
    spec.body_bytes = o.body_bytes;
  }
  return specs;
}

}  // namespace mucd::bench
