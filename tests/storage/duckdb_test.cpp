#include "storage/duckdb.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/date.hpp"
#include "storage/data_folder.hpp"
#include "storage/dataset.hpp"
#include "support/test_support.hpp"

namespace cxagent::storage {
namespace {

using testing::ErrorMessage;
using testing::TempDir;

// A small table with every column type, NULLs and a dictionary-coded string column.
Table SampleTable() {
  Table table;
  Column& id = table.AddColumn("order_id", ColumnType::BIGINT);
  Column& flag = table.AddColumn("is_batched", ColumnType::BOOLEAN);
  Column& size = table.AddColumn("batch_size", ColumnType::INTEGER);
  Column& eta = table.AddColumn("quoted_eta_min", ColumnType::DOUBLE);
  Column& region = table.AddColumn("region", ColumnType::VARCHAR);
  Column& reason = table.AddColumn("cancel_reason", ColumnType::VARCHAR);
  Column& day = table.AddColumn("order_date", ColumnType::DATE);
  Column& at = table.AddColumn("created_at", ColumnType::TIMESTAMP);
  region.dictionary = {"seattle", "boston"};
  const int rows = 5000;  // more than one DuckDB vector
  for (int i = 0; i < rows; ++i) {
    id.ints.push_back(1000 + i);
    flag.ints.push_back(i % 3 == 0);
    size.ints.push_back(1 + i % 3);
    eta.doubles.push_back(30.5 + i);
    region.ints.push_back(i % 2);
    reason.strings.push_back(i % 7 == 0 ? "no_dasher" : "");
    day.ints.push_back(ParseDate("2026-06-01").days + i % 30);
    at.ints.push_back(int64_t{1780000000} * 1000000 + i);
  }
  for (int i = 0; i < rows; ++i) {
    if (i % 7 != 0) reason.SetNull(static_cast<size_t>(i));
  }
  return table;
}

TEST(DuckDbTest, QueryReturnsTypedColumns) {
  Database database;
  Connection connection(database);
  const Table result = connection.Query(
      "SELECT 42::BIGINT AS a, 1.5 AS b, 'x' AS c, DATE '2026-06-01' AS d, NULL::INTEGER AS e, "
      "sum(x) AS s FROM range(4) t(x)");
  EXPECT_EQ(result.RowCount(), 1u);
  EXPECT_EQ(result.Get("a").ints[0], 42);
  EXPECT_DOUBLE_EQ(result.Get("b").doubles[0], 1.5);
  EXPECT_EQ(result.Get("c").StringAt(0), "x");
  EXPECT_EQ(FormatDate(Date{static_cast<int32_t>(result.Get("d").ints[0])}), "2026-06-01");
  EXPECT_TRUE(result.Get("e").IsNull(0));
  EXPECT_EQ(result.Get("s").ints[0], 6);
}

// Results spanning many chunks, with NULLs in every type, read back row for row.
TEST(DuckDbTest, QueryReadsEveryChunkAndNullOfEachType) {
  Database database;
  Connection connection(database);
  const Table result = connection.Query(
      "SELECT i::BIGINT AS n, CASE WHEN i % 3 = 0 THEN NULL ELSE i * 0.5 END AS x, "
      "CASE WHEN i % 5 = 0 THEN NULL ELSE 'v' || (i % 4) END AS s, "
      "CASE WHEN i % 7 = 0 THEN NULL ELSE i::HUGEINT END AS h, "
      "CASE WHEN i % 2 = 0 THEN NULL ELSE i::INTEGER END AS k FROM range(5000) t(i) ORDER BY i");
  ASSERT_EQ(result.RowCount(), 5000u);
  for (const size_t row : {size_t{0}, size_t{1}, size_t{2047}, size_t{2048}, size_t{4999}}) {
    const auto i = static_cast<int64_t>(row);
    EXPECT_EQ(result.Get("n").ints[row], i);
    EXPECT_EQ(result.Get("x").IsNull(row), i % 3 == 0);
    EXPECT_DOUBLE_EQ(result.Get("x").doubles[row], i % 3 == 0 ? 0.0 : 0.5 * static_cast<double>(i));
    EXPECT_EQ(result.Get("s").IsNull(row), i % 5 == 0);
    EXPECT_EQ(result.Get("s").StringAt(row), i % 5 == 0 ? "" : fmt::format("v{}", i % 4));
    EXPECT_EQ(result.Get("h").ints[row], i % 7 == 0 ? 0 : i);
    EXPECT_EQ(result.Get("k").IsNull(row), i % 2 == 0);
    EXPECT_EQ(result.Get("k").ints[row], i % 2 == 0 ? 0 : i);
  }
}

// An ENUM comes back dictionary-coded: its values once, a code per row.
TEST(DuckDbTest, EnumsAreReadDictionaryCoded) {
  Database database;
  Connection connection(database);
  connection.Execute("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')");
  const Table result = connection.Query(
      "SELECT CASE WHEN i % 4 = 3 THEN NULL ELSE (['happy', 'sad', 'ok'])[i % 4 + 1] END::mood AS "
      "m "
      "FROM range(3000) t(i) ORDER BY i");
  const Column& mood = result.Get("m");
  EXPECT_EQ(mood.type, ColumnType::VARCHAR);
  EXPECT_EQ(mood.dictionary, (std::vector<std::string>{"sad", "ok", "happy"}));
  ASSERT_EQ(result.RowCount(), 3000u);
  EXPECT_EQ(mood.StringAt(0), "happy");
  EXPECT_EQ(mood.StringAt(1), "sad");
  EXPECT_EQ(mood.StringAt(2601), "sad");
  EXPECT_TRUE(mood.IsNull(2603));
  EXPECT_FALSE(mood.IsNull(2602));
  // Written back through an appender, the codes come out as their values.
  connection.Execute("CREATE TABLE copy (m VARCHAR)");
  Appender appender(connection, "copy");
  appender.Append(result);
  appender.Flush();
  const Table counts = connection.Query(
      "SELECT count(*) FILTER (WHERE m = 'ok') AS ok, count(*) FILTER (WHERE m IS NULL) AS none "
      "FROM copy");
  EXPECT_EQ(counts.Get("ok").ints[0], 750);
  EXPECT_EQ(counts.Get("none").ints[0], 750);
}

TEST(DuckDbTest, TempRelationsAndColumnsAreFound) {
  Database database;
  Connection connection(database);
  connection.Execute("CREATE TEMP TABLE leaves AS SELECT 1 AS a, 2 AS b");
  connection.Execute("CREATE TEMP VIEW picked AS SELECT a FROM leaves");
  connection.Execute("CREATE TABLE kept AS SELECT 1 AS a");  // not TEMP
  EXPECT_TRUE(connection.HasTempRelation("leaves"));
  EXPECT_TRUE(connection.HasTempRelation("picked"));
  EXPECT_FALSE(connection.HasTempRelation("kept"));
  EXPECT_FALSE(connection.HasTempRelation("absent"));
  EXPECT_TRUE(connection.HasTempColumn("leaves", "b"));
  EXPECT_TRUE(connection.HasTempColumn("picked", "a"));
  EXPECT_FALSE(connection.HasTempColumn("picked", "b"));
  EXPECT_FALSE(connection.HasTempColumn("absent", "a"));
}

TEST(DuckDbTest, TablesOfAnAttachedDatabaseAreFound) {
  TempDir dir;
  Database database;
  Connection connection(database);
  connection.Execute(fmt::format("ATTACH {} AS stored", SqlLiteral(dir.File("stored.duckdb"))));
  connection.Execute("CREATE TABLE stored.kept AS SELECT 1 AS a");
  connection.Execute("CREATE VIEW stored.shown AS SELECT a FROM stored.kept");
  connection.Execute("CREATE TEMP TABLE leaves AS SELECT 1 AS a");
  EXPECT_TRUE(connection.HasTable("stored", "kept"));
  EXPECT_FALSE(connection.HasTable("stored", "shown"));  // a view
  EXPECT_FALSE(connection.HasTable("stored", "absent"));
  EXPECT_FALSE(connection.HasTable("stored", "leaves"));   // another database's
  EXPECT_FALSE(connection.HasTable("elsewhere", "kept"));  // not attached
  EXPECT_TRUE(connection.HasTable("temp", "leaves"));
  // Read-only, as a refresh attaches the stored results.
  connection.Execute("DETACH stored");
  connection.Execute(
      fmt::format("ATTACH {} AS stored (READ_ONLY)", SqlLiteral(dir.File("stored.duckdb"))));
  EXPECT_TRUE(connection.HasTable("stored", "kept"));
  EXPECT_FALSE(connection.HasTable("stored", "absent"));
}

TEST(DuckDbTest, BadSqlIsReportedWithDuckDbsMessage) {
  Database database;
  Connection connection(database);
  const std::string message = ErrorMessage([&] { connection.Query("SELEC 1"); });
  EXPECT_NE(message.find("syntax error"), std::string::npos) << message;
}

TEST(DuckDbTest, PreparedStatementBindsParameters) {
  Database database;
  Connection connection(database);
  auto statement = connection.Prepare("SELECT ?::BIGINT + 1 AS a, ? AS b, ?::DOUBLE AS c");
  const Table result =
      statement.Bind(1, int64_t{41}).Bind(2, std::string("it's")).BindNull(3).Execute();
  EXPECT_EQ(result.Get("a").ints[0], 42);
  EXPECT_EQ(result.Get("b").StringAt(0), "it's");
  EXPECT_TRUE(result.Get("c").IsNull(0));
}

TEST(DuckDbTest, WritesAndReadsParquetRoundTrip) {
  TempDir dir;
  Database database;
  Connection connection(database);
  const Table table = SampleTable();
  const std::string path = dir.File("orders.parquet");
  WriteTableFile(connection, table, path, FileFormat::PARQUET);
  const Table back = ReadTableFile(connection, path);
  ASSERT_EQ(back.RowCount(), table.RowCount());
  ASSERT_EQ(back.columns.size(), table.columns.size());
  EXPECT_EQ(back.Get("order_id").ints, table.Get("order_id").ints);
  EXPECT_EQ(back.Get("is_batched").ints, table.Get("is_batched").ints);
  EXPECT_EQ(back.Get("batch_size").ints, table.Get("batch_size").ints);
  EXPECT_EQ(back.Get("quoted_eta_min").doubles, table.Get("quoted_eta_min").doubles);
  EXPECT_EQ(back.Get("order_date").type, ColumnType::DATE);
  EXPECT_EQ(back.Get("order_date").ints, table.Get("order_date").ints);
  EXPECT_EQ(back.Get("created_at").ints, table.Get("created_at").ints);
  for (size_t row = 0; row < table.RowCount(); row += 997) {
    EXPECT_EQ(back.Get("region").StringAt(row), table.Get("region").StringAt(row));
    EXPECT_EQ(back.Get("cancel_reason").IsNull(row), table.Get("cancel_reason").IsNull(row));
  }
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.Path()),
                          std::filesystem::directory_iterator()),
            1);
}

