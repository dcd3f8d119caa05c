#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cxagent::storage {

class Connection;

//! The eight tables of a data folder (domain.md §2).
inline constexpr std::string_view TABLE_NAMES[] = {"orders",        "deliveries", "items",
                                                   "inventory",     "support",    "ratings",
                                                   "supply_hourly", "change_log"};

//! The DuckDB table expression that reads `table` from `folder`: `<table>.parquet`, a folder
//! `<table>/` of Parquet files, or `<table>.csv`; nullopt when none exists.
std::optional<std::string> FindTableSource(const std::string& folder, std::string_view table);

//! Like FindTableSource but throws InvalidInput naming the files it looked for.
std::string RequireTableSource(const std::string& folder, std::string_view table);

//! Order count and date range of a data folder's orders table.
struct DataSummary {
  int64_t orders = 0;
  std::string start_date;  //!< YYYY-MM-DD of the first order (empty when there are none)
  std::string end_date;    //!< YYYY-MM-DD of the last order (empty when there are none)
};

//! Summarises the orders table of `folder`; throws InvalidInput when it is missing or unreadable.
DataSummary SummarizeData(Connection& connection, const std::string& folder);

}  // namespace cxagent::storage
