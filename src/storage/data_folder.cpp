#include "storage/data_folder.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "common/date.hpp"
#include "common/error.hpp"
#include "storage/clickhouse_reads.hpp"
#include "storage/dataset.hpp"
#include "storage/duckdb.hpp"

namespace cxagent::storage {

namespace fs = std::filesystem;

namespace {

using C = ColumnType;

// domain.md §2, in the contract's order.
const std::map<std::string_view, std::vector<RequiredColumn>>& Contract() {
  static const std::map<std::string_view, std::vector<RequiredColumn>> contract{
      {"orders",
       {{"order_id", C::BIGINT},
        {"created_at", C::TIMESTAMP},
        {"order_date", C::DATE},
        {"region", C::VARCHAR},
        {"store_id", C::INTEGER},
        {"store_type", C::VARCHAR},
        {"merchant", C::VARCHAR},
        {"customer_id", C::BIGINT},
        {"customer_segment", C::VARCHAR},
        {"platform", C::VARCHAR},
        {"daypart", C::VARCHAR},
        {"fulfillment_mode", C::VARCHAR},
        {"n_items", C::INTEGER},
        {"subtotal", C::DOUBLE},
        {"distance_km", C::DOUBLE},
        {"quoted_eta_min", C::DOUBLE},
        {"status", C::VARCHAR},
        {"cancel_reason", C::VARCHAR}}},
      {"deliveries",
       {{"order_id", C::BIGINT},
        {"dasher_id", C::BIGINT},
        {"vehicle", C::VARCHAR},
        {"is_batched", C::BOOLEAN},
        {"batch_size", C::INTEGER},
        {"assign_delay_min", C::DOUBLE},
        {"prep_wait_min", C::DOUBLE},
        {"shop_min", C::DOUBLE},
        {"travel_min", C::DOUBLE},
        {"actual_eta_min", C::DOUBLE},
        {"late_min", C::DOUBLE},
        {"delivered_at", C::TIMESTAMP},
        {"weather", C::VARCHAR}}},
      {"items",
       {{"order_id", C::BIGINT},
        {"line_no", C::INTEGER},
        {"sku", C::BIGINT},
        {"category", C::VARCHAR},
        {"quantity", C::INTEGER},
        {"unit_price", C::DOUBLE},
        {"status", C::VARCHAR},
        {"substitution_accepted", C::BOOLEAN},
        {"refund_amount", C::DOUBLE}}},
      {"inventory",
       {{"date", C::DATE},
        {"store_id", C::INTEGER},
        {"category", C::VARCHAR},
        {"listed_in_stock_rate", C::DOUBLE},
        {"actual_in_stock_rate", C::DOUBLE},
        {"feed_lag_hours", C::DOUBLE}}},
      {"support",
       {{"ticket_id", C::BIGINT},
        {"order_id", C::BIGINT},
        {"created_at", C::TIMESTAMP},
        {"reason", C::VARCHAR},
        {"refund_amount", C::DOUBLE}}},
      {"ratings", {{"order_id", C::BIGINT}, {"rated_at", C::TIMESTAMP}, {"rating", C::INTEGER}}},
      {"supply_hourly",
       {{"region", C::VARCHAR},
        {"hour", C::TIMESTAMP},
        {"active_dashers", C::INTEGER},
        {"orders_created", C::INTEGER},
        {"busy_ratio", C::DOUBLE},
        {"weather", C::VARCHAR}}},
      {"change_log",
       {{"change_id", C::VARCHAR},
        {"changed_at", C::TIMESTAMP},
        {"kind", C::VARCHAR},
        {"scope", C::VARCHAR},
        {"description", C::VARCHAR}}},
  };
  return contract;
}

enum class SourceKind { PARQUET_FILE, PARQUET_FOLDER, CSV_FILE };

struct Located {
  SourceKind kind;
  fs::path path;  // the file, or the folder of Parquet files
};

std::optional<Located> Locate(const std::string& folder, std::string_view table) {
  const fs::path base(folder);
  const fs::path parquet = base / (std::string(table) + ".parquet");
  const fs::path parquet_folder = base / std::string(table);
  const fs::path csv = base / (std::string(table) + ".csv");
  std::error_code error;
  if (fs::is_regular_file(parquet, error)) return Located{SourceKind::PARQUET_FILE, parquet};
  if (fs::is_directory(parquet_folder, error)) {
    return Located{SourceKind::PARQUET_FOLDER, parquet_folder};
  }
  if (fs::is_regular_file(csv, error)) return Located{SourceKind::CSV_FILE, csv};
  return std::nullopt;
}

// The names in the first line of a comma-separated file (quotes removed), read without DuckDB's
// sniffer, which a single malformed row can throw off.
std::vector<std::string> CsvHeader(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  for (char c; line.size() < (1 << 20) && in.get(c) && c != '\n';) {
    if (c != '\0') line += c;  // a NUL would end the SQL text the names go into
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  std::vector<std::string> names;
  std::string name;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      names.push_back(std::move(name));
      name.clear();
    } else {
      name += c;
    }
  }
  names.push_back(std::move(name));
  return names;
}

// The table expression. A CSV file is read as comma-separated values with its own header (no
// sniffing, which one malformed row can throw off), its required columns with the contract's
// types and the others as text, so a bad cell or row fails with its line and column.
std::string SourceSql(const Located& located, std::string_view table) {
  switch (located.kind) {
    case SourceKind::PARQUET_FILE:
      return "read_parquet(" + SqlLiteral(located.path.string()) + ")";
    case SourceKind::PARQUET_FOLDER:
      return "read_parquet(" + SqlLiteral((located.path / "*.parquet").string()) + ")";
    case SourceKind::CSV_FILE:
      break;
  }
  std::vector<std::string> columns;
  for (const auto& name : CsvHeader(located.path)) {
    std::string_view type = "VARCHAR";
    for (const auto& column : RequiredColumns(table)) {
      if (column.name == name) type = SqlTypeName(column.type);
    }
    columns.push_back(SqlLiteral(name) + ": " + SqlLiteral(type));
  }
  return fmt::format(
      "read_csv({}, header = true, auto_detect = false, delim = ',', quote = '\"', "
      "escape = '\"', columns = {{{}}})",
      SqlLiteral(located.path.string()), fmt::join(columns, ", "));
}

}  // namespace

