#include "storage/clickhouse_dataset.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "common/error.hpp"
#include "storage/clickhouse_client.hpp"
#include "storage/clickhouse_layout.hpp"
#include "storage/clickhouse_result.hpp"
#include "storage/data_folder.hpp"
#include "storage/duckdb.hpp"

namespace cxagent::storage {

namespace {

// Whether a column of ClickHouse type `type` holds the contract's `contract` values.
bool Holds(ColumnType contract, const std::string& type) {
  std::string bare = type;
  for (const char* wrapper : {"Nullable(", "LowCardinality("}) {
    while (bare.starts_with(wrapper) && bare.ends_with(")")) {
      bare = bare.substr(std::string_view(wrapper).size(),
                         bare.size() - std::string_view(wrapper).size() - 1);
    }
  }
  if (contract == ColumnType::BOOLEAN) return bare == "UInt8" || bare == "Int8" || bare == "Bool";
  const std::optional<ColumnType> held = ColumnTypeOfClickHouse(bare);
  if (!held) return false;
  switch (contract) {
    case ColumnType::INTEGER:
    case ColumnType::BIGINT:
      return *held == ColumnType::INTEGER || *held == ColumnType::BIGINT;
    case ColumnType::DOUBLE:
      return *held == ColumnType::DOUBLE || *held == ColumnType::INTEGER ||
             *held == ColumnType::BIGINT;
    default:
      return *held == contract;
  }
}

}  // namespace

std::string ClickHouseSchema::TypeOf(std::string_view table, std::string_view column) const {
  const auto found = tables.find(std::string(table));
  if (found == tables.end()) return {};
  for (const auto& [name, type] : found->second.columns) {
    if (name == column) return type;
  }
  return {};
}

ClickHouseSchema DiscoverClickHouseSchema(const ClickHouseLocation& location) {
  ClickHouseSchema schema;
  schema.location = location;
  // Every query names the database (?database=), so a missing one is the server's own error.
  const ClickHouseClient client(location);
  const std::string database = SqlLiteral(location.database);
  const Table tables =
      client.Query("SELECT name, engine FROM system.tables WHERE database = " + database);
  std::map<std::string, std::string> engines;
  for (size_t row = 0; row < tables.RowCount(); ++row) {
    engines[std::string(tables.Get("name").StringAt(row))] =
        std::string(tables.Get("engine").StringAt(row));
  }
  const Table columns =
      client.Query("SELECT table, name, type FROM system.columns WHERE database = " + database);
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> columns_of;
  for (size_t row = 0; row < columns.RowCount(); ++row) {
    columns_of[std::string(columns.Get("table").StringAt(row))].emplace_back(
        columns.Get("name").StringAt(row), columns.Get("type").StringAt(row));
  }
  const std::string where = DescribeClickHouseLocation(location);
  for (std::string_view contract : TABLE_NAMES) {
    const std::string name(contract);
    const auto engine = engines.find(name);
    if (engine == engines.end()) continue;
    ClickHouseTable table;
    table.relation = location.database + "." + name;
    table.join_relation = table.relation;
    table.engine = engine->second;
    table.distributed = engine->second == "Distributed";
    if (table.distributed) {
      if (ShardingOf(contract) == ClickHouseSharding::REPLICATED) {
        throw InvalidInput(
            "{}: the {} table is Distributed; a small table must be a plain table on every shard "
            "(as cxagent load makes it), so that shard-local joins see all of it",
            where, name);
      }
      if (!engines.contains(name + "_local")) {
        throw InvalidInput(
            "{}: the {} table is Distributed but {}_local is not beside it; the analysis joins "
            "each shard's {}_local with its orders (cxagent load makes this layout)",
            where, name, name, name);
      }
      table.join_relation = location.database + "." + name + "_local";
    }
    table.columns = columns_of[name];
    for (const auto& [column, type] : table.columns) {
      for (const auto& required : RequiredColumns(contract)) {
        if (required.name != column || Holds(required.type, type)) continue;
        throw InvalidInput(
            "{}: column {} of the {} table is {} in ClickHouse; the contract needs {}", where,
            column, name, type, SqlTypeName(required.type));
      }
    }
    schema.tables.emplace(name, std::move(table));
  }
  return schema;
}

}  // namespace cxagent::storage
