// BusierWindows (docs/incidents.md step 6d): where and when supply_hourly shows one daypart of a
// region busier, as changes for change-led detection to test.
#include "detect/busy_windows.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "common/date.hpp"
#include "detect/incidents.hpp"
#include "storage/duckdb.hpp"
#include "storage/table.hpp"

namespace cxagent::detect {
namespace {

const Date FIRST = ParseDate("2026-03-02");
const std::vector<std::string> ALL_DIMENSIONS{"region", "daypart", "store_type"};

// One day's sums of one region's daypart.
struct Row {
  std::string region;
  std::string daypart;
  int day = 0;
  double created = 0;
  double dashers = 0;
};

storage::Table TableOf(const std::vector<Row>& rows) {
  storage::Table table;
  auto& region = table.AddColumn("region", storage::ColumnType::VARCHAR);
  auto& daypart = table.AddColumn("daypart", storage::ColumnType::VARCHAR);
  auto& day = table.AddColumn("d", storage::ColumnType::DATE);
  auto& created = table.AddColumn("created", storage::ColumnType::DOUBLE);
  auto& dashers = table.AddColumn("dashers", storage::ColumnType::DOUBLE);
  for (const auto& row : rows) {
    region.strings.push_back(row.region);
    daypart.strings.push_back(row.daypart);
    day.ints.push_back(FIRST.days + row.day);
    created.doubles.push_back(row.created);
    dashers.doubles.push_back(row.dashers);
  }
  return table;
}

// 42 days of two regions' five dayparts, orders and dashers each with a few percent of noise;
// `shortage` takes that share of Boston's breakfast dashers away from day 30 on.
std::vector<Row> World(double shortage) {
  std::mt19937 random(7);
  std::normal_distribution<double> noise(0.0, 0.03);
  std::vector<Row> rows;
  for (const char* region : {"boston", "seattle"}) {
    for (const char* daypart : {"breakfast", "lunch", "afternoon", "dinner", "late_night"}) {
      for (int day = 0; day < 42; ++day) {
        const double orders = 400 * std::exp(noise(random));
        double dashers = 180 * std::exp(noise(random));
        if (std::string(region) == "boston" && std::string(daypart) == "breakfast" && day >= 30) {
          dashers *= 1 - shortage;
        }
        rows.push_back({region, daypart, day, orders, dashers});
      }
    }
  }
  return rows;
}

TEST(BusierWindowsTest, ADaypartWithFewerDashersIsBusierFromItsFirstDay) {
  const auto windows = BusierWindows(TableOf(World(0.25)), IncidentConfig{}, ALL_DIMENSIONS);
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_EQ(windows[0].scope.ToText(), "daypart=breakfast&region=boston");
  EXPECT_EQ(windows[0].kind, "busier");
  EXPECT_EQ(windows[0].date, AddDays(FIRST, 30));
  EXPECT_EQ(windows[0].id, "busier:daypart=breakfast&region=boston:2026-04-01");
  EXPECT_TRUE(IsBusierWindow(windows[0].id));
  EXPECT_FALSE(IsBusierWindow("chg-0fdba0"));
  // A kind change-led detection knows: it tests assignment delays.
  const auto mechanisms = ChangeMechanisms("busier");
  ASSERT_EQ(mechanisms.size(), 1u);
  EXPECT_EQ(mechanisms[0], "avg_assign_delay");
}

TEST(BusierWindowsTest, NoiseOrASmallRiseIsNoWindow) {
  EXPECT_TRUE(BusierWindows(TableOf(World(0.0)), IncidentConfig{}, ALL_DIMENSIONS).empty());
  // 6% fewer dashers: beyond the noise over 12 days, but under busy_min_rise.
  IncidentConfig lower;
  lower.busy_z = 3;
  EXPECT_TRUE(BusierWindows(TableOf(World(0.06)), lower, ALL_DIMENSIONS).empty());
  lower.busy_min_rise = 0.03;
  const auto windows = BusierWindows(TableOf(World(0.06)), lower, ALL_DIMENSIONS);
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_EQ(windows[0].scope.ToText(), "daypart=breakfast&region=boston");
}

TEST(BusierWindowsTest, ARegionBusierAsAWholeOrDataWithoutDaypartsGiveNone) {
  // A whole region short of dashers: every daypart is busier, and so is the rest of the region;
  // the search over every slice is the region's.
  auto rows = World(0.0);
  for (auto& row : rows) {
    if (row.region == "seattle" && row.day >= 28) row.dashers *= 0.7;
  }
  EXPECT_TRUE(BusierWindows(TableOf(rows), IncidentConfig{}, ALL_DIMENSIONS).empty());
  // With the rest allowed any rise, every daypart is one.
  IncidentConfig shared;
  shared.nested_shared = 10.0;
  EXPECT_EQ(BusierWindows(TableOf(rows), shared, ALL_DIMENSIONS).size(), 5u);
  // Without a daypart (or region) dimension there is no slice to point at.
  EXPECT_TRUE(
      BusierWindows(TableOf(World(0.25)), IncidentConfig{}, {"region", "platform"}).empty());
  EXPECT_TRUE(BusierWindows(TableOf(World(0.25)), IncidentConfig{}, {"daypart"}).empty());
}

TEST(BusierWindowsTest, DaysWithoutDashersOrOrdersAreLeftOut) {
  auto rows = World(0.25);
  for (auto& row : rows) {
    if (row.day == 10) row.dashers = 0;  // a day the supply export missed
    if (row.day == 11) row.created = 0;
  }
  const auto windows = BusierWindows(TableOf(rows), IncidentConfig{}, ALL_DIMENSIONS);
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_EQ(windows[0].date, AddDays(FIRST, 30));
}

TEST(BusierWindowsTest, TheQueryReadsSupplyHourlyByRegionDaypartAndDay) {
  storage::Database database;
  storage::Connection connection(database);
  connection.Execute(
      "CREATE TABLE supply_hourly AS SELECT 'boston' AS region, TIMESTAMP '2026-03-02 00:00:00' + "
      "INTERVAL (h) HOUR AS hour, 10 AS active_dashers, 20 AS orders_created, 0.5 AS busy_ratio, "
      "'clear' AS weather FROM range(0, 48) t(h)");
  const storage::Table table = connection.Query(BusySupplyQuery());
  // Two days of five dayparts; late night is 21-6h of the day.
  ASSERT_EQ(table.RowCount(), 10u);
  for (size_t row = 0; row < table.RowCount(); ++row) {
    const std::string daypart(table.Get("daypart").StringAt(row));
    const double hours = daypart == "breakfast"    ? 4
                         : daypart == "lunch"      ? 4
                         : daypart == "afternoon"  ? 3
                         : daypart == "dinner"     ? 4
                         : daypart == "late_night" ? 9
                                                   : 0;
    EXPECT_EQ(table.Get("dashers").doubles[row], 10 * hours) << daypart;
    EXPECT_EQ(table.Get("created").doubles[row], 20 * hours) << daypart;
  }
}

}  // namespace
}  // namespace cxagent::detect
