// Command-line options both benchmark tools share: which workloads, how many runs, windows,
// timeouts and where the JSON goes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bench/workload.hpp"

namespace mucd::bench {

struct CommonOptions {
  std::vector<std::string> scenarios;
  std::optional<WorkloadSpec> custom;  // --rooms/--occupants/--messages/--paced
  int window = 64;
  int join_window = 256;
  double paced_fraction = 0.5;
  int body_bytes = 48;
  int runs = 1;
  int timeout_s = 30;
  std::string json_path;
  bool quick = false;
};

// The usage text for the shared options.
extern const char* const kCommonUsage;

// Consumes argv[i] (and its value) when it is a shared option; returns false otherwise. Calls
// `fail` (which must not return) on a bad value.
bool parse_common_option(int argc, char** argv, int& i, CommonOptions& options,
                         void (*fail)(const std::string& message));

// Checks the shared options once all are read; `fail` as above.
void finish_common_options(CommonOptions& options, const std::vector<std::string>& defaults,
                           const std::string& quick_scenario,
                           void (*fail)(const std::string& message));

// The workloads to run: the custom one, or the named scenarios with the shared settings applied.
// Calls `fail` for an unknown name.
std::vector<WorkloadSpec> selected_workloads(const CommonOptions& options,
                                             void (*fail)(const std::string& message));

// "a,b,,c" -> {"a", "b", "c"}
std::vector<std::string> split_commas(const std::string& text);

}  // namespace mucd::bench
