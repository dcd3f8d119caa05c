#include "storage/results_store.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "common/date.hpp"
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

// A cube held back (StoreCube's `held`) is not written until Release, and Commit writes it then.
TEST(ResultsStoreTest, AHeldCubeIsWrittenOnceReleased) {
  TempDir dir;
  Database database;
  Connection connection(database);
  const Table cube = connection.Query(
      "SELECT 'all' AS slice, 0 AS depth, DATE '2026-06-01' + i::INTEGER AS date, 10 AS orders "
      "FROM range(3) t(i)");
  const auto cube_tables = [&connection] {
    return connection
        .Query(
            "SELECT count(*) AS n FROM duckdb_tables() WHERE database_name = 'cx_results_new' AND "
            "table_name = 'slice_cube'")
        .Get("n")
        .ints.at(0);
  };
  {
    ResultsWriter writer(connection, dir.Path().string());
    writer.StoreCube(cube, nullptr, true);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(cube_tables(), 0);
    writer.Release();
    writer.Commit(Analysis("INC-0001", 0.9));
  }
  EXPECT_EQ(LoadResults(dir.Path().string()).cube_rows, 3);
  // Committed without a Release.
  ResultsWriter writer(connection, dir.Path().string());
  writer.StoreCube(cube, nullptr, true);
  writer.Commit(Analysis("INC-0002", 0.9));
  EXPECT_EQ(LoadResults(dir.Path().string()).analysis, Analysis("INC-0002", 0.9));
  EXPECT_EQ(LoadResults(dir.Path().string()).cube_rows, 3);
}

// The files of the results folder, by name.
std::vector<std::string> ResultFiles(const std::filesystem::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(folder / ".cxagent")) {
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
  EXPECT_EQ(ResultFiles(dir.Path()), std::vector<std::string>{"results.duckdb"});

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
  EXPECT_EQ(ResultFiles(dir.Path()), std::vector<std::string>{"results.duckdb"});

  // A writer commits once, and takes one cube.
  ResultsWriter writer(connection, dir.Path().string());
  writer.StoreCube(cube);
  ErrorMessage([&] { writer.StoreCube(cube); }, ErrorType::INTERNAL);
  writer.Commit(Analysis("INC-0003", 0.1));
  ErrorMessage([&] { writer.Commit(Analysis("INC-0003", 0.1)); }, ErrorType::INTERNAL);
  EXPECT_EQ(LoadResults(dir.Path().string()).cube_rows, 3);
}

// A cube of `slices` (slice text) over the days from 2026-06-01 on, `days` of them, in slice and
// date order; a slice's row of a day is the same in every cube.
Table CubeOf(Connection& connection, const std::vector<std::string>& slices, int days) {
  std::vector<std::string> values;
  for (const auto& slice : slices) values.push_back(fmt::format("('{}')", slice));
  return connection.Query(fmt::format(
      "SELECT s AS slice, 1 AS depth, DATE '2026-06-01' + d::INTEGER AS date, (d * 10 + "
      "length(s))::BIGINT AS orders, d * 1.5 + length(s) AS cx_sum FROM (VALUES {}) t(s), "
      "range({}) r(d) ORDER BY slice, date",
      fmt::join(values, ", "), days));
}

// Stages what a refresh hands the writer: TEMP `refresh_state` naming `generation`, and RCA
// artifacts (rca_models, rca_samples) of the incidents `ids`.
void Stage(Connection& connection, const std::string& generation,
           const std::vector<std::string>& ids) {
  connection.Execute(
      "CREATE OR REPLACE TEMP TABLE refresh_state (name VARCHAR, value VARCHAR); "
      "CREATE OR REPLACE TEMP TABLE rca_models (incident_id VARCHAR, model VARCHAR); "
      "CREATE OR REPLACE TEMP TABLE rca_samples (incident_id VARCHAR, row_no INTEGER, x DOUBLE)");
  connection.Prepare("INSERT INTO refresh_state VALUES ('leaves_generation', ?)")
      .Bind(1, generation)
      .Execute();
  for (const auto& id : ids) {
    connection.Prepare("INSERT INTO rca_models VALUES (?, 'model of ' || ?)")
        .Bind(1, id)
        .Bind(2, id)
        .Execute();
    connection.Prepare("INSERT INTO rca_samples SELECT ?, i::INTEGER, i * 0.5 FROM range(100) t(i)")
        .Bind(1, id)
        .Execute();
  }
}

