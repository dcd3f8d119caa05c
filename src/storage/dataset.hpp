#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/clickhouse_dataset.hpp"
#include "storage/table.hpp"

namespace cxagent::storage {

class Connection;

//! Where one contract table of a dataset file comes from and how its columns map onto the
//! contract (docs/your-data.md).
struct TableMapping {
  std::string table;            //!< the contract name, e.g. "orders"
  std::string source;           //!< a file, folder or glob (absolute), empty with `sql`
  std::string format;           //!< parquet, csv or json (from the extension when not set)
  std::string sql;              //!< a query over the team's own files, instead of `source`
  std::string delimiter = ",";  //!< CSV field separator
  bool header = true;           //!< CSV files start with a header line
  std::string null_text;        //!< CSV text read as NULL (besides the empty cell)
  std::map<std::string, std::string> columns;  //!< contract column -> the source's column
  //! Contract column -> source value (as text) -> contract value.
  std::map<std::string, std::map<std::string, std::string>> recode;
  //! Contract column -> how it is written: a strptime format ("%d/%m/%Y %H:%M"), `epoch_s` or
  //! `epoch_ms`.
  std::map<std::string, std::string> time_formats;
};

//! What a dataset file says: the contract tables it maps and the slicing dimensions.
struct DatasetFile {
  std::string path;                     //!< the file, for messages
  std::string base_folder;              //!< relative sources and SQL paths resolve against this
  std::vector<TableMapping> tables;     //!< in the contract's order
  std::vector<std::string> dimensions;  //!< orders columns to slice by; empty: the contract's
};

//! Reads and validates a dataset file: unknown keys, tables, columns and formats are rejected
//! with the file, the key and what is allowed. Throws NotFound for a missing file.
DatasetFile ReadDatasetFile(const std::string& path);

//! How a dataset is opened: a data folder of contract-shaped files, or a dataset file mapping a
//! team's own exports (the folder then holds only the results).
struct DatasetOptions {
  //! the data folder (analysis results are stored here), or a ClickHouse database as
  //! `clickhouse://[USER[:PASSWORD]@]HOST:PORT/DATABASE[?cluster=..]` (docs/clickhouse.md)
  std::string folder;
  std::string dataset_file;  //!< optional dataset file (YAML)
  //! where the analysis results are stored (`DIR/.cxagent/`); empty: `folder`. Required for a
  //! ClickHouse dataset, which has no folder (`--results DIR`).
  std::string results;
};

//! The folder the results of an analysis of `options` are stored in: `results`, else the data
//! folder. Throws InvalidInput for a ClickHouse dataset without `results` (one line saying to pass
//! --results DIR).
std::string ResultsFolder(const DatasetOptions& options);

//! A summary of the files a dataset reads (path, size and modification time of each): it
//! changes when a file is added, removed, rewritten or touched. For a data folder, every file
//! under it except the results (`.cxagent/`); for a dataset file, the file itself and the files
//! its sources name (every file of a source folder, and of a glob's folder), plus the files
//! beside it (what `sql:` sources read). Used by `serve --watch`.
std::string DataFingerprint(const DatasetOptions& options);

//! An opened dataset: every contract table registered on a connection under its contract name
//! (a TEMP VIEW `orders`, `deliveries`, ...), so that stages query table names and never paths.
//! A table or contract column the data lacks is still registered (empty, or NULL of the
//! contract's type) so that queries keep their shape; HasTable and HasColumn say what the data
//! really has, and stages that need what is missing report it as unavailable.
class Dataset {
 public:
  //! Opens `options` on `connection`: finds or maps each table, registers the views and reads
  //! their columns. Throws NotFound for a missing folder or file and InvalidInput (one line naming
  //! the file, table and column) for a table that cannot be read or an `orders` table without
  //! `order_id`, `status` and one of `created_at` or `order_date`. A ClickHouse dataset is
  //! discovered instead (DiscoverClickHouseSchema, the same errors for its orders table) and
  //! nothing is registered on `connection`: its heavy passes run in ClickHouse
  //! (storage/clickhouse_facts) and bring their results into the connection.
  static Dataset Open(Connection& connection, const DatasetOptions& options);

  //! The ClickHouse tables of a ClickHouse dataset; nullptr for files.
  const ClickHouseSchema* ClickHouse() const { return clickhouse_ ? &*clickhouse_ : nullptr; }

  //! The folder the results belong to.
  const std::string& Folder() const { return folder_; }
  //! The dataset file, empty for a plain data folder.
  const std::string& File() const { return file_; }
  //! Whether the data has `table` (a missing one is registered empty).
  bool HasTable(std::string_view table) const;
  //! Whether the data has `column` of `table` (contract columns it lacks read as NULL).
  bool HasColumn(std::string_view table, std::string_view column) const;
  //! The slicing dimensions: columns of the `orders` view, in canonical (sorted) order.
  const std::vector<std::string>& Dimensions() const { return dimensions_; }
  //! The slicing dimensions in the order slices are named in when two select the same orders:
  //! as a dataset file lists them, else the contract's in domain.md's order (NAMING_ORDER).
  const std::vector<std::string>& NamingOrder() const { return naming_order_; }
  //! Where `table` comes from, for messages: a file, folder or glob, or "SQL in FILE".
  std::string Origin(std::string_view table) const;
  //! The view over the table as the source has it (before casts and recodes), for data checks
  //! that name the raw value; empty when the table is missing.
  std::string RawRelation(std::string_view table) const;
  //! The source's column that becomes contract column `column` (a quoted name in
  //! RawRelation(table)), or nullopt when the data lacks it.
  std::optional<std::string> RawExpression(std::string_view table, std::string_view column) const;
  //! The conversion of RawExpression to the contract's type with TRY_CAST and try_strptime: NULL
  //! where a non-NULL source value does not convert (what the checks report); nullopt when the
  //! data lacks the column.
  std::optional<std::string> TryExpression(std::string_view table, std::string_view column) const;
  //! For a table of a contract-shaped data folder: the SELECT list that turns the rows of its
  //! files into its view (their columns as they are, then the contract columns the files lack,
  //! derived or NULL), so that some of the files can be read as the view reads them all. Empty for
  //! a dataset file (its views convert and can be SQL) and for a missing table.
  const std::string& ViewSelect(std::string_view table) const;
  //! The declared recode of a column (source text -> contract value), empty when none.
  const std::map<std::string, std::string>& Recode(std::string_view table,
                                                   std::string_view column) const;

 private:
  struct TableState {
    bool present = false;
    std::string origin;
    std::string raw_relation;
    std::map<std::string, std::string, std::less<>> raw_expressions;  // contract column -> SQL
    std::map<std::string, std::string, std::less<>> try_expressions;  // converted, NULL if bad
    std::vector<std::string> extra_columns;  // the source's columns beyond the contract's
    std::map<std::string, std::map<std::string, std::string>> recode;
    std::string view_select;  // a data folder's: see ViewSelect
  };
  static Dataset OpenClickHouse(const DatasetOptions& options);

  std::string folder_;
  std::string file_;
  std::optional<ClickHouseSchema> clickhouse_;
  std::map<std::string, TableState, std::less<>> tables_;
  std::vector<std::string> dimensions_;
  std::vector<std::string> naming_order_;
};

}  // namespace cxagent::storage
