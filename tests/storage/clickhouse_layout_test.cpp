#include "storage/clickhouse_layout.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/error.hpp"
#include "storage/data_folder.hpp"
#include "storage/duckdb.hpp"
#include "support/test_support.hpp"

namespace cxagent::storage {
namespace {

using testing::ErrorMessage;

// The contract's columns of `table`, none of them NULL in the data.
std::vector<LoadColumn> ContractColumns(std::string_view table) {
  std::vector<LoadColumn> columns;
  for (const auto& column : RequiredColumns(table)) {
    columns.push_back({.name = std::string(column.name), .type = column.type});
  }
  return columns;
}

TEST(ClickHouseLayoutTest, PerOrderTablesAreShardedAndSmallOnesReplicated) {
  for (const char* table : {"orders", "deliveries", "items", "support", "ratings"}) {
    EXPECT_EQ(ShardingOf(table), ClickHouseSharding::BY_ORDER) << table;
  }
  for (const char* table : {"supply_hourly", "inventory", "change_log"}) {
    EXPECT_EQ(ShardingOf(table), ClickHouseSharding::REPLICATED) << table;
  }
  EXPECT_EQ(ErrorMessage([] { ShardingOf("nope"); }, ErrorType::INTERNAL),
            "nope is not a contract table");
}

TEST(ClickHouseLayoutTest, NamesOfShardedAndReplicatedTables) {
  const auto orders = PlanClickHouseTable("orders", ContractColumns("orders"));
  EXPECT_EQ(orders.StorageName(), "orders_local");
  EXPECT_EQ(orders.DistributedName(), "orders");
  const auto inventory = PlanClickHouseTable("inventory", ContractColumns("inventory"));
  EXPECT_EQ(inventory.StorageName(), "inventory");
  EXPECT_EQ(inventory.DistributedName(), "");
  EXPECT_EQ(FinalNames("items"), (std::vector<std::string>{"items_local", "items"}));
  EXPECT_EQ(FinalNames("change_log"), (std::vector<std::string>{"change_log"}));
  EXPECT_EQ(StagingName("orders_local"), "orders_local__loading");
  EXPECT_EQ(RetiredName("orders"), "orders__old");
}

TEST(ClickHouseLayoutTest, ColumnsAreNullableWhereTheContractOrTheDataHasNulls) {
  auto columns = ContractColumns("orders");
  for (auto& column : columns) {
    if (column.name == "merchant") column.nulls = 3;
  }
  const auto plan = PlanClickHouseTable("orders", columns);
  for (const auto& column : plan.columns) {
    EXPECT_EQ(column.nullable, column.name == "cancel_reason" || column.name == "merchant")
        << column.name;
  }
  const auto items = PlanClickHouseTable("items", ContractColumns("items"));
  for (const auto& column : items.columns) {
    EXPECT_EQ(column.nullable, column.name == "substitution_accepted") << column.name;
  }
}

TEST(ClickHouseLayoutTest, ShardedTablesNeedAnOrderIdInEveryRow) {
  auto columns = ContractColumns("support");
  columns[1].nulls = 2;  // order_id
  ASSERT_EQ(columns[1].name, "order_id");
  EXPECT_EQ(ErrorMessage([&] { PlanClickHouseTable("support", columns); }),
            "the support table has 2 rows without order_id; it is split over the shards by "
            "order_id, so every row needs one");
  EXPECT_EQ(ErrorMessage([] {
              PlanClickHouseTable("ratings", {{.name = "rating", .type = ColumnType::INTEGER}});
            }),
            "the ratings table has no order_id column; it is split over the shards by order_id");
  // A replicated table may have NULLs anywhere.
  auto inventory = ContractColumns("inventory");
  inventory[0].nulls = 1;
  EXPECT_TRUE(PlanClickHouseTable("inventory", inventory).columns[0].nullable);
}

TEST(ClickHouseLayoutTest, TypesRunOnOldAndCurrentServers) {
  EXPECT_EQ(ClickHouseType({.name = "a", .type = ColumnType::BOOLEAN}), "UInt8");
  EXPECT_EQ(ClickHouseType({.name = "a", .type = ColumnType::INTEGER}), "Int32");
  EXPECT_EQ(ClickHouseType({.name = "a", .type = ColumnType::BIGINT}), "Int64");
  EXPECT_EQ(ClickHouseType({.name = "a", .type = ColumnType::DOUBLE}), "Float64");
  EXPECT_EQ(ClickHouseType({.name = "a", .type = ColumnType::VARCHAR}), "String");
  EXPECT_EQ(ClickHouseType({.name = "a", .type = ColumnType::DATE}), "Date");
  EXPECT_EQ(ClickHouseType({.name = "a", .type = ColumnType::TIMESTAMP}), "DateTime('UTC')");
  EXPECT_EQ(ClickHouseType({.name = "a", .type = ColumnType::TIMESTAMP, .nullable = true}),
            "Nullable(DateTime('UTC'))");
}

TEST(ClickHouseLayoutTest, IdentifiersAreQuotedOnlyWhenNeeded) {
  EXPECT_EQ(ClickHouseIdentifier("order_id"), "order_id");
  EXPECT_EQ(ClickHouseIdentifier("Region2"), "Region2");
  EXPECT_EQ(ClickHouseIdentifier("2nd"), "`2nd`");
  EXPECT_EQ(ClickHouseIdentifier("store tier"), "`store tier`");
  EXPECT_EQ(ClickHouseIdentifier("a`b\\c"), "`a\\`b\\\\c`");
}

TEST(ClickHouseLayoutTest, OrdersArePartitionedByMonthAndOrderedByDayAndOrder) {
  const auto plan = PlanClickHouseTable("orders", ContractColumns("orders"));
  EXPECT_EQ(CreateStorageTableSql(plan, "cx", "orders_local__loading"),
            "CREATE TABLE cx.orders_local__loading (order_id Int64, created_at DateTime('UTC'), "
            "order_date Date, region String, store_id Int32, store_type String, merchant String, "
            "customer_id Int64, customer_segment String, platform String, daypart String, "
            "fulfillment_mode String, n_items Int32, subtotal Float64, distance_km Float64, "
            "quoted_eta_min Float64, status String, cancel_reason Nullable(String)) ENGINE = "
            "MergeTree() PARTITION BY toYYYYMM(order_date) ORDER BY (order_date, order_id)");
}

TEST(ClickHouseLayoutTest, OtherTablesAreOrderedByTheirKeys) {
  const auto deliveries = PlanClickHouseTable("deliveries", ContractColumns("deliveries"));
  EXPECT_EQ(CreateStorageTableSql(deliveries, "cx", "deliveries_local"),
            "CREATE TABLE cx.deliveries_local (order_id Int64, dasher_id Int64, vehicle String, "
            "is_batched UInt8, batch_size Int32, assign_delay_min Float64, prep_wait_min "
            "Float64, shop_min Float64, travel_min Float64, actual_eta_min Float64, late_min "
            "Float64, delivered_at Nullable(DateTime('UTC')), weather String) ENGINE = "
            "MergeTree() ORDER BY order_id");
  const auto items = PlanClickHouseTable("items", ContractColumns("items"));
  EXPECT_TRUE(CreateStorageTableSql(items, "cx", "items_local")
                  .ends_with("ENGINE = MergeTree() ORDER BY (order_id, line_no)"));
  const auto supply = PlanClickHouseTable("supply_hourly", ContractColumns("supply_hourly"));
  EXPECT_TRUE(CreateStorageTableSql(supply, "cx", "supply_hourly")
                  .ends_with("ENGINE = MergeTree() ORDER BY (region, hour)"));
}

TEST(ClickHouseLayoutTest, NullableKeyColumnsAreLeftOutOfTheSortingKey) {
  auto columns = ContractColumns("orders");
  columns[2].nulls = 1;  // order_date: no partition, and the key is order_id alone
  ASSERT_EQ(columns[2].name, "order_date");
  const auto orders = PlanClickHouseTable("orders", columns);
  EXPECT_TRUE(CreateStorageTableSql(orders, "cx", "orders_local")
                  .ends_with("cancel_reason Nullable(String)) ENGINE = MergeTree() ORDER BY "
                             "order_id"));
  auto log = ContractColumns("change_log");
  for (auto& column : log) column.nulls = 1;
  EXPECT_TRUE(CreateStorageTableSql(PlanClickHouseTable("change_log", log), "cx", "change_log")
                  .ends_with("ENGINE = MergeTree() ORDER BY tuple()"));
}

TEST(ClickHouseLayoutTest, DistributedTableShardsByTheOrdersHash) {
  const auto ratings = PlanClickHouseTable("ratings", ContractColumns("ratings"));
  EXPECT_EQ(CreateDistributedTableSql(ratings, "cx", "two-shards.v1", "ratings__loading",
                                      "ratings_local__loading"),
            "CREATE TABLE cx.ratings__loading (order_id Int64, rated_at DateTime('UTC'), rating "
            "Int32) ENGINE = Distributed('two-shards.v1', 'cx', 'ratings_local__loading', "
            "cityHash64(order_id))");
}

TEST(ClickHouseLayoutTest, InsertNamesTheColumnsInTheFilesOrder) {
  const auto ratings = PlanClickHouseTable("ratings", ContractColumns("ratings"));
  EXPECT_EQ(ClickHouseInsertSql(ratings, "cx", "ratings__loading"),
            "INSERT INTO cx.ratings__loading (order_id, rated_at, rating) FORMAT CSV");
  const auto orders =
      PlanClickHouseTable("orders", {{.name = "order_id", .type = ColumnType::BIGINT},
                                     {.name = "store tier", .type = ColumnType::VARCHAR}});
  EXPECT_EQ(ClickHouseInsertSql(orders, "cx", "orders"),
            "INSERT INTO cx.orders (order_id, `store tier`) FORMAT CSV");
}

TEST(ClickHouseLayoutTest, DuckDbWritesValuesInClickHousesInputForm) {
  Database database;
  Connection connection(database);
  connection.Execute(
      "CREATE TEMP TABLE t AS SELECT * FROM (VALUES "
      "(1, TIMESTAMP '2026-06-01 04:11:14.875', DATE '2026-06-01', true, 0.1::DOUBLE + "
      "0.2::DOUBLE, "
      "'a,b', 7), "
      "(2, NULL, NULL, false, -7.96, NULL, NULL)) v(id, ts, d, flag, x, s, n)");
  const ClickHouseTablePlan plan{.table = "change_log",
                                 .sharding = ClickHouseSharding::REPLICATED,
                                 .columns = {{.name = "id", .type = ColumnType::BIGINT},
                                             {.name = "ts", .type = ColumnType::TIMESTAMP},
                                             {.name = "d", .type = ColumnType::DATE},
                                             {.name = "flag", .type = ColumnType::BOOLEAN},
                                             {.name = "x", .type = ColumnType::DOUBLE},
                                             {.name = "s", .type = ColumnType::VARCHAR},
                                             {.name = "n", .type = ColumnType::INTEGER}}};
  std::vector<std::vector<std::string>> rows;
  connection.StreamText(DuckDbCsvSelect(plan, "t") + " ORDER BY id", [&](const TextChunk& chunk) {
    for (size_t row = 0; row < chunk.RowCount(); ++row) {
      std::vector<std::string> cells;
      for (size_t column = 0; column < chunk.ColumnCount(); ++column) {
        cells.push_back(std::string(chunk.Cell(row, column).value_or("NULL")));
      }
      rows.push_back(cells);
    }
  });
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"1", "2026-06-01 04:11:14", "2026-06-01", "1",
                                               "0.30000000000000004", "a,b", "7"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"2", "NULL", "NULL", "0", "-7.96", "NULL", "NULL"}));
}

}  // namespace
}  // namespace cxagent::storage