TEST(DuckDbTest, WritesCsvWithHeader) {
  TempDir dir;
  Database database;
  Connection connection(database);
  const std::string path = dir.File("orders.csv");
  WriteTableFile(connection, SampleTable(), path, FileFormat::CSV);
  const Table back = ReadTableFile(connection, path);
  EXPECT_EQ(back.RowCount(), 5000u);
  EXPECT_EQ(back.Get("region").StringAt(1), "boston");
}

TEST(DuckDbTest, FailedWriteLeavesNothingBehind) {
  TempDir dir;
  Database database;
  Connection connection(database);
  Table table = SampleTable();
  table.columns[1].ints.pop_back();  // a column shorter than the others
  const std::string path = dir.File("orders.parquet");
  ErrorMessage([&] { WriteTableFile(connection, table, path, FileFormat::PARQUET); },
               ErrorType::INTERNAL);
  EXPECT_TRUE(std::filesystem::is_empty(dir.Path()));
}

TEST(DuckDbTest, ReadingAMissingParquetFileIsNotFound) {
  Database database;
  Connection connection(database);
  EXPECT_EQ(ErrorMessage([&] { ReadTableFile(connection, "/nonexistent/orders.parquet"); },
                         ErrorType::NOT_FOUND),
            "file not found: /nonexistent/orders.parquet");
}