// Stores results as an analysis does: the cube, the staged tables, `analysis`.
void StoreAnalysis(Connection& connection, const std::string& folder, const Table& cube,
                   const nlohmann::json& analysis) {
  ResultsWriter writer(connection, folder);
  writer.StoreCube(cube);
  writer.StoreTempTable("refresh_state");
  writer.Commit(analysis);
}

std::string ResultsOf(const std::string& folder) {
  return ResultsPath(folder);
}

// The names of the tables of the results of `folder`, sorted.
std::vector<std::string> TablesOf(Connection& connection, const std::string& folder) {
  connection.Execute(fmt::format("ATTACH {} AS t (READ_ONLY)", SqlLiteral(ResultsOf(folder))));
  const Table rows = connection.Query(
      "SELECT table_name FROM duckdb_tables() WHERE database_name = 't' ORDER BY 1");
  connection.Execute("DETACH t");
  std::vector<std::string> names;
  for (size_t row = 0; row < rows.RowCount(); ++row) {
    names.emplace_back(rows.Get("table_name").StringAt(row));
  }
  return names;
}

// Rows of `table` in one folder's results and not in the other's (as multisets, both ways).
int64_t DifferingRows(Connection& connection, const std::string& a, const std::string& b,
                      const std::string& table) {
  connection.Execute(fmt::format("ATTACH {} AS a (READ_ONLY); ATTACH {} AS b (READ_ONLY)",
                                 SqlLiteral(ResultsOf(a)), SqlLiteral(ResultsOf(b))));
  const int64_t n =
      connection
          .Query(fmt::format("SELECT count(*) AS n FROM ((SELECT * FROM a.{0} EXCEPT ALL SELECT * "
                             "FROM b.{0}) UNION ALL (SELECT * FROM b.{0} EXCEPT ALL SELECT * FROM "
                             "a.{0}))",
                             table))
          .Get("n")
          .ints.at(0);
  connection.Execute("DETACH a; DETACH b");
  return n;
}

// `select` over the results of `folder` (attached as r), as text rows.
std::vector<std::string> RowsOf(Connection& connection, const std::string& folder,
                                const std::string& select) {
  connection.Execute(fmt::format("ATTACH {} AS r (READ_ONLY)", SqlLiteral(ResultsOf(folder))));
  const Table rows = connection.Query(select);
  connection.Execute("DETACH r");
  std::vector<std::string> out;
  for (size_t row = 0; row < rows.RowCount(); ++row) {
    std::string text;
    for (const auto& column : rows.columns) {
      text += column.type == ColumnType::VARCHAR  ? std::string(column.StringAt(row))
              : column.type == ColumnType::DOUBLE ? fmt::format("{}", column.doubles[row])
                                                  : fmt::format("{}", column.ints[row]);
      text += "|";
    }
    out.push_back(std::move(text));
  }
  return out;
}

// The refresh of a stored analysis (cube of slices a, b, c over 3 days; artifacts of INC-1 and
// INC-2): the cube gains a day, drops b and takes d (of every day); INC-1's artifacts are kept,
// INC-3's are new.
struct RefreshInputs {
  Table cube;
  CubeChanges changes;
};

// Attaches the results stored in `folder` as a refresh does (cx_previous, read only).
void AttachStored(Connection& connection, const std::string& folder) {
  connection.Execute(
      fmt::format("ATTACH {} AS cx_previous (READ_ONLY)", SqlLiteral(ResultsOf(folder))));
}

RefreshInputs StoreBeforeTheRefresh(Connection& connection, const std::string& folder) {
  Stage(connection, "gen-1", {"INC-1", "INC-2"});
  StoreAnalysis(connection, folder, CubeOf(connection, {"a", "b", "c"}, 3), Analysis("INC-1", 0.9));
  Stage(connection, "gen-2", {"INC-3"});
  RefreshInputs inputs{CubeOf(connection, {"a", "c", "d"}, 4), {}};
  inputs.changes.days = {ParseDate("2026-06-04").days};
  inputs.changes.dropped = {"b"};
  inputs.changes.added = {"d"};
  return inputs;
}

