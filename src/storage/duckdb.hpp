#pragma once

#include <duckdb.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/table.hpp"

namespace cxagent::storage {

//! DuckDB's error text as one line: the first line of the message (without the SQL excerpt,
//! candidate bindings or advice that follow), and a CSV reader error as "FILE: line N: column C:
//! could not convert ..." without the offending line or the sniffer's settings. Control bytes and
//! bytes that are not UTF-8 are escaped and the result is at most about 500 bytes.
std::string EngineErrorMessage(std::string_view message);

//! Turns a DuckDB C API state into an exception carrying DuckDB's own message.
void Check(duckdb_state state, std::string_view what, const char* duckdb_message = nullptr);

//! An open DuckDB database (in memory by default, or a file), closed on destruction.
class Database {
 public:
  //! Opens `path`; ":memory:" or empty for an in-memory database.
  explicit Database(const std::string& path = ":memory:");
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  //! The raw handle, for Connection.
  duckdb_database Handle() const { return handle_; }

 private:
  duckdb_database handle_ = nullptr;
};

class PreparedStatement;

//! One chunk of a streamed query whose columns are all VARCHAR (Connection::StreamText): its cells
//! as views into DuckDB's memory, valid only during the callback that receives the chunk.
class TextChunk {
 public:
  //! Number of rows in the chunk.
  size_t RowCount() const { return rows_; }
  //! Number of columns.
  size_t ColumnCount() const { return strings_.size(); }
  //! The text at `row` of `column`, or nullopt for NULL.
  std::optional<std::string_view> Cell(size_t row, size_t column) const;

 private:
  friend class Connection;
  size_t rows_ = 0;
  std::vector<const duckdb_string_t*> strings_;
  std::vector<const uint64_t*> validity_;
};

//! A connection to a Database; every query of the project goes through one of these.
class Connection {
 public:
  //! Connects to `database`, which must outlive the connection.
  explicit Connection(Database& database);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  //! Runs SQL that returns nothing of interest; throws on error.
  void Execute(const std::string& sql);
  //! Runs SQL and returns its whole result as typed columns.
  Table Query(const std::string& sql);
  //! Runs a query whose columns are all VARCHAR and hands its rows to `on_chunk` a chunk (about
  //! 2048 rows) at a time as DuckDB produces them, so that a result larger than memory can be
  //! read; returns the number of rows. Throws InvalidInput when a column is not VARCHAR and the
  //! engine's error (as Query) when the query fails, also after some chunks were handed over.
  uint64_t StreamText(const std::string& sql,
                      const std::function<void(const TextChunk&)>& on_chunk);
  //! Prepares a statement with `?` or `$1` parameters.
  PreparedStatement Prepare(const std::string& sql);
  //! Whether database `catalog` (an attached file's name, `temp`, ...) has a table `table` in
  //! its main schema (a view is not a table). A lookup in DuckDB's catalog, without a query:
  //! a refresh asks it of a dozen stored tables, and a query of duckdb_tables() took about a
  //! millisecond each.
  bool HasTable(const std::string& catalog, const std::string& table);
  //! Whether this connection has a TEMP table or view named `name`.
  bool HasTempRelation(const std::string& name);
  //! Whether this connection's TEMP table or view `relation` has a column named `column`.
  bool HasTempColumn(const std::string& relation, const std::string& column);

  //! The raw handle, for Appender and PreparedStatement.
  duckdb_connection Handle() const { return handle_; }
  //! The database this connection was opened on (for another connection to it).
  Database& Owner() const { return database_; }

 private:
  Database& database_;
  duckdb_connection handle_ = nullptr;
};

//! A prepared statement; bind 1-based parameters, then Execute.
class PreparedStatement {
 public:
  PreparedStatement(duckdb_prepared_statement handle) : handle_(handle) {}
  ~PreparedStatement();
  PreparedStatement(PreparedStatement&& other) noexcept : handle_(other.handle_) {
    other.handle_ = nullptr;
  }
  PreparedStatement(const PreparedStatement&) = delete;
  PreparedStatement& operator=(const PreparedStatement&) = delete;

  //! Binds a 64-bit integer to parameter `index` (1-based).
  PreparedStatement& Bind(uint64_t index, int64_t value);
  //! Binds a double to parameter `index` (1-based).
  PreparedStatement& Bind(uint64_t index, double value);
  //! Binds a string to parameter `index` (1-based).
  PreparedStatement& Bind(uint64_t index, const std::string& value);
  //! Binds NULL to parameter `index` (1-based).
  PreparedStatement& BindNull(uint64_t index);
  //! Runs the statement and returns its result as typed columns.
  Table Execute();

 private:
  friend class Connection;  // StreamText runs a prepared statement as a streaming result
  duckdb_prepared_statement handle_ = nullptr;
};

//! Appends whole in-memory tables to a DuckDB table in column chunks (the fast path).
class Appender {
 public:
  //! Opens an appender on `table` (which must exist with matching column types), in the attached
  //! database `catalog` when one is named.
  Appender(Connection& connection, const std::string& table, const std::string& catalog = {});
  ~Appender();
  Appender(const Appender&) = delete;
  Appender& operator=(const Appender&) = delete;

  //! Appends every row of `table`; column order and types must match the target table.
  void Append(const Table& table);
  //! Flushes buffered rows; called by the destructor too (errors there are only logged).
  void Flush();

 private:
  duckdb_appender handle_ = nullptr;
};

//! The file formats the project reads and writes.
enum class FileFormat { PARQUET, CSV };

//! Parses "parquet" or "csv"; throws InvalidInput naming the allowed values otherwise.
FileFormat ParseFileFormat(std::string_view text);
//! The file extension without the dot: "parquet" or "csv".
std::string_view FileExtension(FileFormat format);

//! Quotes a string as a SQL literal ('it''s').
std::string SqlLiteral(std::string_view text);
//! Quotes a name as a SQL identifier ("order_id").
std::string SqlIdentifier(std::string_view name);

//! Reads a Parquet or CSV file (format from the extension) into typed columns.
//! Throws NotFound when missing and InvalidInput when the file cannot be parsed.
Table ReadTableFile(Connection& connection, const std::string& path);

//! Reads a CSV file with a header line keeping every cell as text (VARCHAR, empty cell = NULL),
//! for callers that validate cells themselves and report row and column. Row i of the result is
//! line i + 2 of the file. Throws NotFound when missing, InvalidInput when empty or unparsable.
Table ReadCsvAsText(Connection& connection, const std::string& path);

//! Writes `table` to `path` as Parquet or CSV through DuckDB: to a temporary name first, then
//! renamed into place, so a failure never leaves a partial file at `path`.
void WriteTableFile(Connection& connection, const Table& table, const std::string& path,
                    FileFormat format);

}  // namespace cxagent::storage
