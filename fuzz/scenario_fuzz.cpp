// Scenario YAML (`cxagent generate --scenario`): the parser and validator, then truth.json, the
// part of the output written from the scenario's own fields (names, slices, dates).

#include "fuzz_support.hpp"
#include "generate/generator.hpp"
#include "generate/scenario.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cxagent::fuzz::Run([&] {
    const auto scenario =
        cxagent::generate::ParseScenario(cxagent::fuzz::Text(data, size), "scenario.yaml");
    const std::string truth = cxagent::generate::TruthJson(scenario, {}, {});
    if (truth.empty()) cxagent::fuzz::Fail("truth.json", "empty");
  });
  return 0;
}
