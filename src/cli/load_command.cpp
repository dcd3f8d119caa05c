#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <string>

#include "cli/commands.hpp"
#include "storage/clickhouse_load.hpp"
#include "storage/clickhouse_url.hpp"
#include "storage/dataset.hpp"
#include "storage/duckdb.hpp"

namespace cxagent::cli {

namespace {

struct LoadRequest {
  storage::DatasetOptions data;
  std::string into;
  bool replace = false;
  int chunk_mb = 16;
};

void RunLoad(const LoadRequest& request) {
  // The URL is checked before any data is read.
  const storage::ClickHouseLocation location = storage::ParseClickHouseUrl(request.into);
  storage::Database database;
  storage::Connection connection(database);
  const storage::Dataset dataset = storage::Dataset::Open(connection, request.data);
  // Progress on stderr: a line per table when it is done, and at most one a second before.
  auto last = std::chrono::steady_clock::now();
  const auto progress = [&last](const storage::ClickHouseLoadProgress& step) {
    const auto now = std::chrono::steady_clock::now();
    if (!step.done && now - last < std::chrono::seconds(1)) return;
    last = now;
    const double rate = step.seconds > 0 ? static_cast<double>(step.rows) / step.seconds : 0;
    if (step.done) {
      spdlog::info("load: {}: {} rows in {:.1f} s ({:.0f} rows/s)", step.table, step.rows,
                   step.seconds, rate);
    } else {
      spdlog::info("load: {}: {} of {} rows ({:.0f} rows/s)", step.table, step.rows, step.total,
                   rate);
    }
  };
  const auto started = std::chrono::steady_clock::now();
  const auto loads = storage::LoadIntoClickHouse(
      connection, dataset, location,
      {.replace = request.replace, .chunk_bytes = static_cast<size_t>(request.chunk_mb) << 20u},
      progress);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  uint64_t rows = 0;
  std::string text = fmt::format("{:<14} {:>12} {:>9}\n", "table", "rows", "seconds");
  for (const auto& load : loads) {
    text += fmt::format("{:<14} {:>12} {:>9.2f}\n", load.table, load.rows, load.seconds);
    rows += load.rows;
  }
  text += fmt::format("loaded {} rows into {} in {:.1f} s ({:.0f} rows/s)\n", rows,
                      storage::DescribeClickHouseLocation(location), seconds,
                      seconds > 0 ? static_cast<double>(rows) / seconds : 0.0);
  WriteOutput("", text);
}

}  // namespace

void AddLoadCommand(CLI::App& app) {
  auto* command = app.add_subcommand(
      "load",
      "Load a data folder or dataset file into a ClickHouse cluster, sharded by order "
      "(docs/clickhouse.md)");
  auto request = std::make_shared<LoadRequest>();
  AddDataOptions(*command, request->data.folder, request->data.dataset_file,
                 "Folder of <table>.parquet or <table>.csv files")
      ->required();
  command
      ->add_option("--into", request->into,
                   "clickhouse://[USER[:PASSWORD]@]HOST:PORT/DATABASE?cluster=NAME[&shards="
                   "HOST:PORT,...]: the database (it must exist on every shard), the cluster and "
                   "the other shards' HTTP addresses when they are not the HOST_ADDRESS:PORT of "
                   "the server's system.clusters")
      ->required();
  command->add_flag("--replace", request->replace,
                    "Replace the contract tables the database already has (without it, load "
                    "refuses to touch them)");
  command
      ->add_option("--chunk-mb", request->chunk_mb,
                   "CSV megabytes sent per INSERT (default 16; bounds the memory used)")
      ->transform(IntegerIn(1, 1024));
  command->callback([request] { RunLoad(*request); });
}

}  // namespace cxagent::cli