TEST(DuckDbTest, ReadingACorruptParquetFileNamesTheFile) {
  TempDir dir;
  const std::string path = dir.Write("orders.parquet", "this is not parquet at all");
  Database database;
  Connection connection(database);
  const std::string message = ErrorMessage([&] { ReadTableFile(connection, path); });
  EXPECT_EQ(message.rfind("cannot read " + path + ": ", 0), 0u) << message;
  EXPECT_NE(message.find("parquet"), std::string::npos) << message;
}

TEST(EngineErrorTest, KeepsTheFirstLineWithoutTheSqlExcerptOrCandidates) {
  Database database;
  Connection connection(database);
  const std::string message = ErrorMessage(
      [&] { connection.Query("SELECT missing FROM (SELECT 1 AS present, 2 AS other)"); });
  EXPECT_EQ(message, "Binder Error: Referenced column \"missing\" not found in FROM clause!");
}

TEST(EngineErrorTest, ACsvCellThatDoesNotConvertNamesFileLineAndColumn) {
  TempDir dir;
  std::string csv = "order_id,region\n";
  for (int i = 0; i < 100; ++i)
    csv += (i == 55 ? std::string("abc") : std::to_string(i)) + ",west\n";
  const std::string path = dir.Write("orders.csv", csv);
  Database database;
  Connection connection(database);
  const std::string message = ErrorMessage([&] {
    connection.Query(
        fmt::format("SELECT * FROM read_csv({}, header = true, types = {{'order_id': "
                    "'BIGINT'}})",
                    SqlLiteral(path)));
  });
  EXPECT_EQ(message, path +
                         ": line 57: column order_id: could not convert string \"abc\" to "
                         "'BIGINT'");
}

