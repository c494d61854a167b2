#include "bench/scenarios.hpp"

namespace mucd::bench {

namespace {

Scenario make(std::string name, std::string purpose, int rooms, int occupants, int messages,
              int paced = 0) {
  Scenario s;
  s.name = name;
  s.purpose = std::move(purpose);
  s.spec.name = std::move(name);
  s.spec.rooms = rooms;
  s.spec.occupants = occupants;
  s.spec.messages = messages;
  s.spec.paced_messages = paced;
  return s;
}

}  // namespace

const std::vector<Scenario>& engine_scenarios() {
  static const std::vector<Scenario> list = [] {
    std::vector<Scenario> v;
    v.push_back(make("quick", "correctness smoke test (the test command runs it)", 3, 5, 20, 5));
    v.push_back(make("fanout100",
                     ">= 1,000,000 deliveries/s in a 100-occupant room; p99 at half rate", 1, 100,
                     10000, 2000));
    v.push_back(make("rooms1", "1 room of 10: the left end of 'within 2x from 1 to 10,000 rooms'",
                     1, 10, 100000));
    v.push_back(make("rooms10k", ">= 500,000 deliveries/s across 10,000 rooms of 10; joins/s",
                     10000, 10, 10, 2));
    v.push_back(make("occ1000", "cost per delivery from 10 to 1,000 occupants", 1, 1000, 1000));
    v.push_back(make("storm", "presence storm: 500 joins into one room in under 1 s", 1, 500, 0));
    v.push_back(make("joins-distinct",
                     ">= 50,000 joins/s (each join creates and configures a room)", 20000, 1, 0));
    v.push_back(make("memory", "100,000 rooms x 10 occupants under 1 GiB RSS", 100000, 10, 1));
    return v;
  }();
  return list;
}

const std::vector<Scenario>& end_to_end_scenarios() {
  static const std::vector<Scenario> list = [] {
    std::vector<Scenario> v;
    v.push_back(make("e2e-quick", "correctness smoke test (the test command runs it)", 2, 3, 10));
    v.push_back(make("e2e-1x50", "issue table row 1", 1, 50, 2000));
    v.push_back(make("e2e-20x10", "issue table row 2", 20, 10, 500));
    v.push_back(make("e2e-1x200", "issue table row 3", 1, 200, 500));
    v.push_back(
        make("e2e-joins-distinct", "issue table row 4: 500 joins into distinct rooms", 500, 1, 0));
    v.push_back(make("e2e-joins-one", "issue table row 5: 500 joins into one room", 1, 500, 0));
    return v;
  }();
  return list;
}

std::optional<Scenario> find_scenario(std::string_view name) {
  for (const auto* list : {&engine_scenarios(), &end_to_end_scenarios()}) {
    for (const auto& s : *list) {
      if (s.name == name) return s;
    }
  }
  return std::nullopt;
}

std::vector<std::string> default_engine_scenarios() {
  return {"fanout100", "rooms1", "rooms10k", "occ1000", "storm", "joins-distinct"};
}

}  // namespace mucd::bench
