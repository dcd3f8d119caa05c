#include "storage/csv_records.hpp"

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "support/test_support.hpp"

namespace cxagent::storage {
namespace {

using testing::TempDir;

CsvRecords Read(const std::string& text) {
  TempDir dir;
  Database database;
  Connection connection(database);
  return ReadCsvRecords(connection, dir.Write("in.csv", text), "in.csv");
}

TEST(CsvRecords, SplitsQuotedCellsAndTellsTheLineEachRecordStartsOn) {
  const auto csv = Read("a,b\r\n\"x, \"\"y\"\"\",\"two\nlines\"\r\n\r\n\"\",3\r\n");
  ASSERT_TRUE(csv.problems.empty());
  ASSERT_EQ(csv.records.size(), 3u);
  EXPECT_EQ(csv.records[0].line, 1u);
  EXPECT_EQ(csv.records[0].cells, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(csv.records[1].line, 2u);
  EXPECT_EQ(csv.records[1].cells, (std::vector<std::string>{"x, \"y\"", "two\nlines"}));
  EXPECT_EQ(csv.records[2].line, 5u);
  EXPECT_EQ(csv.records[2].cells, (std::vector<std::string>{"", "3"}));
}

TEST(CsvRecords, RecordsOfAnotherWidthAreProblemsWithTheirLineAndCellCount) {
  const auto csv = Read("a,b,c\n1,2,3\n\n4,5\n\"6\n\",7,8,9\n10,11,12\n");
  ASSERT_EQ(csv.records.size(), 3u);
  EXPECT_EQ(csv.records[2].line, 7u);
  ASSERT_EQ(csv.problems.size(), 2u);
  EXPECT_EQ(csv.problems[0].kind, CsvProblem::Kind::CELL_COUNT);
  EXPECT_EQ(csv.problems[0].line, 4u);
  EXPECT_EQ(csv.problems[0].cells, 2u);
  EXPECT_EQ(csv.problems[1].line, 5u);
  EXPECT_EQ(csv.problems[1].cells, 4u);
}

TEST(CsvRecords, AnUnclosedQuoteIsAProblemOnTheLineItOpens) {
  const auto csv = Read("a,b\n1,2\n\"3,4\n5,6\n");
  ASSERT_EQ(csv.records.size(), 2u);
  ASSERT_EQ(csv.problems.size(), 1u);
  EXPECT_EQ(csv.problems[0].kind, CsvProblem::Kind::UNCLOSED_QUOTE);
  EXPECT_EQ(csv.problems[0].line, 3u);
}

// Found by the leaf_csv fuzzer: a quoted cell across a line break, followed by other
// characters and a CRLF, is split into records the lines cannot be matched to. That is the
// file's fault, said as such, not an internal error.
TEST(CsvRecords, RecordsThatCannotBeMatchedToTheirLinesAreInvalidInput) {
  try {
    Read("merchant,real,predict\n\"a, \"\"b\"\"\",1,2\n\"c,\n,d3\"4\r\ne,5,6\n");
    FAIL() << "expected InvalidInput";
  } catch (const Error& error) {
    EXPECT_EQ(error.Type(), ErrorType::INVALID_INPUT) << error.what();
    EXPECT_NE(std::string(error.what()).find("in.csv: 1 record(s) after line"), std::string::npos)
        << error.what();
  }
}

TEST(CsvRecords, EmptyOrBlankFilesHaveNoRecords) {
  EXPECT_TRUE(Read("").records.empty());
  EXPECT_TRUE(Read("\n\r\n\n").records.empty());
}

TEST(CsvRecords, MissingFileIsNotFound) {
  Database database;
  Connection connection(database);
  try {
    ReadCsvRecords(connection, "/nonexistent/in.csv", "in.csv");
    FAIL() << "expected NotFound";
  } catch (const Error& error) {
    EXPECT_EQ(error.Type(), ErrorType::NOT_FOUND);
  }
}

}  // namespace
}  // namespace cxagent::storage