bool TypeFits(std::string_view actual, ColumnType expected) {
  const auto any_of = [&](std::initializer_list<std::string_view> names) {
    for (std::string_view name : names) {
      if (actual == name) return true;
    }
    return false;
  };
  const std::initializer_list<std::string_view> integer = {
      "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"};
  switch (expected) {
    case C::BOOLEAN:
      return actual == "BOOLEAN";
    case C::INTEGER:
    case C::BIGINT:
      return any_of(integer);
    case C::DOUBLE:
      return any_of(integer) || any_of({"FLOAT", "DOUBLE", "HUGEINT", "UBIGINT"}) ||
             actual.starts_with("DECIMAL");
    case C::VARCHAR:
      return actual == "VARCHAR" || actual.starts_with("ENUM");
    case C::DATE:
      return actual == "DATE";
    case C::TIMESTAMP:
      return any_of({"TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS"});
  }
  return false;
}

namespace {

// The message of an engine error about `path`, naming the file once.
std::string AboutFile(const std::string& path, const Error& error) {
  const std::string_view message = error.what();
  if (message.find(path) != std::string_view::npos) return std::string(message);
  return fmt::format("{}: {}", path, message);
}

void CheckTable(Connection& connection, const std::string& folder, std::string_view table) {
  const auto located = Locate(folder, table);
  if (!located) {
    // Only orders is required; what a missing table would have supported is reported as
    // unavailable by the analysis.
    if (table == "orders") RequireTableSource(folder, table);  // throws naming the files
    return;
  }
  const std::string path = located->path.string();
  std::error_code error;
  if (located->kind != SourceKind::PARQUET_FOLDER && fs::file_size(located->path, error) == 0) {
    throw InvalidInput("{}: the {} table's file is empty", path, table);
  }
  Table schema;
  try {
    schema = connection.Query("DESCRIBE SELECT * FROM " + SourceSql(*located, table));
  } catch (const Error& failure) {
    throw InvalidInput("cannot read the {} table: {}", table, AboutFile(path, failure));
  }
  std::map<std::string, std::string, std::less<>> types;
  const Column& names = schema.Get("column_name");
  const Column& type_names = schema.Get("column_type");
  for (size_t i = 0; i < schema.RowCount(); ++i) {
    types.emplace(std::string(names.StringAt(i)), std::string(type_names.StringAt(i)));
  }
  std::vector<std::string> counts;
  for (const auto& column : RequiredColumns(table)) {
    const auto found = types.find(column.name);
    // A contract column the data lacks reads as NULL (storage::Dataset); orders must have its
    // key and status (Dataset::Open says so).
    if (found == types.end()) continue;
    if (located->kind != SourceKind::CSV_FILE && !TypeFits(found->second, column.type)) {
      throw InvalidInput("{}: column {} of the {} table is {}, expected {}", path, column.name,
                         table, found->second, SqlTypeName(column.type));
    }
    counts.push_back(fmt::format("count({})", SqlIdentifier(column.name)));
  }
  // A CSV file is read once with the contract's types, so the first bad cell is reported here
  // with its line; Parquet carries its types and only the orders are counted.
  const bool csv = located->kind == SourceKind::CSV_FILE;
  if (!csv && table != "orders") return;
  Table rows;
  try {
    rows = connection.Query(fmt::format("SELECT count(*) AS n{}{} FROM {}", csv ? ", " : "",
                                        csv ? fmt::format("{}", fmt::join(counts, ", ")) : "",
                                        SourceSql(*located, table)));
  } catch (const Error& failure) {
    throw InvalidInput("the {} table: {}", table, AboutFile(path, failure));
  }
  if (table == "orders" && rows.Get("n").ints.at(0) == 0) {
    throw InvalidInput("{}: the orders table has no rows", path);
  }
}

}  // namespace

