#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/date.hpp"
#include "storage/data_checks.hpp"

namespace cxagent::storage {

class Connection;
class Database;
class Dataset;

//! A part of the data that is either unchanged since an earlier analysis or replaced as a whole
//! (docs/incremental.md): a row group of a Parquet file of a data folder, known by a digest of its
//! bytes; or a whole table (a CSV file of a data folder, any table of a dataset file), known by
//! the size and modification time of the files it reads.
struct SourceUnit {
  std::string table;       //!< the contract table
  std::string file;        //!< the file (empty for a table of a dataset file)
  int64_t row_group = -1;  //!< the row group, -1 for a whole table
  std::string id;          //!< digest of the row group's bytes, or of the whole table's files
  int64_t first_row = 0;   //!< the row group's first row in its file
  int64_t rows = 0;        //!< the row group's rows
  //! Per-order tables (deliveries, items, support, ratings): the least and greatest order_id of
  //! the row group (nullopt: no order_id), so that its rows can only belong to orders in between.
  std::optional<int64_t> min_order;
  std::optional<int64_t> max_order;
  //! Per-order tables: the days its rows count towards are listed (UnitDay, with their content)
  //! because its order_id range meets many days (a small table in one row group, a sparse one),
  //! it is its file's last row group (which an append writes again) or it replaces one listed
  //! (BY_DAY_ABOVE); else its range stands for them.
  bool by_day = false;
  int64_t orphans = 0;  //!< with by_day: rows whose order is not in the orders table

  //! Whether the unit is a whole table rather than a row group.
  bool Whole() const { return row_group < 0; }
};

//! Rows of a row group that count towards one day: of orders (their order_date), inventory (its
//! date), supply_hourly (the day of its hour), and of a per-order table listed by day (their
//! order's order_date, SourceUnit::by_day).
struct UnitDay {
  std::string table;
  std::string id;  //!< SourceUnit::id
  Date day;
  int64_t rows = 0;
  //! Orders: their least and greatest order_id and the first and last day of their created_at.
  std::optional<int64_t> min_order;
  std::optional<int64_t> max_order;
  std::optional<Date> created_first;
  std::optional<Date> created_last;
  //! The sum (mod 2^64) of a hash of each whole row, so that a rewritten row group changes only
  //! the days whose rows differ.
  std::optional<int64_t> row_hash;
};

//! The units of a dataset and, for those of orders, inventory and supply_hourly, their days.
struct DataUnits {
  std::vector<SourceUnit> units;
  std::vector<UnitDay> days;
  //! Per file read as row groups: "size|modification time" (a file whose metadata is unchanged
  //! keeps the units found before without being read).
  std::vector<std::pair<std::string, std::string>> files;
  //! Per-order row groups to be listed by day whose listing a refresh does not read to compare
  //! the units (ListDataUnits with stored units): their ids, known by their order_id range until
  //! ListDeferredDays lists them, and the orders they are joined with. Not stored.
  std::vector<std::string> deferred;
  std::string deferred_orders;
};

//! What the units' reader needs of a dataset (copied, so that it can run on a thread of its own
//! while the analysis goes on).
struct UnitSource {
  std::string folder;               //!< the data folder
  std::string dataset_file;         //!< the dataset file, empty for a plain data folder
  std::vector<std::string> tables;  //!< the tables the data has
  std::string orders_select;        //!< Dataset::ViewSelect("orders")
  std::string inventory_select;     //!< Dataset::ViewSelect("inventory")
  std::string supply_select;        //!< Dataset::ViewSelect("supply_hourly")

  //! What `dataset` (opened on a data folder or with a dataset file) says of itself.
  static UnitSource Of(const Dataset& dataset);
};

//! Lists the units of the data on a connection of its own to `database`: a Parquet file whose
//! size and modification time are those `before` recorded keeps its units; any other is read
//! (its metadata, then every row group's bytes for its digest) and the days of its new row groups
//! of orders, inventory and supply_hourly are counted, and the per-order row groups listed by day
//! (BY_DAY_ABOVE); with `before`, those whose listing CompareUnits does not read are left to
//! ListDeferredDays (DataUnits::deferred). Throws InvalidInput naming a file it cannot read.
DataUnits ListDataUnits(Database& database, const UnitSource& source, const DataUnits* before);

//! Lists by day the row groups ListDataUnits left to list later (DataUnits::deferred), on a
//! connection of its own to `database`, for the units stored with the results; a refresh runs it
//! while the analysis goes on. Throws InvalidInput naming the files when they cannot be read, and
//! leaves `units` as they were (those row groups known by their range).
void ListDeferredDays(Database& database, DataUnits& units);

//! A per-order row group whose order_id range meets more order days than this is listed by day
//! (SourceUnit::by_day): otherwise a change to it would count as a change of all those days. So
//! is the last row group of each file (the one appending to the file writes again) and a new one
//! whose range meets a gone row group listed by day (so that the two compare day by day).
inline constexpr size_t BY_DAY_ABOVE = 14;

//! What differs between the data an earlier analysis read (`before`) and the data now.
struct UnitChanges {
  bool all_days = false;  //!< a whole table other than change_log changed: every day is affected
  //! Order days whose per-day-and-leaf sums may differ (unless all_days): days of orders,
  //! inventory and supply rows of changed units, days of orders whose order_id range a changed
  //! per-order row group overlaps (before and now), and days with orders created on a day whose
  //! supply changed. Sorted.
  std::vector<Date> days;
  //! Order days that gone and new units listed by day hold rows of, the same rows before and now
  //! (a file written again with its old days as they were): unchanged, so in none of `days`.
  //! Sorted.
  std::vector<Date> same_days;
  bool change_log = false;   //!< the change_log table changed
  size_t changed_units = 0;  //!< units gone or new
};

//! Compares the units of the data now with those of an earlier analysis.
UnitChanges CompareUnits(const DataUnits& before, const DataUnits& now);

//! What the blocking data checks of a refresh read (storage::CheckScope), from the units of the
//! data an earlier analysis read and checked (`before`) and those now: the new row groups of
//! each table, and what the checks across parts need of the unchanged ones (their order days, from
//! UnitDay, and order_id ranges). A table with a new unit known only as a whole, and the orders
//! unless every unit of theirs is a row group, are left to be checked whole.
CheckScope ChecksOfChanges(const DataUnits& before, const DataUnits& now);

//! Writes `units` to TEMP tables `data_units` and `data_unit_days` (and `data_files`), which the
//! results store keeps (storage::ResultsWriter::StoreTempTable).
void StageDataUnits(Connection& connection, const DataUnits& units);

//! Reads the units the tables `schema`.data_units, data_unit_days and data_files hold.
DataUnits LoadDataUnits(Connection& connection, const std::string& schema);

}  // namespace cxagent::storage
