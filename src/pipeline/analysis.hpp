#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "detect/incidents.hpp"
#include "metrics/cx_config.hpp"
#include "metrics/slice_cube.hpp"
#include "notify/config.hpp"
#include "rca/config.hpp"
#include "recommend/recommend.hpp"
#include "storage/clickhouse_facts.hpp"
#include "storage/dataset.hpp"

namespace cxagent::storage {
class Database;
struct DataUnits;
}  // namespace cxagent::storage

namespace cxagent::pipeline {

//! Every setting of `analyze`, one struct per stage, read from one YAML file.
struct AnalysisConfig {
  metrics::CxScoreConfig cx_score;
  metrics::CubeConfig cube;
  detect::IncidentConfig incidents;
  rca::RcaConfig rca;
  recommend::RecommendConfig recommend;
  notify::NotifyConfig notify;  //!< where `serve` sends incident events (not used by analyze)
  storage::ClickHouseConfig clickhouse;  //!< how the passes over a ClickHouse dataset are split
  //! The configuration file's YAML as read (empty for the defaults): what an incremental refresh
  //! compares with the stored results' to reuse their RCA. Code that changes the fields above
  //! after reading must change this too.
  std::string text;
};

//! What an incremental run reused (AnalysisOptions::report).
struct RefreshReport {
  //! "unchanged" (no data changed: the stored analysis stands), "refresh" (the stored per-day
  //! sums of unchanged days were reused) or "full".
  std::string mode;
  std::string reason;                      //!< why not everything was reusable (empty if it was)
  std::vector<std::string> computed_days;  //!< days whose per-day sums were computed (refresh)
  int64_t reused_days = 0;                 //!< days whose stored per-day sums were reused
  //! Reused days whose rows were in row groups written again (a file rewritten with a day
  //! appended), compared by day and found unchanged (storage::UnitChanges::same_days).
  std::vector<std::string> same_days;
  std::vector<std::string> reused_incidents;  //!< incidents whose RCA and recommendations were
                                              //!< reused
  //! Incidents whose localization was the stored one of their windows (no day of them changed).
  std::vector<std::string> reused_localizations;
  //! The blocking data checks read only the rows new since the stored analysis
  //! (storage::CheckScope).
  bool checked_new_rows = false;
  //! Days whose efficiency sums were read from the data for an incident's recommendations (once
  //! per incident and role of the day), and how many days' were the stored ones.
  std::vector<std::string> computed_efficiency_days;
  int64_t reused_efficiency_days = 0;
  //! Windows of the incidents' RCA that took orders the stored analysis drew (rca::KeptFacts).
  size_t reused_fact_windows = 0;
  //! How the slice cube was made: "extended" (the stored cube with the rows of the days appended
  //! after it, metrics::ExtendStoredCube) or "rolled up" (from every day's sums), and why it was
  //! not extended (empty when there was nothing to extend: no reused sums).
  std::string cube;
  std::string cube_reason;
  //! Slices an extended cube took anew, summed over every day: left out of the stored cube, they
  //! reach the volume floor with the new days.
  std::vector<std::string> cube_reached;
  //! Explained-away tests whose remainder took its stored sums of the unchanged days
  //! (detect::RemainderDays), summing the changed days' leaves only.
  size_t reused_remainders = 0;
  //! Slices whose mechanism search took the stored analysis's strongest windows and searched
  //! only the windows ending on the new days (detect::MechanismSearch), and why the stored
  //! windows were not taken (empty when they were, or when there was no refresh).
  size_t reused_mechanism_slices = 0;
  std::string mechanism_reason;
  //! Whether an extended cube's stored rows were read from their copy beside the results
  //! (storage/cube_copy.hpp) and, when they were read from the results' table, why.
  bool cube_from_copy = false;
  std::string cube_copy_reason;
  //! Whether the results were stored by changing a copy of the stored ones in place (an extended
  //! cube: storage::ResultsWriter) rather than written anew.
  bool stored_in_place = false;
  //! Why results that could have been (an extended cube) were written anew instead
  //! (storage::ResultsWriter::WhyAnew).
  std::string stored_reason;
};

//! How RunAnalysis treats the stored results of an earlier analysis of the same data.
struct AnalysisOptions {
  //! Reuse what the data's changes leave valid (docs/incremental.md): the per-day sums of
  //! unchanged days, and the RCA and recommendations of incidents whose windows are unchanged;
  //! the stored analysis itself when no file changed. Without stored results usable for that
  //! (missing, unreadable, another build, configuration or data schema), a full analysis runs and
  //! the log says why. The result equals a full analysis's.
  bool incremental = false;
  //! When given, filled with what an incremental run reused.
  RefreshReport* report = nullptr;
  //! When given, lists the row groups a refresh left to list by day later in place of
  //! storage::ListDeferredDays (for tests: one that fails).
  std::function<void(storage::Database&, storage::DataUnits&)> list_deferred;
};

//! Reads the configuration file (sections cx_score, cube, incidents, rca,
//! recommend, notify, clickhouse); an empty path gives the
//! defaults. Throws NotFound for a missing file and InvalidInput naming the file, line and key.
AnalysisConfig ReadAnalysisConfig(const std::string& path);

//! Runs every stage of the analysis on a data folder (order facts, slice cube, incidents,
//! localization, root-cause analysis, recommendations), stores the results in the folder's results
//! database (atomically) and returns the analysis document of interfaces.md §2. Throws NotFound for
//! a missing folder or table and InvalidInput for bad data or an unknown detector.
//! `before_commit`, when given, receives the finished document before the stored results are
//! replaced (e.g. to write it to a file): if it throws, the stored results stay as they were.
nlohmann::json RunAnalysis(
    const std::string& data_dir, const AnalysisConfig& config,
    const std::function<void(const nlohmann::json&)>& before_commit = nullptr);

//! RunAnalysis on a dataset: a data folder, or a dataset file mapping a team's exports (the
//! results are stored in `data.folder`).
nlohmann::json RunAnalysis(
    const storage::DatasetOptions& data, const AnalysisConfig& config,
    const std::function<void(const nlohmann::json&)>& before_commit = nullptr);

//! RunAnalysis with `options` (an incremental refresh). Besides the analysis, the stored results
//! keep what a later refresh reads back (pipeline/incremental.hpp).
nlohmann::json RunAnalysis(
    const storage::DatasetOptions& data, const AnalysisConfig& config,
    const AnalysisOptions& options,
    const std::function<void(const nlohmann::json&)>& before_commit = nullptr);

//! Which `incidents` the analysis lists as unconfirmed instead of reporting them
//! (IncidentConfig::require_cause, docs/incidents.md step 10): not of high severity, with an
//! RCA document (`rca[i]`, as in the analysis file; null when the incident had none) none of
//! whose causes reaches config.rca.min_confidence.
std::vector<bool> UnconfirmedIncidents(const std::vector<detect::Incident>& incidents,
                                       const std::vector<nlohmann::json>& rca,
                                       const AnalysisConfig& config);

}  // namespace cxagent::pipeline
