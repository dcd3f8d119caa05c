#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/table.hpp"

namespace cxagent::storage {

class Connection;
class Dataset;

//! The eight tables of a data folder (domain.md §2).
inline constexpr std::string_view TABLE_NAMES[] = {"orders",        "deliveries", "items",
                                                   "inventory",     "support",    "ratings",
                                                   "supply_hourly", "change_log"};

//! A column that domain.md §2 requires of a table, and its type.
struct RequiredColumn {
  std::string_view name;
  ColumnType type;
};

//! The columns domain.md §2 requires of `table` (more are allowed); empty for an unknown table.
const std::vector<RequiredColumn>& RequiredColumns(std::string_view table);

//! The DuckDB table expression that reads `table` from `folder`: `<table>.parquet`, a folder
//! `<table>/` of Parquet files, or `<table>.csv` (read with the required columns' types, so a bad
//! cell fails naming its line and column); nullopt when none exists.
std::optional<std::string> FindTableSource(const std::string& folder, std::string_view table);

//! The file (or folder of Parquet files) FindTableSource reads; nullopt when none exists.
std::optional<std::string> FindTableFile(const std::string& folder, std::string_view table);

//! The files FindTableSource reads for `table`: the single file, or each Parquet file of the
//! folder `<table>/` (`per_file`), sorted; empty when the table is absent. Listed by DuckDB's own
//! glob, so that it is the set of files the table's view reads.
struct TableFiles {
  std::vector<std::string> files;
  bool per_file = false;  //!< a folder of Parquet files, read as one table
};
TableFiles ListTableFiles(Connection& connection, const std::string& folder,
                          std::string_view table);

//! Rows of one Parquet file of a data folder by their position in it (DuckDB's file_row_number),
//! `first` to `last` inclusive: a row group of a refresh's units (storage::SourceUnit).
struct RowRange {
  std::string file;  //!< as ListTableFiles names it
  int64_t first = 0;
  int64_t last = -1;
};

//! The rows `ranges` of `table` in `folder` as a relation with the columns and types of the whole
//! table's read (FindTableSource: the same files are bound, so a file is read and converted as
//! there): one read per range, each pruned to its file and row groups. Empty `ranges`: no rows.
//! The table must be read from Parquet.
std::string RowRangesRelation(const std::string& folder, std::string_view table,
                              const std::vector<RowRange>& ranges);

//! Like FindTableSource but throws InvalidInput naming the files it looked for.
std::string RequireTableSource(const std::string& folder, std::string_view table);

//! Whether a column the engine reads as `actual` (DuckDB's type name, e.g. "TIMESTAMP_MS") can
//! stand for a contract column of type `expected` without conversion.
bool TypeFits(std::string_view actual, ColumnType expected);

//! Checks every table of `folder` against domain.md §2 before any analysis reads it: orders
//! present (other tables may be absent), each table readable, not empty, every contract column it
//! has with a fitting type (a CSV file is read once with those types, so the first bad cell is
//! found) and at least one order. Throws NotFound for a missing folder and InvalidInput, one line
//! naming the file, the table, the column and (for a CSV cell) the line, for anything else.
void CheckDataFolder(Connection& connection, const std::string& folder);

//! Order count and date range of a data folder's orders table.
struct DataSummary {
  int64_t orders = 0;
  std::string start_date;  //!< YYYY-MM-DD of the first order (empty when there are none)
  std::string end_date;    //!< YYYY-MM-DD of the last order (empty when there are none)
};

//! Summarises the dataset's orders; throws InvalidInput when they are unreadable.
DataSummary SummarizeData(Connection& connection, const Dataset& dataset);

}  // namespace cxagent::storage
