#include "storage/clickhouse_layout.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <utility>

#include "common/error.hpp"
#include "storage/duckdb.hpp"

namespace cxagent::storage {

namespace {

struct TableKeys {
  std::string_view table;
  ClickHouseSharding sharding;
  std::vector<std::string_view> order_by;  // the natural key, in MergeTree's ORDER BY order
};

const std::vector<TableKeys>& AllTableKeys() {
  using S = ClickHouseSharding;
  static const std::vector<TableKeys> keys = {
      {"orders", S::BY_ORDER, {"order_date", "order_id"}},
      {"deliveries", S::BY_ORDER, {"order_id"}},
      {"items", S::BY_ORDER, {"order_id", "line_no"}},
      {"support", S::BY_ORDER, {"order_id", "ticket_id"}},
      {"ratings", S::BY_ORDER, {"order_id"}},
      {"inventory", S::REPLICATED, {"date", "store_id", "category"}},
      {"supply_hourly", S::REPLICATED, {"region", "hour"}},
      {"change_log", S::REPLICATED, {"changed_at", "change_id"}},
  };
  return keys;
}

const TableKeys& KeysOf(std::string_view table) {
  for (const auto& keys : AllTableKeys()) {
    if (keys.table == table) return keys;
  }
  throw InternalError("{} is not a contract table", table);
}

// The columns domain.md §2 marks NULL-able.
bool ContractAllowsNull(std::string_view table, std::string_view column) {
  return (table == "orders" && column == "cancel_reason") ||
         (table == "deliveries" && column == "delivered_at") ||
         (table == "items" && column == "substitution_accepted");
}

const ClickHouseColumn* FindColumn(const ClickHouseTablePlan& plan, std::string_view name) {
  for (const auto& column : plan.columns) {
    if (column.name == name) return &column;
  }
  return nullptr;
}

std::string ColumnList(const ClickHouseTablePlan& plan, bool with_types) {
  std::vector<std::string> parts;
  for (const auto& column : plan.columns) {
    parts.push_back(with_types ? ClickHouseIdentifier(column.name) + " " + ClickHouseType(column)
                               : ClickHouseIdentifier(column.name));
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

std::string Qualified(std::string_view database, std::string_view name) {
  return ClickHouseIdentifier(database) + "." + ClickHouseIdentifier(name);
}

// A ClickHouse string literal.
std::string ClickHouseLiteral(std::string_view text) {
  std::string quoted = "'";
  for (const char c : text) {
    if (c == '\'' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "'";
}

}  // namespace

ClickHouseSharding ShardingOf(std::string_view table) {
  return KeysOf(table).sharding;
}

std::string ClickHouseTablePlan::StorageName() const {
  return sharding == ClickHouseSharding::BY_ORDER ? table + "_local" : table;
}

std::string ClickHouseTablePlan::DistributedName() const {
  return sharding == ClickHouseSharding::BY_ORDER ? table : std::string();
}

std::string StagingName(std::string_view name) {
  return std::string(name) + "__loading";
}

std::string RetiredName(std::string_view name) {
  return std::string(name) + "__old";
}

std::vector<std::string> FinalNames(std::string_view table) {
  if (ShardingOf(table) == ClickHouseSharding::REPLICATED) return {std::string(table)};
  return {std::string(table) + "_local", std::string(table)};
}

ClickHouseTablePlan PlanClickHouseTable(std::string_view table,
                                        const std::vector<LoadColumn>& columns) {
  ClickHouseTablePlan plan;
  plan.table = std::string(table);
  plan.sharding = ShardingOf(table);
  for (const auto& column : columns) {
    if (plan.sharding == ClickHouseSharding::BY_ORDER && column.name == "order_id" &&
        column.nulls > 0) {
      throw InvalidInput(
          "the {} table has {} rows without order_id; it is split over the shards by order_id, "
          "so every row needs one",
          table, column.nulls);
    }
    plan.columns.push_back(
        {.name = column.name,
         .type = column.type,
         .nullable = column.nulls > 0 || ContractAllowsNull(table, column.name)});
  }
  if (plan.sharding == ClickHouseSharding::BY_ORDER && FindColumn(plan, "order_id") == nullptr) {
    throw InvalidInput(
        "the {} table has no order_id column; it is split over the shards by order_id", table);
  }
  return plan;
}

std::string ClickHouseIdentifier(std::string_view name) {
  const bool plain = !name.empty() && !std::isdigit(static_cast<unsigned char>(name.front())) &&
                     std::all_of(name.begin(), name.end(), [](char c) {
                       return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                     });
  if (plain) return std::string(name);
  std::string quoted = "`";
  for (const char c : name) {
    if (c == '`' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "`";
}

std::string ClickHouseType(const ClickHouseColumn& column) {
  std::string_view type;
  switch (column.type) {
    case ColumnType::BOOLEAN:
      type = "UInt8";
      break;
    case ColumnType::INTEGER:
      type = "Int32";
      break;
    case ColumnType::BIGINT:
      type = "Int64";
      break;
    case ColumnType::DOUBLE:
      type = "Float64";
      break;
    case ColumnType::VARCHAR:
      type = "String";
      break;
    case ColumnType::DATE:
      type = "Date";
      break;
    case ColumnType::TIMESTAMP:
      type = "DateTime('UTC')";
      break;
  }
  return column.nullable ? fmt::format("Nullable({})", type) : std::string(type);
}

std::string CreateStorageTableSql(const ClickHouseTablePlan& plan, std::string_view database,
                                  std::string_view name) {
  std::vector<std::string> keys;
  for (const auto key : KeysOf(plan.table).order_by) {
    const ClickHouseColumn* column = FindColumn(plan, key);
    if (column != nullptr && !column->nullable) keys.push_back(ClickHouseIdentifier(key));
  }
  std::string partition;
  if (const ClickHouseColumn* day = FindColumn(plan, "order_date");
      plan.table == "orders" && day != nullptr && !day->nullable) {
    partition = " PARTITION BY toYYYYMM(order_date)";
  }
  const std::string order_by = keys.empty()       ? "tuple()"
                               : keys.size() == 1 ? keys.front()
                                                  : fmt::format("({})", fmt::join(keys, ", "));
  return fmt::format("CREATE TABLE {} ({}) ENGINE = MergeTree(){} ORDER BY {}",
                     Qualified(database, name), ColumnList(plan, true), partition, order_by);
}

std::string CreateDistributedTableSql(const ClickHouseTablePlan& plan, std::string_view database,
                                      std::string_view cluster, std::string_view name,
                                      std::string_view storage) {
  return fmt::format("CREATE TABLE {} ({}) ENGINE = Distributed({}, {}, {}, cityHash64(order_id))",
                     Qualified(database, name), ColumnList(plan, true), ClickHouseLiteral(cluster),
                     ClickHouseLiteral(database), ClickHouseLiteral(storage));
}

std::string ClickHouseInsertSql(const ClickHouseTablePlan& plan, std::string_view database,
                                std::string_view name) {
  return fmt::format("INSERT INTO {} ({}) FORMAT CSV", Qualified(database, name),
                     ColumnList(plan, false));
}

std::string DuckDbCsvSelect(const ClickHouseTablePlan& plan, std::string_view relation) {
  std::vector<std::string> parts;
  for (const auto& column : plan.columns) {
    const std::string name = SqlIdentifier(column.name);
    const std::string typed = fmt::format("CAST({} AS {})", name, SqlTypeName(column.type));
    std::string text;
    switch (column.type) {
      case ColumnType::BOOLEAN:
        text = fmt::format("CAST(CAST({} AS INTEGER) AS VARCHAR)", typed);
        break;
      case ColumnType::TIMESTAMP:
        text = fmt::format("strftime({}, '%Y-%m-%d %H:%M:%S')", typed);
        break;
      default:
        text = fmt::format("CAST({} AS VARCHAR)", typed);
        break;
    }
    parts.push_back(fmt::format("{} AS {}", text, name));
  }
  return fmt::format("SELECT {} FROM {}", fmt::join(parts, ", "), relation);
}

}  // namespace cxagent::storage
