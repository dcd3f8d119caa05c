// The detection stage alone (detect::DetectAlerts: every slice series segmented and tested, plus
// mechanism-led detection) on a stored slice cube. Data: a results file of `cxagent analyze`
// (FOLDER/.cxagent/results.duckdb) in CXAGENT_BENCH_RESULTS.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "detect/incidents.hpp"
#include "detect/registry.hpp"
#include "storage/duckdb.hpp"

namespace {

using namespace cxagent;

// The stored slice cube, read once for every benchmark in the binary.
const storage::Table* SharedCube(benchmark::State& state) {
  static std::unique_ptr<storage::Table> cube;
  if (cube) return cube.get();
  const char* results = std::getenv("CXAGENT_BENCH_RESULTS");
  if (results == nullptr) {
    state.SkipWithError("set CXAGENT_BENCH_RESULTS to an analysis's .cxagent/results.duckdb");
    return nullptr;
  }
  storage::Database database;
  storage::Connection connection(database);
  connection.Execute("ATTACH " + storage::SqlLiteral(results) + " AS stored (READ_ONLY)");
  cube = std::make_unique<storage::Table>(
      connection.Query("SELECT * FROM stored.slice_cube ORDER BY slice, date"));
  return cube.get();
}

void BM_DetectAlerts(benchmark::State& state) {
  const storage::Table* cube = SharedCube(state);
  if (cube == nullptr) return;
  detect::DetectorRegistry registry;
  detect::RegisterBuiltinDetectors(registry);
  const detect::IncidentConfig config;
  for (auto _ : state) benchmark::DoNotOptimize(detect::DetectAlerts(*cube, registry, config));
}
// CPU: of the whole process, since the series are analysed on every core.
BENCHMARK(BM_DetectAlerts)
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime()
    ->UseRealTime()
    ->MinTime(3);

}  // namespace
