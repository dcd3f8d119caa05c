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

void StoreResults(Connection& connection, const std::string& data_dir,
                  const nlohmann::json& analysis, const Table& slice_cube) {
  const std::string path = ResultsPath(data_dir);
  std::error_code error;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), error);
  if (error) {
    throw IoError("cannot create {}: {}", std::filesystem::path(path).parent_path().string(),
                  error.message());
  }
  const std::string temporary = TemporaryPathFor(path);
  RemoveQuietly(temporary);
  bool attached = false;
  try {
    connection.Execute(fmt::format("ATTACH {} AS cx_results_new", SqlLiteral(temporary)));
    attached = true;
    connection.Execute("CREATE TABLE cx_results_new.analysis (document VARCHAR)");
    connection.Prepare("INSERT INTO cx_results_new.analysis VALUES (?)")
        .Bind(1, analysis.dump())
        .Execute();
    connection.Execute(
        "CREATE TABLE cx_results_new.incidents (rank INTEGER, id VARCHAR, metric VARCHAR, "
        "slice VARCHAR, start_date DATE, end_date DATE, severity VARCHAR, score DOUBLE, "
        "document VARCHAR)");
    const auto& incidents = analysis.value("incidents", nlohmann::json::array());
    int rank = 0;
    for (const auto& incident : incidents) {
      auto insert = connection.Prepare(
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
    // The cube straight from memory (a table without columns stores the empty cube).
    std::vector<std::string> columns;
    for (const auto& column : slice_cube.columns) {
      columns.push_back(fmt::format("{} {}", SqlIdentifier(column.name), SqlTypeName(column.type)));
    }
    if (columns.empty()) columns = {"slice VARCHAR", "depth INTEGER", "date DATE"};
    connection.Execute(
        fmt::format("CREATE TABLE cx_results_new.slice_cube ({})", fmt::join(columns, ", ")));
    if (!slice_cube.columns.empty()) {
      Appender appender(connection, "slice_cube", "cx_results_new");
      appender.Append(slice_cube);
      appender.Flush();
    }
    // Per-incident RCA artifacts (the CX model and its sample), when the analysis staged them.
    for (const char* table : {"rca_models", "rca_samples"}) {
      if (connection.HasTempRelation(table)) {
        connection.Execute(
            fmt::format("CREATE TABLE cx_results_new.{0} AS SELECT * FROM temp.main.{0}", table));
      }
    }
    connection.Execute("DETACH cx_results_new");
    attached = false;
    RenameFile(temporary, path);
  } catch (...) {
    if (attached) {
      try {
        connection.Execute("DETACH cx_results_new");
      } catch (...) {
      }
    }
    RemoveQuietly(temporary);
    throw;
  }
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
