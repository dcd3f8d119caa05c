// The leaf CSV of `cxagent localize`: the reader (DuckDB through storage::ReadCsvRecords, then
// ParseLeafRecords), the localizer on what it accepts, and the JSON the command prints, as the
// command runs them. ReadLeafCsv reads a path, so the input goes through a file.

#include "fuzz_support.hpp"
#include "localize/leaf_csv.hpp"
#include "localize/localizer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = cxagent::fuzz::Scratch().Write("leaves.csv", data, size);
  cxagent::fuzz::Run([&] {
    const auto table = cxagent::localize::ReadLeafCsv(path);
    const auto result = cxagent::localize::Localize(table);
    const std::string out = cxagent::localize::RootCausesJson(result).dump(2);
    if (out.empty()) cxagent::fuzz::Fail("localize output", "empty");
  });
  return 0;
}
