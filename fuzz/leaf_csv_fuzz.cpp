// The leaf CSV of `cxagent localize`: the parser, the localizer on what it accepts, and the JSON
// the command prints, as the command runs them.

#include "fuzz_support.hpp"
#include "localize/leaf_csv.hpp"
#include "localize/localizer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cxagent::fuzz::Run([&] {
    const auto table =
        cxagent::localize::ParseLeafCsv(cxagent::fuzz::Text(data, size), "leaves.csv");
    const auto result = cxagent::localize::Localize(table);
    const std::string out = cxagent::localize::RootCausesJson(result).dump(2);
    if (out.empty()) cxagent::fuzz::Fail("localize output", "empty");
  });
  return 0;
}
