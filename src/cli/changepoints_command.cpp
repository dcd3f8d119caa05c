#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "common/error.hpp"
#include "detect/registry.hpp"
#include "detect/series_table.hpp"
#include "storage/duckdb.hpp"

namespace cxagent::cli {

namespace {

// The --set KEY=VALUE pairs as a YAML mapping for the detector's config parser, which checks the
// keys and values (unknown key, not a number, out of range); each key may be given once.
YAML::Node ParseDetectorSettings(const std::vector<std::string>& settings) {
  YAML::Node node(YAML::NodeType::Map);
  for (const auto& setting : settings) {
    const size_t equals = setting.find('=');
    if (equals == std::string::npos || equals == 0) {
      throw InvalidInput("--set {}: expected KEY=VALUE, e.g. --set penalty=3", setting);
    }
    const std::string key = setting.substr(0, equals);
    if (node[key]) throw InvalidInput("--set {}: '{}' is set twice", setting, key);
    node[key] = setting.substr(equals + 1);
  }
  return node;
}

void RunChangepoints(const std::string& input, std::string method,
                     const std::vector<std::string>& settings, const std::string& out) {
  detect::DetectorRegistry registry;
  detect::RegisterBuiltinDetectors(registry);
  CheckOutputPath("--out", out);
  if (method.empty()) method = detect::DEFAULT_CHANGEPOINT_DETECTOR;
  // Build the detector first so an unknown method or setting fails before any file is read.
  const auto detector = registry.Create(method, ParseDetectorSettings(settings));

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
  auto settings = std::make_shared<std::vector<std::string>>();
  command->add_option("--input", *input, "CSV with a column `value` (optionally `t,value`)")
      ->required();
  command->add_option("--method", *method,
                      "Detector: zscore, ewma, bocpd, pelt or binseg (default: " +
                          std::string(detect::DEFAULT_CHANGEPOINT_DETECTOR) + ")");
  command->add_option("--set", *settings,
                      "KEY=VALUE: a setting of the detector (repeatable; the keys are listed in "
                      "docs/detectors.md, e.g. --set penalty=3)");
  command->add_option("--out", *out, "Output JSON file (stdout when absent)");
  command->callback(
      [input, method, settings, out] { RunChangepoints(*input, *method, *settings, *out); });
}

}  // namespace cxagent::cli
