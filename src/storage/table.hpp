#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace cxagent::storage {

//! The column types the project stores (a subset of DuckDB's).
enum class ColumnType { BOOLEAN, INTEGER, BIGINT, DOUBLE, VARCHAR, DATE, TIMESTAMP };

//! The SQL name of a column type, e.g. "BIGINT".
std::string_view SqlTypeName(ColumnType type);

//! One typed column held in memory. Integer-like types (BOOLEAN as 0/1, INTEGER, BIGINT, DATE as
//! days since 1970-01-01, TIMESTAMP as microseconds since 1970-01-01) live in `ints`; DOUBLE in
//! `doubles`; VARCHAR in `strings`, or, when `dictionary` is not empty, as indices into it held in
//! `ints` (cheap for low-cardinality columns). `valid` holds one byte per row, 0 for NULL; rows
//! past its end are valid, so it may stay empty (no NULLs) or shorter than the column while rows
//! are added.
struct Column {
  std::string name;
  ColumnType type = ColumnType::BIGINT;
  std::vector<int64_t> ints;
  std::vector<double> doubles;
  std::vector<std::string> strings;
  std::vector<std::string> dictionary;
  std::vector<uint8_t> valid;

  //! Number of rows.
  size_t Size() const;
  //! True when row `row` is NULL.
  bool IsNull(size_t row) const { return row < valid.size() && valid[row] == 0; }
  //! The string at `row` for a VARCHAR column, plain or dictionary-coded.
  std::string_view StringAt(size_t row) const;
  //! Marks `row` NULL, growing the validity mask as needed.
  void SetNull(size_t row);
  //! Makes room for `rows` rows in the storage this column's type uses.
  void Reserve(size_t rows);
};

//! Named columns of equal length: the typed result of every query and file read.
struct Table {
  // A deque so that references returned by AddColumn stay valid as columns are added.
  std::deque<Column> columns;

  //! Number of rows (0 when there are no columns).
  size_t RowCount() const { return columns.empty() ? 0 : columns.front().Size(); }
  //! The column called `name`; throws NotFound naming the available columns.
  const Column& Get(std::string_view name) const;
  //! The column called `name`, or nullptr.
  const Column* Find(std::string_view name) const;
  //! Adds an empty column and returns it.
  Column& AddColumn(std::string name, ColumnType type);
};

}  // namespace cxagent::storage
