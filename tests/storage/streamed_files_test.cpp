#include "storage/streamed_files.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "common/error.hpp"
#include "support/test_support.hpp"

namespace cxagent::storage {
namespace {

using testing::TempDir;

// An empty table: an id, a dictionary-coded string with NULLs, a double.
Table Schema() {
  Table table;
  table.AddColumn("id", ColumnType::BIGINT);
  table.AddColumn("region", ColumnType::VARCHAR).dictionary = {"seattle", "boston"};
  table.AddColumn("eta", ColumnType::DOUBLE);
  return table;
}

// Rows [first, first + count) of the sample: region NULL on every fifth row.
Table Rows(int first, int count) {
  Table table = Schema();
  for (int i = first; i < first + count; ++i) {
    table.columns[0].ints.push_back(i);
    table.columns[1].ints.push_back(i % 2);
    if (i % 5 == 0) table.columns[1].SetNull(table.columns[1].ints.size() - 1);
    table.columns[2].doubles.push_back(0.5 * i);
  }
  return table;
}

// A chunk of one table per file, the same rows in both.
StreamedFiles::Chunk Chunk(int first, int count) {
  auto tables = std::make_shared<std::vector<Table>>();
  tables->push_back(Rows(first, count));
  tables->push_back(Rows(first, count));
  return {tables, {&(*tables)[0], &(*tables)[1]}};
}

TEST(StreamedFiles, WritesEveryChunkInOrderToEachFile) {
  TempDir dir;
  for (FileFormat format : {FileFormat::PARQUET, FileFormat::CSV}) {
    const std::string extension(FileExtension(format));
    const std::string a = dir.File("a." + extension), b = dir.File("b." + extension);
    {
      StreamedFiles files({{"a", Schema(), a}, {"b", Schema(), b}}, format, "snappy");
      // More chunks than the writers may lag behind, some longer than a DuckDB vector.
      int next = 0;
      for (int chunk = 0; chunk < 20; ++chunk) {
        const int count = chunk % 3 == 0 ? 3000 : 7;
        files.Push(Chunk(next, count));
        next += count;
      }
      files.Finish();
    }
    Database database;
    Connection connection(database);
    for (const std::string& path : {a, b}) {
      const Table back =
          connection.Query("SELECT id, CAST(region AS VARCHAR) AS region, eta FROM '" + path + "'");
      ASSERT_EQ(back.RowCount(), 7 * 3000u + 13 * 7u) << path;
      for (size_t row = 0; row < back.RowCount(); ++row) {
        ASSERT_EQ(back.Get("id").ints[row], static_cast<int64_t>(row)) << path;
        EXPECT_EQ(back.Get("eta").doubles[row], 0.5 * static_cast<double>(row));
        if (row % 5 == 0) {
          EXPECT_TRUE(back.Get("region").IsNull(row)) << row;
        } else {
          EXPECT_EQ(back.Get("region").StringAt(row), row % 2 ? "boston" : "seattle");
        }
      }
    }
  }
}

TEST(StreamedFiles, AFailedWriterIsReportedNamingItsFile) {
  TempDir dir;
  StreamedFiles files({{"good", Schema(), dir.File("good.parquet")},
                       {"bad", Schema(), dir.File("missing/folder/bad.parquet")}},
                      FileFormat::PARQUET, "snappy");
  try {
    for (int chunk = 0; chunk < 100; ++chunk) files.Push(Chunk(chunk * 10, 10));
    files.Finish();
    FAIL() << "expected IoError";
  } catch (const Error& error) {
    EXPECT_EQ(error.Type(), ErrorType::IO);
    EXPECT_NE(std::string(error.what()).find("writing bad failed"), std::string::npos)
        << error.what();
  }
}

TEST(StreamedFiles, StopsItsWritersWhenDestroyedUnfinished) {
  TempDir dir;
  {
    StreamedFiles files(
        {{"a", Schema(), dir.File("a.parquet")}, {"b", Schema(), dir.File("b.csv")}},
        FileFormat::PARQUET, "zstd");
    files.Push(Chunk(0, 10));
  }  // must not hang waiting for more chunks
  SUCCEED();
}

}  // namespace
}  // namespace cxagent::storage
