// Named workloads, so that a figure in bench/README.md can be reproduced by name.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/workload.hpp"

namespace mucd::bench {

struct Scenario {
  std::string name;
  std::string purpose;  // which target or comparison it serves
  WorkloadSpec spec;
};

// The engine scenarios (fake host) and the end-to-end ones (the table).
const std::vector<Scenario>& engine_scenarios();
const std::vector<Scenario>& end_to_end_scenarios();

// Looks a name up in both lists.
std::optional<Scenario> find_scenario(std::string_view name);

// The names run when none is given.
std::vector<std::string> default_engine_scenarios();

}  // namespace mucd::bench
