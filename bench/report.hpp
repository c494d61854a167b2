// Turning workload runs into figures: per-run metrics, medians with spread over runs, a text table
// and JSON.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "bench/workload.hpp"

namespace mucd::bench {

// A named figure, e.g. {"deliveries_per_s", 812345.0}. Order is kept for the table.
using Metric = std::pair<std::string, double>;

// CPU seconds one watched process used during each phase, and its peak RSS after the run.
struct ProcessCost {
  std::string label;  // "mucd", "prosody", ...
  std::vector<std::pair<Phase, double>> cpu_by_phase;
  double peak_rss_bytes = 0;
  double cpu(Phase phase) const;
};

struct RunResult {
  WorkloadSpec spec;
  std::vector<PhaseStats> phases;
  std::vector<ProcessCost> costs;
  bool complete = false;
  std::string failure;  // why it did not complete

  // The figures of this run, e.g. joins_per_s, deliveries_per_s, fanout_p99_ms,
  // mucd_cpu_s_per_1k_deliveries, total_cpu_s_per_1k_deliveries, mucd_peak_rss_mib.
  std::vector<Metric> metrics() const;
};

struct Summary {
  std::string name;
  std::string spec_text;  // "R rooms x N occupants, M messages/room"
  std::vector<std::string> order;
  // metric -> values over runs
  std::vector<std::pair<std::string, std::vector<double>>> values;
  const std::vector<double>* find(const std::string& metric) const;
};

// Groups the runs of one scenario.
Summary summarize(const std::vector<RunResult>& runs);

double median(std::vector<double> values);

// "812k (790k-830k)" style text for a metric over runs.
std::string format_spread(const std::string& metric, const std::vector<double>& values);

// A table: one row per scenario, one column per chosen metric (median, with min-max).
std::string format_table(const std::vector<Summary>& summaries,
                         const std::vector<std::pair<std::string, std::string>>& columns);

// JSON: {"scenarios": [{"name", "spec", "runs", "metrics": {m: {"median","min","max","values"}}}]}
std::string to_json(const std::vector<Summary>& summaries, const std::string& tool);

std::string describe_spec(const WorkloadSpec& spec);

}  // namespace mucd::bench
