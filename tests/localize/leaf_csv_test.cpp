#include "localize/leaf_csv.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "common/error.hpp"
#include "support/test_support.hpp"

namespace cxagent::localize {
namespace {

// Reads `text` as the file leaves.csv.
LeafTable ParseLeafCsv(const std::string& text, const std::string& name = "leaves.csv") {
  const cxagent::testing::TempDir dir;
  return ReadLeafCsv(dir.Write(name, text));
}

// The message of the error that reading `text` throws, checking that it is InvalidInput and one
// line.
std::string ParseError(const std::string& text) {
  try {
    ParseLeafCsv(text);
  } catch (const Error& error) {
    EXPECT_EQ(error.Type(), ErrorType::INVALID_INPUT);
    EXPECT_EQ(std::string(error.what()).find('\n'), std::string::npos) << error.what();
    return error.what();
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return "";
}

TEST(LeafCsvTest, RatioColumnsGiveARatioTableWithEveryOtherColumnADimension) {
  auto table = ParseLeafCsv(
      "cdn,real_num,real_den,predict_num,predict_den,isp\r\n3,9,10,9.5,10,a\r\n4,5,5,5,5,b\r\n",
      "x.csv");
  EXPECT_EQ(table.kind, MetricKind::RATIO);
  EXPECT_EQ(table.dimensions, (std::vector<std::string>{"cdn", "isp"}));
  ASSERT_EQ(table.leaves.size(), 2u);
  EXPECT_EQ(table.leaves[0].values, (std::vector<std::string>{"3", "a"}));
  EXPECT_DOUBLE_EQ(table.leaves[0].predict_num, 9.5);
}

TEST(LeafCsvTest, QuotedCellsKeepCommasAndQuotes) {
  auto table = ParseLeafCsv("merchant,real,predict\n\"a, \"\"b\"\"\",1,2\n", "x.csv");
  EXPECT_EQ(table.kind, MetricKind::ADDITIVE);
  EXPECT_EQ(table.leaves[0].values[0], "a, \"b\"");
}

TEST(LeafCsvTest, EmptyFileIsRejected) {
  EXPECT_NE(ParseError("").find("leaves.csv: the file is empty"), std::string::npos);
}

TEST(LeafCsvTest, MissingValueColumnsAreNamed) {
  EXPECT_NE(ParseError("region,real\nx,1\n").find("missing value column predict"),
            std::string::npos);
  EXPECT_NE(ParseError("region,real_num,real_den\nx,1,2\n")
                .find("missing value column(s) predict_num, predict_den"),
            std::string::npos);
}

TEST(LeafCsvTest, NoValueColumnsSaysWhichAreNeeded) {
  std::string message = ParseError("region,value\nx,1\n");
  EXPECT_NE(message.find("no value columns"), std::string::npos);
  EXPECT_NE(message.find("real_num,real_den,predict_num,predict_den"), std::string::npos);
}

TEST(LeafCsvTest, MixingAdditiveAndRatioColumnsIsRejected) {
  EXPECT_NE(ParseError("region,real,predict,real_num\nx,1,2,3\n")
                .find("mixes additive value columns (real, predict) with ratio value columns "
                      "(real_num)"),
            std::string::npos);
}

TEST(LeafCsvTest, NonNumericValueNamesLineAndColumn) {
  EXPECT_NE(ParseError("region,real,predict\nx,1,2\ny,abc,2\n")
                .find("line 3, column 'real': 'abc' is not a number"),
            std::string::npos);
}

TEST(LeafCsvTest, EmptyValueCellIsNotANumber) {
  EXPECT_NE(ParseError("region,real,predict\nx,1,\n")
                .find("line 2, column 'predict': '' is not a number"),
            std::string::npos);
}

TEST(LeafCsvTest, NegativeDenominatorNamesLineAndColumn) {
  EXPECT_NE(ParseError("r,real_num,real_den,predict_num,predict_den\nx,1,2,1,2\ny,1,2,1,-4\n")
                .find("line 3, column 'predict_den': denominator -4 is negative"),
            std::string::npos);
}

TEST(LeafCsvTest, DuplicateLeavesNameBothLines) {
  EXPECT_NE(ParseError("region,platform,real,predict\nx,ios,1,2\ny,ios,1,2\nx,ios,3,4\n")
                .find("lines 2 and 4 are the same leaf (region=x, platform=ios)"),
            std::string::npos);
}

TEST(LeafCsvTest, NoDimensionColumnsIsRejected) {
  EXPECT_NE(ParseError("real,predict\n1,2\n").find("no dimension columns"), std::string::npos);
}

TEST(LeafCsvTest, RowWithWrongCellCountNamesTheLine) {
  EXPECT_NE(ParseError("region,real,predict\nx,1,2\n\ny,1\n")
                .find("line 4: 2 cells, but the header has 3 columns"),
            std::string::npos);
}

TEST(LeafCsvTest, HeaderWithoutRowsIsRejected) {
  EXPECT_NE(ParseError("region,real,predict\n").find("no leaf rows"), std::string::npos);
}

TEST(LeafCsvTest, DuplicateHeaderColumnIsRejected) {
  EXPECT_NE(
      ParseError("region,region,real,predict\nx,y,1,2\n").find("column 'region' appears twice"),
      std::string::npos);
}

TEST(LeafCsvTest, UnclosedQuoteIsRejected) {
  EXPECT_NE(
      ParseError("region,real,predict\n\"x,1,2\n").find("line 2: a quoted cell is not closed"),
      std::string::npos);
}

TEST(LeafCsvTest, UnusableDimensionNameIsRejected) {
  EXPECT_NE(ParseError("store-type,real,predict\nx,1,2\n")
                .find("line 1: column 'store-type' is not a usable dimension name"),
            std::string::npos);
}

TEST(LeafCsvTest, EmptyDimensionValueNamesLineAndColumn) {
  EXPECT_NE(ParseError("region,platform,real,predict\nx,ios,1,2\ny,,1,2\n")
                .find("line 3, column 'platform': dimension value '' is empty"),
            std::string::npos);
}

TEST(LeafCsvTest, LinesCountTheBreaksInsideQuotedCellsAndBlankLines) {
  EXPECT_NE(
      ParseError("region,real,predict\n\nx,1,2\n\"a\r\n\nb\",1,2\n")
          .find("leaves.csv: line 4, column 'region': dimension value 'a\\r\\n\\nb' is empty or "
                "holds '&', '=' or a control character"),
      std::string::npos);
  EXPECT_NE(ParseError("\n\nregion,real,predict\n\nx,1,2\ny,1,abc\n")
                .find("leaves.csv: line 6, column 'predict': 'abc' is not a number"),
            std::string::npos);
}

TEST(LeafCsvTest, RowWithTooManyCellsNamesTheLine) {
  EXPECT_NE(ParseError("region,real,predict\r\nx,1,2\r\n\r\n\"y\",1,2\r\nw,1,2,3,4\r\n")
                .find("leaves.csv: line 5: 5 cells, but the header has 3 columns"),
            std::string::npos);
}

TEST(LeafCsvTest, ProblemsAreReportedInFileOrder) {
  // A bad cell before a short row is reported first, as a reader going down the file sees them.
  EXPECT_NE(ParseError("region,real,predict\nx,1,oops\ny,1\n")
                .find("line 2, column 'predict': 'oops' is not a number"),
            std::string::npos);
  EXPECT_NE(ParseError("region,real,predict\nx,1\ny,1,oops\n")
                .find("line 2: 2 cells, but the header has 3 columns"),
            std::string::npos);
}

TEST(LeafCsvTest, ByteOrderMarkIsNotPartOfTheFirstColumnName) {
  auto table = ParseLeafCsv("\xEF\xBB\xBFregion,real,predict\nx,1,2\n");
  EXPECT_EQ(table.dimensions, std::vector<std::string>{"region"});
}

TEST(LeafCsvTest, CellsAreTextNotGuessedTypes) {
  // Leading zeros, dates and padded numbers stay as written in dimension values.
  auto table = ParseLeafCsv("zip,day,real,predict\n007,2024-01-02,1,2\n");
  EXPECT_EQ(table.leaves[0].values, (std::vector<std::string>{"007", "2024-01-02"}));
}

TEST(LeafCsvTest, ValuesWhoseSumsWouldOverflowNameLineAndColumn) {
  EXPECT_NE(ParseError("region,real,predict\na,1e308,1\nb,1,1\n")
                .find("leaves.csv: line 2, column 'real': '1e308' is too large; the magnitudes in "
                      "a value column may add up to at most 1e150"),
            std::string::npos);
  // Each value may be fine while their total is not.
  EXPECT_NE(ParseError("region,real,predict\na,1,-9e149\nb,1,-9e149\n")
                .find("line 3, column 'predict': '-9e149' is too large"),
            std::string::npos);
  EXPECT_EQ(ParseLeafCsv("region,real,predict\na,1e149,1\nb,1,1\n").leaves.size(), 2u);
}

TEST(LeafCsvTest, NonFiniteValuesAreNotNumbers) {
  for (const char* cell : {"nan", "inf", "-inf", "1e309"}) {
    EXPECT_NE(ParseError(std::string("region,real,predict\na,1,2\nb,") + cell + ",2\n")
                  .find(std::string("line 3, column 'real': '") + cell + "' is not a number"),
              std::string::npos)
        << cell;
  }
}

TEST(LeafCsvTest, MissingFileIsNotFound) {
  try {
    ReadLeafCsv("/nonexistent/leaves.csv");
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.Type(), ErrorType::NOT_FOUND);
    EXPECT_NE(std::string(error.what()).find("'/nonexistent/leaves.csv' does not exist"),
              std::string::npos);
  }
}

TEST(LeafCsvTest, OutputJsonHasSliceAndScorePerRootCause) {
  LocalizeResult result;
  RootCause cause;
  cause.slice = Slice(std::map<std::string, std::string>{{"region", "seattle"}});
  cause.score = 0.75;
  result.root_causes.push_back(cause);
  auto json = RootCausesJson(result);
  EXPECT_EQ(json["root_causes"][0]["slice"]["region"], "seattle");
  EXPECT_DOUBLE_EQ(json["root_causes"][0]["score"].get<double>(), 0.75);
  EXPECT_TRUE(RootCausesJson(LocalizeResult{}).at("root_causes").empty());
}

}  // namespace
}  // namespace cxagent::localize
