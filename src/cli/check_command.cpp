#include <nlohmann/json.hpp>

#include <string>

#include "cli/commands.hpp"
#include "common/error.hpp"
#include "storage/data_checks.hpp"
#include "storage/dataset.hpp"
#include "storage/duckdb.hpp"

namespace cxagent::cli {

namespace {

void RunCheck(const storage::DatasetOptions& data, bool as_json) {
  storage::Database database;
  storage::Connection connection(database);
  // A dataset that cannot be opened at all (no orders table, an unreadable file, a bad dataset
  // file) is one error line, as for analyze; everything else is in the report.
  const storage::Dataset dataset = storage::Dataset::Open(connection, data);
  const storage::DataCheckReport report = storage::CheckData(connection, dataset);
  WriteOutput("", as_json ? report.ToJson().dump(2) + "\n" : report.ToText());
  if (const storage::DataFinding* first = report.FirstBlocking()) {
    const size_t blocking = report.BlockingCount();
    throw InvalidInput(
        "{}{}", first->Text(),
        blocking > 1 ? fmt::format("; {} more blocking problems", blocking - 1) : std::string());
  }
}

}  // namespace

void AddCheckCommand(CLI::App& app) {
  auto* command = app.add_subcommand(
      "check",
      "Data-quality report of a data folder or dataset file; exit 2 on a blocking problem");
  auto data = std::make_shared<storage::DatasetOptions>();
  auto as_json = std::make_shared<bool>(false);
  AddDataOptions(*command, data->folder, data->dataset_file,
                 "Folder of <table>.parquet or <table>.csv files")
      ->required();
  command->add_flag("--json", *as_json, "Print the report as JSON (docs/your-data.md)");
  command->callback([data, as_json] { RunCheck(*data, *as_json); });
}

}  // namespace cxagent::cli
