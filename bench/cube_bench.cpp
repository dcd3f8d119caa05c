// The cube stage against DuckDB alone: BuildSliceCube (leaf pre-aggregation, grouping sets,
// volume rule, slice text) versus one plain GROUPING SETS query with the same sums over the same
// order facts. Data: the folder in CXAGENT_BENCH_DATA (bench/cube.sh generates one).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "metrics/order_facts.hpp"
#include "metrics/slice_cube.hpp"
#include "storage/dataset.hpp"
#include "storage/duckdb.hpp"

namespace {

using namespace cxagent;

// One database with order facts built once for every benchmark in the binary.
struct Facts {
  storage::Database database;
  storage::Connection connection{database};
};

Facts* SharedFacts(benchmark::State& state) {
  static std::unique_ptr<Facts> facts;
  if (facts) return facts.get();
  const char* data = std::getenv("CXAGENT_BENCH_DATA");
  if (data == nullptr) {
    state.SkipWithError("set CXAGENT_BENCH_DATA to a generated data folder");
    return nullptr;
  }
  facts = std::make_unique<Facts>();
  metrics::BuildOrderFacts(facts->connection,
                           storage::Dataset::Open(facts->connection, {.folder = data}),
                           metrics::CxScoreConfig{});
  return facts.get();
}

void BM_SliceCube(benchmark::State& state) {
  Facts* facts = SharedFacts(state);
  if (facts == nullptr) return;
  for (auto _ : state) metrics::BuildSliceCube(facts->connection, metrics::CubeConfig{});
}
BENCHMARK(BM_SliceCube)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3);

void BM_DuckDbPlainGroupingSets(benchmark::State& state) {
  Facts* facts = SharedFacts(state);
  if (facts == nullptr) return;
  const std::string sql = metrics::PlainGroupingSetsSql(metrics::CubeConfig{});
  for (auto _ : state) facts->connection.Execute(sql);
}
BENCHMARK(BM_DuckDbPlainGroupingSets)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3);

}  // namespace