// Writes the refresh's results into `folder` (whose stored results are attached as cx_previous
// while it runs), from a copy of them when `in_place`.
bool WriteRefresh(Connection& connection, const std::string& folder, const RefreshInputs& inputs,
                  bool in_place, std::string* why_anew = nullptr) {
  AttachStored(connection, folder);
  bool from_stored = false;
  {
    ResultsWriter writer(connection, folder, in_place ? "cx_previous" : "");
    writer.StoreCube(inputs.cube, &inputs.changes);
    for (const char* table : {"rca_models", "rca_samples"}) {
      writer.KeepStoredRows(table, {"INC-1"}, fmt::format("cx_previous.{}", table));
    }
    writer.StoreTempTable("refresh_state");
    writer.Commit(Analysis("INC-3", 0.5));
    from_stored = writer.FromStored();
    if (why_anew != nullptr) *why_anew = writer.WhyAnew();
  }
  connection.Execute("DETACH cx_previous");
  return from_stored;
}

// The cube's rows of the results of `folder`, read in slice and date order.
std::vector<std::string> StoredCube(Connection& connection, const std::string& folder) {
  return RowsOf(connection, folder, "SELECT * FROM r.slice_cube ORDER BY slice, date");
}

std::vector<std::string> CubeText(const Table& cube) {
  std::vector<std::string> out;
  for (size_t row = 0; row < cube.RowCount(); ++row) {
    out.push_back(fmt::format("{}|{}|{}|{}|{}|", cube.Get("slice").StringAt(row),
                              cube.Get("depth").ints[row], cube.Get("date").ints[row],
                              cube.Get("orders").ints[row], cube.Get("cx_sum").doubles[row]));
  }
  return out;
}

// A refresh's results built from a copy of the stored ones, its cube changed in place, hold the
// tables and rows of the same results written anew.
TEST(ResultsStoreTest, ACopyOfTheStoredResultsChangedInPlaceEqualsResultsWrittenAnew) {
  TempDir dir;
  Database database;
  Connection connection(database);
  const std::string in_place = dir.File("in-place");
  const std::string anew = dir.File("anew");
  const RefreshInputs inputs = StoreBeforeTheRefresh(connection, in_place);
  StoreBeforeTheRefresh(connection, anew);
  EXPECT_TRUE(WriteRefresh(connection, in_place, inputs, true));
  EXPECT_FALSE(WriteRefresh(connection, anew, inputs, false));

  const std::vector<std::string> tables = TablesOf(connection, in_place);
  EXPECT_EQ(tables, TablesOf(connection, anew));
  EXPECT_EQ(tables, (std::vector<std::string>{"analysis", "incidents", "rca_models", "rca_samples",
                                              "refresh_state", "slice_cube"}));
  for (const auto& table : tables) {
    EXPECT_EQ(DifferingRows(connection, in_place, anew, table), 0) << table;
  }
  // The cube read in order is the refresh's, and its stored rows stayed where they were: the new
  // ones come after them.
  EXPECT_EQ(StoredCube(connection, in_place), CubeText(inputs.cube));
  const std::vector<std::string> physical =
      RowsOf(connection, in_place, "SELECT slice, date FROM r.slice_cube");
  std::vector<std::string> ordered = physical;
  std::sort(ordered.begin(), ordered.end());
  EXPECT_NE(physical, ordered);
  // INC-2's artifacts went, INC-1's stayed, INC-3's came.
  EXPECT_EQ(RowsOf(connection, in_place,
                   "SELECT incident_id, count(*) FROM r.rca_samples GROUP BY 1 ORDER BY 1"),
            (std::vector<std::string>{"INC-1|100|", "INC-3|100|"}));
  EXPECT_EQ(RowsOf(connection, in_place, "SELECT value FROM r.refresh_state"),
            std::vector<std::string>{"gen-2|"});
  EXPECT_EQ(LoadResults(in_place).analysis, Analysis("INC-3", 0.5));
  EXPECT_EQ(ResultFiles(dir.Path() / "in-place"), std::vector<std::string>{"results.duckdb"});
}

