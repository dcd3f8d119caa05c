#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "storage/duckdb.hpp"

namespace cxagent::storage {

//! One CSV record (a row of cells, the header included) and the file line it starts on
//! (1-based; a quoted cell may hold line breaks, so a record may span several lines).
struct CsvRecord {
  size_t line = 0;
  std::vector<std::string> cells;
};

//! A record DuckDB could not split into as many cells as the header has.
struct CsvProblem {
  enum class Kind {
    CELL_COUNT,      //!< fewer or more cells than the header
    UNCLOSED_QUOTE,  //!< a quoted cell is not closed (or has text after its closing quote)
    OTHER,           //!< anything else (invalid UTF-8, an overlong line): see `message`
  };
  size_t line = 0;
  Kind kind = Kind::OTHER;
  //! CELL_COUNT: the number of cells the record has.
  size_t cells = 0;
  //! DuckDB's description (first line).
  std::string message;
};

//! The records of a CSV file as text, with the line of every record.
struct CsvRecords {
  //! The records DuckDB split into the header's number of cells, header first, in file order.
  //! Empty cells (quoted or not) are "".
  std::vector<CsvRecord> records;
  //! The records it could not, in file order.
  std::vector<CsvProblem> problems;
};

//! Reads a comma-separated file with double quotes (RFC 4180: quoted cells may hold commas,
//! doubled quotes and line breaks; LF or CRLF line ends; blank lines skipped; a UTF-8 byte order
//! mark ignored) through DuckDB, keeping every cell as text (no type guessing), and tells the line
//! each record starts on, for messages that name the line. The first record is the header and
//! sets the number of cells (at most 256; trailing empty header cells are not counted). A record
//! with another number of cells, or one DuckDB cannot read, is returned in `problems`, not
//! thrown. Throws NotFound when `path` does not exist, InvalidInput naming `source` when it is a
//! folder or DuckDB cannot read it at all.
CsvRecords ReadCsvRecords(Connection& connection, const std::string& path, std::string_view source);

}  // namespace cxagent::storage
