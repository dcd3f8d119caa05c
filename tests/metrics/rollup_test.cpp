#include "metrics/rollup.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "support/test_support.hpp"

namespace cxagent::metrics {
namespace {

using testing::ErrorMessage;

// Two dimensions, two days, columns orders (a count) and cx_sum.
LeafSums SmallLeaves() {
  LeafSums leaves;
  leaves.dimensions = {"platform", "region"};
  leaves.values = {{"ios", "web"}, {"boston", "seattle"}};
  // leaf: platform, region, date, orders, cx_sum
  leaves.codes = {{0, 0, 1, 0}, {1, 1, 0, 0}};
  leaves.dates = {20000, 20001, 20000, 20001};
  leaves.columns = {"orders", "cx_sum"};
  leaves.integer = {true, false};
  leaves.sums = {2, 150.0, 3, 240.0, 1, 40.0, 4, 330.0};
  return leaves;
}

TEST(RollUpTest, SumsEverySliceOfUpToTheDepthPerDay) {
  const storage::Table cube = RollUp(SmallLeaves(), RollUpOptions{});
  std::vector<std::string> rows;
  for (size_t row = 0; row < cube.RowCount(); ++row) {
    rows.push_back(fmt::format("{} {} {} {} {}", cube.Get("slice").StringAt(row),
                               cube.Get("depth").ints[row], cube.Get("date").ints[row],
                               cube.Get("orders").ints[row], cube.Get("cx_sum").doubles[row]));
  }
  const std::vector<std::string> expected = {
      "all 0 20000 3 190",
      "all 0 20001 7 570",
      "platform=ios 1 20000 2 150",
      "platform=ios 1 20001 7 570",
      "platform=ios&region=boston 2 20001 4 330",
      "platform=ios&region=seattle 2 20000 2 150",
      "platform=ios&region=seattle 2 20001 3 240",
      "platform=web 1 20000 1 40",
      "platform=web&region=boston 2 20000 1 40",
      "region=boston 1 20000 1 40",
      "region=boston 1 20001 4 330",
      "region=seattle 1 20000 2 150",
      "region=seattle 1 20001 3 240",
  };
  EXPECT_EQ(rows, expected);
  EXPECT_EQ(cube.Get("orders").type, storage::ColumnType::BIGINT);
  EXPECT_EQ(cube.Get("cx_sum").type, storage::ColumnType::DOUBLE);
}

TEST(RollUpTest, KeepsSlicesMeetingTheVolumeFloorAndTheDepth) {
  RollUpOptions options;
  options.min_daily = 2.0;  // two dates: a slice needs 4 orders in all
  options.max_depth = 1;
  const storage::Table cube = RollUp(SmallLeaves(), options);
  std::vector<std::string> slices;
  for (size_t row = 0; row < cube.RowCount(); ++row) {
    slices.emplace_back(cube.Get("slice").StringAt(row));
  }
  EXPECT_EQ(slices,
            (std::vector<std::string>{"all", "all", "platform=ios", "platform=ios", "region=boston",
                                      "region=boston", "region=seattle", "region=seattle"}));
  options.max_depth = 0;
  EXPECT_EQ(RollUp(SmallLeaves(), options).RowCount(), 2u);
}

TEST(RollUpTest, NoLeavesGiveAnEmptyCubeWithItsColumns) {
  LeafSums leaves = SmallLeaves();
  leaves.codes = {{}, {}};
  leaves.dates.clear();
  leaves.sums.clear();
  const storage::Table cube = RollUp(leaves, RollUpOptions{});
  EXPECT_EQ(cube.RowCount(), 0u);
  EXPECT_NE(cube.Find("cx_sum"), nullptr);
}

TEST(RollUpTest, InconsistentLeavesAreAnInternalError) {
  LeafSums leaves = SmallLeaves();
  leaves.codes[1][2] = 7;
  EXPECT_NE(
      ErrorMessage([&] { RollUp(leaves, RollUpOptions{}); }, ErrorType::INTERNAL).find("code 7"),
      std::string::npos);
  leaves = SmallLeaves();
  leaves.sums.pop_back();
  ErrorMessage([&] { RollUp(leaves, RollUpOptions{}); }, ErrorType::INTERNAL);
  RollUpOptions options;
  options.volume_column = 2;
  ErrorMessage([&] { RollUp(SmallLeaves(), options); }, ErrorType::INTERNAL);
}

// Random leaves with cardinalities large enough that ids and cells go through hash maps, against
// a plain map-based rollup; the same cube on one worker and on three.
TEST(RollUpTest, EqualsAPlainRollupAtHighCardinalityOnAnyNumberOfWorkers) {
  std::mt19937 random(7);
  LeafSums leaves;
  leaves.dimensions = {"a", "b", "c"};
  const size_t cardinality = 300;
  const size_t count = 6000;
  const int days = 400;
  for (size_t d = 0; d < 3; ++d) {
    auto& values = leaves.values.emplace_back();
    for (size_t v = 0; v < cardinality; ++v) values.push_back(fmt::format("v{}", v));
    auto& codes = leaves.codes.emplace_back();
    for (size_t i = 0; i < count; ++i)
      codes.push_back(static_cast<uint32_t>(random() % cardinality));
  }
  leaves.columns = {"orders", "x"};
  leaves.integer = {true, false};
  std::uniform_real_distribution<double> uniform(0.0, 10.0);
  for (size_t i = 0; i < count; ++i) {
    leaves.dates.push_back(19000 + static_cast<int32_t>(random() % days));
    leaves.sums.push_back(static_cast<double>(1 + random() % 5));
    leaves.sums.push_back(uniform(random));
  }
  // The plain rollup: every subset of up to 3 dimensions, keyed by slice text and date.
  std::map<std::pair<std::string, int64_t>, std::pair<double, double>> all;
  std::map<std::string, double> volume;
  for (unsigned mask = 0; mask < 8; ++mask) {
    for (size_t i = 0; i < count; ++i) {
      std::string text;
      for (size_t d = 0; d < 3; ++d) {
        if ((mask & (1u << d)) == 0) continue;
        text += (text.empty() ? "" : "&") + leaves.dimensions[d] + "=" +
                leaves.values[d][leaves.codes[d][i]];
      }
      if (text.empty()) text = "all";
      auto& cell = all[{text, leaves.dates[i]}];
      cell.first += leaves.sums[2 * i];
      cell.second += leaves.sums[2 * i + 1];
      volume[text] += leaves.sums[2 * i];
    }
  }
  const std::set<int32_t> distinct(leaves.dates.begin(), leaves.dates.end());
  // No floor: most slice-days are their own cell (hashed cells); a floor: many slices go.
  for (const double min_daily : {0.0, 0.02}) {
    auto expected = all;
    const double floor = min_daily * static_cast<double>(distinct.size());
    for (auto it = expected.begin(); it != expected.end();) {
      it = volume[it->first.first] >= floor ? std::next(it) : expected.erase(it);
    }
    ASSERT_GT(expected.size(), 1000u);
    if (min_daily > 0) {
      ASSERT_LT(expected.size(), all.size() / 2);
    }
    RollUpOptions options;
    options.min_daily = min_daily;
    std::vector<std::string> previous;
    for (const size_t threads : {1, 3}) {
      options.threads = threads;
      const storage::Table cube = RollUp(leaves, options);
      ASSERT_EQ(cube.RowCount(), expected.size()) << threads << " workers";
      std::vector<std::string> rows;
      for (size_t row = 0; row < cube.RowCount(); ++row) {
        const std::string text(cube.Get("slice").StringAt(row));
        const auto it = expected.find({text, cube.Get("date").ints[row]});
        ASSERT_NE(it, expected.end()) << text;
        EXPECT_EQ(cube.Get("orders").ints[row], static_cast<int64_t>(it->second.first));
        EXPECT_NEAR(cube.Get("x").doubles[row], it->second.second, 1e-9);
        rows.push_back(fmt::format("{}@{}", text, cube.Get("date").ints[row]));
      }
      EXPECT_TRUE(std::is_sorted(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
        return a.substr(0, a.find('@')) < b.substr(0, b.find('@'));
      }));
      if (!previous.empty()) {
        EXPECT_EQ(rows, previous);
      }
      previous = rows;
    }
  }
}

}  // namespace
}  // namespace cxagent::metrics