// An append (the new day after the stored ones, the added slice left out of them) deletes only
// the dropped slice's rows and gives the same cube.
TEST(ResultsStoreTest, AnAppendDeletesOnlyTheDroppedSlicesRows) {
  TempDir dir;
  Database database;
  Connection connection(database);
  const std::string in_place = dir.File("in-place");
  RefreshInputs inputs = StoreBeforeTheRefresh(connection, in_place);
  inputs.changes.appended = true;
  EXPECT_TRUE(WriteRefresh(connection, in_place, inputs, true));
  EXPECT_EQ(StoredCube(connection, in_place), CubeText(inputs.cube));
}

// Total and free blocks of the results of `folder`.
std::pair<int64_t, int64_t> BlocksOf(Connection& connection, const std::string& folder) {
  connection.Execute(fmt::format("ATTACH {} AS r (READ_ONLY)", SqlLiteral(ResultsOf(folder))));
  const Table size = connection.Query(
      "SELECT total_blocks, free_blocks FROM pragma_database_size() WHERE database_name = 'r'");
  connection.Execute("DETACH r");
  return {size.Get("total_blocks").ints.at(0), size.Get("free_blocks").ints.at(0)};
}

// Stored results more than half free space (a large table dropped from them) are written anew,
// compact, rather than copied and changed in place.
TEST(ResultsStoreTest, StoredResultsMostlyFreeSpaceAreWrittenAnew) {
  TempDir dir;
  Database database;
  Connection connection(database);
  const std::string folder = dir.File("grown");
  const RefreshInputs inputs = StoreBeforeTheRefresh(connection, folder);
  connection.Execute(fmt::format(
      "ATTACH {} AS r; CREATE TABLE r.filler AS SELECT random() AS a, random() AS b FROM "
      "range(1000000); CHECKPOINT r; CREATE TABLE r.later AS SELECT 1 AS x; CHECKPOINT r; DROP "
      "TABLE r.filler; DETACH r",
      SqlLiteral(ResultsOf(folder))));
  const auto [total, free] = BlocksOf(connection, folder);
  ASSERT_GT(static_cast<double>(free), ResultsWriter::GROWTH_LIMIT * static_cast<double>(total))
      << free << " of " << total << " blocks free";
  std::string why;
  EXPECT_FALSE(WriteRefresh(connection, folder, inputs, true, &why));
  EXPECT_NE(why.find(fmt::format("{} of the stored file's {} blocks are free", free, total)),
            std::string::npos)
      << why;
  EXPECT_EQ(StoredCube(connection, folder), CubeText(inputs.cube));
  EXPECT_EQ(BlocksOf(connection, folder).second, 0);
  EXPECT_LT(BlocksOf(connection, folder).first, total / 2);
  EXPECT_EQ(TablesOf(connection, folder),
            (std::vector<std::string>{"analysis", "incidents", "rca_models", "rca_samples",
                                      "refresh_state", "slice_cube"}));
}

// Results renamed into place after the refresh read the stored ones (another analysis of the
// folder) are not those its changes apply to: the refresh's results are written anew.
TEST(ResultsStoreTest, ResultsReplacedSinceTheRefreshReadThemAreNotCopied) {
  TempDir dir;
  Database database;
  Connection connection(database);
  const std::string folder = dir.File("replaced");
  const RefreshInputs inputs = StoreBeforeTheRefresh(connection, folder);
  AttachStored(connection, folder);
  {
    Database other_database;
    Connection other(other_database);
    Stage(other, "gen-other", {"INC-9"});
    StoreAnalysis(other, folder, CubeOf(other, {"x"}, 5), Analysis("INC-9", 0.1));
  }
  {
    ResultsWriter writer(connection, folder, "cx_previous");
    EXPECT_FALSE(writer.FromStored());
    EXPECT_NE(writer.WhyAnew().find("is no longer the file the refresh read"), std::string::npos)
        << writer.WhyAnew();
    writer.StoreCube(inputs.cube, &inputs.changes);
    writer.StoreTempTable("refresh_state");
    writer.Commit(Analysis("INC-3", 0.5));
  }
  connection.Execute("DETACH cx_previous");
  EXPECT_EQ(StoredCube(connection, folder), CubeText(inputs.cube));
  EXPECT_EQ(RowsOf(connection, folder, "SELECT value FROM r.refresh_state"),
            std::vector<std::string>{"gen-2|"});
}

