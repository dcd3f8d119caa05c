#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cxagent::storage {

//! Builds the body of a ClickHouse `INSERT ... FORMAT CSV` a row at a time, in the CSV that both
//! 18.16 and current servers read the same way (docs/clickhouse.md): NULL as an unquoted `\N`,
//! a text field in double quotes (a quote doubled) when it is empty or holds a separator, quote,
//! line break, backslash, leading single quote or surrounding space, every other field as it is,
//! and rows ending with `\n`. Values arrive as text already in ClickHouse's input form (dates,
//! whole-second times, 0/1 booleans); the writer only frames them. Take() hands over the chunk
//! built so far, so the caller bounds memory by sending a chunk once Bytes() is large enough.
class ClickHouseCsvWriter {
 public:
  //! Appends the next field of the current row; nullopt is NULL.
  void Field(std::optional<std::string_view> value);
  //! Ends the current row.
  void EndRow();
  //! Bytes of the chunk built so far.
  size_t Bytes() const { return text_.size(); }
  //! Complete rows in the chunk built so far.
  uint64_t Rows() const { return rows_; }
  //! Returns the chunk built so far and starts an empty one.
  std::string Take();

 private:
  std::string text_;
  uint64_t rows_ = 0;
  bool row_started_ = false;
};

}  // namespace cxagent::storage
