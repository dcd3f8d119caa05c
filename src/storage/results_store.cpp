#include "storage/results_store.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <vector>

#include "common/error.hpp"
#include "common/file.hpp"
#include "storage/duckdb.hpp"

namespace cxagent::storage {

namespace {

void RemoveQuietly(const std::string& path) {
  std::error_code ignored;
  std::filesystem::remove(path, ignored);
  std::filesystem::remove(path + ".wal", ignored);
}

}  // namespace

std::string ResultsPath(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / ".cxagent" / "results.duckdb").string();
}

ResultsWriter::ResultsWriter(Connection& connection, const std::string& data_dir)
    : connection_(connection), path_(ResultsPath(data_dir)), temporary_(TemporaryPathFor(path_)) {
  std::error_code error;
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), error);
  if (error) {
    throw IoError("cannot create {}: {}", std::filesystem::path(path_).parent_path().string(),
                  error.message());
  }
  // A killed analysis (kill -9 runs no clean-up) leaves its temporary database and its WAL.
  RemoveStaleTemporaries(path_);
  RemoveQuietly(temporary_);
  connection_.Execute(fmt::format("ATTACH {} AS cx_results_new", SqlLiteral(temporary_)));
  attached_ = true;
}

ResultsWriter::~ResultsWriter() {
  if (cube_writer_.joinable()) cube_writer_.join();
  if (attached_) {
    try {
      connection_.Execute("DETACH cx_results_new");
    } catch (...) {
    }
  }
  if (!committed_) RemoveQuietly(temporary_);
}

void ResultsWriter::StoreCube(const Table& slice_cube) {
  if (cube_started_) throw InternalError("results: the slice cube is stored once");
  cube_started_ = true;
  // Its own connection, so that the cube is compressed and written while the analysis goes on.
  cube_writer_ = std::thread([this, &slice_cube] {
    try {
      Connection writer(connection_.Owner());
      std::vector<std::string> columns;
      for (const auto& column : slice_cube.columns) {
        columns.push_back(
            fmt::format("{} {}", SqlIdentifier(column.name), SqlTypeName(column.type)));
      }
      // A table without columns stores the empty cube.
      if (columns.empty()) columns = {"slice VARCHAR", "depth INTEGER", "date DATE"};
      writer.Execute(
          fmt::format("CREATE TABLE cx_results_new.slice_cube ({})", fmt::join(columns, ", ")));
      if (!slice_cube.columns.empty()) {
        Appender appender(writer, "slice_cube", "cx_results_new");
        appender.Append(slice_cube);
        appender.Flush();
      }
    } catch (...) {
      cube_failure_ = std::current_exception();
    }
  });
}

void ResultsWriter::StoreTempTable(const std::string& name) {
  temp_tables_.push_back(name);
}

void ResultsWriter::AppendRows(const std::string& table, const std::string& select) {
  appends_.emplace_back(table, select);
}

void ResultsWriter::Commit(const nlohmann::json& analysis) {
  if (committed_) throw InternalError("results: already committed");
  if (!cube_started_) StoreCube(Table{});
  cube_writer_.join();
  if (cube_failure_) std::rethrow_exception(cube_failure_);
  connection_.Execute("CREATE TABLE cx_results_new.analysis (document VARCHAR)");
  connection_.Prepare("INSERT INTO cx_results_new.analysis VALUES (?)")
      .Bind(1, analysis.dump())
      .Execute();
  connection_.Execute(
      "CREATE TABLE cx_results_new.incidents (rank INTEGER, id VARCHAR, metric VARCHAR, "
      "slice VARCHAR, start_date DATE, end_date DATE, severity VARCHAR, score DOUBLE, "
      "document VARCHAR)");
  const auto& incidents = analysis.value("incidents", nlohmann::json::array());
  int rank = 0;
  for (const auto& incident : incidents) {
    auto insert = connection_.Prepare(
        "INSERT INTO cx_results_new.incidents VALUES (?, ?, ?, ?, ?::DATE, ?::DATE, ?, ?, ?)");
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
  // Per-incident RCA artifacts (the CX model and its sample), when the analysis staged them.
  for (const char* table : {"rca_models", "rca_samples"}) {
    if (connection_.HasTempRelation(table)) {
      connection_.Execute(
          fmt::format("CREATE TABLE cx_results_new.{0} AS SELECT * FROM temp.main.{0}", table));
    }
  }
  for (const auto& [table, select] : appends_) {
    connection_.Execute(
        fmt::format("INSERT INTO cx_results_new.{} BY NAME {}", SqlIdentifier(table), select));
  }
  for (const auto& table : temp_tables_) {
    connection_.Execute(fmt::format(
        "CREATE TABLE cx_results_new.{0} AS SELECT * FROM temp.main.{0}", SqlIdentifier(table)));
  }
  connection_.Execute("DETACH cx_results_new");
  attached_ = false;
  RenameFile(temporary_, path_);
  committed_ = true;
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
  if (!std::filesystem::exists(path)) {
    throw NotFound("no stored results in {}: run cxagent analyze --data {} first", data_dir,
                   data_dir);
  }
  connection.Execute(fmt::format("ATTACH {} AS results (READ_ONLY)", SqlLiteral(path)));
}

}  // namespace cxagent::storage
