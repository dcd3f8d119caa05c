#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <future>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/date.hpp"
#include "detect/incidents.hpp"
#include "metrics/slice_cube.hpp"
#include "rca/rca.hpp"
#include "storage/clickhouse_facts.hpp"
#include "storage/results_store.hpp"
#include "storage/source_units.hpp"

namespace cxagent::storage {
class Connection;
class Dataset;
}  // namespace cxagent::storage

namespace cxagent::pipeline {

struct AnalysisConfig;
struct RefreshReport;

//! What stored results must share with a run for their parts to be reused (docs/incremental.md);
//! each changes when what it stands for changes.
struct RefreshKeys {
  std::string program;  //!< the cxagent build (version, size and time of its executable)
  std::string leaves;   //!< the SQL computing the per-day-and-leaf sums (facts and leaves)
  std::string config;   //!< the analysis configuration as read (AnalysisConfig::text)
  std::string schema;   //!< every table of the data and its columns with their types

  //! The keys of an analysis of `dataset` under `config` whose leaves carry `extra` aggregates.
  static RefreshKeys Of(storage::Connection& connection, const storage::Dataset& dataset,
                        const AnalysisConfig& config, const std::vector<std::string>& extra);
};

//! The stored results of a data folder as a refresh sees them: attached read-only to the
//! connection as `cx_previous`, with what of them can be reused.
class StoredState {
 public:
  //! Opens the stored results of `data_dir`. When they are missing, unreadable, from before
  //! incremental analysis or from another build, nothing is reusable and Reason() says why.
  static StoredState Open(storage::Connection& connection, const std::string& data_dir,
                          const RefreshKeys& keys);

  //! The units of the data the stored analysis read (same build: their digests compare).
  const storage::DataUnits* Units() const { return units_ ? &*units_ : nullptr; }
  //! The stored leaves can stand for the days whose data is unchanged (same leaves SQL).
  bool Leaves() const { return leaves_; }
  //! The stored RCA and recommendations of unchanged incidents can be reused (same
  //! configuration and data schema).
  bool Incidents() const { return incidents_; }
  //! The data's tables, columns and types are those of the stored analysis (same build).
  bool SchemaUnchanged() const { return schema_; }
  //! Takes the generation of the stored per-day sums (storage::LeavesStore::Open, nullopt when
  //! there are none): sums of another generation than the results' (a run that failed or was
  //! killed between writing the two) are not reused, nor anything else.
  void CheckLeaves(const std::optional<std::string>& generation, const std::string& why);
  //! Why not everything can be reused (empty when it can).
  const std::string& Reason() const { return reason_; }
  //! The stored analysis document (null when nothing is reusable).
  const nlohmann::json& Analysis() const { return analysis_; }
  //! The generation of the stored results (their `leaves_generation`, which names the run that
  //! wrote them); empty when they hold none.
  const std::string& Generation() const { return leaves_generation_; }
  //! The stored cube's settings (metrics::CubeKey), empty when the results hold no volumes of
  //! its slices (an older cxagent).
  const std::string& CubeKey() const { return cube_key_; }
  //! The stored cube's volumes (metrics::CubeVolumes: `cube_days`, `cube_last` and the table
  //! `cube_left_out`); throws Error when they cannot be read.
  metrics::CubeVolumes CubeVolumes(storage::Connection& connection) const;
  //! The stored incident document of `id` when its RCA ran on `windows`
  //! (WindowsKey), else nullptr.
  const nlohmann::json* Incident(const std::string& id, const std::string& windows) const;
  //! The stored per-day sums of the explained-away tests' remainders (detect::RemainderDays) of
  //! the days not in `changed`, when the stored per-day sums stand (Leaves: the remainders are
  //! theirs); none when the results hold none (stored by an older cxagent). Throws Error when
  //! they cannot be read.
  std::map<std::string, std::vector<detect::RemainderDay>> RemainderDays(
      storage::Connection& connection, const std::vector<Date>& changed) const;
  //! The stored analysis's strongest mechanism windows (detect::MechanismWindows: its cube's
  //! first day and days, the metrics searched and every window reaching mechanism_z), when the
  //! stored results are of this build and configuration (Incidents) and hold them whole; else
  //! nullopt and `why` (none stored: an older cxagent, or the search did not run; a count or a
  //! row that does not fit: damaged).
  std::optional<detect::MechanismWindows> MechanismWindows(storage::Connection& connection,
                                                           std::string& why) const;
  //! The stored localizations of incident windows (detect::LocalizeIncidents) none of whose days
  //! `changes` changed, when StoredState::Incidents (same configuration, data schema and
  //! per-day sums); throws Error when a stored one cannot be read.
  detect::Localizations Localizations(const storage::UnitChanges& changes) const;

