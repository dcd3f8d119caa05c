#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "common/error.hpp"
#include "detect/registry.hpp"
#include "detect/series_table.hpp"
#include "storage/duckdb.hpp"

namespace cxagent::cli {

namespace {

void RunChangepoints(const std::string& input, std::string method, const std::string& out) {
  detect::DetectorRegistry registry;
  detect::RegisterBuiltinDetectors(registry);
  CheckOutputPath("--out", out);
  if (method.empty()) method = detect::DEFAULT_CHANGEPOINT_DETECTOR;
  // Build the detector first so an unknown method fails before any file is read.
  const auto detector = registry.Create(method);

  storage::Database database;
  storage::Connection connection(database);
  const auto table = storage::ReadCsvAsText(connection, input);
  const auto series = detect::ReadSeriesColumn(table, input);

  detect::Detection detection;
  try {
    detection = detector->Detect(series);
  } catch (const Error& error) {
    if (error.Type() != ErrorType::INVALID_INPUT) throw;
    throw InvalidInput("{}: {}", input, error.what());
  }
  nlohmann::json result;
  result["changepoints"] = detection.change_points;
  WriteOutput(out, result.dump() + "\n");
}

}  // namespace

void AddChangepointsCommand(CLI::App& app) {
  auto* command = app.add_subcommand("changepoints", "Find change points in one series (CSV)");
  auto input = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto method = std::make_shared<std::string>();
  command->add_option("--input", *input, "CSV with a column `value` (optionally `t,value`)")
      ->required();
  command->add_option("--method", *method,
                      "Detector: zscore, ewma, bocpd, pelt or binseg (default: " +
                          std::string(detect::DEFAULT_CHANGEPOINT_DETECTOR) + ")");
  command->add_option("--out", *out, "Output JSON file (stdout when absent)");
  command->callback([input, method, out] { RunChangepoints(*input, *method, *out); });
}

}  // namespace cxagent::cli
