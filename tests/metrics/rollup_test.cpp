#include "metrics/rollup.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <optional>
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

// Leaves of two dimensions (platform: ios, web; region: boston, seattle) from rows of
// {platform, region, date, orders}, with a second sum of 1.5 per order.
LeafSums LeavesOf(const std::vector<std::array<int, 4>>& rows) {
  LeafSums leaves;
  leaves.dimensions = {"platform", "region"};
  leaves.values = {{"ios", "web"}, {"boston", "seattle"}};
  leaves.codes = {{}, {}};
  leaves.columns = {"orders", "cx_sum"};
  leaves.integer = {true, false};
  for (const auto& [platform, region, date, orders] : rows) {
    leaves.codes[0].push_back(static_cast<uint32_t>(platform));
    leaves.codes[1].push_back(static_cast<uint32_t>(region));
    leaves.dates.push_back(date);
    leaves.sums.push_back(orders);
    leaves.sums.push_back(1.5 * orders);
  }
  return leaves;
}

// The leaves of `leaves` whose date satisfies `keep`.
LeafSums DaysOf(const LeafSums& leaves, const std::function<bool(int32_t)>& keep) {
  LeafSums out = leaves;
  for (auto& codes : out.codes) codes.clear();
  out.dates.clear();
  out.sums.clear();
  const size_t width = leaves.columns.size();
  for (size_t leaf = 0; leaf < leaves.LeafCount(); ++leaf) {
    if (!keep(leaves.dates[leaf])) continue;
    for (size_t d = 0; d < leaves.codes.size(); ++d) out.codes[d].push_back(leaves.codes[d][leaf]);
    out.dates.push_back(leaves.dates[leaf]);
    out.sums.insert(out.sums.end(), leaves.sums.begin() + static_cast<ptrdiff_t>(leaf * width),
                    leaves.sums.begin() + static_cast<ptrdiff_t>((leaf + 1) * width));
  }
  return out;
}

// Every row of `cube` as text (counts exact, other sums rounded to 1e-6).
std::vector<std::string> CubeRows(const storage::Table& cube) {
  std::vector<std::string> rows;
  for (size_t row = 0; row < cube.RowCount(); ++row) {
    std::string text = fmt::format("{} {} {}", cube.columns[0].StringAt(row),
                                   cube.columns[1].ints[row], cube.columns[2].ints[row]);
    for (size_t c = 3; c < cube.columns.size(); ++c) {
      const storage::Column& column = cube.columns[c];
      text += column.type == storage::ColumnType::DOUBLE
                  ? fmt::format(" {:.6f}", column.doubles[row])
                  : fmt::format(" {}", column.ints[row]);
    }
    rows.push_back(std::move(text));
  }
  return rows;
}

// The rows of `cube` of the slices `slices`.
storage::Table RowsOf(const storage::Table& cube, const std::vector<std::string>& slices) {
  storage::Table rows;
  for (const auto& column : cube.columns) rows.AddColumn(column.name, column.type);
  for (size_t row = 0; row < cube.RowCount(); ++row) {
    const std::string text(cube.columns[0].StringAt(row));
    if (std::find(slices.begin(), slices.end(), text) == slices.end()) continue;
    rows.columns[0].strings.push_back(text);
    for (size_t c = 1; c < cube.columns.size(); ++c) {
      if (cube.columns[c].type == storage::ColumnType::DOUBLE) {
        rows.columns[c].doubles.push_back(cube.columns[c].doubles[row]);
      } else {
        rows.columns[c].ints.push_back(cube.columns[c].ints[row]);
      }
    }
  }
  return rows;
}

// The stored cube of the days before `split` (its volumes in `volumes`) and the others' rows of
// every slice, as a refresh has them before ExtendCube.
std::pair<storage::Table, storage::Table> StoredAndAdded(const LeafSums& leaves, int32_t split,
                                                         const RollUpOptions& options,
                                                         CubeVolumes& volumes) {
  storage::Table stored =
      RollUp(DaysOf(leaves, [&](int32_t date) { return date < split; }), options, &volumes);
  RollUpOptions all = options;
  all.min_daily = 0;
  storage::Table added = RollUp(DaysOf(leaves, [&](int32_t date) { return date >= split; }), all);
  return {std::move(stored), std::move(added)};
}

