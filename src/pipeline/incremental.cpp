#include "pipeline/incremental.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <tuple>

#include "common/error.hpp"
#include "metrics/cx_config.hpp"
#include "metrics/order_facts.hpp"
#include "metrics/slice_cube.hpp"
#include "pipeline/analysis.hpp"
#include "rca/rca.hpp"
#include "recommend/efficiency.hpp"
#include "storage/cube_copy.hpp"
#include "storage/data_folder.hpp"
#include "storage/dataset.hpp"
#include "storage/duckdb.hpp"
#include "storage/results_store.hpp"

namespace cxagent::pipeline {

namespace fs = std::filesystem;

namespace {

constexpr const char* PREVIOUS = STORED_CATALOG;
constexpr const char* EFFICIENCY_DAYS = "efficiency_days";
constexpr const char* CUBE_LEFT_OUT = "cube_left_out";
// Each incident window's localization (detect::WindowLocalization as JSON) by its windows.
constexpr const char* LOCALIZATIONS = "localizations";
// The explained-away tests' remainders, per key and day (detect::RemainderDays).
constexpr const char* REMAINDER_DAYS = "remainder_days";
// The mechanism search's strongest windows (detect::MechanismWindows), and their entries of
// `refresh_state`: the cube's first day and days, the metrics searched (comma-separated) and the
// number of windows stored (a table holding another number is not theirs).
constexpr const char* MECHANISM_WINDOWS = "mechanism_windows";
constexpr const char* MECHANISM_KEYS[] = {"mechanism_first", "mechanism_days", "mechanism_metrics",
                                          "mechanism_windows"};

bool HasPreviousTable(storage::Connection& connection, const std::string& table);

// TEMP table `efficiency_days`: per slice (its text), day and role (baseline or incident
// window), recommend::EfficiencyDay::SumsJson.
void CreateEfficiencyDays(storage::Connection& connection) {
  connection.Execute(fmt::format(
      "CREATE TEMP TABLE IF NOT EXISTS {} (slice VARCHAR, day DATE, baseline BOOLEAN, sums "
      "VARCHAR)",
      EFFICIENCY_DAYS));
}

// Stages `day` of `slice` unless it is staged already (two incidents of one slice).
void StageEfficiencyDay(storage::Connection& connection, const std::string& slice,
                        const recommend::EfficiencyDay& day) {
  connection
      .Prepare(fmt::format(
          "INSERT INTO {0} SELECT ?, CAST(? AS DATE), CAST(? AS BOOLEAN), ? WHERE NOT EXISTS "
          "(SELECT 1 FROM {0} WHERE slice = ? AND day = CAST(? AS DATE) AND baseline = CAST(? AS "
          "BOOLEAN))",
          EFFICIENCY_DAYS))
      .Bind(1, slice)
      .Bind(2, FormatDate(day.day))
      .Bind(3, static_cast<int64_t>(day.baseline))
      .Bind(4, day.SumsJson().dump())
      .Bind(5, slice)
      .Bind(6, FormatDate(day.day))
      .Bind(7, static_cast<int64_t>(day.baseline))
      .Execute();
}

// The stored per-day efficiency sums of `slice` from `first` to `last` (none when the stored
// results have no such table).
std::vector<recommend::EfficiencyDay> LoadEfficiencyDays(storage::Connection& connection,
                                                         const std::string& slice, Date first,
                                                         Date last) {
  std::vector<recommend::EfficiencyDay> days;
  if (!HasPreviousTable(connection, EFFICIENCY_DAYS)) return days;
  const storage::Table rows =
      connection
          .Prepare(fmt::format("SELECT day, baseline::INTEGER AS baseline, sums FROM {}.{} WHERE "
                               "slice = ? AND day BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)",
                               PREVIOUS, EFFICIENCY_DAYS))
          .Bind(1, slice)
          .Bind(2, FormatDate(first))
          .Bind(3, FormatDate(last))
          .Execute();
  for (size_t i = 0; i < rows.RowCount(); ++i) {
    days.push_back({Date{static_cast<int32_t>(rows.Get("day").ints[i])},
                    rows.Get("baseline").ints[i] != 0,
                    recommend::EfficiencyDay::SumsFromJson(
                        nlohmann::json::parse(rows.Get("sums").StringAt(i)))});
  }
  return days;
}

// The build of cxagent: its version and its executable's size and time, so that results stored
// by another build (whose stages may compute differently) are never mixed with this one's.
std::string ProgramKey() {
  std::error_code error;
  const auto size = fs::file_size("/proc/self/exe", error);
  const auto time = fs::last_write_time("/proc/self/exe", error);
  if (error) return CXAGENT_VERSION;
  return fmt::format("{}|{}|{}", CXAGENT_VERSION, size, time.time_since_epoch().count());
}

bool HasPreviousTable(storage::Connection& connection, const std::string& table) {
  return connection.HasTable(PREVIOUS, table);
}

std::string DateList(const std::vector<Date>& days) {
  std::vector<std::string> literals;
  for (const Date day : days) literals.push_back(fmt::format("DATE '{}'", FormatDate(day)));
  return fmt::format("{}", fmt::join(literals, ", "));
}

}  // namespace

RefreshKeys RefreshKeys::Of(storage::Connection& connection, const storage::Dataset& dataset,
                            const AnalysisConfig& config, const std::vector<std::string>& extra) {
  RefreshKeys keys;
  keys.program = ProgramKey();
  const std::vector<std::string>& dimensions = dataset.Dimensions();
  keys.leaves =
      metrics::OrderFactsSql(dimensions, metrics::ConfigForData(config.cx_score, dataset)) + "\n" +
      metrics::OrderLeavesSql(extra, dimensions);
  keys.config = config.text;
  keys.schema = fmt::format("dimensions: {}\n", fmt::join(dimensions, ", "));
  for (std::string_view table : storage::TABLE_NAMES) {
    if (!dataset.HasTable(table)) {
      keys.schema += fmt::format("{}: absent\n", table);
      continue;
    }
    const storage::Table columns =
        connection.Query(fmt::format("DESCRIBE SELECT * FROM {}", storage::SqlIdentifier(table)));
    keys.schema += fmt::format("{}:", table);
    for (size_t i = 0; i < columns.RowCount(); ++i) {
      keys.schema += fmt::format(" {} {}", columns.Get("column_name").StringAt(i),
                                 columns.Get("column_type").StringAt(i));
    }
    keys.schema += "\n";
  }
  return keys;
}

StoredState StoredState::Open(storage::Connection& connection, const std::string& data_dir,
                              const RefreshKeys& keys) {
  StoredState state;
  const std::string path = storage::ResultsPath(data_dir);
  std::error_code error;
  if (!fs::exists(path, error)) {
    state.reason_ = "there are no stored results";
    return state;
  }
  try {
    connection.Execute(
        fmt::format("ATTACH {} AS {} (READ_ONLY)", storage::SqlLiteral(path), PREVIOUS));
  } catch (const Error& failure) {
    state.reason_ = fmt::format("the stored results cannot be read ({})", failure.what());
    return state;
  }
  try {
    for (const char* table : {"refresh_state", "data_units", "data_unit_days", "data_files",
                              "incident_windows", "incidents", "analysis"}) {
      if (!HasPreviousTable(connection, table)) {
        state.reason_ =
            fmt::format("the stored results hold no {} (stored by an older cxagent?)", table);
        return state;
      }
    }
    std::map<std::string, std::string> stored;
    const storage::Table rows =
        connection.Query(fmt::format("SELECT name, value FROM {}.refresh_state", PREVIOUS));
    for (size_t i = 0; i < rows.RowCount(); ++i) {
      stored[std::string(rows.Get("name").StringAt(i))] = rows.Get("value").StringAt(i);
    }
    if (stored["program"] != keys.program) {
      state.reason_ = "the stored results were written by another build of cxagent";
      return state;
    }
    state.units_ = storage::LoadDataUnits(connection, PREVIOUS);
    // Results stored before the cube's volumes were (or whose volumes are incomplete) have the
    // cube rolled up from every day's sums.
    if (stored.contains("cube") && stored.contains("cube_days") && stored.contains("cube_last") &&
        HasPreviousTable(connection, CUBE_LEFT_OUT)) {
      state.cube_key_ = stored["cube"];
      state.cube_days_ = stored["cube_days"];
      state.cube_last_ = stored["cube_last"];
    }
    if (std::all_of(std::begin(MECHANISM_KEYS), std::end(MECHANISM_KEYS),
                    [&](const char* key) { return stored.contains(key); })) {
      for (const char* key : MECHANISM_KEYS) state.mechanism_state_[key] = stored[key];
    }
    state.schema_ = stored["schema"] == keys.schema;
    if (stored["leaves"] != keys.leaves) {
      state.reason_ =
          "the per-day sums are computed differently now (cx_score settings, rca.enabled or the "
          "data's dimensions changed)";
      return state;
    }
    state.leaves_generation_ = stored["leaves_generation"];
    state.leaves_ = true;
    if (stored["config"] != keys.config) {
      state.reason_ = "the configuration changed";
      return state;
    }
    if (stored["schema"] != keys.schema) {
      state.reason_ = "the data's tables or columns changed";
      return state;
    }
    const storage::Table document =
        connection.Query(fmt::format("SELECT document FROM {}.analysis", PREVIOUS));
    if (document.RowCount() != 1) {
      state.reason_ = "the stored analysis is damaged";
      state.leaves_ = false;
      return state;
    }
    state.analysis_ = nlohmann::json::parse(document.Get("document").StringAt(0));
    const storage::Table incidents = connection.Query(fmt::format(
        "SELECT i.id, w.windows, i.document FROM {0}.incidents i JOIN {0}.incident_windows w "
        "ON w.incident_id = i.id",
        PREVIOUS));
    for (size_t i = 0; i < incidents.RowCount(); ++i) {
      state.incidents_by_id_[std::string(incidents.Get("id").StringAt(i))] = {
          std::string(incidents.Get("windows").StringAt(i)),
          nlohmann::json::parse(incidents.Get("document").StringAt(i))};
    }
    // Results stored before localizations were have none to reuse.
    if (HasPreviousTable(connection, LOCALIZATIONS)) {
      const storage::Table localizations = connection.Query(
          fmt::format("SELECT \"window\", result FROM {}.{}", PREVIOUS, LOCALIZATIONS));
      for (size_t i = 0; i < localizations.RowCount(); ++i) {
        state.localizations_[std::string(localizations.Get("window").StringAt(i))] =
            localizations.Get("result").StringAt(i);
      }
    }
    state.incidents_ = true;
  } catch (const std::exception& failure) {
    StoredState none;
    none.reason_ = fmt::format("the stored results cannot be read ({})", failure.what());
    return none;
  }
  return state;
}

metrics::CubeVolumes StoredState::CubeVolumes(storage::Connection& connection) const {
  metrics::CubeVolumes volumes;
  try {
    volumes.days = std::stoll(cube_days_);
  } catch (const std::exception&) {
    throw InvalidInput("the stored cube's number of days is not a number: '{}'", cube_days_);
  }
  volumes.last = ParseDate(cube_last_).days;
  const storage::Table rows =
      connection.Query(fmt::format("SELECT slice, volume FROM {}.{}", PREVIOUS, CUBE_LEFT_OUT));
  const storage::Column& slices = rows.Get("slice");
  const storage::Column& values = rows.Get("volume");
  if (values.type != storage::ColumnType::DOUBLE || !values.valid.empty() ||
      !slices.valid.empty()) {
    throw InvalidInput("the stored cube's left-out slices are damaged");
  }
  // In the byte order of slice text, as metrics::ExtendCube compares them.
  std::vector<std::pair<std::string, double>> entries;
  entries.reserve(rows.RowCount());
  for (size_t i = 0; i < rows.RowCount(); ++i) {
    entries.emplace_back(slices.StringAt(i), values.doubles[i]);
  }
  std::sort(entries.begin(), entries.end());
  for (auto& [slice, volume] : entries) {
    volumes.slices.push_back(std::move(slice));
    volumes.volumes.push_back(volume);
  }
  return volumes;
}

void StoredState::CheckLeaves(const std::optional<std::string>& generation,
                              const std::string& why) {
  if (!leaves_) return;
  if (generation && *generation == leaves_generation_) return;
  leaves_ = false;
  incidents_ = false;
  reason_ = generation ? "the stored per-day sums are not those of the stored results (a run "
                         "stopped between writing the two?)"
                       : why;
}

const nlohmann::json* StoredState::Incident(const std::string& id,
                                            const std::string& windows) const {
  if (!incidents_) return nullptr;
  const auto found = incidents_by_id_.find(id);
  if (found == incidents_by_id_.end() || found->second.first != windows) return nullptr;
  return &found->second.second;
}

std::string WindowsKey(const rca::IncidentWindows& w) {
  std::string key = fmt::format("{} {} {} {} {}", w.slice.ToText(), FormatDate(w.baseline_start),
                                FormatDate(w.baseline_end), FormatDate(w.start), FormatDate(w.end));
  // The concurrent wider incidents change what the causes' specificity reads.
  for (const Slice& wider : w.wider) key += " within " + wider.ToText();
  // So do the narrower ones, whose orders it is read without.
  for (const Slice& narrower : w.narrower) key += " without " + narrower.ToText();
  return key;
}

std::map<std::string, std::vector<detect::RemainderDay>> StoredState::RemainderDays(
    storage::Connection& connection, const std::vector<Date>& changed) const {
  std::map<std::string, std::vector<detect::RemainderDay>> stored;
  if (!leaves_ || !HasPreviousTable(connection, REMAINDER_DAYS)) return stored;
  const storage::Table rows = connection.Query(fmt::format(
      "SELECT key, day, cx_sum, orders, mechanism_num, mechanism_den FROM {}.{}{} ORDER BY key, "
      "day",
      PREVIOUS, REMAINDER_DAYS,
      changed.empty() ? "" : fmt::format(" WHERE day NOT IN ({})", DateList(changed))));
  const auto& keys = rows.Get("key");
  const auto& days = rows.Get("day");
  const storage::Column* sums[] = {&rows.Get("cx_sum"), &rows.Get("orders"),
                                   &rows.Get("mechanism_num"), &rows.Get("mechanism_den")};
  for (const storage::Column* column : {&keys, &days, sums[0], sums[1], sums[2], sums[3]}) {
    if (!column->valid.empty() ||
        (column != &keys && column != &days && column->type != storage::ColumnType::DOUBLE)) {
      throw InvalidInput("the stored remainders' column {} is damaged", column->name);
    }
  }
  for (size_t row = 0; row < rows.RowCount(); ++row) {
    stored[std::string(keys.StringAt(row))].push_back(
        {static_cast<int32_t>(days.ints[row]), sums[0]->doubles[row], sums[1]->doubles[row],
         sums[2]->doubles[row], sums[3]->doubles[row]});
  }
  return stored;
}

std::optional<detect::MechanismWindows> StoredState::MechanismWindows(
    storage::Connection& connection, std::string& why) const {
  if (!incidents_) {
    why = "the stored results are of another configuration or data schema";
    return std::nullopt;
  }
  if (mechanism_state_.empty() || !HasPreviousTable(connection, MECHANISM_WINDOWS)) {
    why = "the stored results hold none (stored by an older cxagent, or the search did not run)";
    return std::nullopt;
  }
  detect::MechanismWindows windows;
  int64_t count = 0;
  try {
    windows.first = ParseDate(mechanism_state_.at("mechanism_first"));
    const int64_t days = std::stoll(mechanism_state_.at("mechanism_days"));
    count = std::stoll(mechanism_state_.at("mechanism_windows"));
    if (days <= 0 || count < 0) throw InvalidInput("out of range");
    windows.days = static_cast<size_t>(days);
  } catch (const std::exception&) {
    why = "their stored first day, days or number is damaged";
    return std::nullopt;
  }
  const std::string& metrics = mechanism_state_.at("mechanism_metrics");
  for (size_t begin = 0; begin < metrics.size();) {
    const size_t comma = std::min(metrics.find(',', begin), metrics.size());
    windows.metrics.push_back(metrics.substr(begin, comma - begin));
    begin = comma + 1;
  }
  storage::Table rows;
  try {
    rows = connection.Query(fmt::format("SELECT slice, metric, z, start_day, end_day FROM {}.{}",
                                        PREVIOUS, MECHANISM_WINDOWS));
  } catch (const Error& failure) {
    why = fmt::format("they cannot be read ({})", failure.what());
    return std::nullopt;
  }
  const storage::Column* columns[] = {&rows.Get("slice"), &rows.Get("metric"), &rows.Get("z"),
                                      &rows.Get("start_day"), &rows.Get("end_day")};
  const storage::ColumnType types[] = {storage::ColumnType::VARCHAR, storage::ColumnType::VARCHAR,
                                       storage::ColumnType::DOUBLE, storage::ColumnType::INTEGER,
                                       storage::ColumnType::INTEGER};
  for (size_t c = 0; c < std::size(columns); ++c) {
    if (columns[c]->type != types[c] || !columns[c]->valid.empty()) {
      why = fmt::format("their column {} is damaged", columns[c]->name);
      return std::nullopt;
    }
  }
  if (static_cast<int64_t>(rows.RowCount()) != count) {
    why = fmt::format("{} are stored where the results name {} (damaged)", rows.RowCount(), count);
    return std::nullopt;
  }
  for (size_t row = 0; row < rows.RowCount(); ++row) {
    const int64_t start = columns[3]->ints[row];
    const int64_t end = columns[4]->ints[row];
    if (start < 0 || end < start) {
      why = "a stored window's days are damaged";
      return std::nullopt;
    }
    windows.reached.push_back(
        {std::string(columns[0]->StringAt(row)),
         std::string(columns[1]->StringAt(row)),
         {columns[2]->doubles[row], static_cast<size_t>(start), static_cast<size_t>(end)}});
  }
  return windows;
}

detect::Localizations StoredState::Localizations(const storage::UnitChanges& changes) const {
  detect::Localizations reusable;
  // A table known only as a whole changed: any day may have.
  if (!incidents_ || changes.all_days) return reusable;
  for (const auto& [window, text] : localizations_) {
    nlohmann::json document;
    try {
      document = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& failure) {
      throw InvalidInput("the stored localization of windows {} is damaged: {}", window,
                         failure.what());
    }
    detect::WindowLocalization localization = detect::WindowLocalizationFromJson(document);
    // The leaves of every day of the windows are as stored (the change_log is not read).
    const bool unchanged = std::none_of(changes.days.begin(), changes.days.end(), [&](Date day) {
      return localization.first <= day && day <= localization.last;
    });
    if (unchanged) reusable.emplace(window, std::move(localization));
  }
  return reusable;
}

bool WindowsUnchanged(const rca::IncidentWindows& w, const storage::UnitChanges& changes) {
  if (changes.all_days || changes.change_log) return false;
  for (const Date day : changes.days) {
    if (w.baseline_start <= day && day <= w.end) return false;
  }
  return true;
}

void ComputeLeaves(storage::Connection& connection, const std::vector<std::string>& extra,
                   const std::vector<std::string>& dimensions) {
  connection.Execute(
      fmt::format("CREATE OR REPLACE TABLE {0}.order_leaves AS {1}; "
                  "CREATE OR REPLACE TEMP VIEW order_leaves AS SELECT * FROM {0}.order_leaves",
                  WORK_CATALOG, metrics::OrderLeavesSelect(extra, dimensions, "order_facts")));
}

void RebuildLeaves(storage::Connection& connection, const std::vector<Date>& days,
                   const std::vector<std::string>& extra,
                   const std::vector<std::string>& dimensions) {
  // Only these days' orders are joined with the other tables (metrics::BuildOrderFacts).
  connection.Execute(fmt::format(
      "CREATE OR REPLACE TEMP TABLE selected_orders AS SELECT order_id FROM order_rows "
      "WHERE {}",
      days.empty() ? "FALSE" : fmt::format("CAST(order_date AS DATE) IN ({})", DateList(days))));
  connection.Execute(
      fmt::format("CREATE OR REPLACE TABLE {}.new_leaves AS {}", WORK_CATALOG,
                  metrics::OrderLeavesSelect(extra, dimensions, "selected_order_facts")));
  connection.Execute(fmt::format(
      "CREATE OR REPLACE TEMP VIEW order_leaves AS SELECT * FROM cx_leaves.order_leaves{0} "
      "UNION ALL BY NAME SELECT * FROM {1}.new_leaves",
      days.empty() ? "" : fmt::format(" WHERE order_date NOT IN ({})", DateList(days)),
      WORK_CATALOG));
}

std::future<StoredCubeRows> ReadStoredCubeAhead(storage::Connection& connection,
                                                const StoredState& stored,
                                                const metrics::CubeConfig& config,
                                                const std::string& results_dir) {
  if (stored.CubeKey().empty() || stored.CubeKey() != metrics::CubeKey(config)) return {};
  return std::async(std::launch::async, [&database = connection.Owner(),
                                         path = storage::CubeCopyPath(results_dir),
                                         generation = stored.Generation()] {
    const auto started = std::chrono::steady_clock::now();
    StoredCubeRows read;
    std::optional<storage::Table> copy;
    if (generation.empty()) {
      read.from_table = "the stored results name no generation";
    } else {
      copy = storage::ReadCubeCopy(path, generation, read.from_table);
    }
    if (copy) {
      spdlog::debug(
          "slice cube: {} stored rows read from its copy in {:.3f} s", copy->RowCount(),
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      read.rows = std::move(*copy);
      return read;
    }
    spdlog::info("analyze: incremental: the stored slice cube is read from the results: {}",
                 read.from_table);
    storage::Connection reader(database);
    read.rows = metrics::ReadStoredCube(reader, fmt::format("{}.slice_cube", PREVIOUS));
    return read;
  });
}

void WaitQuietly(std::future<StoredCubeRows>& read) {
  if (!read.valid()) return;
  try {
    read.get();
  } catch (const std::exception& failure) {
    spdlog::debug("analyze: incremental: the stored cube read ahead and not used failed: {}",
                  failure.what());
  }
}

storage::Table RefreshCube(storage::Connection& connection, const metrics::CubeConfig& config,
                           const StoredState* stored, const std::vector<Date>* changed,
                           metrics::CubeVolumes& volumes, RefreshReport* report,
                           std::optional<storage::CubeChanges>& cube_changes,
                           std::future<StoredCubeRows>* stored_rows,
                           std::vector<std::string>* fresh,
                           const std::function<void()>& before_rolling_up) {
  cube_changes.reset();
  std::string why;
  if (stored != nullptr && changed != nullptr) {
    if (stored->CubeKey().empty()) {
      why = "the stored results hold no volumes of the cube's slices (stored by an older cxagent?)";
    } else if (stored->CubeKey() != metrics::CubeKey(config)) {
      why = "the cube's dimensions, max_depth or min_daily_orders changed";
    } else {
      try {
        metrics::CubeVolumes extended = stored->CubeVolumes(connection);
        // Only an append: a changed day within the stored cube's days changes rows it holds.
        const auto within = std::find_if(changed->begin(), changed->end(),
                                         [&](Date day) { return day.days <= extended.last; });
        metrics::CubeExtension extension;
        std::optional<storage::Table> cube;
        if (within != changed->end()) {
          why = fmt::format("day {} changed, which the stored cube holds (it ends on {})",
                            FormatDate(*within), FormatDate(Date{extended.last}));
        } else {
          std::optional<StoredCubeRows> ahead;
          if (stored_rows != nullptr && stored_rows->valid()) ahead = stored_rows->get();
          if (ahead && report != nullptr) {
            report->cube_from_copy = ahead->from_table.empty();
            report->cube_copy_reason = ahead->from_table;
          }
          cube =
              metrics::ExtendStoredCube(connection, config, fmt::format("{}.slice_cube", PREVIOUS),
                                        fmt::format("{}.new_leaves", WORK_CATALOG), "order_leaves",
                                        extended, why, &extension, ahead ? &ahead->rows : nullptr);
        }
        if (cube) {
          spdlog::info(
              "analyze: incremental: slice cube extended by {} appended day(s): {} slices, {} "
              "dropped under the volume floor, {} reaching it summed over every day{}{}",
              changed->size(), cube->columns[0].dictionary.size(), extension.dropped.size(),
              extension.reached.size(), extension.reached.empty() ? "" : ": ",
              fmt::join(extension.reached, ", "));
          if (report != nullptr) {
            report->cube = "extended";
            report->cube_reached = extension.reached;
          }
          volumes = std::move(extended);
          // The stored cube's rows but those of the new days and of the slices dropped or
          // reached stand as stored.
          cube_changes.emplace();
          for (const Date day : *changed) cube_changes->days.push_back(day.days);
          cube_changes->dropped = std::move(extension.dropped);
          cube_changes->added = extension.reached;
          // The new days come after the stored cube's last, the slices reaching the floor were
          // left out of it: neither has stored rows to delete.
          cube_changes->appended = true;
          if (fresh != nullptr) *fresh = std::move(extension.fresh);
          return std::move(*cube);
        }
      } catch (const Error& failure) {
        why = fmt::format("the stored cube cannot be read ({})", failure.what());
      }
    }
    spdlog::info("analyze: incremental: rolling up every day's sums into the slice cube: {}", why);
  }
  if (report != nullptr) {
    report->cube = "rolled up";
    report->cube_reason = why;
  }
  if (before_rolling_up) before_rolling_up();
  return metrics::RollUpLeaves(connection, config, &volumes);
}

std::string NewLeavesGeneration() {
  static std::atomic<uint64_t> counter{0};
  return fmt::format("{}-{}-{}", std::chrono::system_clock::now().time_since_epoch().count(),
                     getpid(), counter++);
}

void CopyIncidentArtifacts(storage::Connection& connection, storage::ResultsWriter& writer,
                           const std::vector<std::string>& ids) {
  if (ids.empty()) return;
  for (const char* table : {"rca_models", "rca_samples"}) {
    if (!HasPreviousTable(connection, table) || !connection.HasTempRelation(table)) continue;
    writer.KeepStoredRows(table, ids, fmt::format("{}.{}", PREVIOUS, table));
  }
}

void CopyIncidentResults(const nlohmann::json& stored, nlohmann::json& incident) {
  // Whatever RCA and recommendations added: every key detection does not write.
  for (const auto& [key, value] : stored.items()) {
    if (!incident.contains(key)) incident[key] = value;
  }
}

storage::SliceEfficiencySums EfficiencyOfDays(storage::Connection& connection,
                                              const rca::IncidentWindows& w,
                                              const StoredState* stored,
                                              const storage::UnitChanges* changes,
                                              RefreshReport* report) {
  const std::string slice = w.slice.ToText();
  // A stored day stands for the day only when the day's data and the configuration are as they
  // were (the CX Score of its orders is read under the configuration).
  std::map<std::pair<bool, int32_t>, recommend::EfficiencyDay> kept;
  if (stored != nullptr && changes != nullptr && stored->Incidents() && !changes->all_days) {
    try {
      for (auto& day : LoadEfficiencyDays(connection, slice, w.baseline_start, w.end)) {
        if (std::binary_search(changes->days.begin(), changes->days.end(), day.day)) continue;
        kept[{day.baseline, day.day.days}] = std::move(day);
      }
    } catch (const std::exception& failure) {
      // Damaged stored sums cost only their reading again.
      spdlog::warn("analyze: incremental: the stored efficiency sums of {} cannot be used ({})",
                   slice, failure.what());
      kept.clear();
    }
  }
  std::vector<Date> window_days;
  std::vector<Date> baseline_days;
  std::vector<recommend::EfficiencyDay> days;
  for (const auto& [list, first, last, baseline] :
       {std::tuple{&window_days, w.start, w.end, false},
        std::tuple{&baseline_days, w.baseline_start, w.baseline_end, true}}) {
    for (const Date day : recommend::DaysBetween(first, last)) {
      const auto found = kept.find({baseline, day.days});
      if (found != kept.end()) {
        days.push_back(found->second);
      } else {
        list->push_back(day);
      }
    }
  }
  const size_t reused = days.size();
  for (auto& day : recommend::ReadEfficiencyDays(connection, w.slice, window_days, baseline_days)) {
    if (report != nullptr) report->computed_efficiency_days.push_back(FormatDate(day.day));
    days.push_back(std::move(day));
  }
  if (report != nullptr) report->reused_efficiency_days += static_cast<int64_t>(reused);
  CreateEfficiencyDays(connection);
  for (const auto& day : days) StageEfficiencyDay(connection, slice, day);
  return recommend::SumEfficiencyDays(std::move(days));
}

void KeepEfficiencyDays(storage::Connection& connection, const rca::IncidentWindows& w,
                        const StoredState& stored) {
  if (!stored.Incidents()) return;
  const std::string slice = w.slice.ToText();
  CreateEfficiencyDays(connection);
  if (!HasPreviousTable(connection, EFFICIENCY_DAYS)) return;
  try {
    // One statement: copied as stored, not parsed and written back day by day (a prepared
    // insert per day was 0.1 s of a 1M refresh's 1.25 s). A damaged row is copied as it is and
    // read again by the refresh that needs it (EfficiencyOfDays), as any damaged stored sums.
    connection
        .Prepare(fmt::format(
            "INSERT INTO {0} SELECT p.slice, p.day, p.baseline, p.sums FROM {1}.{0} AS p WHERE "
            "p.slice = ? AND p.day BETWEEN CAST(? AS DATE) AND CAST(? AS DATE) AND NOT EXISTS "
            "(SELECT 1 FROM {0} AS e WHERE e.slice = p.slice AND e.day = p.day AND e.baseline = "
            "p.baseline)",
            EFFICIENCY_DAYS, PREVIOUS))
        .Bind(1, slice)
        .Bind(2, FormatDate(w.baseline_start))
        .Bind(3, FormatDate(w.end))
        .Execute();
  } catch (const std::exception& failure) {
    // Without them a later refresh reads those days again.
    spdlog::warn("analyze: incremental: the stored efficiency sums of {} cannot be kept ({})",
                 slice, failure.what());
  }
}

std::optional<rca::KeptFacts> StoredFacts(storage::Connection& connection,
                                          const StoredState& stored,
                                          const storage::UnitChanges& changes) {
  if (!stored.Incidents() || changes.all_days || !HasPreviousTable(connection, "facts_draws") ||
      !HasPreviousTable(connection, "incident_facts")) {
    return std::nullopt;
  }
  rca::KeptFacts kept;
  kept.relation = fmt::format("{}.incident_facts", PREVIOUS);
  storage::Table rows;
  try {
    rows = connection.Query(fmt::format(
        "SELECT slice, first_day, last_day, below FROM {}.facts_draws ORDER BY ALL", PREVIOUS));
  } catch (const Error& failure) {
    // Damaged stored draws cost only drawing the orders again.
    spdlog::warn("analyze: incremental: the stored draws of the RCA cannot be used ({})",
                 failure.what());
    return std::nullopt;
  }
  for (size_t i = 0; i < rows.RowCount(); ++i) {
    rca::FactsDraw draw{Date{static_cast<int32_t>(rows.Get("first_day").ints[i])},
                        Date{static_cast<int32_t>(rows.Get("last_day").ints[i])},
                        rows.Get("below").ints[i]};
    // The orders of a changed day may differ: the draw stands only for the days before it.
    const auto changed = std::lower_bound(changes.days.begin(), changes.days.end(), draw.first);
    if (changed != changes.days.end() && *changed <= draw.last) draw.last = AddDays(*changed, -1);
    if (draw.last < draw.first) continue;
    kept.draws.emplace_back(std::string(rows.Get("slice").StringAt(i)), draw);
  }
  return kept;
}

void StageFacts(storage::Connection& connection, storage::ResultsWriter& writer,
                const std::vector<rca::IncidentRca>& analyzed) {
  if (!connection.HasTempRelation("incident_facts")) return;
  connection.Execute(
      "CREATE OR REPLACE TEMP TABLE facts_draws (slice VARCHAR, first_day DATE, last_day DATE, "
      "below BIGINT)");
  for (const auto& rca : analyzed) {
    for (const rca::FactsDraw& draw : rca::RecordedFactsDraws(rca.windows)) {
      connection.Prepare("INSERT INTO facts_draws VALUES (?, CAST(? AS DATE), CAST(? AS DATE), ?)")
          .Bind(1, rca.windows.slice.ToText())
          .Bind(2, FormatDate(draw.first))
          .Bind(3, FormatDate(draw.last))
          .Bind(4, draw.below)
          .Execute();
    }
  }
  writer.StoreTempTable("incident_facts");
  writer.StoreTempTable("facts_draws");
}

// Stages `rows` as the TEMP table `name` (`columns`: its SQL column list, in the order of the
// rows' columns), stored with the results when they are written.
void StageRows(storage::Connection& connection, storage::ResultsWriter& writer,
               const std::string& name, std::string_view columns, const storage::Table& rows) {
  connection.Execute(fmt::format("CREATE OR REPLACE TEMP TABLE {} ({})", name, columns));
  if (rows.RowCount() > 0) {
    storage::Appender appender(connection, name, "temp");
    appender.Append(rows);
    appender.Flush();
  }
  writer.StoreTempTable(name);
}

void StageRemainderDays(storage::Connection& connection, storage::ResultsWriter& writer,
                        const detect::RemainderDays& remainders) {
  storage::Table rows;
  auto& keys = rows.AddColumn("key", storage::ColumnType::VARCHAR).strings;
  auto& days = rows.AddColumn("day", storage::ColumnType::DATE).ints;
  auto& cx_sum = rows.AddColumn("cx_sum", storage::ColumnType::DOUBLE).doubles;
  auto& orders = rows.AddColumn("orders", storage::ColumnType::DOUBLE).doubles;
  auto& mechanism_num = rows.AddColumn("mechanism_num", storage::ColumnType::DOUBLE).doubles;
  auto& mechanism_den = rows.AddColumn("mechanism_den", storage::ColumnType::DOUBLE).doubles;
  for (const auto& [key, read] : remainders.read) {
    for (const detect::RemainderDay& day : read) {
      keys.push_back(key);
      days.push_back(day.day);
      cx_sum.push_back(day.cx_sum);
      orders.push_back(day.orders);
      mechanism_num.push_back(day.mechanism_num);
      mechanism_den.push_back(day.mechanism_den);
    }
  }
  StageRows(connection, writer, REMAINDER_DAYS,
            "key VARCHAR, day DATE, cx_sum DOUBLE, orders DOUBLE, mechanism_num DOUBLE, "
            "mechanism_den DOUBLE",
            rows);
}

void StageRefreshState(storage::Connection& connection, storage::ResultsWriter& writer,
                       const RefreshKeys& keys, const std::string& leaves_generation,
                       const storage::DataUnits& units,
                       const std::vector<std::pair<std::string, std::string>>& incident_windows,
                       const std::string& cube_key, const metrics::CubeVolumes& cube_volumes,
                       const detect::Localizations& localizations,
                       const detect::MechanismWindows* mechanism_windows) {
  connection.Execute(fmt::format(
      "CREATE OR REPLACE TEMP TABLE refresh_state (name VARCHAR, value VARCHAR); "
      "CREATE OR REPLACE TEMP TABLE incident_windows (incident_id VARCHAR, windows VARCHAR); "
      "CREATE OR REPLACE TEMP TABLE {} (\"window\" VARCHAR, result VARCHAR)",
      LOCALIZATIONS));
  const std::string cube_days = std::to_string(cube_volumes.days);
  const std::string cube_last = FormatDate(Date{cube_volumes.last});
  std::vector<std::pair<std::string, std::string>> entries = {
      {"program", keys.program},
      {"leaves", keys.leaves},
      {"config", keys.config},
      {"schema", keys.schema},
      {"leaves_generation", leaves_generation},
      {"cube", cube_key},
      {"cube_days", cube_days},
      {"cube_last", cube_last}};
  if (mechanism_windows != nullptr) {
    const std::string values[] = {FormatDate(mechanism_windows->first),
                                  std::to_string(mechanism_windows->days),
                                  fmt::format("{}", fmt::join(mechanism_windows->metrics, ",")),
                                  std::to_string(mechanism_windows->reached.size())};
    for (size_t i = 0; i < std::size(MECHANISM_KEYS); ++i) {
      entries.emplace_back(MECHANISM_KEYS[i], values[i]);
    }
    // One append of the windows (a few hundred rows), their days as offsets from `first`.
    storage::Table rows;
    auto& slices = rows.AddColumn("slice", storage::ColumnType::VARCHAR).strings;
    auto& metrics = rows.AddColumn("metric", storage::ColumnType::VARCHAR).strings;
    auto& z = rows.AddColumn("z", storage::ColumnType::DOUBLE).doubles;
    auto& starts = rows.AddColumn("start_day", storage::ColumnType::INTEGER).ints;
    auto& ends = rows.AddColumn("end_day", storage::ColumnType::INTEGER).ints;
    for (const auto& found : mechanism_windows->reached) {
      slices.push_back(found.slice);
      metrics.push_back(found.metric);
      z.push_back(found.window.z);
      starts.push_back(static_cast<int64_t>(found.window.start));
      ends.push_back(static_cast<int64_t>(found.window.end));
    }
    StageRows(connection, writer, MECHANISM_WINDOWS,
              "slice VARCHAR, metric VARCHAR, z DOUBLE, start_day INTEGER, end_day INTEGER", rows);
  }
  for (const auto& [name, value] : entries) {
    connection.Prepare("INSERT INTO refresh_state VALUES (?, ?)")
        .Bind(1, name)
        .Bind(2, value)
        .Execute();
  }
  for (const auto& [id, key] : incident_windows) {
    connection.Prepare("INSERT INTO incident_windows VALUES (?, ?)")
        .Bind(1, id)
        .Bind(2, key)
        .Execute();
  }
  for (const auto& [window, localization] : localizations) {
    connection.Prepare(fmt::format("INSERT INTO {} VALUES (?, ?)", LOCALIZATIONS))
        .Bind(1, window)
        .Bind(2, detect::WindowLocalizationJson(localization).dump())
        .Execute();
  }
  // The slices the cube left out, in one append (thousands of rows).
  connection.Execute(
      fmt::format("CREATE OR REPLACE TEMP TABLE {} (slice VARCHAR, volume DOUBLE)", CUBE_LEFT_OUT));
  storage::Table left_out;
  left_out.AddColumn("slice", storage::ColumnType::VARCHAR).strings = cube_volumes.slices;
  left_out.AddColumn("volume", storage::ColumnType::DOUBLE).doubles = cube_volumes.volumes;
  if (left_out.RowCount() > 0) {
    storage::Appender appender(connection, CUBE_LEFT_OUT, "temp");
    appender.Append(left_out);
    appender.Flush();
  }
  storage::StageDataUnits(connection, units);
  for (const char* table : {"refresh_state", "incident_windows", "data_units", "data_unit_days",
                            "data_files", CUBE_LEFT_OUT, LOCALIZATIONS}) {
    writer.StoreTempTable(table);
  }
  if (connection.HasTempRelation(EFFICIENCY_DAYS)) writer.StoreTempTable(EFFICIENCY_DAYS);
}

}  // namespace cxagent::pipeline
