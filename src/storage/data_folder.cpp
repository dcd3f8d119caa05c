#include "storage/data_folder.hpp"

#include <filesystem>

#include "common/date.hpp"
#include "common/error.hpp"
#include "storage/duckdb.hpp"

namespace cxagent::storage {

namespace fs = std::filesystem;

std::optional<std::string> FindTableSource(const std::string& folder, std::string_view table) {
  const fs::path base(folder);
  const fs::path parquet = base / (std::string(table) + ".parquet");
  const fs::path parquet_folder = base / std::string(table);
  const fs::path csv = base / (std::string(table) + ".csv");
  std::error_code error;
  if (fs::is_regular_file(parquet, error)) {
    return "read_parquet(" + SqlLiteral(parquet.string()) + ")";
  }
  if (fs::is_directory(parquet_folder, error)) {
    return "read_parquet(" + SqlLiteral((parquet_folder / "*.parquet").string()) + ")";
  }
  if (fs::is_regular_file(csv, error)) {
    return "read_csv(" + SqlLiteral(csv.string()) + ", header = true)";
  }
  return std::nullopt;
}

std::string RequireTableSource(const std::string& folder, std::string_view table) {
  std::error_code error;
  if (!fs::is_directory(folder, error)) throw NotFound("data folder not found: {}", folder);
  if (auto source = FindTableSource(folder, table)) return *source;
  throw InvalidInput("data folder {} has no {} table (expected {}.parquet, {}/*.parquet or {}.csv)",
                     folder, table, table, table, table);
}

DataSummary SummarizeData(Connection& connection, const std::string& folder) {
  const std::string source = RequireTableSource(folder, "orders");
  Table result;
  try {
    result = connection.Query(
        "SELECT count(*) AS orders, min(order_date) AS start_date, "
        "max(order_date) AS end_date FROM " +
        source);
  } catch (const Error& error) {
    throw InvalidInput("cannot read the orders table of {}: {}", folder, error.what());
  }
  DataSummary summary;
  summary.orders = result.Get("orders").ints.at(0);
  const Column& start = result.Get("start_date");
  const Column& end = result.Get("end_date");
  if (start.type != ColumnType::DATE) {
    throw InvalidInput("orders.order_date in {} must be a DATE", folder);
  }
  if (!start.IsNull(0)) {
    summary.start_date = FormatDate(Date{static_cast<int32_t>(start.ints[0])});
    summary.end_date = FormatDate(Date{static_cast<int32_t>(end.ints[0])});
  }
  return summary;
}

}  // namespace cxagent::storage
