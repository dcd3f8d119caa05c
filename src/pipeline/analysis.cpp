#include "pipeline/analysis.hpp"

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <optional>

#include "common/config.hpp"
#include "common/error.hpp"
#include "detect/registry.hpp"
#include "metrics/order_facts.hpp"
#include "pipeline/data_support.hpp"
#include "rca/artifacts.hpp"
#include "rca/hypothesis.hpp"
#include "rca/panel.hpp"
#include "rca/rca.hpp"
#include "recommend/action.hpp"
#include "recommend/recommend.hpp"
#include "storage/data_checks.hpp"
#include "storage/data_folder.hpp"
#include "storage/dataset.hpp"
#include "storage/duckdb.hpp"
#include "storage/results_store.hpp"

namespace cxagent::pipeline {

namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

AnalysisConfig ReadAnalysisConfig(const std::string& path) {
  YAML::Node root;
  if (!path.empty()) {
    if (!std::filesystem::exists(path)) throw NotFound("config file not found: {}", path);
    try {
      root = YAML::LoadFile(path);
    } catch (const YAML::Exception& error) {
      throw InvalidInput("{}: line {}: not valid YAML: {}", path, error.mark.line + 1, error.msg);
    }
    RejectDuplicateKeys(root, path);
  }
  ConfigReader top(root, path.empty() ? "(defaults)" : path, "");
  AnalysisConfig config;
  ConfigReader cx_score(top.Section("cx_score"), path, "cx_score");
  config.cx_score = metrics::ReadCxScoreConfig(cx_score);
  ConfigReader cube(top.Section("cube"), path, "cube");
  config.cube = metrics::ReadCubeConfig(cube);
  ConfigReader incidents(top.Section("incidents"), path, "incidents");
  config.incidents = detect::IncidentConfig::Read(incidents);
  rca::HypothesisRegistry hypotheses;
  rca::RegisterBuiltinHypotheses(hypotheses);
  ConfigReader rca_section(top.Section("rca"), path, "rca");
  config.rca = rca::RcaConfig::Read(rca_section, hypotheses);
  ConfigReader recommend_section(top.Section("recommend"), path, "recommend");
  config.recommend = recommend::RecommendConfig::Read(recommend_section);
  ConfigReader notify_section(top.Section("notify"), path, "notify");
  config.notify = notify::NotifyConfig::Read(notify_section);
  top.Finish();
  return config;
}

nlohmann::json RunAnalysis(const std::string& data_dir, const AnalysisConfig& config,
                           const std::function<void(const nlohmann::json&)>& before_commit) {
  return RunAnalysis(storage::DatasetOptions{.folder = data_dir}, config, before_commit);
}

nlohmann::json RunAnalysis(const storage::DatasetOptions& data, const AnalysisConfig& config,
                           const std::function<void(const nlohmann::json&)>& before_commit) {
  const std::string& data_dir = data.folder;
  if (!std::filesystem::is_directory(data_dir)) {
    throw NotFound("data folder not found: {}", data_dir);
  }
  detect::DetectorRegistry registry;
  detect::RegisterBuiltinDetectors(registry);
  // An unknown detector or a bad detector_config fails before any data is read.
  registry.Create(config.incidents.detector, detect::DetectorSettings(config.incidents));

  storage::Database database;
  storage::Connection connection(database);
  const auto started = std::chrono::steady_clock::now();
  // Every table of a contract-shaped folder is checked first, so that a bad file, column or cell
  // is reported as such before any query combines them; then the dataset registers the tables
  // under their contract names and no stage sees a path.
  if (data.dataset_file.empty()) storage::CheckDataFolder(connection, data_dir);
  const storage::Dataset dataset = storage::Dataset::Open(connection, data);
  // Data the analysis would miscount or choke on (duplicate orders, a status or rating outside
  // the contract, dates centuries away) stops here with one line naming table, column and row.
  storage::RequireUsableData(connection, dataset);
  spdlog::info("analyze: data opened and checked in {:.2f} s", Seconds(started));
  const storage::DataSummary summary = storage::SummarizeData(connection, dataset);
  // What the data cannot support is not computed: metrics are not detected on, causes not tested,
  // actions not recommended; the CX Score keeps the components the data has.
  rca::HypothesisRegistry hypotheses;
  rca::RegisterBuiltinHypotheses(hypotheses);
  recommend::ActionRegistry templates;
  recommend::RegisterBuiltinActionTemplates(templates);
  const DataSupport support = AssessDataSupport(dataset, hypotheses, templates);
  for (const auto& entry : support.unavailable) {
    spdlog::info("analyze: {} {} not available: needs {}", entry.kind, entry.name,
                 fmt::join(entry.needs, ", "));
  }
  metrics::BuildOrderFacts(connection, dataset, config.cx_score);
  // The cube slices by the configured dimensions, which the data must have; the leaves keep
  // every dimension of the data (localization and the RCA panel read them).
  metrics::CubeConfig cube = config.cube;
  if (cube.dimensions.empty()) cube.dimensions = dataset.Dimensions();
  for (const auto& dimension : cube.dimensions) {
    if (std::find(dataset.Dimensions().begin(), dataset.Dimensions().end(), dimension) ==
        dataset.Dimensions().end()) {
      throw InvalidInput("cube.dimensions: the data has no dimension '{}'; it has: {}", dimension,
                         fmt::join(dataset.Dimensions(), ", "));
    }
  }
  spdlog::info("analyze: order facts for {} orders in {:.2f} s", summary.orders, Seconds(started));
  auto stage = std::chrono::steady_clock::now();
  // The RCA's per-leaf sums ride along in the same pass over the orders.
  const storage::Table slice_cube = metrics::BuildSliceCube(
      connection, cube,
      config.rca.enabled ? rca::PanelLeafAggregates() : std::vector<std::string>{},
      dataset.Dimensions());
  spdlog::info("analyze: slice cube in {:.2f} s", Seconds(stage));
  // The cube is written to the new results while the rest of the analysis runs.
  storage::ResultsWriter results(connection, data_dir);
  results.StoreCube(slice_cube);
  stage = std::chrono::steady_clock::now();
  std::vector<detect::Incident> incidents = detect::BuildIncidents(
      connection, slice_cube, registry, config.incidents, support.Names("metric"));
  spdlog::info("analyze: {} incidents in {:.2f} s", incidents.size(), Seconds(stage));
  stage = std::chrono::steady_clock::now();
  detect::LocalizeIncidents(connection, incidents, config.incidents, dataset.Dimensions());
  spdlog::info("analyze: localized in {:.2f} s", Seconds(stage));
  // The registry (above) outlives the results, which point at its hypotheses.
  std::vector<rca::IncidentRca> causes;
  if (config.rca.enabled) {
    stage = std::chrono::steady_clock::now();
    const rca::RcaEngine engine(hypotheses, config.rca);
    causes = engine.AnalyzeAll(connection, dataset, incidents);
    rca::StageArtifacts(connection, causes);
    spdlog::info("analyze: root causes of {} incidents in {:.2f} s", incidents.size(),
                 Seconds(stage));
  }

  // Recommendations for the causes of each incident with a CX model: actions simulated on its
  // sample, efficiency measured on the slice.
  std::vector<std::optional<recommend::IncidentRecommendations>> actions(causes.size());
  if (config.recommend.enabled) {
    stage = std::chrono::steady_clock::now();
    const std::vector<std::string> unavailable_actions = support.Names("action");
    // Efficiency reads the data through the one connection, incident by incident; the
    // simulations then run for every incident at once (each also in parallel inside), since one
    // incident with a single action would leave cores idle.
    std::vector<std::optional<recommend::EfficiencyModel>> efficiency(causes.size());
    for (size_t i = 0; i < causes.size(); ++i) {
      const rca::IncidentRca& rca = causes[i];
      if (!rca.model) continue;
      const rca::IncidentWindows& w = rca.windows;
      efficiency[i] =
          recommend::MeasureEfficiency(connection, dataset, w.slice, w.baseline_start,
                                       w.baseline_end, w.start, w.end, config.recommend.costs);
    }
    const auto recommend_one = [&](size_t i) {
      const rca::IncidentRca& rca = causes[i];
      std::vector<std::string> ids;
      for (size_t c = 0; c < rca.reported && c < rca.causes.size(); ++c) {
        ids.push_back(rca.causes[c].hypothesis->id);
      }
      return recommend::Recommend(templates, *rca.model, *efficiency[i], ids, rca.incident_id,
                                  rca.windows.slice.ToText(), config.recommend,
                                  unavailable_actions);
    };
    const size_t wave = static_cast<size_t>(std::max(1, config.recommend.simulation.threads));
    std::vector<size_t> pending;
    for (size_t i = 0; i < causes.size(); ++i) {
      if (efficiency[i]) pending.push_back(i);
    }
    for (size_t begin = 0; begin < pending.size(); begin += wave) {
      std::vector<std::pair<size_t, std::future<recommend::IncidentRecommendations>>> running;
      for (size_t k = begin; k < std::min(pending.size(), begin + wave); ++k) {
        running.emplace_back(pending[k], std::async(std::launch::async, recommend_one, pending[k]));
      }
      for (auto& [i, result] : running) actions[i] = result.get();
    }
    spdlog::info("analyze: recommendations in {:.2f} s", Seconds(stage));
  }

  nlohmann::json analysis;
  analysis["data"] = {
      {"orders", summary.orders},          {"start_date", summary.start_date},
      {"end_date", summary.end_date},      {"dimensions", dataset.Dimensions()},
      {"cx_score", support.CxScoreJson()}, {"unavailable", support.UnavailableJson()}};
  analysis["incidents"] = nlohmann::json::array();
  for (size_t i = 0; i < incidents.size(); ++i) {
    nlohmann::json incident = detect::IncidentJson(incidents[i]);
    if (i < causes.size()) incident["rca"] = rca::RcaJson(causes[i]);
    if (i < actions.size() && actions[i]) actions[i]->AddTo(incident);
    analysis["incidents"].push_back(std::move(incident));
  }
  if (before_commit) before_commit(analysis);
  results.Commit(analysis);
  spdlog::info("analyze: done in {:.2f} s", Seconds(started));
  return analysis;
}

}  // namespace cxagent::pipeline