 private:
  std::optional<storage::DataUnits> units_;
  std::string leaves_generation_;
  std::string cube_key_;
  std::string cube_days_;
  std::string cube_last_;
  bool leaves_ = false;
  bool incidents_ = false;
  bool schema_ = false;
  std::string reason_;
  nlohmann::json analysis_;
  std::map<std::string, std::pair<std::string, nlohmann::json>> incidents_by_id_;
  std::map<std::string, std::string> localizations_;  // window -> stored JSON
  // The mechanism windows' entries of `refresh_state` (MECHANISM_KEYS), by name; empty when the
  // stored results hold none of them.
  std::map<std::string, std::string> mechanism_state_;
};

//! Text naming an incident's RCA slice and windows `w` (rca::WindowsOf), the key its stored RCA
//! and recommendations are found by.
std::string WindowsKey(const rca::IncidentWindows& w);

//! The name under which a refresh attaches the stored results (read-only: StoredState::Open).
inline constexpr const char* STORED_CATALOG = "cx_previous";

//! The attached in-memory database an incremental run computes leaves into (every connection of
//! the database sees it, so that storage::LeavesStore writes them on a thread of its own).
inline constexpr const char* WORK_CATALOG = "cx_work";

//! Computes the leaves (metrics::OrderLeavesSelect with `extra` over the leaf `dimensions`) of
//! every day into WORK_CATALOG.order_leaves, read through TEMP view `order_leaves`.
void ComputeLeaves(storage::Connection& connection, const std::vector<std::string>& extra,
                   const std::vector<std::string>& dimensions);

//! Defines TEMP view `order_leaves` as the stored leaves (`cx_leaves.order_leaves`,
//! storage::LeavesStore) of every day but `days`, and the leaves of `days` computed from their
//! orders alone (through `selected_order_facts`) into WORK_CATALOG.new_leaves.
void RebuildLeaves(storage::Connection& connection, const std::vector<Date>& days,
                   const std::vector<std::string>& extra,
                   const std::vector<std::string>& dimensions);

//! The stored cube's rows as a refresh read them (ReadStoredCubeAhead).
struct StoredCubeRows {
  storage::Table rows;  //!< as metrics::ReadStoredCube returns them
  //! Why they were read from the results' table rather than from their copy beside the results
  //! (storage::ReadCubeCopy); empty when from the copy.
  std::string from_table;
};

//! The slice cube of an incremental run and its volumes (for StageRefreshState). When the run
//! reused the stored per-day sums of every day but `changed` (RebuildLeaves; null otherwise), the
//! changed days all come after the stored cube's last day (an append), and the stored results
//! hold the cube's volumes under the same settings, the stored cube is extended by those days'
//! sums alone (metrics::ExtendStoredCube); otherwise, and when a slice reaches the volume floor
//! only with the new days, every day's sums are rolled up (the log and `report` say why).
//! `cube_changes` is set when the stored cube was extended: what a copy of the stored results
//! changes in their cube (storage::ResultsWriter), and reset otherwise. `stored_rows`, when
//! valid, is the stored cube being read ahead (ReadStoredCubeAhead); RefreshCube takes it when it
//! extends the cube, and leaves it to the caller otherwise. `fresh`, when given and the cube was
//! extended, receives the slices of the cube that the stored one did not hold (metrics::
//! CubeExtension::fresh). `before_rolling_up`, when given, is called before every day's sums
//! are read to be rolled up (a whole pass: the caller gives DuckDB its threads back).
storage::Table RefreshCube(storage::Connection& connection, const metrics::CubeConfig& config,
                           const StoredState* stored, const std::vector<Date>* changed,
                           metrics::CubeVolumes& volumes, RefreshReport* report,
                           std::optional<storage::CubeChanges>& cube_changes,
                           std::future<StoredCubeRows>* stored_rows = nullptr,
                           std::vector<std::string>* fresh = nullptr,
                           const std::function<void()>& before_rolling_up = {});

//! Starts reading the stored cube of `stored` on a thread of its own, so that the read runs while
//! the refresh checks the data and sums the new days: from its copy beside the results of
//! `results_dir` (storage::ReadCubeCopy) when it is whole and of the stored results' generation,
//! else from the results' table (metrics::ReadStoredCube, on a connection of its own to
//! `connection`'s database; the log says why). An invalid future when the stored cube cannot be
//! extended under `config` (no or other cube settings). The future must be waited for before the
//! stored results are detached (WaitQuietly).
std::future<StoredCubeRows> ReadStoredCubeAhead(storage::Connection& connection,
                                                const StoredState& stored,
                                                const metrics::CubeConfig& config,
                                                const std::string& results_dir);

//! Waits for `read` if it is valid, dropping its rows or its failure (a read ahead that the
//! refresh did not use).
void WaitQuietly(std::future<StoredCubeRows>& read);

//! A new generation name for stored per-day sums (unique per run).
std::string NewLeavesGeneration();

//! Whether `changes` leave an incident's RCA as stored: no day of its windows changed (nor the
//! change_log, nor a whole table).
bool WindowsUnchanged(const rca::IncidentWindows& w, const storage::UnitChanges& changes);

//! Has `writer` keep the stored RCA artifacts (`cx_previous.rca_models` and `rca_samples`) of
//! the incidents `ids` beside those rca::StageArtifacts staged (storage::ResultsWriter::
//! KeepStoredRows).
void CopyIncidentArtifacts(storage::Connection& connection, storage::ResultsWriter& writer,
                           const std::vector<std::string>& ids);

//! The parts of a stored incident document that RCA and recommendations wrote, copied into
//! `incident`.
void CopyIncidentResults(const nlohmann::json& stored, nlohmann::json& incident);

//! The storage::SliceEfficiencySums of windows `w` (recommend::MeasureEfficiency's input) added
//! up from per-day sums (recommend::SumEfficiencyDays): the stored ones (`efficiency_days` of
//! `stored`, when StoredState::Incidents) of the days `changes` leaves unchanged, the others read
//! from the data (recommend::ReadEfficiencyDays). Every day's sums are staged into TEMP table
//! `efficiency_days` for the results; `report`, when given, counts the days reused and lists
//! those read. Without `stored` or `changes`, every day is read.
storage::SliceEfficiencySums EfficiencyOfDays(storage::Connection& connection,
                                              const rca::IncidentWindows& w,
                                              const StoredState* stored,
                                              const storage::UnitChanges* changes,
                                              RefreshReport* report);

//! Stages into `efficiency_days` the stored per-day efficiency sums of windows `w` (an incident
//! whose RCA and recommendations are reused, so that a later refresh still finds them).
void KeepEfficiencyDays(storage::Connection& connection, const rca::IncidentWindows& w,
                        const StoredState& stored);

//! The orders the stored analysis drew into `incident_facts` (stored as `incident_facts` and
//! `facts_draws`), as rca::KeptFacts: each draw cut to end before the first day in it that
//! `changes` marks. Nullopt when the stored results have none or cannot lend them (another
//! configuration or data schema, a table read whole changed).
std::optional<rca::KeptFacts> StoredFacts(storage::Connection& connection,
                                          const StoredState& stored,
                                          const storage::UnitChanges& changes);

//! Stages `incident_facts` (left by rca::RcaEngine::AnalyzeAll) and `facts_draws` (the draws of
//! the incidents `analyzed`, rca::RecordedFactsDraws) for the writer to store with the results.
void StageFacts(storage::Connection& connection, storage::ResultsWriter& writer,
                const std::vector<rca::IncidentRca>& analyzed);

//! Stages `remainders.read` (detect::RemainderDays) as TEMP table `remainder_days` for the writer
//! to store with the results.
void StageRemainderDays(storage::Connection& connection, storage::ResultsWriter& writer,
                        const detect::RemainderDays& remainders);

//! Stages what a later refresh reads back, as TEMP tables the writer stores with the results:
//! `refresh_state` (the keys and the generation of the per-day sums stored beside the results,
//! storage::LeavesStore, and the cube's settings `cube_key` and days), `cube_left_out` (the
//! slices the cube left out and their volumes: `cube_volumes`, RefreshCube),
//! `incident_windows` (each confirmed incident's id and WindowsKey), `localizations` (each
//! incident window's localization, detect::WindowLocalizationJson), the data's units
//! (storage::StageDataUnits), `efficiency_days` when EfficiencyOfDays staged it, and when given
//! the mechanism search's windows (`mechanism_windows`, with their cube's first day, days, metrics
//! and number in `refresh_state`: StoredState::MechanismWindows).
void StageRefreshState(storage::Connection& connection, storage::ResultsWriter& writer,
                       const RefreshKeys& keys, const std::string& leaves_generation,
                       const storage::DataUnits& units,
                       const std::vector<std::pair<std::string, std::string>>& incident_windows,
                       const std::string& cube_key, const metrics::CubeVolumes& cube_volumes,
                       const detect::Localizations& localizations,
                       const detect::MechanismWindows* mechanism_windows = nullptr);

}  // namespace cxagent::pipeline
