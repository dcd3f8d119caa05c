#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/table.hpp"

namespace cxagent::storage {

//! How a contract table is spread over the shards of a ClickHouse cluster (docs/clickhouse.md).
enum class ClickHouseSharding {
  BY_ORDER,    //!< split by cityHash64(order_id): an order's rows of every table on one shard
  REPLICATED,  //!< small tables copied whole to every shard, so shard-local joins see all of them
};

//! The sharding of contract table `table`: BY_ORDER for orders, deliveries, items, support and
//! ratings, REPLICATED for supply_hourly, inventory and change_log. Throws Internal for a name
//! that is not a contract table.
ClickHouseSharding ShardingOf(std::string_view table);

//! One column of a table loaded into ClickHouse.
struct ClickHouseColumn {
  std::string name;
  ColumnType type = ColumnType::VARCHAR;
  bool nullable = false;  //!< Nullable(T): the contract allows NULL or the data has some
};

//! A column of the data to load and how many of its rows are NULL (PlanClickHouseTable's input).
struct LoadColumn {
  std::string name;
  ColumnType type = ColumnType::VARCHAR;
  int64_t nulls = 0;
};

//! A contract table as it is laid out in ClickHouse: its sharding, columns and table names.
struct ClickHouseTablePlan {
  std::string table;
  ClickHouseSharding sharding = ClickHouseSharding::BY_ORDER;
  std::vector<ClickHouseColumn> columns;

  //! The MergeTree table holding a shard's rows: `<table>_local` when sharded by order,
  //! `<table>` when replicated (each shard reads its own full copy under the contract name).
  std::string StorageName() const;
  //! The Distributed table over the shards' storage tables (`<table>`); empty when replicated.
  std::string DistributedName() const;
};

//! The names a load writes before it renames them into place: `<name>__loading`.
std::string StagingName(std::string_view name);
//! The names existing tables are renamed to while a load with --replace swaps them out:
//! `<name>__old`.
std::string RetiredName(std::string_view name);
//! The final names the layout gives contract table `table` on every shard (its storage table,
//! then its Distributed table when sharded by order).
std::vector<std::string> FinalNames(std::string_view table);

//! Plans `table` from the columns to load (the contract's, then any others such as a dataset
//! file's own dimensions) and their NULL counts: a column is Nullable when the contract allows
//! NULL in it (orders.cancel_reason, deliveries.delivered_at, items.substitution_accepted) or
//! when the data has a NULL in it. Throws InvalidInput naming the table when a table sharded by
//! order lacks order_id or has rows without it (such rows belong to no shard).
ClickHouseTablePlan PlanClickHouseTable(std::string_view table,
                                        const std::vector<LoadColumn>& columns);

//! A ClickHouse identifier: the name as it is when it is letters, digits and _ (not starting with
//! a digit), else in backquotes with backquotes and backslashes escaped.
std::string ClickHouseIdentifier(std::string_view name);

//! The ClickHouse type of a column, valid on 18.16 and current servers: Int64, Int32, Float64,
//! String, Date, DateTime('UTC') (whole seconds, read and printed as written whatever the
//! server's time zone), UInt8 for BOOLEAN; wrapped in Nullable(...) when nullable.
std::string ClickHouseType(const ClickHouseColumn& column);

//! `CREATE TABLE database.name (...) ENGINE = MergeTree() [PARTITION BY ...] ORDER BY ...` for the
//! plan's rows: orders partitioned by month of order_date, every table ordered by its natural key
//! (orders by order_date and order_id, the per-order tables by order_id first) using only the key
//! columns that are present and not Nullable, `tuple()` when none is.
std::string CreateStorageTableSql(const ClickHouseTablePlan& plan, std::string_view database,
                                  std::string_view name);

//! `CREATE TABLE database.name (...) ENGINE = Distributed('cluster', 'database', 'storage',
//! cityHash64(order_id))`: the Distributed table over every shard's `storage` table.
std::string CreateDistributedTableSql(const ClickHouseTablePlan& plan, std::string_view database,
                                      std::string_view cluster, std::string_view name,
                                      std::string_view storage);

//! `INSERT INTO database.name (columns in the plan's order) FORMAT CSV`: the explicit list makes
//! 18.16 and current servers map the CSV's fields the same way.
std::string ClickHouseInsertSql(const ClickHouseTablePlan& plan, std::string_view database,
                                std::string_view name);

//! The DuckDB query that reads the plan's columns from `relation` as text in ClickHouse's CSV
//! input form (every column VARCHAR, NULL kept): booleans as 0/1, timestamps as
//! `YYYY-MM-DD hh:mm:ss` (the fraction dropped), dates as `YYYY-MM-DD`, numbers as DuckDB prints
//! them (doubles in shortest round-trip form); each column first cast to its contract type.
std::string DuckDbCsvSelect(const ClickHouseTablePlan& plan, std::string_view relation);

}  // namespace cxagent::storage