TEST(EngineErrorTest, ASniffingFailureSaysWhyOnOneLine) {
  EXPECT_EQ(EngineErrorMessage("Invalid Input Error: Error when sniffing file \"x.csv\".\nIt was "
                               "not possible to automatically detect the CSV parsing dialect\nThe "
                               "search space used was:\n..."),
            "Invalid Input Error: Error when sniffing file \"x.csv\". It was not possible to "
            "automatically detect the CSV parsing dialect");
  EXPECT_EQ(EngineErrorMessage(std::string("Conversion Error: bad \0 byte\nmore", 33)),
            "Conversion Error: bad \\x00 byte");
}

TEST(DuckDbTest, ReadCsvAsTextKeepsCellsAsText) {
  TempDir dir;
  const std::string path = dir.Write("in.csv", "region,value\nseattle,1.5\nboston,\n");
  Database database;
  Connection connection(database);
  const Table table = ReadCsvAsText(connection, path);
  ASSERT_EQ(table.RowCount(), 2u);
  EXPECT_EQ(table.Get("value").type, ColumnType::VARCHAR);
  EXPECT_EQ(table.Get("value").StringAt(0), "1.5");
  EXPECT_TRUE(table.Get("value").IsNull(1));
}

TEST(DuckDbTest, ReadCsvAsTextRejectsAnEmptyFile) {
  TempDir dir;
  const std::string path = dir.Write("in.csv", "");
  Database database;
  Connection connection(database);
  EXPECT_EQ(ErrorMessage([&] { ReadCsvAsText(connection, path); }), path + " is empty");
}

TEST(DuckDbTest, FileFormatParsingNamesTheAllowedValues) {
  EXPECT_EQ(ParseFileFormat("csv"), FileFormat::CSV);
  EXPECT_EQ(ErrorMessage([] { ParseFileFormat("xlsx"); }),
            "format 'xlsx' is not one of parquet, csv");
}

TEST(DuckDbTest, StreamTextHandsOverEveryRowChunkByChunk) {
  Database database;
  Connection connection(database);
  uint64_t seen = 0;
  size_t chunks = 0;
  int64_t sum = 0;
  size_t nulls = 0;
  const uint64_t rows = connection.StreamText(
      "SELECT CAST(i AS VARCHAR) AS i, CASE WHEN i % 7 = 0 THEN NULL ELSE 'x' || i END AS s "
      "FROM range(10000) t(i)",
      [&](const TextChunk& chunk) {
        ++chunks;
        ASSERT_EQ(chunk.ColumnCount(), 2U);
        for (size_t row = 0; row < chunk.RowCount(); ++row) {
          const auto i = chunk.Cell(row, 0);
          ASSERT_TRUE(i.has_value());
          sum += std::stoll(std::string(*i));
          const auto text = chunk.Cell(row, 1);
          if (!text) {
            ++nulls;
          } else {
            EXPECT_EQ(*text, "x" + std::string(*i));
          }
        }
        seen += chunk.RowCount();
      });
  EXPECT_EQ(rows, 10000U);
  EXPECT_EQ(seen, 10000U);
  EXPECT_GT(chunks, 1U);
  EXPECT_EQ(sum, 9999 * 10000 / 2);
  EXPECT_EQ(nulls, 1429U);  // 0, 7, ..., 9996
}

