#include "storage/results_store.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "storage/duckdb.hpp"
#include "support/test_support.hpp"

namespace cxagent::storage {
namespace {

using testing::ErrorMessage;
using testing::TempDir;

nlohmann::json Analysis(const std::string& id, double score) {
  return {{"data", {{"orders", 10}, {"start_date", "2026-06-01"}, {"end_date", "2026-06-02"}}},
          {"incidents",
           {{{"id", id},
             {"metric", "cx_score"},
             {"slice", {{"region", "seattle"}}},
             {"start_date", "2026-06-02"},
             {"end_date", nullptr},
             {"severity", "high"},
             {"score", score}}}}};
}

TEST(ResultsStoreTest, RoundTripsTheAnalysisAndTheCube) {
  TempDir dir;
  Database database;
  Connection connection(database);
  const Table cube = connection.Query(
      "SELECT 'all' AS slice, 0 AS depth, DATE '2026-06-01' + i::INTEGER AS date, 10 AS orders, "
      "2.5 AS cx_sum FROM range(3) t(i)");
  StoreResults(connection, dir.Path().string(), Analysis("INC-0001", 0.9), cube);
  const StoredResults results = LoadResults(dir.Path().string());
  EXPECT_EQ(results.analysis, Analysis("INC-0001", 0.9));
  EXPECT_EQ(results.cube_rows, 3);

  Database other;
  Connection reader(other);
  AttachResults(reader, dir.Path().string());
  const Table incidents =
      reader.Query("SELECT id, severity, end_date IS NULL AS open FROM results.incidents");
  ASSERT_EQ(incidents.RowCount(), 1u);
  EXPECT_EQ(incidents.Get("id").StringAt(0), "INC-0001");
  EXPECT_EQ(incidents.Get("open").ints[0], 1);
  // The cube keeps its columns, types and values.
  const Table stored = reader.Query(
      "SELECT slice, depth, date::VARCHAR AS day, orders, cx_sum, typeof(orders) AS orders_type "
      "FROM results.slice_cube ORDER BY date");
  ASSERT_EQ(stored.RowCount(), 3u);
  EXPECT_EQ(stored.Get("slice").StringAt(2), "all");
  EXPECT_EQ(stored.Get("day").StringAt(2), "2026-06-03");
  EXPECT_EQ(stored.Get("orders").ints[2], 10);
  EXPECT_DOUBLE_EQ(stored.Get("cx_sum").doubles[2], 2.5);
  EXPECT_EQ(stored.Get("orders_type").StringAt(0), "INTEGER");
}

TEST(ResultsStoreTest, StoringAgainReplacesTheResultsAndLeavesNoTemporaryFile) {
  TempDir dir;
  Database database;
  Connection connection(database);
  StoreResults(connection, dir.Path().string(), Analysis("INC-0001", 0.9), Table{});
  // A reader holding the old file keeps seeing it while the new one is renamed into place.
  Database old_reader_db;
  Connection old_reader(old_reader_db);
  AttachResults(old_reader, dir.Path().string());
  StoreResults(connection, dir.Path().string(), Analysis("INC-0009", 0.1), Table{});
  EXPECT_EQ(LoadResults(dir.Path().string()).analysis, Analysis("INC-0009", 0.1));
  EXPECT_EQ(old_reader.Query("SELECT id FROM results.incidents").Get("id").StringAt(0), "INC-0001");
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.Path() / ".cxagent")) {
    ++files;
    EXPECT_EQ(entry.path().filename(), "results.duckdb");
  }
  EXPECT_EQ(files, 1u);
  EXPECT_EQ(LoadResults(dir.Path().string()).cube_rows, 0);  // an empty cube
}

// The files of the results folder, by name.
std::vector<std::string> ResultFiles(const TempDir& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir.Path() / ".cxagent")) {
    names.push_back(entry.path().filename().string());
  }
  return names;
}

// An analysis that fails after handing over its cube keeps the previous results and leaves no
// temporary file; so does a cube that cannot be written, whose error Commit reports.
TEST(ResultsStoreTest, AnUncommittedOrFailedWriteKeepsThePreviousResults) {
  TempDir dir;
  Database database;
  Connection connection(database);
  StoreResults(connection, dir.Path().string(), Analysis("INC-0001", 0.9), Table{});
  const Table cube = connection.Query(
      "SELECT 'all' AS slice, 0 AS depth, DATE '2026-06-01' + i::INTEGER AS date, 10 AS orders "
      "FROM range(3) t(i)");
  {
    ResultsWriter writer(connection, dir.Path().string());
    writer.StoreCube(cube);
  }  // no Commit: the analysis failed
  EXPECT_EQ(LoadResults(dir.Path().string()).analysis, Analysis("INC-0001", 0.9));
  EXPECT_EQ(ResultFiles(dir), std::vector<std::string>{"results.duckdb"});

  Table twice = connection.Query("SELECT 1 AS orders, 2 AS orders_again");
  twice.columns[1].name = "orders";  // a column named twice cannot be created
  {
    ResultsWriter writer(connection, dir.Path().string());
    writer.StoreCube(twice);
    const std::string message =
        ErrorMessage([&] { writer.Commit(Analysis("INC-0002", 0.5)); }, ErrorType::INVALID_INPUT);
    EXPECT_NE(message.find("orders"), std::string::npos) << message;
  }
  EXPECT_EQ(LoadResults(dir.Path().string()).analysis, Analysis("INC-0001", 0.9));
  EXPECT_EQ(ResultFiles(dir), std::vector<std::string>{"results.duckdb"});

  // A writer commits once, and takes one cube.
  ResultsWriter writer(connection, dir.Path().string());
  writer.StoreCube(cube);
  ErrorMessage([&] { writer.StoreCube(cube); }, ErrorType::INTERNAL);
  writer.Commit(Analysis("INC-0003", 0.1));
  ErrorMessage([&] { writer.Commit(Analysis("INC-0003", 0.1)); }, ErrorType::INTERNAL);
  EXPECT_EQ(LoadResults(dir.Path().string()).cube_rows, 3);
}

TEST(ResultsStoreTest, LoadingWithoutResultsSaysToRunAnalyze) {
  TempDir dir;
  const std::string message =
      ErrorMessage([&] { LoadResults(dir.Path().string()); }, ErrorType::NOT_FOUND);
  EXPECT_NE(message.find("run cxagent analyze --data"), std::string::npos) << message;
}

}  // namespace
}  // namespace cxagent::storage