// A refresh that fails after its copy of the stored results was changed (or is destroyed before
// committing) leaves the stored results as they were and no temporary file.
TEST(ResultsStoreTest, AFailedRefreshLeavesTheStoredResultsAndNoCopy) {
  TempDir dir;
  Database database;
  Connection connection(database);
  const std::string folder = dir.File("failing");
  const RefreshInputs inputs = StoreBeforeTheRefresh(connection, folder);
  const std::vector<std::string> before = StoredCube(connection, folder);
  const auto unchanged = [&] {
    EXPECT_EQ(StoredCube(connection, folder), before);
    EXPECT_EQ(LoadResults(folder).analysis, Analysis("INC-1", 0.9));
    EXPECT_EQ(RowsOf(connection, folder, "SELECT value FROM r.refresh_state"),
              std::vector<std::string>{"gen-1|"});
    EXPECT_EQ(ResultFiles(folder), std::vector<std::string>{"results.duckdb"});
  };
  AttachStored(connection, folder);
  {
    ResultsWriter writer(connection, folder, "cx_previous");
    ASSERT_TRUE(writer.FromStored());
    writer.StoreCube(inputs.cube, &inputs.changes);
  }  // no Commit: the analysis failed
  unchanged();
  {
    ResultsWriter writer(connection, folder, "cx_previous");
    ASSERT_TRUE(writer.FromStored());
    writer.StoreCube(inputs.cube, &inputs.changes);
    writer.KeepStoredRows("rca_samples", {"INC-1"}, "cx_previous.rca_samples");
    // Fails after the copy's cube and artifacts were changed.
    writer.StoreTempTable("no_such_table");
    ErrorMessage([&] { writer.Commit(Analysis("INC-3", 0.5)); }, ErrorType::INVALID_INPUT);
  }
  unchanged();
  connection.Execute("DETACH cx_previous");
  // Only the artifact tables keep stored rows.
  ResultsWriter writer(connection, folder);
  ErrorMessage([&] { writer.KeepStoredRows("incidents", {"INC-1"}, "cx_previous.incidents"); },
               ErrorType::INTERNAL);
}

// A copy whose cube cannot take the changes (here a stored cube with a column the new one does not
// have) is dropped: the writer starts over with a new file, which holds the refresh's results.
TEST(ResultsStoreTest, ACopyThatCannotBeChangedIsWrittenAnew) {
  TempDir dir;
  Database database;
  Connection connection(database);
  const std::string folder = dir.File("unfit");
  const RefreshInputs inputs = StoreBeforeTheRefresh(connection, folder);
  connection.Execute(
      fmt::format("ATTACH {} AS r; ALTER TABLE r.slice_cube ADD COLUMN extra BIGINT; DETACH r",
                  SqlLiteral(ResultsOf(folder))));
  AttachStored(connection, folder);
  {
    ResultsWriter writer(connection, folder, "cx_previous");
    ASSERT_TRUE(writer.FromStored());
    writer.StoreCube(inputs.cube, &inputs.changes);
    writer.KeepStoredRows("rca_samples", {"INC-1"}, "cx_previous.rca_samples");
    writer.KeepStoredRows("rca_models", {"INC-1"}, "cx_previous.rca_models");
    writer.StoreTempTable("refresh_state");
    writer.Commit(Analysis("INC-3", 0.5));
    EXPECT_FALSE(writer.FromStored());
    EXPECT_NE(writer.WhyAnew().find("cannot be updated (cannot append rows"), std::string::npos)
        << writer.WhyAnew();
  }
  connection.Execute("DETACH cx_previous");
  EXPECT_EQ(StoredCube(connection, folder), CubeText(inputs.cube));
  EXPECT_EQ(RowsOf(connection, folder,
                   "SELECT incident_id, count(*) FROM r.rca_samples GROUP BY 1 ORDER BY 1"),
            (std::vector<std::string>{"INC-1|100|", "INC-3|100|"}));
  EXPECT_EQ(ResultFiles(folder), std::vector<std::string>{"results.duckdb"});
}

TEST(ResultsStoreTest, LoadingWithoutResultsSaysToRunAnalyze) {
  TempDir dir;
  const std::string message =
      ErrorMessage([&] { LoadResults(dir.Path().string()); }, ErrorType::NOT_FOUND);
  EXPECT_NE(message.find("run cxagent analyze --data"), std::string::npos) << message;
}

}  // namespace
}  // namespace cxagent::storage
