#include "bench/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace mucd::bench {

namespace {

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out.push_back(c);
        }
    }
  }
  return out + "\"";
}

std::string json_number(double value) {
  if (!std::isfinite(value)) return "null";
  return fmt::format("{:.6g}", value);
}

// Three significant digits, with k/M for large numbers.
std::string short_number(double v) {
  double a = std::fabs(v);
  if (a >= 1e6) return fmt::format("{:.3g}M", v / 1e6);
  if (a >= 1e4) return fmt::format("{:.0f}k", v / 1e3);
  if (a >= 1e3) return fmt::format("{:.3g}k", v / 1e3);
  if (a >= 100) return fmt::format("{:.0f}", v);
  if (a >= 1) return fmt::format("{:.3g}", v);
  if (a == 0) return "0";
  return fmt::format("{:.2g}", v);
}

}  // namespace

double ProcessCost::cpu(Phase phase) const {
  for (const auto& [p, seconds] : cpu_by_phase) {
    if (p == phase) return seconds;
  }
  return 0;
}

std::string describe_spec(const WorkloadSpec& spec) {
  std::string text = fmt::format("{} room{} x {} occupants", spec.rooms, spec.rooms == 1 ? "" : "s",
                                 spec.occupants);
  if (spec.messages > 0) text += fmt::format(", {} messages/room", spec.messages);
  if (spec.paced_messages > 0) {
    text += fmt::format(" + {} paced at {:g}x", spec.paced_messages, spec.paced_fraction);
  }
  return text;
}

std::vector<Metric> RunResult::metrics() const {
  std::vector<Metric> out;
  for (const auto& phase : phases) {
    if (phase.seconds <= 0) continue;
    double total_cpu = 0;
    for (const auto& cost : costs) total_cpu += cost.cpu(phase.phase);
    switch (phase.phase) {
      case Phase::Joins:
        out.emplace_back("joins_per_s", phase.per_second(phase.operations));
        out.emplace_back("join_p50_ms", phase.latency_ms(0.50));
        out.emplace_back("join_p99_ms", phase.latency_ms(0.99));
        out.emplace_back("join_phase_s", phase.seconds);
        out.emplace_back("join_stanzas_per_s", phase.per_second(phase.stanzas));
        for (const auto& cost : costs) {
          if (phase.operations > 0) {
            out.emplace_back(cost.label + "_cpu_us_per_join",
                             cost.cpu(phase.phase) * 1e6 / static_cast<double>(phase.operations));
          }
        }
        break;
      case Phase::Burst:
        out.emplace_back("deliveries_per_s", phase.per_second(phase.deliveries));
        out.emplace_back("messages_per_s", phase.per_second(phase.operations));
        out.emplace_back("fanout_p50_ms", phase.latency_ms(0.50));
        out.emplace_back("fanout_p99_ms", phase.latency_ms(0.99));
        if (phase.deliveries > 0) {
          const double k = static_cast<double>(phase.deliveries) / 1000.0;
          for (const auto& cost : costs) {
            double cpu = cost.cpu(phase.phase);
            out.emplace_back(cost.label + "_cpu_s_per_1k_deliveries", cpu / k);
            if (cpu > 0) {
              out.emplace_back(cost.label + "_deliveries_per_cpu_s",
                               static_cast<double>(phase.deliveries) / cpu);
            }
          }
          if (costs.size() > 1) out.emplace_back("total_cpu_s_per_1k_deliveries", total_cpu / k);
        }
        break;
      case Phase::Paced:
        out.emplace_back("paced_target_messages_per_s", phase.rate_limit);
        out.emplace_back("paced_deliveries_per_s", phase.per_second(phase.deliveries));
        out.emplace_back("paced_p50_ms", phase.latency_ms(0.50));
        out.emplace_back("paced_p99_ms", phase.latency_ms(0.99));
        break;
      case Phase::Done:
        break;
    }
  }
  for (const auto& cost : costs) {
    if (cost.peak_rss_bytes > 0) {
      out.emplace_back(cost.label + "_peak_rss_mib", cost.peak_rss_bytes / (1024.0 * 1024.0));
    }
  }
  return out;
}

const std::vector<double>* Summary::find(const std::string& metric) const {
  for (const auto& [name, v] : values) {
    if (name == metric) return &v;
  }
  return nullptr;
}

Summary summarize(const std::vector<RunResult>& runs) {
  Summary s;
  if (runs.empty()) return s;
  s.name = runs.front().spec.name;
  s.spec_text = describe_spec(runs.front().spec);
  for (const auto& run : runs) {
    if (!run.complete) continue;
    for (const auto& [name, value] : run.metrics()) {
      auto it = std::find_if(s.values.begin(), s.values.end(),
                             [&](const auto& entry) { return entry.first == name; });
      if (it == s.values.end()) {
        s.order.push_back(name);
        s.values.emplace_back(name, std::vector<double>{value});
      } else {
        it->second.push_back(value);
      }
    }
  }
  return s;
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

std::string format_spread(const std::string& metric, const std::vector<double>& values) {
  (void)metric;
  if (values.empty()) return "-";
  std::string text = short_number(median(values));
  if (values.size() > 1) {
    auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    text += " (" + short_number(*lo) + "-" + short_number(*hi) + ")";
  }
  return text;
}

std::string format_table(const std::vector<Summary>& summaries,
                         const std::vector<std::pair<std::string, std::string>>& columns) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"scenario", "workload"};
  for (const auto& [metric, title] : columns) header.push_back(title);
  rows.push_back(header);
  for (const auto& s : summaries) {
    std::vector<std::string> row = {s.name, s.spec_text};
    for (const auto& [metric, title] : columns) {
      const auto* v = s.find(metric);
      row.push_back(v ? format_spread(metric, *v) : "-");
    }
    rows.push_back(row);
  }
  std::vector<std::size_t> width(header.size(), 0);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& row) {
    out += "|";
    for (std::size_t i = 0; i < row.size(); ++i) {
      out += " " + row[i] + std::string(width[i] - row[i].size(), ' ') + " |";
    }
    out += "\n";
  };
  line(rows.front());
  out += "|";
  for (auto w : width) out += std::string(w + 2, '-') + "|";
  out += "\n";
  for (std::size_t r = 1; r < rows.size(); ++r) line(rows[r]);
  return out;
}

std::string to_json(const std::vector<Summary>& summaries, const std::string& tool) {
  std::string out = "{\"tool\": " + json_string(tool) + ", \"scenarios\": [";
  bool first_scenario = true;
  for (const auto& s : summaries) {
    if (!first_scenario) out += ", ";
    first_scenario = false;
    std::size_t runs = s.values.empty() ? 0 : s.values.front().second.size();
    out += "{\"name\": " + json_string(s.name) + ", \"spec\": " + json_string(s.spec_text) +
           ", \"runs\": " + std::to_string(runs) + ", \"metrics\": {";
    bool first_metric = true;
    for (const auto& [name, values] : s.values) {
      if (!first_metric) out += ", ";
      first_metric = false;
      auto [lo, hi] = std::minmax_element(values.begin(), values.end());
      out += json_string(name) + ": {\"median\": " + json_number(median(values)) +
             ", \"min\": " + json_number(*lo) + ", \"max\": " + json_number(*hi) +
             ", \"values\": [";
      for (std::size_t i = 0; i < values.size(); ++i) {
        if (i) out += ", ";
        out += json_number(values[i]);
      }
      out += "]}";
    }
    out += "}}";
  }
  return out + "]}\n";
}

}  // namespace mucd::bench
