#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.hpp"
#include "pipeline/analysis.hpp"

namespace cxagent::cli {

namespace {

void RunAnalyze(const storage::DatasetOptions& data, const std::string& out,
                const std::string& config_path, bool incremental) {
  // Everything that can be rejected is checked before the analysis runs, and the stored results
  // are replaced only once the output is written: a failed run changes nothing.
  CheckOutputPath("--out", out);
  const pipeline::AnalysisConfig config = pipeline::ReadAnalysisConfig(config_path);
  pipeline::RunAnalysis(
      data, config, {.incremental = incremental},
      [&](const nlohmann::json& analysis) { WriteOutput(out, analysis.dump(2) + "\n"); });
}

}  // namespace

void AddAnalyzeCommand(CLI::App& app) {
  auto* command = app.add_subcommand(
      "analyze", "Detect, localize, explain and recommend for every incident in a data folder");
  auto data = std::make_shared<storage::DatasetOptions>();
  auto out = std::make_shared<std::string>();
  auto config = std::make_shared<std::string>();
  AddDataOptions(*command, data->folder, data->dataset_file,
                 "Folder of <table>.parquet or <table>.csv files")
      ->required();
  command->add_option("--results", data->results,
                      "Folder to store the results in (for serve and --incremental); required "
                      "with --data clickhouse://..., which has no folder (default: --data)");
  command->add_option("--out", *out, "Analysis JSON file (stdout when absent)");
  command->add_option("--config", *config,
                      "Configuration YAML file (sections cx_score, cube, incidents)");
  auto incremental = std::make_shared<bool>(false);
  command->add_flag("--incremental", *incremental,
                    "Reuse the stored results for what the data's changes leave valid (the "
                    "per-day sums of unchanged days, the RCA of unchanged incidents); the result "
                    "equals a full analysis (docs/incremental.md)");
  command->callback(
      [data, out, config, incremental] { RunAnalyze(*data, *out, *config, *incremental); });
}

}  // namespace cxagent::cli