// The cube of the days before `split` extended by the others, or nullopt with `why` (and the
// slices reaching the floor in `needed`); `reaching` as ExtendCube takes it.
std::optional<storage::Table> Extend(const LeafSums& leaves, int32_t split,
                                     const RollUpOptions& options, CubeVolumes& volumes,
                                     std::string& why, const storage::Table* reaching = nullptr,
                                     std::vector<std::string>* needed = nullptr) {
  const auto [stored, added] = StoredAndAdded(leaves, split, options, volumes);
  return ExtendCube(stored, added, options, volumes, why, reaching, needed);
}

TEST(ExtendCubeTest, AStoredSliceUnderTheFloorWithTheNewDayIsDropped) {
  // Two days, floor 2 a day: web (4 orders) is kept; with a third day without web orders it
  // needs 6 and goes. ios&seattle (3 orders) stays out.
  const LeafSums leaves = LeavesOf({{0, 0, 20000, 5},
                                    {0, 1, 20000, 2},
                                    {1, 0, 20000, 2},
                                    {0, 0, 20001, 6},
                                    {0, 1, 20001, 1},
                                    {1, 0, 20001, 2},
                                    {0, 0, 20002, 7}});
  RollUpOptions options;
  options.min_daily = 2;
  CubeVolumes volumes;
  std::string why;
  const std::optional<storage::Table> cube = Extend(leaves, 20002, options, volumes, why);
  ASSERT_TRUE(cube) << why;
  CubeVolumes full;
  const storage::Table expected = RollUp(leaves, options, &full);
  EXPECT_EQ(CubeRows(*cube), CubeRows(expected));
  const auto& slices = cube->Get("slice").dictionary;
  EXPECT_EQ(std::find(slices.begin(), slices.end(), "platform=web"), slices.end());
  // The volumes are those RollUp of every day gives: the next day can be added the same way.
  EXPECT_EQ(volumes.days, 3);
  EXPECT_EQ(volumes.last, 20002);
  EXPECT_EQ(volumes.slices, full.slices);
  EXPECT_EQ(volumes.volumes, full.volumes);
  EXPECT_NE(std::find(volumes.slices.begin(), volumes.slices.end(), "platform=web"),
            volumes.slices.end());
}

TEST(ExtendCubeTest, ASliceReachingTheFloorOnlyWithTheNewDayTakesItsRowsOfEveryDay) {
  // web and web&seattle: 3 orders over two days (floor 4, left out), 4 more on the third (7 >=
  // 6); ios&boston has its 9 a day.
  const LeafSums leaves = LeavesOf({{0, 0, 20000, 9},
                                    {1, 1, 20000, 2},
                                    {0, 0, 20001, 9},
                                    {1, 1, 20001, 1},
                                    {0, 0, 20002, 9},
                                    {1, 1, 20002, 4}});
  RollUpOptions options;
  options.min_daily = 2;
  CubeVolumes volumes;
  std::string why;
  std::vector<std::string> needed;
  EXPECT_FALSE(Extend(leaves, 20002, options, volumes, why, nullptr, &needed));
  EXPECT_NE(why.find("slice 'platform=web' reaches the volume floor"), std::string::npos) << why;
  const std::vector<std::string> reaching = {"platform=web", "platform=web&region=seattle",
                                             "region=seattle"};
  EXPECT_EQ(needed, reaching);
  // Untouched, for the caller's fallback.
  EXPECT_EQ(volumes.days, 2);
  // Their rows of every day (as RollUp of every day has them) make the cube.
  const storage::Table expected = RollUp(leaves, options);
  const storage::Table rows = RowsOf(expected, reaching);
  ASSERT_EQ(rows.RowCount(), 9u);
  const std::optional<storage::Table> cube = Extend(leaves, 20002, options, volumes, why, &rows);
  ASSERT_TRUE(cube) << why;
  EXPECT_EQ(CubeRows(*cube), CubeRows(expected));
  EXPECT_EQ(volumes.days, 3);
  // Rows that are not the slice's whole (a day short) are refused.
  const storage::Table short_rows =
      RowsOf(RollUp(DaysOf(leaves, [](int32_t date) { return date > 20000; }), options), reaching);
  CubeVolumes again;
  EXPECT_FALSE(Extend(leaves, 20002, options, again, why, &short_rows));
  EXPECT_NE(why.find("sum to"), std::string::npos) << why;
}

