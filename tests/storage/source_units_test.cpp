#include "storage/source_units.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace cxagent::storage {
namespace {

Date Day(int n) {
  return Date{20000 + n};
}

SourceUnit RowGroup(const std::string& table, const std::string& id,
                    std::optional<int64_t> min_order = std::nullopt,
                    std::optional<int64_t> max_order = std::nullopt) {
  SourceUnit unit;
  unit.table = table;
  unit.file = table + ".parquet";
  unit.row_group = 0;
  unit.rows = 10;
  unit.id = id;
  unit.min_order = min_order;
  unit.max_order = max_order;
  return unit;
}

UnitDay OrdersDay(const std::string& id, int day, int64_t min_order, int64_t max_order,
                  int created_first, int created_last) {
  return {.table = "orders",
          .id = id,
          .day = Day(day),
          .rows = 10,
          .min_order = min_order,
          .max_order = max_order,
          .created_first = Day(created_first),
          .created_last = Day(created_last)};
}

// Orders of days 1 and 2 (ids 100-199 and 200-299) in one row group, day 3 (300-399) in another;
// their items in one row group per day.
DataUnits Before() {
  DataUnits units;
  units.units = {RowGroup("orders", "o12"),         RowGroup("orders", "o3"),
                 RowGroup("items", "i1", 100, 199), RowGroup("items", "i2", 200, 299),
                 RowGroup("items", "i3", 300, 399), RowGroup("supply_hourly", "s")};
  units.days = {OrdersDay("o12", 1, 100, 199, 1, 1), OrdersDay("o12", 2, 200, 299, 1, 2),
                OrdersDay("o3", 3, 300, 399, 3, 3)};
  for (int day = 1; day <= 3; ++day) {
    units.days.push_back({.table = "supply_hourly", .id = "s", .day = Day(day), .rows = 24});
  }
  return units;
}

std::vector<Date> Days(std::initializer_list<int> days) {
  std::vector<Date> out;
  for (int day : days) out.push_back(Day(day));
  return out;
}

TEST(SourceUnitsTest, TheSameUnitsChangeNothing) {
  const UnitChanges changes = CompareUnits(Before(), Before());
  EXPECT_EQ(changes.changed_units, 0u);
  EXPECT_TRUE(changes.days.empty());
  EXPECT_FALSE(changes.all_days);
  EXPECT_FALSE(changes.change_log);
}

TEST(SourceUnitsTest, ANewOrdersRowGroupChangesItsDaysAlone) {
  DataUnits now = Before();
  now.units.push_back(RowGroup("orders", "o4"));
  now.days.push_back(OrdersDay("o4", 4, 400, 499, 4, 4));
  now.units.push_back(RowGroup("items", "i4", 400, 499));
  const UnitChanges changes = CompareUnits(Before(), now);
  EXPECT_EQ(changes.changed_units, 2u);
  EXPECT_EQ(changes.days, Days({4}));
}

TEST(SourceUnitsTest, ARewrittenRowGroupChangesTheDaysItHeldAndHolds) {
  DataUnits now = Before();
  now.units[0].id = "o12-new";
  now.days[0].id = "o12-new";
  now.days[1].id = "o12-new";
  EXPECT_EQ(CompareUnits(Before(), now).days, Days({1, 2}));
}

TEST(SourceUnitsTest, APerOrderRowGroupChangesTheDaysOfTheOrdersItsRangeMeets) {
  // A late rating for an order of day 2, delivered in a file of its own.
  DataUnits now = Before();
  now.units.push_back(RowGroup("ratings", "late", 250, 250));
  EXPECT_EQ(CompareUnits(Before(), now).days, Days({2}));
  // A row group gone counts against the orders as they were.
  DataUnits fewer = Before();
  fewer.units.erase(fewer.units.begin() + 3);  // i2
  EXPECT_EQ(CompareUnits(Before(), fewer).days, Days({2}));
  // Rows without an order_id join no order.
  DataUnits anonymous = Before();
  anonymous.units.push_back(RowGroup("support", "no-ids"));
  EXPECT_TRUE(CompareUnits(Before(), anonymous).days.empty());
}

TEST(SourceUnitsTest, SupplyChangesTheDaysWhoseOrdersWereCreatedThen) {
  DataUnits now = Before();
  now.units.back().id = "s-new";
  for (auto& day : now.days) {
    if (day.table == "supply_hourly") day.id = "s-new";
  }
  EXPECT_EQ(CompareUnits(Before(), now).days, Days({1, 2, 3}));
  // Only the supply of day 1: the orders of day 2 created on day 1 take its busy ratio too.
  DataUnits one = Before();
  one.units.push_back(RowGroup("supply_hourly", "s1"));
  one.days.push_back({.table = "supply_hourly", .id = "s1", .day = Day(1), .rows = 1});
  EXPECT_EQ(CompareUnits(Before(), one).days, Days({1, 2}));
}

TEST(SourceUnitsTest, ARewrittenInventoryRowGroupChangesOnlyTheDaysWhoseRowsDiffer) {
  // The whole table in one row group, written again with day 3's rows changed and day 4 added.
  const auto inventory = [](const std::string& id, std::initializer_list<int64_t> hashes) {
    DataUnits units = Before();
    units.units.push_back(RowGroup("inventory", id));
    int day = 0;
    for (const int64_t hash : hashes) {
      units.days.push_back(
          {.table = "inventory", .id = id, .day = Day(++day), .rows = 5, .row_hash = hash});
    }
    return units;
  };
  EXPECT_EQ(CompareUnits(inventory("v1", {11, 12, 13}), inventory("v2", {11, 12, 99, 14})).days,
            Days({3, 4}));
}

TEST(SourceUnitsTest, APerOrderRowGroupListedByDayChangesOnlyTheDaysWhoseRowsDiffer) {
  // Support in one row group spanning every day, written again with a ticket added on day 2.
  const auto support = [](const std::string& id, int64_t day2_rows, int64_t day2_hash) {
    DataUnits units = Before();
    SourceUnit unit = RowGroup("support", id, 100, 399);
    unit.by_day = true;
    units.units.push_back(unit);
    units.days.push_back({.table = "support", .id = id, .day = Day(1), .rows = 3, .row_hash = 7});
    units.days.push_back(
        {.table = "support", .id = id, .day = Day(2), .rows = day2_rows, .row_hash = day2_hash});
    units.days.push_back({.table = "support", .id = id, .day = Day(3), .rows = 1, .row_hash = 5});
    return units;
  };
  EXPECT_EQ(CompareUnits(support("t1", 2, 40), support("t2", 3, 41)).days, Days({2}));
  EXPECT_TRUE(CompareUnits(support("t1", 2, 40), support("t1", 2, 40)).days.empty());
}

TEST(SourceUnitsTest, ALastRowGroupWrittenAgainWithADayAppendedChangesThatDayAlone) {
  // The items of days 2 and 3 in their file's last row group (listed by day), written again with
  // day 4's appended; against a row group known by its range alone, days 2 and 3 would change.
  const auto items = [](const std::string& id, int64_t max_order, int last_day, int64_t day3_hash) {
    DataUnits units = Before();
    units.units.erase(units.units.begin() + 3, units.units.begin() + 5);  // i2, i3
    if (last_day == 4) {
      units.units.push_back(RowGroup("orders", "o4"));
      units.days.push_back(OrdersDay("o4", 4, 400, 499, 4, 4));
    }
    SourceUnit unit = RowGroup("items", id, 200, max_order);
    unit.by_day = true;
    units.units.push_back(unit);
    units.days.push_back({.table = "items", .id = id, .day = Day(2), .rows = 40, .row_hash = 2});
    units.days.push_back(
        {.table = "items", .id = id, .day = Day(3), .rows = 40, .row_hash = day3_hash});
    if (last_day == 4) {
      units.days.push_back({.table = "items", .id = id, .day = Day(4), .rows = 40, .row_hash = 4});
    }
    return units;
  };
  const UnitChanges appended = CompareUnits(items("i23", 399, 3, 3), items("i234", 499, 4, 3));
  EXPECT_EQ(appended.days, Days({4}));
  EXPECT_EQ(appended.same_days, Days({2, 3}));
  // A row of day 3 edited in the rewritten row group: day 3 is summed again.
  const UnitChanges edited = CompareUnits(items("i23", 399, 3, 3), items("i234", 499, 4, 33));
  EXPECT_EQ(edited.days, Days({3, 4}));
  EXPECT_EQ(edited.same_days, Days({2}));
}

TEST(SourceUnitsTest, AWholeTableChangesEveryDayAndTheChangeLogNone) {
  DataUnits csv = Before();
  csv.units.push_back({.table = "deliveries", .file = "deliveries.csv", .id = "d-csv"});
  EXPECT_TRUE(CompareUnits(Before(), csv).all_days);
  DataUnits changes = Before();
  changes.units.push_back(RowGroup("change_log", "c"));
  const UnitChanges found = CompareUnits(Before(), changes);
  EXPECT_TRUE(found.change_log);
  EXPECT_FALSE(found.all_days);
  EXPECT_TRUE(found.days.empty());
}

TEST(SourceUnitsTest, UnitsCompareAsMultisets) {
  // The same row group twice (a copied file) is a change: its rows count twice.
  DataUnits now = Before();
  now.units.push_back(RowGroup("orders", "o3"));
  const UnitChanges changes = CompareUnits(Before(), now);
  EXPECT_EQ(changes.changed_units, 1u);
  EXPECT_EQ(changes.days, Days({3}));
}

TEST(SourceUnitsTest, ChecksOfARefreshReadTheNewRowGroupsAndKnowTheOthersByDaysAndIds) {
  DataUnits now = Before();
  now.units.push_back(RowGroup("orders", "o4"));
  now.units.back().file = "orders-new.parquet";
  now.days.push_back(OrdersDay("o4", 4, 400, 499, 4, 4));
  now.units.push_back(RowGroup("items", "i4", 400, 499));
  const CheckScope scope = ChecksOfChanges(Before(), now);
  ASSERT_EQ(scope.changed.size(), 3u);  // orders, items, and supply_hourly with nothing new
  ASSERT_EQ(scope.changed.at("orders").size(), 1u);
  EXPECT_EQ(scope.changed.at("orders")[0].file, "orders-new.parquet");
  EXPECT_EQ(scope.changed.at("orders")[0].first, 0);
  EXPECT_EQ(scope.changed.at("orders")[0].last, 9);
  EXPECT_EQ(scope.changed.at("items").size(), 1u);
  EXPECT_TRUE(scope.changed.at("supply_hourly").empty());
  const std::map<Date, int64_t> days{{Day(1), 10}, {Day(2), 10}, {Day(3), 10}, {Day(4), 10}};
  EXPECT_EQ(scope.order_days, days);
  ASSERT_EQ(scope.checked.size(), 6u);
  const CheckedPart& o12 = scope.checked[0];
  EXPECT_EQ(o12.table, "orders");
  EXPECT_EQ(o12.min_key, 100);
  EXPECT_EQ(o12.max_key, 299);
  EXPECT_EQ(o12.first_day, Day(1));
  EXPECT_EQ(o12.last_day, Day(2));
  const CheckedPart& i2 = scope.checked[3];
  EXPECT_EQ(i2.table, "items");
  EXPECT_EQ(i2.min_key, 200);
  EXPECT_EQ(i2.max_key, 299);
  EXPECT_FALSE(i2.first_day);
}

TEST(SourceUnitsTest, ChecksOfARefreshTakeACopiedRowGroupAsNewAndANewWholeTableWhole) {
  DataUnits now = Before();
  now.units.push_back(RowGroup("orders", "o3"));
  now.units.back().file = "orders-copy.parquet";
  now.units.push_back({.table = "deliveries", .file = "deliveries.csv", .id = "d-csv"});
  const CheckScope scope = ChecksOfChanges(Before(), now);
  ASSERT_EQ(scope.changed.at("orders").size(), 1u);
  EXPECT_EQ(scope.changed.at("orders")[0].file, "orders-copy.parquet");
  EXPECT_EQ(scope.order_days.at(Day(3)), 20);  // its orders count twice
  EXPECT_FALSE(scope.changed.contains("deliveries"));
  // The orders are read whole unless every unit of theirs is a row group.
  DataUnits csv = Before();
  csv.units.push_back({.table = "orders", .file = "orders.csv", .id = "o-csv"});
  EXPECT_FALSE(ChecksOfChanges(csv, csv).changed.contains("orders"));
  EXPECT_TRUE(ChecksOfChanges(csv, csv).changed.contains("items"));
}

}  // namespace
}  // namespace cxagent::storage
