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
#include "detect/busy_windows.hpp"
#include "detect/registry.hpp"
#include "metrics/order_facts.hpp"
#include "pipeline/data_support.hpp"
#include "pipeline/incremental.hpp"
#include "rca/artifacts.hpp"
#include "rca/causal.hpp"
#include "rca/hypothesis.hpp"
#include "rca/panel.hpp"
#include "rca/rca.hpp"
#include "recommend/action.hpp"
#include "recommend/recommend.hpp"
#include "storage/clickhouse_client.hpp"
#include "storage/clickhouse_reads.hpp"
#include "storage/cube_copy.hpp"
#include "storage/data_checks.hpp"
#include "storage/data_folder.hpp"
#include "storage/dataset.hpp"
#include "storage/duckdb.hpp"
#include "storage/leaves_store.hpp"
#include "storage/results_store.hpp"
#include "storage/source_units.hpp"

namespace cxagent::pipeline {

namespace {

// The cube's settings: the configured ones, slicing by the data's dimensions unless configured.
metrics::CubeConfig CubeConfigOf(const metrics::CubeConfig& configured,
                                 const storage::Dataset& dataset) {
  metrics::CubeConfig cube = configured;
  if (cube.dimensions.empty()) cube.dimensions = dataset.Dimensions();
  return cube;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// DuckDB's threads while a refresh runs only small queries (the new days' rows: a few thousand
// leaves, a few hundred rows of checks). The thread that runs a query does not sleep while
// DuckDB's workers run its tasks: it polls for more (DuckDB 1.4's PendingQueryResult), and on two
// cores that thread and a worker took a tenth of the 1M refresh's CPU time, taken from the
// analysis's own threads (detection, the stored cube's copy written). With one thread the query's
// own thread runs all of its tasks. The whole passes (every day's sums, the RCA's reads) keep
// every thread: Restore first.
class SmallQueryThreads {
 public:
  explicit SmallQueryThreads(storage::Connection& connection) : connection_(connection) {}
  //! DuckDB on one thread, the query's own.
  void One() {
    if (one_) return;
    if (original_.empty()) {
      original_ =
          connection_.Query("SELECT current_setting('threads')::VARCHAR AS t").Get("t").StringAt(0);
    }
    connection_.Execute("SET threads = 1");
    one_ = true;
  }
  //! DuckDB's threads as they were.
  void Restore() {
    if (!one_) return;
    connection_.Execute(fmt::format("SET threads = {}", original_));
    one_ = false;
  }
  bool IsOne() const { return one_; }

 private:
  storage::Connection& connection_;
  std::string original_;
  bool one_ = false;
};

}  // namespace

std::vector<bool> UnconfirmedIncidents(const std::vector<detect::Incident>& incidents,
                                       const std::vector<nlohmann::json>& rca,
                                       const AnalysisConfig& config) {
  std::vector<bool> unconfirmed(incidents.size(), false);
  if (!config.incidents.require_cause) return unconfirmed;
  for (size_t i = 0; i < incidents.size() && i < rca.size(); ++i) {
    if (incidents[i].severity == "high" || !rca[i].is_object()) continue;
    // No cause could be tested: nothing says the drop is unexplained.
    if (rca[i].value("causes", nlohmann::json::array()).empty()) continue;
    // A confidence the file could not hold as a number (null) supports nothing.
    const nlohmann::json* best = rca::MostConfidentCause(rca[i]);
    const double confidence = best != nullptr ? best->at("confidence").get<double>() : 0.0;
    if (confidence < config.rca.min_confidence) unconfirmed[i] = true;
  }
  return unconfirmed;
}

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
  AnalysisConfig config;
  // Taken before the readers look at the node; comments and layout are not part of it.
  if (root.IsDefined() && !root.IsNull() && root.size() > 0) config.text = YAML::Dump(root);
  ConfigReader top(root, path.empty() ? "(defaults)" : path, "");
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
  ConfigReader clickhouse_section(top.Section("clickhouse"), path, "clickhouse");
  config.clickhouse = storage::ReadClickHouseConfig(clickhouse_section);
  top.Finish();
  return config;
}

nlohmann::json RunAnalysis(const std::string& data_dir, const AnalysisConfig& config,
                           const std::function<void(const nlohmann::json&)>& before_commit) {
  return RunAnalysis(storage::DatasetOptions{.folder = data_dir}, config, before_commit);
}

nlohmann::json RunAnalysis(const storage::DatasetOptions& data, const AnalysisConfig& config,
                           const std::function<void(const nlohmann::json&)>& before_commit) {
  return RunAnalysis(data, config, AnalysisOptions{}, before_commit);
}

nlohmann::json RunAnalysis(const storage::DatasetOptions& data, const AnalysisConfig& config,
                           const AnalysisOptions& options,
                           const std::function<void(const nlohmann::json&)>& before_commit) {
  const std::string& data_dir = data.folder;
  // A ClickHouse database (docs/clickhouse.md): its heavy passes run there and bring back only
  // their results; every stage after them reads the connection as for a data folder.
  const bool clickhouse = storage::IsClickHouseUrl(data_dir);
  if (!clickhouse && !std::filesystem::is_directory(data_dir)) {
    throw NotFound("data folder not found: {}", data_dir);
  }
  // Where the results are stored: the data folder, or --results (required for ClickHouse).
  const std::string results_dir = storage::ResultsFolder(data);
  if (clickhouse && options.incremental) {
    throw InvalidInput(
        "--incremental: a refresh reuses per-file sums, which a ClickHouse dataset does not have; "
        "analyze it without --incremental");
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
  if (data.dataset_file.empty() && !clickhouse) storage::CheckDataFolder(connection, data_dir);
  const storage::Dataset dataset = storage::Dataset::Open(connection, data);
  // The ClickHouse tables under their contract names: the small ones whole, the per-order ones
  // empty until the incidents' orders are fetched (before the RCA, below).
  if (clickhouse) storage::RegisterClickHouseTables(connection, dataset);

  // What a refresh compares: the stored results' keys and the data's units (docs/incremental.md).
  // The units are listed on a connection of their own while the data is checked and summed.
  const std::vector<std::string> extra =
      config.rca.enabled ? rca::PanelLeafAggregates() : std::vector<std::string>{};
  const RefreshKeys keys = RefreshKeys::Of(connection, dataset, config, extra);
  std::optional<StoredState> stored;
  std::optional<storage::LeavesStore> leaves_store;
  if (options.incremental) {
    stored = StoredState::Open(connection, results_dir, keys);
    leaves_store.emplace(connection, results_dir);
    std::string why;
    const std::optional<std::string> generation = leaves_store->Open(why);
    stored->CheckLeaves(generation, why);
    if (options.report != nullptr) *options.report = {.mode = "full", .reason = stored->Reason()};
    if (!stored->Reason().empty()) {
      spdlog::info("analyze: incremental: {}; {}", stored->Reason(),
                   stored->Leaves() ? "reusing the per-day sums of unchanged days only"
                                    : "running a full analysis");
    }
  }
  const storage::UnitSource source = storage::UnitSource::Of(dataset);
  const storage::DataUnits* before = stored ? stored->Units() : nullptr;
  std::future<storage::DataUnits> listing;
  if (options.incremental) {
    listing = std::async(std::launch::async, [&database, &source, before] {
      return storage::ListDataUnits(database, source, before);
    });
  }
  std::optional<storage::DataUnits> units;
  // Never fails the analysis: without its units the results only lack what a refresh reuses.
  const auto take_units = [&listing, &units] {
    try {
      units = listing.get();
    } catch (const std::exception& failure) {
      spdlog::warn("analyze: the data's files cannot be listed for a later refresh: {}",
                   failure.what());
    }
  };
  std::optional<storage::UnitChanges> changes;
  if (before != nullptr) {
    take_units();
    if (units) {
      changes = storage::CompareUnits(*before, *units);
      if (changes->changed_units == 0 && stored->Incidents()) {
        spdlog::info(
            "analyze: incremental: no data changed since the stored analysis, which "
            "stands ({:.2f} s)",
            Seconds(started));
        nlohmann::json analysis = stored->Analysis();
        if (options.report != nullptr) options.report->mode = "unchanged";
        if (before_commit) before_commit(analysis);
        return analysis;
      }
    }
  }

  // The stored cube is read on a connection of its own while the data is checked and the new
  // days summed (a tenth of a second at 1M orders): only what an append extends it with is
  // computed after.
  std::future<StoredCubeRows> stored_cube_read;
  SmallQueryThreads small_queries(connection);
  if (changes && changes->changed_units > 0 && !changes->all_days && stored->Leaves()) {
    stored_cube_read =
        ReadStoredCubeAhead(connection, *stored, CubeConfigOf(config.cube, dataset), results_dir);
    // An append: what follows reads the new rows, not every day's (SmallQueryThreads).
    small_queries.One();
  }

  // Data the analysis would miscount or choke on (duplicate orders, a status or rating outside
  // the contract, dates centuries away) stops here with one line naming table, column and row.
  // A refresh reads only the rows new since the stored analysis, which checked the others under
  // the same schema (and what spans them: plausible dates, repeated ids; storage::CheckScope).
  std::optional<storage::CheckScope> check_scope;
  if (before != nullptr && units && stored->SchemaUnchanged() && data.dataset_file.empty()) {
    check_scope = storage::ChecksOfChanges(*before, *units);
    if (options.report != nullptr) options.report->checked_new_rows = true;
  }
  // The row groups to list by day that the comparison above did not read are listed for the next
  // refresh on a connection of their own while the analysis goes on (storage::ListDeferredDays).
  std::future<void> deferred_listing;
  if (units && !units->deferred.empty()) {
    deferred_listing = std::async(std::launch::async, [&database, &units, &options] {
      if (options.list_deferred) {
        options.list_deferred(database, *units);
      } else {
        storage::ListDeferredDays(database, *units);
      }
    });
  }
  storage::RequireUsableData(connection, dataset, check_scope ? &*check_scope : nullptr);
  spdlog::info("analyze: data opened and checked{} in {:.2f} s",
               check_scope ? " (rows new since the stored analysis)" : "", Seconds(started));
  const storage::DataSummary summary = storage::SummarizeData(connection, dataset);
  const Date data_end = summary.end_date.empty() ? Date{} : ParseDate(summary.end_date);
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
  const metrics::CubeConfig cube = CubeConfigOf(config.cube, dataset);
  for (const auto& dimension : cube.dimensions) {
    if (std::find(dataset.Dimensions().begin(), dataset.Dimensions().end(), dimension) ==
        dataset.Dimensions().end()) {
      throw InvalidInput("cube.dimensions: the data has no dimension '{}'; it has: {}", dimension,
                         fmt::join(dataset.Dimensions(), ", "));
    }
  }
  spdlog::info("analyze: order facts for {} orders in {:.2f} s", summary.orders, Seconds(started));
  auto stage = std::chrono::steady_clock::now();
  // The per-day-and-leaf sums: the stored ones of unchanged days and those of the changed days
  // from their orders alone, or (without usable stored sums, or when most days changed) one pass
  // over every order. The RCA's per-leaf sums ride along in the same pass.
  // An incremental run keeps the leaves it computes where another connection can read them (an
  // attached in-memory database), to store them while the analysis goes on.
  bool reused_leaves = false;
  const std::string generation = NewLeavesGeneration();
  if (options.incremental) {
    connection.Execute(fmt::format("ATTACH ':memory:' AS {}", WORK_CATALOG));
    if (stored && stored->Leaves() && changes && changes->all_days) {
      // A CSV file or a dataset file's table: known as a whole, not by day.
      spdlog::info("analyze: incremental: a table read whole changed; summing every day");
      if (options.report != nullptr) {
        options.report->reason = "a table read as a whole (CSV, dataset file) changed";
      }
    } else if (stored && stored->Leaves() && changes) {
      const int64_t span =
          summary.start_date.empty() ? 0 : data_end.days - ParseDate(summary.start_date).days + 1;
      if (static_cast<int64_t>(changes->days.size()) * 2 <= span) {
        try {
          RebuildLeaves(connection, changes->days, extra, dataset.Dimensions());
          leaves_store->Update(changes->days, fmt::format("{}.new_leaves", WORK_CATALOG),
                               generation);
          reused_leaves = true;
          if (options.report != nullptr) {
            options.report->mode = "refresh";
            for (const Date day : changes->days) {
              options.report->computed_days.push_back(FormatDate(day));
            }
            options.report->reused_days =
                std::max<int64_t>(0, span - static_cast<int64_t>(changes->days.size()));
            for (const Date day : changes->same_days) {
              options.report->same_days.push_back(FormatDate(day));
            }
          }
          spdlog::info(
              "analyze: incremental: {} changed unit(s) of the data; per-day sums of {} day(s) "
              "computed, of the other {} day(s) reused{}",
              changes->changed_units, changes->days.size(),
              std::max<int64_t>(0, span - static_cast<int64_t>(changes->days.size())),
              changes->same_days.empty()
                  ? ""
                  : fmt::format(" ({} of them in row groups written again, their rows compared "
                                "by day and unchanged: {}{})",
                                changes->same_days.size(), FormatDate(changes->same_days.front()),
                                changes->same_days.size() == 1
                                    ? ""
                                    : " to " + FormatDate(changes->same_days.back())));
        } catch (const Error& failure) {
          spdlog::warn(
              "analyze: incremental: the stored per-day sums cannot be used ({}); "
              "summing every day",
              failure.what());
          if (options.report != nullptr) {
            options.report->reason =
                fmt::format("the stored per-day sums cannot be used ({})", failure.what());
          }
        }
      } else {
        spdlog::info("analyze: incremental: {} of {} days changed; summing every day",
                     changes->days.size(), span);
        if (options.report != nullptr) {
          options.report->reason = fmt::format("{} of {} days changed", changes->days.size(), span);
        }
      }
    }
    if (!reused_leaves) {
      small_queries.Restore();
      ComputeLeaves(connection, extra, dataset.Dimensions());
      leaves_store->Replace(fmt::format("{}.order_leaves", WORK_CATALOG), generation);
    }
  }
  storage::Table slice_cube;
  metrics::CubeVolumes cube_volumes;  // what a later refresh needs to extend the cube
  // Set when the stored cube was extended: the rows of it that the new results change.
  std::optional<storage::CubeChanges> cube_changes;
  // The slices of an extended cube that the stored one did not hold.
  std::vector<std::string> fresh_slices;
  if (clickhouse) {
    // The leaves pass, with the RCA's own sums, as one ClickHouse query per range of days; its
    // rows are order_leaves.
    const std::vector<storage::LeavesRange> ranges = metrics::BuildClickHouseLeaves(
        connection, dataset, config.cx_score,
        config.rca.enabled ? rca::PanelLeafSums() : std::vector<storage::LeafSum>{},
        config.clickhouse);
    int64_t largest = 0;
    for (const auto& range : ranges) largest = std::max(largest, range.orders);
    spdlog::info(
        "analyze: leaves pass in {:.2f} s ({} queries over ranges of days, at most {} "
        "orders each)",
        Seconds(stage), std::max<size_t>(ranges.size(), 1), largest);
    slice_cube = metrics::RollUpLeaves(connection, cube);
  } else if (options.incremental) {
    // A day appended after the stored ones extends the stored cube by its rows alone.
    slice_cube = RefreshCube(connection, cube, stored ? &*stored : nullptr,
                             reused_leaves ? &changes->days : nullptr, cube_volumes, options.report,
                             cube_changes, &stored_cube_read, &fresh_slices,
                             [&small_queries] { small_queries.Restore(); });
    WaitQuietly(stored_cube_read);
  } else {
    slice_cube = metrics::BuildSliceCube(connection, cube, extra, dataset.Dimensions());
  }
  spdlog::info("analyze: slice cube in {:.2f} s", Seconds(stage));
  // The cube is written to the new results while the rest of the analysis runs. A refresh that
  // extended the stored cube starts from a copy of the stored results and changes only its rows
  // of the new days and of the slices dropped or added (docs/incremental.md, What is stored).
  // A refresh that extended the stored cube holds the writing back until the series are tested:
  // detection is its one stage that keeps every core busy (at 1M orders the writing, about 0.14
  // CPU-s, took half of two cores from it), and the single-threaded stages after it (merging,
  // localization, the reused RCA) leave a core to the writing. A full analysis's later stages
  // (the RCA's reads and models) use every core themselves: its writing starts at once.
  const bool held = cube_changes.has_value();
  storage::ResultsWriter results(connection, results_dir,
                                 cube_changes ? STORED_CATALOG : std::string());
  results.StoreCube(slice_cube, cube_changes ? &*cube_changes : nullptr, held);
  // And a binary copy of it beside them, which the next refresh reads back in a fraction of the
  // time a scan of the results' table takes (storage/cube_copy.hpp).
  std::optional<storage::CubeCopyWriter> cube_copy;
  if (options.incremental && !clickhouse) {
    cube_copy.emplace(results_dir, slice_cube, generation, held);
  }
  const auto release_writers = [&results, &cube_copy] {
    results.Release();
    if (cube_copy) cube_copy->Release();
  };
  stage = std::chrono::steady_clock::now();
  // The logged changes point change-led detection at their scopes (docs/incidents.md step 6c).
  const std::vector<rca::Change> change_log = rca::LoadChangeLog(connection, dataset);
  // A scope that is not a slice of the data's dimensions points at nothing: said, not skipped
  // in silence (cxagent check lists them).
  std::vector<detect::LoggedChange> logged;
  size_t unusable = 0;
  for (const auto& change : change_log) {
    const std::string problem = storage::ChangeScopeProblem(change.scope, dataset.Dimensions());
    if (problem.empty() && change.scope_slice) {
      logged.push_back({change.id, change.kind, *change.scope_slice, change.date});
    } else if (++unusable == 1) {
      spdlog::warn(
          "analyze: change_log: change {} is left out: its scope '{}' is not a slice of "
          "the data's dimensions ({})",
          change.id, change.scope, problem);
    }
  }
  if (unusable > 1) {
    spdlog::warn(
        "analyze: change_log: {} changes in all are left out for their scopes (cxagent "
        "check lists them)",
        unusable);
  }
  // Where supply_hourly shows a region or daypart busier, change-led detection looks as at a
  // logged change (docs/incidents.md step 6d). Supply is optional evidence: a malformed table
  // only removes these windows.
  if (config.incidents.busy_detection && config.incidents.change_detection &&
      dataset.HasColumn("supply_hourly", "active_dashers") &&
      dataset.HasColumn("supply_hourly", "orders_created")) {
    try {
      for (auto& window : detect::BusierWindows(connection.Query(detect::BusySupplyQuery()),
                                                config.incidents, dataset.Dimensions())) {
        logged.push_back(std::move(window));
      }
    } catch (const Error& error) {
      spdlog::warn("analyze: supply_hourly not used for busier windows: {}", error.what());
    }
  }
  // The explained-away tests' sums of the days whose leaves are unchanged are the stored ones; a
  // refresh sums only the changed days' leaves for them (detect::RemainderDays).
  std::optional<detect::RemainderDays> remainder_days;
  if (options.incremental && !clickhouse) {
    remainder_days.emplace();
    if (reused_leaves) {
      try {
        remainder_days->stored = stored->RemainderDays(connection, changes->days);
        remainder_days->changed_leaves = fmt::format("{}.new_leaves", WORK_CATALOG);
      } catch (const Error& failure) {
        spdlog::warn("analyze: incremental: the stored remainders are not reused: {}",
                     failure.what());
      }
    }
  }
  // The mechanism search's strongest windows over the stored days stand when the cube is the
  // stored one with days appended (every stored slice's series as it was on those days) and the
  // build and configuration are the same: only the windows ending on the new days are searched
  // (detect::MechanismSearch). A ClickHouse dataset has no refresh.
  std::optional<detect::MechanismSearch> mechanism_search;
  if (options.incremental && !clickhouse) {
    mechanism_search.emplace();
    if (reused_leaves) {
      std::string why;
      if (!cube_changes) {
        why = "the slice cube was rolled up from every day's sums, not extended";
      } else {
        mechanism_search->stored = stored->MechanismWindows(connection, why);
        mechanism_search->fresh = std::move(fresh_slices);
      }
      if (!mechanism_search->stored) {
        spdlog::info(
            "analyze: incremental: the stored mechanism windows are not reused ({}); every "
            "window is searched",
            why);
        if (options.report != nullptr) options.report->mechanism_reason = why;
      }
    }
  }
  // The same orders under two names are named in the dataset's order, as the localizer names them.
  detect::IncidentConfig incident_config = config.incidents;
  incident_config.naming_order = dataset.NamingOrder();
  incident_config.min_daily_orders = cube.min_daily_orders;
  std::vector<detect::Incident> incidents = detect::BuildIncidents(
      connection, slice_cube, registry, incident_config, support.Names("metric"), logged,
      remainder_days ? &*remainder_days : nullptr, mechanism_search ? &*mechanism_search : nullptr,
      release_writers);
  release_writers();
  if (remainder_days) {
    StageRemainderDays(connection, results, *remainder_days);
    if (options.report != nullptr) options.report->reused_remainders = remainder_days->reused;
  }
  if (mechanism_search && options.report != nullptr) {
    options.report->reused_mechanism_slices = mechanism_search->reused;
    if (!mechanism_search->why.empty()) {
      options.report->mechanism_reason = mechanism_search->why;
    }
  }
  spdlog::info("analyze: {} incidents in {:.2f} s", incidents.size(), Seconds(stage));
  stage = std::chrono::steady_clock::now();
  // A refresh takes the stored localization of an incident window none of whose days changed
  // (an incident that ended before the new days), and stores every window's for the next one.
  detect::Localizations reusable;
  detect::Localizations localized;
  if (stored && changes) {
    try {
      reusable = stored->Localizations(*changes);
    } catch (const Error& failure) {
      spdlog::warn("analyze: incremental: the stored localizations are not reused: {}",
                   failure.what());
    }
  }
  const std::vector<std::string> reused_localizations = detect::LocalizeIncidents(
      connection, incidents, incident_config, dataset.Dimensions(), dataset.NamingOrder(),
      options.incremental ? &reusable : nullptr, options.incremental ? &localized : nullptr);
  if (options.report != nullptr) options.report->reused_localizations = reused_localizations;
  spdlog::info("analyze: localized in {:.2f} s{}", Seconds(stage),
               reused_localizations.empty()
                   ? std::string()
                   : fmt::format(" (the stored localization of {} reused: windows unchanged)",
                                 fmt::join(reused_localizations, ", ")));
  // The slice and days each incident's RCA and recommendations read.
  std::vector<rca::IncidentWindows> windows;
  for (const auto& incident : incidents) {
    windows.push_back(rca::WindowsOf(incident, data_end, config.rca));
  }

  // An incident whose slice, windows and their days are unchanged keeps its stored RCA and
  // recommendations: they read nothing else (rca::WindowsOf).
  std::vector<const nlohmann::json*> reused(incidents.size(), nullptr);
  std::vector<std::string> reused_ids;
  if (stored && changes && config.rca.enabled) {
    for (size_t i = 0; i < incidents.size(); ++i) {
      if (!WindowsUnchanged(windows[i], *changes)) continue;
      reused[i] = stored->Incident(incidents[i].id, WindowsKey(windows[i]));
      if (reused[i] != nullptr) reused_ids.push_back(incidents[i].id);
    }
    if (options.report != nullptr) options.report->reused_incidents = reused_ids;
    if (!reused_ids.empty()) {
      spdlog::info(
          "analyze: incremental: RCA and recommendations of {} reused (windows and "
          "their data unchanged)",
          fmt::join(reused_ids, ", "));
    }
  }
  // The registry (above) outlives the results, which point at its hypotheses.
  std::vector<std::optional<rca::IncidentRca>> causes(incidents.size());
  std::vector<bool> unconfirmed(incidents.size(), false);
  std::vector<nlohmann::json> rca_documents(incidents.size());
  // The RCA and recommendations of incidents not reused read their orders with every thread;
  // storing the results then runs small queries again.
  const bool small_after = small_queries.IsOne();
  if (config.rca.enabled && std::find(reused.begin(), reused.end(), nullptr) != reused.end()) {
    small_queries.Restore();
  }
  if (config.rca.enabled) {
    stage = std::chrono::steady_clock::now();
    std::vector<detect::Incident> analyzed;
    std::vector<size_t> positions;
    for (size_t i = 0; i < incidents.size(); ++i) {
      if (reused[i] != nullptr) continue;
      analyzed.push_back(incidents[i]);
      positions.push_back(i);
    }
    std::optional<Date> rca_end;
    if (clickhouse && !analyzed.empty()) {
      // The orders the RCA draws into incident_facts, fetched from ClickHouse into the per-order
      // tables: each incident's slice over its baseline and incident windows, each window drawn
      // as the RCA draws it (at most facts_per_window orders, by DuckDB's hash of the order id,
      // which ClickHouse computes to the bit). The efficiency's reads run in ClickHouse (below).
      std::vector<storage::OrderSelection> selections;
      for (const size_t i : positions) {
        const rca::IncidentWindows& w = windows[i];
        for (const rca::FactsDraw& draw : rca::IncidentFactsDraws(connection, w, config.rca)) {
          selections.push_back({w.slice.Pairs(), draw.first, draw.last, draw.below});
        }
      }
      const int64_t fetched = storage::FetchClickHouseOrders(connection, dataset, selections);
      spdlog::info("analyze: {} orders of the incidents' samples fetched in {:.2f} s", fetched,
                   Seconds(stage));
      rca_end = data_end;
    }
    const rca::RcaEngine engine(hypotheses, config.rca);
    // A refresh takes the orders the stored analysis drew for the days it drew them on, when
    // those days are unchanged (an open incident's windows gain only the new days).
    std::optional<rca::KeptFacts> kept;
    if (stored && changes && !clickhouse) kept = StoredFacts(connection, *stored, *changes);
    std::vector<rca::IncidentRca> found = engine.AnalyzeAll(connection, dataset, analyzed, rca_end,
                                                            kept ? &*kept : nullptr, &change_log);
    if (kept && options.report != nullptr) options.report->reused_fact_windows = kept->taken;
    if (kept && kept->taken > 0) {
      spdlog::info("analyze: incremental: {} window(s) of the RCA took the stored draws' orders",
                   kept->taken);
    }
    if (options.incremental && !clickhouse) StageFacts(connection, results, found);
    for (size_t k = 0; k < found.size(); ++k) causes[positions[k]] = std::move(found[k]);
    // The reported causes as the analysis file shows them (stored for a reused incident), so
    // that a refresh decides as a full analysis does.
    for (size_t i = 0; i < incidents.size(); ++i) {
      if (reused[i] != nullptr) {
        rca_documents[i] = reused[i]->value("rca", nlohmann::json());
      } else if (causes[i]) {
        rca_documents[i] = rca::RcaJson(*causes[i]);
      }
    }
    unconfirmed = UnconfirmedIncidents(incidents, rca_documents, config);
    // Unconfirmed incidents keep no artifacts: nothing simulates on their models.
    std::vector<const rca::IncidentRca*> staged;
    for (size_t i = 0; i < incidents.size(); ++i) {
      if (causes[i] && !unconfirmed[i]) staged.push_back(&*causes[i]);
    }
    rca::StageArtifacts(connection, staged);
    std::vector<std::string> copied;
    for (size_t i = 0; i < incidents.size(); ++i) {
      if (reused[i] != nullptr && !unconfirmed[i]) copied.push_back(incidents[i].id);
    }
    CopyIncidentArtifacts(connection, results, copied);
    spdlog::info("analyze: root causes of {} incidents in {:.2f} s", analyzed.size(),
                 Seconds(stage));
    std::vector<std::string> unconfirmed_ids;
    for (size_t i = 0; i < incidents.size(); ++i) {
      if (unconfirmed[i]) unconfirmed_ids.push_back(incidents[i].id);
    }
    if (!unconfirmed_ids.empty()) {
      spdlog::info(
          "analyze: {} unconfirmed: no cause reaches confidence {} and not of high severity",
          fmt::join(unconfirmed_ids, ", "), config.rca.min_confidence);
    }
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
    // A ClickHouse dataset's per-order tables hold only the RCA's draws: what the efficiency
    // reads from a slice's orders is computed in ClickHouse, in ranges of days.
    std::vector<storage::DayOrders> days;
    const storage::OrderScoreSql score =
        metrics::OrderScoreSql(metrics::ConfigForData(config.cx_score, dataset));
    for (size_t i = 0; i < causes.size(); ++i) {
      if (!causes[i] || !causes[i]->model || unconfirmed[i]) continue;
      const rca::IncidentWindows& w = causes[i]->windows;
      std::optional<storage::SliceEfficiencySums> sums;
      if (clickhouse) {
        if (days.empty()) days = storage::ClickHouseDayOrders(dataset);
        sums = storage::ClickHouseSliceEfficiency(dataset, score, w.slice.Pairs(), w.baseline_start,
                                                  w.baseline_end, w.start, w.end, days,
                                                  config.clickhouse);
      } else if (options.incremental) {
        // Per day, so that a refresh reads only the days that are new or changed.
        sums = EfficiencyOfDays(connection, w, stored ? &*stored : nullptr,
                                changes ? &*changes : nullptr, options.report);
      }
      efficiency[i] = recommend::MeasureEfficiency(connection, dataset, w.slice, w.baseline_start,
                                                   w.baseline_end, w.start, w.end,
                                                   config.recommend.costs, sums ? &*sums : nullptr);
    }
    const auto recommend_one = [&](size_t i) {
      const rca::IncidentRca& rca = *causes[i];
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
    // The reused incidents' efficiency sums stay stored for the refreshes after this one.
    if (stored && options.incremental) {
      for (size_t i = 0; i < incidents.size(); ++i) {
        if (reused[i] != nullptr && !unconfirmed[i])
          KeepEfficiencyDays(connection, windows[i], *stored);
      }
    }
    spdlog::info("analyze: recommendations in {:.2f} s", Seconds(stage));
  }
  if (small_after) small_queries.One();

  nlohmann::json analysis;
  analysis["data"] = {
      {"orders", summary.orders},          {"start_date", summary.start_date},
      {"end_date", summary.end_date},      {"dimensions", dataset.Dimensions()},
      {"cx_score", support.CxScoreJson()}, {"unavailable", support.UnavailableJson()}};
  analysis["incidents"] = nlohmann::json::array();
  analysis["unconfirmed"] = nlohmann::json::array();
  // The threshold step 10 applied, so that whoever reads the file (serve's GET /api/unconfirmed)
  // can say why an incident is unconfirmed without the config it was made with.
  analysis["unconfirmed_min_confidence"] = config.incidents.require_cause && config.rca.enabled
                                               ? nlohmann::json(config.rca.min_confidence)
                                               : nlohmann::json();
  // The confirmed incidents' ids and RCA windows (WindowsKey), for a later refresh to reuse.
  std::vector<std::pair<std::string, std::string>> confirmed;
  for (size_t i = 0; i < incidents.size(); ++i) {
    nlohmann::json incident = detect::IncidentJson(incidents[i]);
    if (reused[i] != nullptr) {
      CopyIncidentResults(*reused[i], incident);
    } else {
      if (causes[i]) incident["rca"] = std::move(rca_documents[i]);
      if (actions[i]) actions[i]->AddTo(incident);
    }
    if (unconfirmed[i]) {
      analysis["unconfirmed"].push_back(std::move(incident));
    } else {
      analysis["incidents"].push_back(std::move(incident));
      confirmed.emplace_back(incidents[i].id, WindowsKey(windows[i]));
    }
  }
  if (options.incremental) {
    if (!units && before == nullptr) take_units();
    if (deferred_listing.valid()) {
      try {
        deferred_listing.get();
      } catch (const std::exception& failure) {
        spdlog::warn(
            "analyze: {} row group(s) cannot be listed by day for a later refresh ({}); they are "
            "stored known by their order_id range",
            units->deferred.size(), failure.what());
      }
    }
    if (units) {
      StageRefreshState(
          connection, results, keys, generation, *units, confirmed, metrics::CubeKey(cube),
          cube_volumes, localized,
          mechanism_search && mechanism_search->found ? &*mechanism_search->found : nullptr);
    }
  }
  if (before_commit) before_commit(analysis);
  // The per-day sums first: results that name a generation the sums do not have are not reused.
  if (leaves_store) leaves_store->Commit();
  results.Commit(analysis);
  // After the results, whose generation the copy names: a run stopped in between leaves a copy
  // that the next refresh finds stale (or a temporary file that the next writer removes).
  if (cube_copy) cube_copy->Commit();
  if (options.report != nullptr) {
    options.report->stored_in_place = results.FromStored();
    options.report->stored_reason = results.WhyAnew();
  }
  if (clickhouse) {
    const storage::ClickHouseTraffic traffic = storage::ClickHouseTrafficSoFar();
    spdlog::info("analyze: {} requests to ClickHouse, {:.1f} MB of answers", traffic.requests,
                 static_cast<double>(traffic.bytes_received) / 1e6);
  }
  spdlog::info("analyze: done in {:.2f} s", Seconds(started));
  return analysis;
}

}  // namespace cxagent::pipeline