TEST(ExtendCubeTest, ACombinationFirstSeenOnTheNewDayIsKeptWithItsRowsWhenItMeetsTheFloor) {
  // web and seattle first appear on the third day: 9 orders (floor 6), it has no earlier rows.
  const LeafSums leaves =
      LeavesOf({{0, 0, 20000, 9}, {0, 0, 20001, 9}, {1, 1, 20002, 9}, {0, 0, 20002, 1}});
  RollUpOptions options;
  options.min_daily = 2;
  CubeVolumes volumes;
  std::string why;
  const std::optional<storage::Table> cube = Extend(leaves, 20002, options, volumes, why);
  ASSERT_TRUE(cube) << why;
  EXPECT_EQ(CubeRows(*cube), CubeRows(RollUp(leaves, options)));
  const auto& slices = cube->Get("slice").dictionary;
  EXPECT_NE(std::find(slices.begin(), slices.end(), "platform=web&region=seattle"), slices.end());
}

TEST(ExtendCubeTest, AddedDaysMustComeAfterTheStoredOnesAndTheTablesMustMatch) {
  const LeafSums leaves = LeavesOf({{0, 0, 20000, 5}, {0, 0, 20001, 5}, {0, 0, 20002, 5}});
  RollUpOptions options;
  CubeVolumes volumes;
  const storage::Table stored =
      RollUp(DaysOf(leaves, [](int32_t date) { return date < 20002; }), options, &volumes);
  std::string why;
  // A day the stored cube holds.
  const storage::Table again =
      RollUp(DaysOf(leaves, [](int32_t date) { return date == 20001; }), options);
  EXPECT_FALSE(ExtendCube(stored, again, options, volumes, why));
  EXPECT_NE(why.find("not after the stored cube's last"), std::string::npos) << why;
  const storage::Table added =
      RollUp(DaysOf(leaves, [](int32_t date) { return date == 20002; }), options);
  // Another column.
  storage::Table renamed = added;
  renamed.columns[4].name = "cx";
  EXPECT_FALSE(ExtendCube(stored, renamed, options, volumes, why));
  EXPECT_NE(why.find("column 5"), std::string::npos) << why;
  // A slice's date twice.
  storage::Table twice = stored;
  twice.columns[2].ints[1] = twice.columns[2].ints[0];
  EXPECT_FALSE(ExtendCube(twice, added, options, volumes, why));
  EXPECT_NE(why.find("not in date order"), std::string::npos) << why;
  // No stored days.
  CubeVolumes none;
  EXPECT_FALSE(ExtendCube(stored, added, options, none, why));
  EXPECT_NE(why.find("no days"), std::string::npos) << why;
  // And with everything in place, the plain case.
  const std::optional<storage::Table> cube = ExtendCube(stored, added, options, volumes, why);
  ASSERT_TRUE(cube) << why;
  EXPECT_EQ(CubeRows(*cube), CubeRows(RollUp(leaves, options)));
  // No added rows (a change that left every day's sums as they were): the stored cube.
  storage::Table empty = RollUp(DaysOf(leaves, [](int32_t) { return false; }), options);
  CubeVolumes same = volumes;
  const std::optional<storage::Table> unchanged = ExtendCube(*cube, empty, options, same, why);
  ASSERT_TRUE(unchanged) << why;
  EXPECT_EQ(CubeRows(*unchanged), CubeRows(*cube));
}

// `cube`'s rows in a random order (as a cube updated in place holds them: each refresh's rows
// after the earlier ones), its slices as text or as codes of its dictionary.
storage::Table Shuffled(const storage::Table& cube, std::mt19937& random, bool as_text) {
  std::vector<size_t> order(cube.RowCount());
  for (size_t row = 0; row < order.size(); ++row) order[row] = row;
  std::shuffle(order.begin(), order.end(), random);
  storage::Table out;
  for (const auto& column : cube.columns) {
    storage::Column& target = out.AddColumn(column.name, column.type);
    if (&column == &cube.columns[0] && as_text) {
      for (const size_t row : order) target.strings.emplace_back(column.StringAt(row));
      continue;
    }
    target.dictionary = column.dictionary;
    for (const size_t row : order) {
      if (column.type == storage::ColumnType::DOUBLE) {
        target.doubles.push_back(column.doubles[row]);
      } else if (column.type == storage::ColumnType::VARCHAR && column.dictionary.empty()) {
        target.strings.push_back(column.strings[row]);
      } else {
        target.ints.push_back(column.ints[row]);
      }
    }
  }
  return out;
}