TEST(DuckDbTest, StreamTextRefusesColumnsThatAreNotText) {
  Database database;
  Connection connection(database);
  EXPECT_EQ(ErrorMessage(
                [&] { connection.StreamText("SELECT 'a' AS s, 1 AS n", [](const TextChunk&) {}); }),
            "StreamText: column 2 (n) is not VARCHAR");
}

TEST(DuckDbTest, StreamTextFailsOnAnErrorAfterTheFirstChunks) {
  Database database;
  Connection connection(database);
  // The bad value is far into the result (past DuckDB's streaming buffer), so it is met after
  // rows were handed over; one thread keeps the rows in order.
  connection.Execute("SET threads = 1");
  uint64_t seen = 0;
  const std::string message = ErrorMessage([&] {
    connection.StreamText(
        "SELECT CAST(CAST(CASE WHEN i < 2900000 THEN '1' ELSE 'x' END AS INTEGER) AS VARCHAR) "
        "AS v FROM range(3000000) t(i)",
        [&](const TextChunk& chunk) { seen += chunk.RowCount(); });
  });
  EXPECT_NE(message.find("Could not convert string 'x' to INT32"), std::string::npos) << message;
  EXPECT_GT(seen, 0U);
  EXPECT_LT(seen, 3000000U);
}

TEST(DuckDbTest, QuotesLiteralsAndIdentifiers) {
  EXPECT_EQ(SqlLiteral("it's"), "'it''s'");
  EXPECT_EQ(SqlIdentifier("a\"b"), "\"a\"\"b\"");
}

TEST(DataFolderTest, SummarizesTheOrdersTable) {
  TempDir dir;
  Database database;
  Connection connection(database);
  Table orders = SampleTable();
  orders.AddColumn("status", ColumnType::VARCHAR).strings.assign(5000, "delivered");
  WriteTableFile(connection, orders, dir.File("orders.parquet"), FileFormat::PARQUET);
  const DataSummary summary =
      SummarizeData(connection, Dataset::Open(connection, {.folder = dir.Path().string()}));
  EXPECT_EQ(summary.orders, 5000);
  EXPECT_EQ(summary.start_date, "2026-06-01");
  EXPECT_EQ(summary.end_date, "2026-06-30");
}

TEST(DataFolderTest, AMissingOrdersTableNamesWhatWasLookedFor) {
  TempDir dir;
  Database database;
  Connection connection(database);
  EXPECT_EQ(ErrorMessage([&] { Dataset::Open(connection, {.folder = dir.Path().string()}); }),
            "data folder " + dir.Path().string() +
                " has no orders table (expected orders.parquet, orders/*.parquet or orders.csv)");
}

TEST(DataFolderTest, AMissingFolderIsNotFound) {
  Database database;
  Connection connection(database);
  EXPECT_EQ(ErrorMessage([&] { Dataset::Open(connection, {.folder = "/nonexistent/data"}); },
                         ErrorType::NOT_FOUND),
            "data folder not found: /nonexistent/data");
}

}  // namespace
}  // namespace cxagent::storage

namespace cxagent::storage {
namespace {

TEST(TableTest, NullsCanBeMarkedWhileRowsAreStillBeingAdded) {
  Column column;
  column.name = "reason";
  column.type = ColumnType::VARCHAR;
  for (int row = 0; row < 4; ++row) {
    column.strings.push_back("x");
    if (row == 1) column.SetNull(1);
  }
  EXPECT_FALSE(column.IsNull(0));
  EXPECT_TRUE(column.IsNull(1));
  EXPECT_FALSE(column.IsNull(3));  // past the end of the mask: valid

  Table table;
  table.columns.push_back(column);
  Database database;
  Connection connection(database);
  TempDir dir;
  WriteTableFile(connection, table, dir.File("t.parquet"), FileFormat::PARQUET);
  const Table back = ReadTableFile(connection, dir.File("t.parquet"));
  EXPECT_TRUE(back.columns[0].IsNull(1));
  EXPECT_FALSE(back.columns[0].IsNull(3));
}

}  // namespace
}  // namespace cxagent::storage
