// The series CSV of `cxagent changepoints`: read by DuckDB as text (storage::ReadCsvAsText), the
// `value` column parsed (detect::ReadSeriesColumn), then every --method the command offers, and
// the JSON it prints. One database for the whole run, as a process would hold one.

#include <nlohmann/json.hpp>

#include "detect/registry.hpp"
#include "detect/series_table.hpp"
#include "fuzz_support.hpp"
#include "storage/duckdb.hpp"

namespace {

struct State {
  cxagent::fuzz::ScratchDir scratch;
  cxagent::storage::Database database;
  cxagent::storage::Connection connection{database};
  cxagent::detect::DetectorRegistry registry;
  State() { cxagent::detect::RegisterBuiltinDetectors(registry); }
};

State& TheState() {
  static State state;
  return state;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  TheState();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  State& state = TheState();
  const std::string path = state.scratch.Write("series.csv", data, size);
  cxagent::fuzz::Run([&] {
    const auto table = cxagent::storage::ReadCsvAsText(state.connection, path);
    const auto series = cxagent::detect::ReadSeriesColumn(table, path);
    for (const auto& method : state.registry.Names()) {
      cxagent::fuzz::Run([&] {
        const auto detection = state.registry.Create(method)->Detect(series);
        nlohmann::json result;
        result["changepoints"] = detection.change_points;
        if (result.dump().empty()) cxagent::fuzz::Fail("changepoints output", method);
      });
    }
  });
  return 0;
}
