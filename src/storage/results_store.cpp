#include "storage/results_store.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>
#include <vector>

#include "common/date.hpp"
#include "common/error.hpp"
#include "common/file.hpp"
#include "storage/duckdb.hpp"

namespace cxagent::storage {

namespace {

namespace fs = std::filesystem;

constexpr const char* NEW = "cx_results_new";
constexpr const char* CUBE = "slice_cube";
// Written from the connection's TEMP tables of these names, with the stored rows of the
// incidents a refresh reused (KeepStoredRows).
constexpr const char* ARTIFACT_TABLES[] = {"rca_models", "rca_samples"};

void RemoveQuietly(const std::string& path) {
  std::error_code ignored;
  fs::remove(path, ignored);
  fs::remove(path + ".wal", ignored);
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

std::string Literals(const std::vector<std::string>& texts) {
  std::vector<std::string> literals;
  literals.reserve(texts.size());
  for (const auto& text : texts) literals.push_back(SqlLiteral(text));
  return fmt::format("{}", fmt::join(literals, ", "));
}

// Creates the results' slice_cube and appends `cube` to it.
void WriteCube(Connection& writer, const Table& cube) {
  std::vector<std::string> columns;
  for (const auto& column : cube.columns) {
    columns.push_back(fmt::format("{} {}", SqlIdentifier(column.name), SqlTypeName(column.type)));
  }
  // A table without columns stores the empty cube.
  if (columns.empty()) columns = {"slice VARCHAR", "depth INTEGER", "date DATE"};
  writer.Execute(fmt::format("CREATE TABLE {}.{} ({})", NEW, CUBE, fmt::join(columns, ", ")));
  if (!cube.columns.empty()) {
    Appender appender(writer, CUBE, NEW);
    appender.Append(cube);
    appender.Flush();
  }
}

// The rows of `cube` that `changes` inserts: those dated one of its days or of an added slice.
Table ChangedRows(const Table& cube, const CubeChanges& changes) {
  std::vector<int64_t> days(changes.days.begin(), changes.days.end());
  std::sort(days.begin(), days.end());
  std::vector<std::string> added = changes.added;
  std::sort(added.begin(), added.end());
  const Column& slice = cube.columns.at(0);
  const Column& date = cube.Get("date");
  // Per code of a dictionary-coded slice column: whether it is an added slice.
  std::vector<uint8_t> added_code(slice.dictionary.size(), 0);
  for (size_t code = 0; code < slice.dictionary.size(); ++code) {
    added_code[code] = std::binary_search(added.begin(), added.end(), slice.dictionary[code]);
  }
  std::vector<size_t> rows;
  for (size_t row = 0; row < cube.RowCount(); ++row) {
    const bool of_added = slice.dictionary.empty()
                              ? std::binary_search(added.begin(), added.end(), slice.strings[row])
                              : added_code[static_cast<size_t>(slice.ints[row])] != 0;
    if (of_added || std::binary_search(days.begin(), days.end(), date.ints[row])) {
      rows.push_back(row);
    }
  }
  Table out;
  for (const Column& column : cube.columns) {
    Column& target = out.AddColumn(column.name, column.type);
    target.dictionary = column.dictionary;
    const bool text = column.type == ColumnType::VARCHAR && column.dictionary.empty();
    for (size_t i = 0; i < rows.size(); ++i) {
      const size_t row = rows[i];
      if (text) {
        target.strings.push_back(column.strings[row]);
      } else if (column.type == ColumnType::DOUBLE) {
        target.doubles.push_back(column.doubles[row]);
      } else {
        target.ints.push_back(column.ints[row]);
      }
      if (column.IsNull(row)) target.SetNull(i);
    }
  }
  return out;
}

// Whether the copy of stored results keeps its table `name` and changes it in place (the cube and
// the RCA artifacts); the results write every other table anew.
bool UpdatedInPlace(const std::string& name) {
  return name == CUBE || std::find(std::begin(ARTIFACT_TABLES), std::end(ARTIFACT_TABLES), name) !=
                             std::end(ARTIFACT_TABLES);
}

// Drops the copy's tables that the results write anew.
void DropRewrittenTables(Connection& connection) {
  const Table tables = connection.Query(fmt::format(
      "SELECT table_name FROM duckdb_tables() WHERE database_name = {}", SqlLiteral(NEW)));
  for (size_t row = 0; row < tables.RowCount(); ++row) {
    const std::string name(tables.Get("table_name").StringAt(row));
    if (!UpdatedInPlace(name)) {
      connection.Execute(fmt::format("DROP TABLE {}.{}", NEW, SqlIdentifier(name)));
    }
  }
}

// Deletes from the copy's slice_cube the rows `changes` replaces and appends their new rows
// from `cube`.
void UpdateCube(Connection& writer, const Table& cube, const CubeChanges& changes) {
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::string> conditions;
  if (!changes.days.empty() && !changes.appended) {
    std::vector<std::string> days;
    for (const int32_t day : changes.days) {
      days.push_back(fmt::format("DATE '{}'", FormatDate(Date{day})));
    }
    conditions.push_back(fmt::format("date IN ({})", fmt::join(days, ", ")));
  }
  std::vector<std::string> slices = changes.dropped;
  if (!changes.appended) slices.insert(slices.end(), changes.added.begin(), changes.added.end());
  if (!slices.empty()) conditions.push_back(fmt::format("slice IN ({})", Literals(slices)));
  if (!conditions.empty()) {
    writer.Execute(
        fmt::format("DELETE FROM {}.{} WHERE {}", NEW, CUBE, fmt::join(conditions, " OR ")));
  }
  const Table rows = ChangedRows(cube, changes);
  if (rows.RowCount() > 0) {
    Appender appender(writer, CUBE, NEW);
    appender.Append(rows);
    appender.Flush();
  }
  spdlog::debug(
      "results: slice cube updated in place in {:.3f} s: rows of {} day(s) and {} slice(s) "
      "replaced, {} rows inserted",
      Seconds(started), changes.days.size(), changes.dropped.size() + changes.added.size(),
      rows.RowCount());
}

}  // namespace

std::string ResultsPath(const std::string& data_dir) {
  return (fs::path(data_dir) / ".cxagent" / "results.duckdb").string();
}

ResultsWriter::ResultsWriter(Connection& connection, const std::string& data_dir,
                             const std::string& stored)
    : connection_(connection), path_(ResultsPath(data_dir)), temporary_(TemporaryPathFor(path_)) {
  std::error_code error;
  fs::create_directories(fs::path(path_).parent_path(), error);
  if (error) {
    throw IoError("cannot create {}: {}", fs::path(path_).parent_path().string(), error.message());
  }
  // A killed analysis (kill -9 runs no clean-up) leaves its temporary database and its WAL.
  RemoveStaleTemporaries(path_);
  RemoveQuietly(temporary_);
  if (!stored.empty()) {
    stored_ = CopyStored(stored, why_anew_);
    if (stored_.empty()) {
      spdlog::info("results: written anew rather than updated in place: {}", why_anew_);
    }
  }
  if (!attached_) AttachNew();
}

ResultsWriter::~ResultsWriter() {
  release_.Open();
  if (cube_writer_.joinable()) cube_writer_.join();
  if (attached_) {
    try {
      connection_.Execute(fmt::format("DETACH {}", NEW));
    } catch (...) {
    }
  }
  if (!committed_) RemoveQuietly(temporary_);
}

void ResultsWriter::AttachNew() {
  connection_.Execute(fmt::format("ATTACH {} AS {}", SqlLiteral(temporary_), NEW));
  attached_ = true;
}

std::string ResultsWriter::CopyStored(const std::string& stored, std::string& why) {
  const auto started = std::chrono::steady_clock::now();
  try {
    const Table size = connection_.Query(fmt::format(
        "SELECT total_blocks, free_blocks FROM pragma_database_size() WHERE database_name = {}",
        SqlLiteral(stored)));
    if (size.RowCount() != 1) {
      why = fmt::format("no stored results are attached as {}", stored);
      return {};
    }
    const int64_t total = size.Get("total_blocks").ints.at(0);
    const int64_t free = size.Get("free_blocks").ints.at(0);
    // Free blocks are reused by later writes but never given back: past this share the file is
    // written compact again (docs/incremental.md).
    if (static_cast<double>(free) > GROWTH_LIMIT * static_cast<double>(total)) {
      why = fmt::format("{} of the stored file's {} blocks are free (more than {:g}%)", free, total,
                        100 * GROWTH_LIMIT);
      return {};
    }
    std::error_code error;
    if (fs::exists(path_ + ".wal", error)) {
      why = "the stored results have a write-ahead log beside them";
      return {};
    }
    fs::copy_file(path_, temporary_, fs::copy_options::overwrite_existing, error);
    if (error) {
      why = fmt::format("{} cannot be copied: {}", path_, error.message());
      RemoveQuietly(temporary_);
      return {};
    }
    AttachNew();
    // The file renamed into place since the refresh attached it (another analysis of the same
    // folder) is not the one the refresh's changes apply to.
    const int64_t differing =
        connection_
            .Query(fmt::format(
                "SELECT count(*) AS n FROM ((SELECT * FROM {0}.refresh_state EXCEPT ALL SELECT * "
                "FROM {1}.refresh_state) UNION ALL (SELECT * FROM {1}.refresh_state EXCEPT ALL "
                "SELECT * FROM {0}.refresh_state))",
                SqlIdentifier(stored), NEW))
            .Get("n")
            .ints.at(0);
    if (differing != 0) {
      why = fmt::format("{} is no longer the file the refresh read", path_);
      connection_.Execute(fmt::format("DETACH {}", NEW));
      attached_ = false;
      RemoveQuietly(temporary_);
      return {};
    }
  } catch (const Error& failure) {
    why = fmt::format("the stored results cannot be copied ({})", failure.what());
    if (attached_) {
      try {
        connection_.Execute(fmt::format("DETACH {}", NEW));
      } catch (...) {
      }
      attached_ = false;
    }
    RemoveQuietly(temporary_);
    return {};
  }
  spdlog::debug("results: stored results copied in {:.3f} s, to be updated in place",
                Seconds(started));
  return stored;
}

void ResultsWriter::StoreCube(const Table& slice_cube, const CubeChanges* changes, bool held) {
  if (cube_started_) throw InternalError("results: the slice cube is stored once");
  cube_started_ = true;
  if (!held) release_.Open();
  cube_ = &slice_cube;
  std::optional<CubeChanges> update;
  if (FromStored() && changes != nullptr && !slice_cube.columns.empty()) update = *changes;
  const bool replace = FromStored() && !update;
  // Its own connection, so that the cube is compressed and written while the analysis goes on.
  cube_writer_ = std::thread([this, &slice_cube, update = std::move(update), replace] {
    release_.Wait();
    try {
      Connection writer(connection_.Owner());
      if (update) {
        UpdateCube(writer, slice_cube, *update);
        // While the analysis goes on, the copy's tables that the results write anew are dropped
        // and the cube's changes checkpointed: Commit then writes and checkpoints only the small
        // tables. A checkpoint that cannot run now is left to Commit.
        const auto started = std::chrono::steady_clock::now();
        DropRewrittenTables(writer);
        try {
          writer.Execute(fmt::format("CHECKPOINT {}", NEW));
          spdlog::debug("results: the copy's rewritten tables dropped and checkpointed in {:.3f} s",
                        Seconds(started));
        } catch (const Error& failure) {
          spdlog::debug("results: the copy is checkpointed at the end ({})", failure.what());
        }
      } else {
        if (replace) writer.Execute(fmt::format("DROP TABLE IF EXISTS {}.{}", NEW, CUBE));
        WriteCube(writer, slice_cube);
      }
    } catch (...) {
      cube_failure_ = std::current_exception();
    }
  });
}

void ResultsWriter::StoreTempTable(const std::string& name) {
  temp_tables_.push_back(name);
}

void ResultsWriter::KeepStoredRows(const std::string& table, const std::vector<std::string>& ids,
                                   const std::string& source) {
  if (std::find(std::begin(ARTIFACT_TABLES), std::end(ARTIFACT_TABLES), table) ==
      std::end(ARTIFACT_TABLES)) {
    throw InternalError("results: {} is not an RCA artifact table", table);
  }
  kept_.push_back({table, ids, source});
}

void ResultsWriter::UpdateCopy() {
  const auto started = std::chrono::steady_clock::now();
  // Dropped already when the cube was updated (StoreCube), unless that failed.
  DropRewrittenTables(connection_);
  const Table tables = connection_.Query(fmt::format(
      "SELECT table_name FROM duckdb_tables() WHERE database_name = {}", SqlLiteral(NEW)));
  std::vector<std::string> present;
  for (size_t row = 0; row < tables.RowCount(); ++row) {
    present.emplace_back(tables.Get("table_name").StringAt(row));
  }
  // The RCA artifacts: the reused incidents' rows stay, the others' go, the new ones come in.
  for (const char* table : ARTIFACT_TABLES) {
    const bool exists = std::find(present.begin(), present.end(), table) != present.end();
    if (!connection_.HasTempRelation(table)) {
      if (exists) connection_.Execute(fmt::format("DROP TABLE {}.{}", NEW, table));
      continue;
    }
    if (!exists) {
      connection_.Execute(
          fmt::format("CREATE TABLE {0}.{1} AS SELECT * FROM temp.main.{1}", NEW, table));
      continue;
    }
    std::vector<std::string> ids;
    for (const auto& kept : kept_) {
      if (kept.table == table) ids.insert(ids.end(), kept.ids.begin(), kept.ids.end());
    }
    connection_.Execute(fmt::format(
        "DELETE FROM {}.{} {}", NEW, table,
        ids.empty() ? "" : fmt::format("WHERE incident_id NOT IN ({})", Literals(ids))));
    connection_.Execute(
        fmt::format("INSERT INTO {0}.{1} BY NAME SELECT * FROM temp.main.{1}", NEW, table));
  }
  spdlog::debug(
      "results: the copy's other tables dropped and its RCA artifacts updated in {:.3f} s",
      Seconds(started));
}

void ResultsWriter::StartOver(const std::string& why) {
  spdlog::warn("results: the copy of the stored results cannot be updated ({}); writing them anew",
               why);
  why_anew_ = fmt::format("the copy of the stored results cannot be updated ({})", why);
  connection_.Execute(fmt::format("DETACH {}", NEW));
  attached_ = false;
  RemoveQuietly(temporary_);
  stored_.clear();
  AttachNew();
  cube_failure_ = nullptr;
  WriteCube(connection_, cube_ != nullptr ? *cube_ : Table{});
}

void ResultsWriter::Commit(const nlohmann::json& analysis) {
  if (committed_) throw InternalError("results: already committed");
  if (!cube_started_) StoreCube(Table{});
  release_.Open();
  cube_writer_.join();
  if (FromStored()) {
    std::string why;
    if (cube_failure_) {
      try {
        std::rethrow_exception(cube_failure_);
      } catch (const std::exception& failure) {
        why = failure.what();
      }
    } else {
      try {
        UpdateCopy();
      } catch (const Error& failure) {
        why = failure.what();
      }
    }
    if (!why.empty()) StartOver(why);
  }
  if (cube_failure_) std::rethrow_exception(cube_failure_);
  const auto started = std::chrono::steady_clock::now();
  // Every table in one transaction: committed one statement at a time, each commit synced the
  // file's write-ahead log to disk (about 4 ms a table at the end of a refresh, a dozen tables
  // and an insert per incident). A failure rolls them all back; the file is then removed.
  connection_.Execute("BEGIN TRANSACTION");
  try {
    WriteTables(analysis);
    connection_.Execute("COMMIT");
  } catch (...) {
    try {
      connection_.Execute("ROLLBACK");
    } catch (const std::exception& failure) {
      spdlog::debug("results: the failed writes cannot be rolled back: {}", failure.what());
    }
    throw;
  }
  const double written = Seconds(started);
  const auto detaching = std::chrono::steady_clock::now();
  // Detaching checkpoints the file: what the writes left in its write-ahead log goes into it.
  connection_.Execute(fmt::format("DETACH {}", NEW));
  attached_ = false;
  RenameFile(temporary_, path_);
  committed_ = true;
  spdlog::debug("results: {} tables written in {:.3f} s, checkpointed in {:.3f} s ({})",
                temp_tables_.size() + 2, written, Seconds(detaching),
                FromStored() ? "a copy of the stored results updated in place" : "a new file");
}

void ResultsWriter::WriteTables(const nlohmann::json& analysis) {
  connection_.Execute(fmt::format("CREATE TABLE {}.analysis (document VARCHAR)", NEW));
  connection_.Prepare(fmt::format("INSERT INTO {}.analysis VALUES (?)", NEW))
      .Bind(1, analysis.dump())
      .Execute();
  connection_.Execute(fmt::format(
      "CREATE TABLE {}.incidents (rank INTEGER, id VARCHAR, metric VARCHAR, slice VARCHAR, "
      "start_date DATE, end_date DATE, severity VARCHAR, score DOUBLE, document VARCHAR)",
      NEW));
  const auto& incidents = analysis.value("incidents", nlohmann::json::array());
  int rank = 0;
  for (const auto& incident : incidents) {
    auto insert = connection_.Prepare(fmt::format(
        "INSERT INTO {}.incidents VALUES (?, ?, ?, ?, ?::DATE, ?::DATE, ?, ?, ?)", NEW));
    insert.Bind(1, int64_t{++rank})
        .Bind(2, incident.value("id", std::string()))
        .Bind(3, incident.value("metric", std::string()))
        .Bind(4, incident.contains("slice") ? incident["slice"].dump() : std::string("{}"))
        .Bind(5, incident.value("start_date", std::string()));
    if (incident.contains("end_date") && incident["end_date"].is_string()) {
      insert.Bind(6, incident["end_date"].get<std::string>());
    } else {
      insert.BindNull(6);
    }
    insert.Bind(7, incident.value("severity", std::string()))
        .Bind(8, incident.value("score", 0.0))
        .Bind(9, incident.dump())
        .Execute();
  }
  // Per-incident RCA artifacts (the CX model and its sample), when the analysis staged them, and
  // the stored ones of the incidents a refresh reused (a copy of the stored results has them in
  // place: UpdateCopy).
  if (!FromStored()) {
    for (const char* table : ARTIFACT_TABLES) {
      if (!connection_.HasTempRelation(table)) continue;
      connection_.Execute(
          fmt::format("CREATE TABLE {0}.{1} AS SELECT * FROM temp.main.{1}", NEW, table));
      for (const auto& kept : kept_) {
        if (kept.table != table || kept.ids.empty()) continue;
        connection_.Execute(
            fmt::format("INSERT INTO {}.{} BY NAME SELECT * FROM {} WHERE "
                        "incident_id IN ({})",
                        NEW, table, kept.source, Literals(kept.ids)));
      }
    }
  }
  for (const auto& table : temp_tables_) {
    connection_.Execute(fmt::format("CREATE TABLE {0}.{1} AS SELECT * FROM temp.main.{1}", NEW,
                                    SqlIdentifier(table)));
  }
}

void StoreResults(Connection& connection, const std::string& data_dir,
                  const nlohmann::json& analysis, const Table& slice_cube) {
  ResultsWriter writer(connection, data_dir);
  writer.StoreCube(slice_cube);
  writer.Commit(analysis);
}

StoredResults LoadResults(const std::string& data_dir) {
  Database database;
  Connection connection(database);
  AttachResults(connection, data_dir);
  StoredResults results;
  const Table document = connection.Query("SELECT document FROM results.analysis");
  if (document.RowCount() != 1) {
    throw InvalidInput("{}: the stored analysis is damaged; run analyze again",
                       ResultsPath(data_dir));
  }
  results.analysis = nlohmann::json::parse(document.Get("document").StringAt(0));
  results.cube_rows =
      connection.Query("SELECT count(*) AS n FROM results.slice_cube").Get("n").ints[0];
  return results;
}

void AttachResults(Connection& connection, const std::string& data_dir) {
  const std::string path = ResultsPath(data_dir);
  if (!fs::exists(path)) {
    throw NotFound("no stored results in {}: run cxagent analyze --data {} first", data_dir,
                   data_dir);
  }
  connection.Execute(fmt::format("ATTACH {} AS results (READ_ONLY)", SqlLiteral(path)));
}

}  // namespace cxagent::storage
