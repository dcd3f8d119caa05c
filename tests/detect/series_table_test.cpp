#include <gtest/gtest.h>

#include <cmath>

#include "detect/series_table.hpp"
#include "support/test_support.hpp"

namespace cxagent::detect {
namespace {

using cxagent::testing::ErrorMessage;

storage::Table TextTable(
    const std::vector<std::pair<std::string, std::vector<std::string>>>& data) {
  storage::Table table;
  for (const auto& [name, cells] : data) {
    auto& column = table.AddColumn(name, storage::ColumnType::VARCHAR);
    for (size_t row = 0; row < cells.size(); ++row) {
      column.strings.push_back(cells[row]);
      if (cells[row] == "<null>") column.SetNull(row);
    }
  }
  return table;
}

TEST(ReadSeriesColumn, ParsesNumbersAndTreatsEmptyCellsAsMissing) {
  const auto series =
      ReadSeriesColumn(TextTable({{"value", {"1.5", "<null>", " -2e3 ", ""}}}), "in.csv");
  ASSERT_EQ(series.size(), 4u);
  EXPECT_EQ(series[0], 1.5);
  EXPECT_TRUE(std::isnan(series[1]));
  EXPECT_EQ(series[2], -2000.0);
  EXPECT_TRUE(std::isnan(series[3]));
}

TEST(ReadSeriesColumn, IgnoresTheTimeColumn) {
  const auto series = ReadSeriesColumn(
      TextTable({{"t", {"2026-01-01", "2026-01-02"}}, {"value", {"3", "4"}}}), "in.csv");
  EXPECT_EQ(series, (std::vector<double>{3.0, 4.0}));
}

TEST(ReadSeriesColumn, NamesLineAndColumnOfATextCell) {
  EXPECT_EQ(ErrorMessage([] {
              ReadSeriesColumn(TextTable({{"value", {"1", "2", "n/a"}}}), "in.csv");
            }),
            "in.csv: line 4, column 'value': 'n/a' is not a finite number");
}

TEST(ReadSeriesColumn, RejectsTrailingGarbage) {
  EXPECT_EQ(ErrorMessage([] {
              ReadSeriesColumn(TextTable({{"value", {"12abc"}}}), "in.csv");
            }),
            "in.csv: line 2, column 'value': '12abc' is not a finite number");
}

TEST(ReadSeriesColumn, RejectsInfinity) {
  EXPECT_EQ(ErrorMessage([] {
              ReadSeriesColumn(TextTable({{"value", {"inf"}}}), "in.csv");
            }),
            "in.csv: line 2, column 'value': 'inf' is not a finite number");
}

TEST(ReadSeriesColumn, RejectsATableWithoutTheValueColumn) {
  EXPECT_EQ(ErrorMessage([] {
              ReadSeriesColumn(TextTable({{"v", {"1"}}}), "in.csv");
            }),
            "in.csv: no column 'value' (the header has: v)");
}

TEST(ReadSeriesColumn, RejectsATableWithoutRows) {
  EXPECT_EQ(ErrorMessage([] {
              ReadSeriesColumn(TextTable({{"value", {}}}), "in.csv");
            }),
            "in.csv: no data rows after the header");
}

}  // namespace
}  // namespace cxagent::detect