const std::vector<RequiredColumn>& RequiredColumns(std::string_view table) {
  static const std::vector<RequiredColumn> none;
  const auto found = Contract().find(table);
  return found == Contract().end() ? none : found->second;
}

std::optional<std::string> FindTableSource(const std::string& folder, std::string_view table) {
  const auto located = Locate(folder, table);
  if (!located) return std::nullopt;
  return SourceSql(*located, table);
}

std::optional<std::string> FindTableFile(const std::string& folder, std::string_view table) {
  const auto located = Locate(folder, table);
  if (!located) return std::nullopt;
  return located->path.string();
}

std::string RowRangesRelation(const std::string& folder, std::string_view table,
                              const std::vector<RowRange>& ranges) {
  const auto located = Locate(folder, table);
  if (!located || located->kind == SourceKind::CSV_FILE) {
    throw InternalError("RowRangesRelation: the {} table of {} is not read from Parquet", table,
                        folder);
  }
  const std::string pattern = located->kind == SourceKind::PARQUET_FILE
                                  ? located->path.string()
                                  : (located->path / "*.parquet").string();
  // The whole table's glob with the file's name and row number, filtered to one range per read:
  // DuckDB prunes files and row groups by such a filter, but reads everything for an OR of them.
  const std::string source = fmt::format(
      "SELECT * EXCLUDE (filename, file_row_number) FROM read_parquet({}, filename = true, "
      "file_row_number = true)",
      SqlLiteral(pattern));
  if (ranges.empty()) return fmt::format("({} LIMIT 0)", source);
  std::vector<std::string> parts;
  for (const auto& range : ranges) {
    parts.push_back(fmt::format("{} WHERE filename = {} AND file_row_number BETWEEN {} AND {}",
                                source, SqlLiteral(range.file), range.first, range.last));
  }
  return fmt::format("({})", fmt::join(parts, " UNION ALL "));
}

TableFiles ListTableFiles(Connection& connection, const std::string& folder,
                          std::string_view table) {
  TableFiles listed;
  const auto located = Locate(folder, table);
  if (!located) return listed;
  if (located->kind != SourceKind::PARQUET_FOLDER) {
    listed.files.push_back(located->path.string());
    return listed;
  }
  listed.per_file = true;
  const Table files =
      connection.Query(fmt::format("SELECT file FROM glob({}) ORDER BY file",
                                   SqlLiteral((located->path / "*.parquet").string())));
  for (size_t i = 0; i < files.RowCount(); ++i) {
    listed.files.emplace_back(files.Get("file").StringAt(i));
  }
  return listed;
}

std::string RequireTableSource(const std::string& folder, std::string_view table) {
  std::error_code error;
  if (!fs::is_directory(folder, error)) throw NotFound("data folder not found: {}", folder);
  if (auto source = FindTableSource(folder, table)) return *source;
  throw InvalidInput("data folder {} has no {} table (expected {}.parquet, {}/*.parquet or {}.csv)",
                     folder, table, table, table, table);
}

void CheckDataFolder(Connection& connection, const std::string& folder) {
  std::error_code error;
  if (!fs::is_directory(folder, error)) throw NotFound("data folder not found: {}", folder);
  for (std::string_view table : TABLE_NAMES) CheckTable(connection, folder, table);
}

DataSummary SummarizeData(Connection& connection, const Dataset& dataset) {
  // A ClickHouse dataset's orders are there, not on the connection (storage/clickhouse_reads).
  if (dataset.ClickHouse() != nullptr) return SummarizeClickHouseData(dataset);
  Table result;
  try {
    result = connection.Query(
        "SELECT count(*) AS orders, min(order_date) AS start_date, "
        "max(order_date) AS end_date FROM orders");
  } catch (const Error& error) {
    throw InvalidInput("cannot read the orders table of {}: {}", dataset.Origin("orders"),
                       error.what());
  }
  DataSummary summary;
  summary.orders = result.Get("orders").ints.at(0);
  const Column& start = result.Get("start_date");
  const Column& end = result.Get("end_date");
  if (start.type != ColumnType::DATE) {
    throw InvalidInput("orders.order_date in {} must be a DATE", dataset.Origin("orders"));
  }
  if (!start.IsNull(0)) {
    summary.start_date = FormatDate(Date{static_cast<int32_t>(start.ints[0])});
    summary.end_date = FormatDate(Date{static_cast<int32_t>(end.ints[0])});
  }
  return summary;
}

}  // namespace cxagent::storage