TEST(ExtendCubeTest, StoredRowsInAnyOrderGiveTheSameCube) {
  std::mt19937 random(5);
  const LeafSums leaves = LeavesOf({{0, 0, 20000, 9},
                                    {1, 1, 20000, 2},
                                    {0, 1, 20000, 4},
                                    {0, 0, 20001, 9},
                                    {1, 1, 20001, 1},
                                    {0, 1, 20001, 3},
                                    {0, 0, 20002, 9},
                                    {1, 1, 20002, 1}});
  RollUpOptions options;
  options.min_daily = 2;
  const storage::Table expected = RollUp(leaves, options);
  CubeVolumes stored_volumes;
  const storage::Table stored =
      RollUp(DaysOf(leaves, [](int32_t date) { return date < 20002; }), options, &stored_volumes);
  RollUpOptions all = options;
  all.min_daily = 0;
  const storage::Table added =
      RollUp(DaysOf(leaves, [](int32_t date) { return date == 20002; }), all);
  for (const bool as_text : {false, true}) {
    for (int round = 0; round < 5; ++round) {
      const storage::Table shuffled = Shuffled(stored, random, as_text);
      CubeVolumes volumes = stored_volumes;
      std::string why;
      const std::optional<storage::Table> cube = ExtendCube(shuffled, added, options, volumes, why);
      ASSERT_TRUE(cube) << why;
      EXPECT_EQ(CubeRows(*cube), CubeRows(expected)) << (as_text ? "text" : "codes");
    }
  }
}

// Random leaves over many days, to be extended by the last one or two at several floors, the
// last days lighter (slices fall under the floor) or heavier (slices reach it) than the others:
// the cube equals RollUp of every day, the slices reaching the floor taken from it.
LeafSums RandomLeaves(std::mt19937& random, uint32_t last_days_orders) {
  LeafSums leaves;
  leaves.dimensions = {"a", "b", "c"};
  for (size_t d = 0; d < 3; ++d) {
    auto& values = leaves.values.emplace_back();
    for (size_t v = 0; v < 6; ++v) values.push_back(fmt::format("v{}", v));
    leaves.codes.emplace_back();
  }
  leaves.columns = {"orders", "x"};
  leaves.integer = {true, false};
  std::uniform_real_distribution<double> uniform(0.0, 10.0);
  for (int32_t date = 19000; date < 19030; ++date) {
    for (int leaf = 0; leaf < 60; ++leaf) {
      for (size_t d = 0; d < 3; ++d) {
        // Skewed values, so that volumes spread around the floors.
        leaves.codes[d].push_back(static_cast<uint32_t>(random() % 6 * (random() % 6) / 5));
      }
      leaves.dates.push_back(date);
      const uint32_t orders = date < 19028 ? 9 : last_days_orders;
      leaves.sums.push_back(static_cast<double>(1 + random() % orders));
      leaves.sums.push_back(uniform(random));
    }
  }
  return leaves;
}

// Runs `check(leaves, split, options, expected)` over random leaves (the last days thin or
// thick), the stored days ending before `split`, and volume floors from none to above most
// slices; `expected` is RollUp of every day.
template <typename Check>
void ForEachExtension(uint32_t seed, const Check& check) {
  std::mt19937 random(seed);
  for (const uint32_t last_days_orders : {2u, 30u}) {
    const LeafSums leaves = RandomLeaves(random, last_days_orders);
    for (const int32_t split : {19028, 19029}) {
      for (const double min_daily : {0.0, 1.0, 3.0, 8.0, 15.0, 30.0, 60.0}) {
        RollUpOptions options;
        options.min_daily = min_daily;
        options.threads = 2;
        check(leaves, split, options, RollUp(leaves, options));
      }
    }
  }
}

TEST(ExtendCubeTest, EqualsRollUpOfEveryDay) {
  int reached = 0;
  int dropped = 0;
  ForEachExtension(11, [&](const LeafSums& leaves, int32_t split, const RollUpOptions& options,
                           const storage::Table& expected) {
    const double min_daily = options.min_daily;
    CubeVolumes volumes;
    std::string why;
    std::vector<std::string> needed;
    std::optional<storage::Table> cube =
        Extend(leaves, split, options, volumes, why, nullptr, &needed);
    if (!cube) {
      // Slices reaching the floor with the last days: their rows of every day.
      ASSERT_FALSE(needed.empty()) << why;
      ++reached;
      const storage::Table rows = RowsOf(expected, needed);
      cube = Extend(leaves, split, options, volumes, why, &rows);
      ASSERT_TRUE(cube) << why;
    }
    EXPECT_EQ(CubeRows(*cube), CubeRows(expected)) << "floor " << min_daily << ", split " << split;
    const storage::Table stored =
        RollUp(DaysOf(leaves, [&](int32_t date) { return date < split; }), options);
    if (stored.Get("slice").dictionary.size() > cube->Get("slice").dictionary.size()) {
      ++dropped;
    }
  });
  EXPECT_GT(reached, 0);
  EXPECT_GT(dropped, 0);
}

