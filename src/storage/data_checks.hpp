#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/date.hpp"
#include "storage/data_folder.hpp"

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

//! A part of a table that passed the blocking checks of an earlier analysis and is unchanged
//! since (a refresh's unchanged row group, docs/incremental.md), with what the checks that span
//! parts need of it.
struct CheckedPart {
  std::string table;
  RowRange rows;
  //! The least and greatest non-NULL key of orders and deliveries (order_id); nullopt: unknown,
  //! taken to meet every key.
  std::optional<int64_t> min_key;
  std::optional<int64_t> max_key;
  //! Orders: the first and last day of its orders; nullopt: unknown, taken to be implausible.
  std::optional<Date> first_day;
  std::optional<Date> last_day;
};

//! What the blocking checks of a refresh read (RequireUsableData): per-row checks only the rows
//! new since the stored analysis, whose checks every other row passed; the plausible dates from
//! every order's day (and rows of an unchanged part read again when they fall outside them);
//! repeated keys among the new rows and the unchanged parts whose key range meets theirs.
struct CheckScope {
  //! Tables checked by parts: their new parts (a table not listed is checked whole).
  std::map<std::string, std::vector<RowRange>, std::less<>> changed;
  //! The unchanged parts of those tables.
  std::vector<CheckedPart> checked;
  //! Orders per order day, over every part of the orders (new and unchanged; finite days only).
  std::map<Date, int64_t> order_days;
};

//! Which checks CheckData runs.
struct DataCheckOptions {
  //! Only what can block an analysis: no NULL counts, coverage of other tables than orders,
  //! warning-only probes, duplicate keys or orphans (what `analyze` runs first).
  bool blocking_only = false;
  //! With blocking_only and a data folder: check these tables by parts (a refresh's), not whole.
  //! The findings are those of checking every row; the warnings may differ.
  const CheckScope* scope = nullptr;
};

//! Checks the tables of an opened dataset against domain.md §2: rows, date coverage, columns
//! present and converting, NULLs, duplicate keys, orphans, values outside the contract's domains
//! or the declared recodes, and implausible values (docs/your-data.md lists each check and
//! whether it blocks). Every query aggregates over the source (one scan per table, plus keyed
//! duplicate and orphan queries and LIMIT 1 examples), so memory stays bounded on any size.
DataCheckReport CheckData(Connection& connection, const Dataset& dataset,
                          const DataCheckOptions& options = {});

//! Why a change_log scope cannot be used (docs/your-data.md): not a slice ("all" or
//! dim=value&dim=value) or naming a dimension not among `dimensions`; empty when it can. An empty
//! scope is the whole market, as "all". Change-led detection and the RCA leave such a change out.
std::string ChangeScopeProblem(std::string_view scope, const std::vector<std::string>& dimensions);

//! Runs the blocking checks and throws InvalidInput with the first blocking finding (one line
//! naming table, column and an example row) when there is any; called before an analysis. With
//! `scope` (a refresh's), only what it says is read, with the same outcome.
void RequireUsableData(Connection& connection, const Dataset& dataset,
                       const CheckScope* scope = nullptr);

}  // namespace cxagent::storage
