#include "storage/clickhouse_reads.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/error.hpp"
#include "storage/clickhouse_client.hpp"
#include "storage/clickhouse_layout.hpp"
#include "storage/data_folder.hpp"
#include "storage/dataset.hpp"
#include "storage/duckdb.hpp"

namespace cxagent::storage {

namespace {

constexpr std::string_view PER_ORDER_TABLES[] = {"deliveries", "items", "support", "ratings"};

// The orders' day as ClickHouse computes it (order_date, else the day of created_at).
std::string OrdersDay(const Dataset& dataset) {
  return dataset.ClickHouse()->TypeOf("orders", "order_date").empty() ? "toDate(created_at)"
                                                                      : "order_date";
}

// The ClickHouse SELECT list of `table`'s contract columns the data has (orders' date columns
// derived from each other as a data folder's view derives them); the others stay NULL.
std::vector<std::string> SelectList(const Dataset& dataset, std::string_view table) {
  const ClickHouseSchema& schema = *dataset.ClickHouse();
  std::vector<std::string> select;
  for (const auto& column : RequiredColumns(table)) {
    if (!schema.TypeOf(table, column.name).empty()) {
      select.push_back(SqlIdentifier(column.name));
    } else if (table == "orders" && column.name == "order_date") {
      select.emplace_back("toDate(created_at) AS order_date");
    } else if (table == "orders" && column.name == "created_at") {
      select.emplace_back("toDateTime(order_date) AS created_at");
    }
  }
  return select;
}

// Appends the rows `sql` returns from ClickHouse to TEMP table `table` (the contract's columns),
// each column cast to the contract's type; returns the number of rows.
int64_t FetchInto(Connection& connection, const Dataset& dataset, std::string_view table,
                  const std::string& sql) {
  const Table rows = ClickHouseClient(dataset.ClickHouse()->location).Query(sql);
  if (rows.columns.empty()) return 0;
  const std::string staging = fmt::format("{}__clickhouse", table);
  std::vector<std::string> columns;
  std::vector<std::string> names;
  std::vector<std::string> casts;
  for (const auto& column : rows.columns) {
    columns.push_back(fmt::format("{} {}", SqlIdentifier(column.name), SqlTypeName(column.type)));
    names.push_back(SqlIdentifier(column.name));
    ColumnType type = column.type;
    for (const auto& contract : RequiredColumns(table)) {
      if (contract.name == column.name) type = contract.type;
    }
    casts.push_back(fmt::format("CAST({} AS {})", SqlIdentifier(column.name), SqlTypeName(type)));
  }
  connection.Execute(fmt::format("CREATE OR REPLACE TEMP TABLE {} ({})", SqlIdentifier(staging),
                                 fmt::join(columns, ", ")));
  {
    Appender appender(connection, staging, "temp");
    appender.Append(rows);
    appender.Flush();
  }
  connection.Execute(fmt::format("INSERT INTO {} ({}) SELECT {} FROM {}; DROP TABLE {}",
                                 SqlIdentifier(table), fmt::join(names, ", "),
                                 fmt::join(casts, ", "), SqlIdentifier(staging),
                                 SqlIdentifier(staging)));
  return static_cast<int64_t>(rows.RowCount());
}

}  // namespace

void RegisterClickHouseTables(Connection& connection, const Dataset& dataset) {
  const ClickHouseSchema* schema = dataset.ClickHouse();
  if (schema == nullptr) throw InvalidInput("{} is not a ClickHouse dataset", dataset.Folder());
  for (std::string_view table : TABLE_NAMES) {
    std::vector<std::string> columns;
    for (const auto& column : RequiredColumns(table)) {
      columns.push_back(fmt::format("{} {}", SqlIdentifier(column.name), SqlTypeName(column.type)));
    }
    connection.Execute(fmt::format("CREATE OR REPLACE TEMP TABLE {} ({})", SqlIdentifier(table),
                                   fmt::join(columns, ", ")));
    // The small tables whole: a few rows per region-hour or store-day, not per order.
    if (!dataset.HasTable(table) || ShardingOf(table) != ClickHouseSharding::REPLICATED) continue;
    const std::vector<std::string> select = SelectList(dataset, table);
    if (select.empty()) continue;
    FetchInto(connection, dataset, table,
              fmt::format("SELECT {} FROM {}", fmt::join(select, ", "),
                          schema->tables.at(std::string(table)).relation));
  }
}

std::string ClickHouseDuckDbHashSql(const std::string& x) {
  // 0xd6e8feb86659fd93, DuckDB's MurmurHash64 constant (src/include/duckdb/common/types/hash.hpp).
  const std::string factor = "15485907386658061715";
  const auto mix = [](const std::string& value) {
    return fmt::format("bitXor({0}, bitShiftRight({0}, 32))", value);
  };
  const std::string u = fmt::format("toUInt64({})", x);
  const std::string once = fmt::format("({} * {})", mix(u), factor);
  const std::string twice = fmt::format("({} * {})", mix(once), factor);
  return mix(twice);
}

std::string ClickHouseSelectionSql(const Dataset& dataset,
                                   const std::vector<OrderSelection>& selections) {
  const std::string day = OrdersDay(dataset);
  std::vector<std::string> any;
  for (const auto& selection : selections) {
    std::vector<std::string> all;
    for (const auto& [column, value] : selection.equals) {
      all.push_back(fmt::format("{} = {}", SqlIdentifier(column), SqlLiteral(value)));
    }
    all.push_back(fmt::format("{} BETWEEN toDate('{}') AND toDate('{}')", day,
                              FormatDate(selection.first), FormatDate(selection.last)));
    if (selection.below < 1'000'000) {
      all.push_back(
          fmt::format("{} % 1000000 < {}", ClickHouseDuckDbHashSql("order_id"), selection.below));
    }
    any.push_back(fmt::format("({})", fmt::join(all, " AND ")));
  }
  return any.empty() ? std::string("0") : fmt::format("{}", fmt::join(any, " OR "));
}

int64_t FetchClickHouseOrders(Connection& connection, const Dataset& dataset,
                              const std::vector<OrderSelection>& selections) {
  const ClickHouseSchema* schema = dataset.ClickHouse();
  if (schema == nullptr) throw InvalidInput("{} is not a ClickHouse dataset", dataset.Folder());
  const std::string condition = ClickHouseSelectionSql(dataset, selections);
  connection.Execute("DELETE FROM orders");
  const int64_t orders = FetchInto(
      connection, dataset, "orders",
      fmt::format("SELECT {} FROM {} WHERE {}", fmt::join(SelectList(dataset, "orders"), ", "),
                  schema->tables.at("orders").relation, condition));
  // Each shard's rows of the selected orders, found among its own orders (an IN subquery over
  // the shard-local table; docs/clickhouse.md, "Shard-local joins").
  const std::string selected = fmt::format("order_id IN (SELECT order_id FROM {} WHERE {})",
                                           schema->tables.at("orders").join_relation, condition);
  for (std::string_view table : PER_ORDER_TABLES) {
    connection.Execute(fmt::format("DELETE FROM {}", SqlIdentifier(table)));
    if (!dataset.HasTable(table) || schema->TypeOf(table, "order_id").empty()) continue;
    FetchInto(connection, dataset, table,
              fmt::format("SELECT {} FROM {} WHERE {}", fmt::join(SelectList(dataset, table), ", "),
                          schema->tables.at(std::string(table)).relation, selected));
  }
  return orders;
}

DataSummary SummarizeClickHouseData(const Dataset& dataset) {
  const ClickHouseSchema* schema = dataset.ClickHouse();
  if (schema == nullptr) throw InvalidInput("{} is not a ClickHouse dataset", dataset.Folder());
  const std::string day = OrdersDay(dataset);
  const Table result = ClickHouseClient(schema->location)
                           .Query(fmt::format("SELECT toInt64(count()) AS orders, "
                                              "toString(min({0})) AS first, toString(max({0})) AS "
                                              "last FROM {1}",
                                              day, schema->tables.at("orders").relation));
  DataSummary summary;
  summary.orders = result.Get("orders").ints.at(0);
  if (summary.orders > 0) {
    summary.start_date = std::string(result.Get("first").StringAt(0));
    summary.end_date = std::string(result.Get("last").StringAt(0));
  }
  return summary;
}

}  // namespace cxagent::storage