TEST(ExtendCubeTest, InPlaceWithTheReachingRowsFetchedEqualsRollUpOfEveryDay) {
  int reached = 0;
  int dropped = 0;
  ForEachExtension(23, [&](const LeafSums& leaves, int32_t split, const RollUpOptions& options,
                           const storage::Table& expected) {
    const double min_daily = options.min_daily;
    CubeVolumes volumes;
    auto [stored, added] = StoredAndAdded(leaves, split, options, volumes);
    const size_t stored_slices = stored.Get("slice").dictionary.size();
    // The slice as plain text once (as a cube read from the results' table as text).
    if (min_daily == 3.0) {
      storage::Column& slice = stored.columns[0];
      for (size_t row = 0; row < stored.RowCount(); ++row) {
        slice.strings.emplace_back(slice.StringAt(row));
      }
      slice.dictionary.clear();
      slice.ints.clear();
    }
    // Half the time with room to grow in place, half without (the columns reallocate).
    if (min_daily > 5) {
      for (auto& column : stored.columns) {
        column.ints.reserve(column.ints.size() + added.RowCount());
        column.doubles.reserve(column.doubles.size() + added.RowCount());
      }
    }
    std::string why;
    std::vector<std::string> needed;
    int fetches = 0;
    const ReachingRows fetch = [&](const std::vector<std::string>& slices, std::string&) {
      ++fetches;
      return std::optional<storage::Table>(RowsOf(expected, slices));
    };
    const std::optional<storage::Table> cube =
        ExtendCubeInPlace(stored, added, options, volumes, why, &needed, fetch);
    ASSERT_TRUE(cube) << why;
    EXPECT_EQ(CubeRows(*cube), CubeRows(expected)) << "floor " << min_daily << ", split " << split;
    EXPECT_EQ(fetches, needed.empty() ? 0 : 1);
    reached += needed.empty() ? 0 : 1;
    dropped += stored_slices > cube->Get("slice").dictionary.size() ? 1 : 0;
  });
  EXPECT_GT(reached, 0);
  EXPECT_GT(dropped, 0);
}

TEST(ExtendCubeTest, InPlaceLeavesTheStoredCubeAsItWasWhenTheReachingRowsAreMissing) {
  // As in ASliceReachingTheFloorOnlyWithTheNewDayTakesItsRowsOfEveryDay: three slices reach the
  // floor on the third day.
  const LeafSums leaves = LeavesOf({{0, 0, 20000, 9},
                                    {1, 1, 20000, 2},
                                    {0, 0, 20001, 9},
                                    {1, 1, 20001, 1},
                                    {0, 0, 20002, 9},
                                    {1, 1, 20002, 4}});
  RollUpOptions options;
  options.min_daily = 2;
  CubeVolumes volumes;
  auto [stored, added] = StoredAndAdded(leaves, 20002, options, volumes);
  const std::vector<std::string> before = CubeRows(stored);
  std::string why;
  const ReachingRows none = [](const std::vector<std::string>&, std::string& reason) {
    reason = "not summed";
    return std::optional<storage::Table>();
  };
  EXPECT_FALSE(ExtendCubeInPlace(stored, added, options, volumes, why, nullptr, none));
  EXPECT_EQ(why, "not summed");
  // Rows of only some of the slices asked for.
  const ReachingRows some = [&](const std::vector<std::string>&, std::string&) {
    return std::optional<storage::Table>(RowsOf(RollUp(leaves, options), {"platform=web"}));
  };
  EXPECT_FALSE(ExtendCubeInPlace(stored, added, options, volumes, why, nullptr, some));
  EXPECT_NE(why.find("no rows of it were summed"), std::string::npos) << why;
  EXPECT_EQ(CubeRows(stored), before);
  EXPECT_EQ(volumes.days, 2);
}

}  // namespace
}  // namespace cxagent::metrics
