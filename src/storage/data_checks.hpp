#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace cxagent::storage {

class Connection;
class Dataset;

//! How bad a data finding is: a blocking one stops `analyze` (exit 2), a warning is reported.
enum class Severity { BLOCKING, WARNING };

//! One row that shows a finding: its key as the source has it ("order_id=57") and the value.
struct DataExample {
  std::string key;    //!< the row's key columns, "name=value" joined by ", "; empty when none
  std::string value;  //!< the offending value as the source has it (before conversions)
};

//! One problem found in the data (docs/your-data.md, "cxagent check").
struct DataFinding {
  Severity severity = Severity::WARNING;
  std::string kind;     //!< e.g. "duplicate_key", "outside_domain", "not_converted"
  std::string table;    //!< the contract table
  std::string column;   //!< the contract column, empty for the whole table
  std::string origin;   //!< where the table comes from (Dataset::Origin), for messages
  std::string message;  //!< what is wrong, e.g. "value not one of delivered, cancelled"
  int64_t count = 0;    //!< rows (keys, for a duplicate key) that have the problem
  DataExample example;  //!< the first such row by key (empty for table-wide findings)

  //! The finding as one line naming table, column, origin, count and the example row.
  std::string Text() const;
};

//! What the data has of one contract column.
struct ColumnCheck {
  std::string column;         //!< the contract column (or a dimension of the team's own)
  bool contract = true;       //!< false for a dimension of the dataset file's own
  bool present = false;       //!< whether the data has it (else it reads as NULL)
  std::string source;         //!< the source's column it comes from
  std::string source_type;    //!< the source column's type as read, e.g. "VARCHAR"
  bool type_ok = true;        //!< every value converts to the contract's type
  int64_t nulls = 0;          //!< NULL after conversion (not converting values included)
  int64_t not_converted = 0;  //!< non-NULL source values that do not convert
};

//! The dates one table covers (its date or time column, see docs/your-data.md).
struct DateCoverage {
  std::string column;             //!< the column the dates come from
  std::string first;              //!< YYYY-MM-DD, empty when the column has no date
  std::string last;               //!< YYYY-MM-DD
  int64_t days = 0;               //!< days from first to last, both included
  int64_t days_without_rows = 0;  //!< days in that span with no row
  std::vector<std::pair<std::string, std::string>> gaps;  //!< first runs of such days (from, to)
};

//! What the data has of one contract table.
struct TableCheck {
  std::string table;                 //!< the contract name
  bool present = false;              //!< whether the data has the table
  std::string origin;                //!< where it comes from (Dataset::Origin)
  int64_t rows = 0;                  //!< rows as read
  bool has_coverage = false;         //!< whether `coverage` applies (the table has a date column)
  DateCoverage coverage;             //!< dates covered
  std::vector<ColumnCheck> columns;  //!< the contract's columns (and the orders' own dimensions)
};

//! The data-quality report of a dataset: per table and column, and the findings.
struct DataCheckReport {
  std::string folder;                   //!< the data folder
  std::string dataset_file;             //!< the dataset file, empty for a plain folder
  std::vector<std::string> dimensions;  //!< the slicing dimensions the analysis will use
  std::string date_lower;               //!< dates before this are far outside the data's range
  std::string date_upper;               //!< dates after this are far outside the data's range
  std::vector<TableCheck> tables;       //!< in the contract's order
  std::vector<DataFinding> findings;    //!< blocking ones first, then in the contract's order
  std::string not_checked;  //!< what was not checked and why; empty when every check ran

  //! Number of blocking findings.
  size_t BlockingCount() const;
  //! The first blocking finding, or nullptr.
  const DataFinding* FirstBlocking() const;
  //! The report as JSON (the shape is documented in docs/your-data.md, "cxagent check").
  nlohmann::json ToJson() const;
  //! The report for a reader: tables, rows, coverage, columns with problems, findings.
  std::string ToText() const;
};

//! Which checks CheckData runs.
struct DataCheckOptions {
  //! Only what can block an analysis: no NULL counts, coverage of other tables than orders,
  //! warning-only probes, duplicate keys or orphans (what `analyze` runs first).
  bool blocking_only = false;
};

//! Checks the tables of an opened dataset against domain.md §2: rows, date coverage, columns
//! present and converting, NULLs, duplicate keys, orphans, values outside the contract's domains
//! or the declared recodes, and implausible values (docs/your-data.md lists each check and
//! whether it blocks). Every query aggregates over the source (one scan per table, plus keyed
//! duplicate and orphan queries and LIMIT 1 examples), so memory stays bounded on any size.
DataCheckReport CheckData(Connection& connection, const Dataset& dataset,
                          const DataCheckOptions& options = {});

//! Runs the blocking checks and throws InvalidInput with the first blocking finding (one line
//! naming table, column and an example row) when there is any; called before an analysis.
void RequireUsableData(Connection& connection, const Dataset& dataset);

}  // namespace cxagent::storage
