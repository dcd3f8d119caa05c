#include "storage/duckdb.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <type_traits>

#include "common/error.hpp"
#include "common/file.hpp"

namespace cxagent::storage {

namespace {

// Owns a duckdb_result so every exit path destroys it.
struct ResultGuard {
  duckdb_result result{};
  ~ResultGuard() { duckdb_destroy_result(&result); }
};

struct ChunkGuard {
  duckdb_data_chunk chunk = nullptr;
  ~ChunkGuard() {
    if (chunk != nullptr) duckdb_destroy_data_chunk(&chunk);
  }
};

struct ChunkDeleter {
  void operator()(duckdb_data_chunk chunk) const { duckdb_destroy_data_chunk(&chunk); }
};
using ChunkPtr = std::unique_ptr<std::remove_pointer_t<duckdb_data_chunk>, ChunkDeleter>;

struct LogicalTypeGuard {
  duckdb_logical_type type = nullptr;
  ~LogicalTypeGuard() {
    if (type != nullptr) duckdb_destroy_logical_type(&type);
  }
};

// DuckDB reports the kind of failure in its message; input errors (a bad file or cell) are the
// user's, the rest are ours.
ErrorType ClassifyDuckDbError(duckdb_error_type type) {
  switch (type) {
    case DUCKDB_ERROR_IO:
      return ErrorType::IO;
    case DUCKDB_ERROR_INVALID_INPUT:
    case DUCKDB_ERROR_CONVERSION:
    case DUCKDB_ERROR_PARSER:
    case DUCKDB_ERROR_BINDER:
    case DUCKDB_ERROR_CATALOG:
    case DUCKDB_ERROR_OUT_OF_RANGE:
      return ErrorType::INVALID_INPUT;
    default:
      return ErrorType::INTERNAL;
  }
}

std::string_view FirstLine(std::string_view text) {
  return text.substr(0, text.find('\n'));
}

// The value of `  key = value` in DuckDB's CSV reader settings dump, or "".
std::string_view CsvSetting(std::string_view message, std::string_view key) {
  const std::string marker = "\n  " + std::string(key) + " = ";
  const size_t at = message.find(marker);
  if (at == std::string_view::npos) return {};
  return FirstLine(message.substr(at + marker.size()));
}

// "CSV Error on Line: N\nOriginal Line: ...\n<what went wrong>\n\n<advice and settings>" as
// "FILE: line N: <what went wrong>", the conversion case as "FILE: line N: column C: ...".
std::string CsvErrorLine(std::string_view message, size_t at) {
  std::string_view rest = message.substr(at + std::string_view("CSV Error on Line: ").size());
  const std::string_view line = FirstLine(rest);
  // The offending line itself (which may be megabytes long) is left out.
  std::string_view detail;
  while (rest.find('\n') != std::string_view::npos) {
    rest.remove_prefix(rest.find('\n') + 1);
    const std::string_view candidate = FirstLine(rest);
    if (candidate.empty() || candidate.starts_with("Original Line:")) continue;
    detail = candidate;
    break;
  }
  std::string what(detail);
  constexpr std::string_view converting = "Error when converting column \"";
  if (detail.starts_with(converting)) {
    const std::string_view column = detail.substr(converting.size());
    const size_t end = column.find("\". ");
    if (end != std::string_view::npos) {
      std::string reason(column.substr(end + 3));
      if (!reason.empty()) reason[0] = static_cast<char>(std::tolower(reason[0]));
      what = fmt::format("column {}: {}", column.substr(0, end), reason);
    }
  }
  const std::string_view file = CsvSetting(message, "file");
  return fmt::format("{}{}line {}: {}", file, file.empty() ? "" : ": ", line,
                     what.empty() ? "not valid CSV" : what);
}

ColumnType ResultColumnType(duckdb_type type, std::string_view name) {
  switch (type) {
    case DUCKDB_TYPE_BOOLEAN:
      return ColumnType::BOOLEAN;
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_UTINYINT:
    case DUCKDB_TYPE_USMALLINT:
      return ColumnType::INTEGER;
    case DUCKDB_TYPE_UINTEGER:
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_HUGEINT:
      return ColumnType::BIGINT;
    case DUCKDB_TYPE_UBIGINT:
    case DUCKDB_TYPE_FLOAT:
    case DUCKDB_TYPE_DOUBLE:
    case DUCKDB_TYPE_DECIMAL:
      return ColumnType::DOUBLE;
    case DUCKDB_TYPE_VARCHAR:
    case DUCKDB_TYPE_ENUM:
      return ColumnType::VARCHAR;
    case DUCKDB_TYPE_DATE:
      return ColumnType::DATE;
    case DUCKDB_TYPE_TIMESTAMP:
      return ColumnType::TIMESTAMP;
    default:
      throw InvalidInput(
          "column '{}' has DuckDB type {} which the query layer does not read; "
          "cast it to BIGINT, DOUBLE, VARCHAR, DATE or TIMESTAMP",
          name, static_cast<int>(type));
  }
}

double DecimalToDouble(const void* data, idx_t row, duckdb_type internal, uint8_t scale) {
  double raw = 0;
  switch (internal) {
    case DUCKDB_TYPE_SMALLINT:
      raw = static_cast<const int16_t*>(data)[row];
      break;
    case DUCKDB_TYPE_INTEGER:
      raw = static_cast<const int32_t*>(data)[row];
      break;
    case DUCKDB_TYPE_BIGINT:
      raw = static_cast<double>(static_cast<const int64_t*>(data)[row]);
      break;
    default: {
      const auto value = static_cast<const duckdb_hugeint*>(data)[row];
      raw = static_cast<double>(value.upper) * 18446744073709551616.0 +
            static_cast<double>(value.lower);
    }
  }
  double divisor = 1;
  for (uint8_t i = 0; i < scale; ++i) divisor *= 10;
  return raw / divisor;
}

// Appends `count` values of physical type `Source` to `out`, converted.
template <typename Source, typename Target>
void AppendValues(const void* data, idx_t count, std::vector<Target>& out) {
  const auto* values = static_cast<const Source*>(data);
  const size_t base = out.size();
  out.resize(base + count);
  for (idx_t row = 0; row < count; ++row) out[base + row] = static_cast<Target>(values[row]);
}

// Appends the rows of one vector to `column`, converting DuckDB's physical layout. A NULL row
// holds 0 (or "") and is marked in the validity mask. One loop per type, so that the common
// fixed-size columns copy without a branch per value.
void ReadVector(duckdb_vector vector, idx_t count, duckdb_type type, duckdb_logical_type logical,
                Column& column) {
  const void* data = duckdb_vector_get_data(vector);
  uint64_t* validity = duckdb_vector_get_validity(vector);
  const size_t base = column.Size();
  auto valid = [&](idx_t row) {
    return validity == nullptr || duckdb_validity_row_is_valid(validity, row);
  };
  switch (type) {
    case DUCKDB_TYPE_BOOLEAN: {
      // Read as bytes: a NULL row's byte is whatever DuckDB left there, and loading a byte other
      // than 0 or 1 as a C++ bool is undefined behaviour (UBSan reported 41).
      const auto* bytes = static_cast<const uint8_t*>(data);
      for (idx_t row = 0; row < count; ++row) column.ints.push_back(bytes[row] != 0 ? 1 : 0);
      break;
    }
    case DUCKDB_TYPE_TINYINT:
      AppendValues<int8_t>(data, count, column.ints);
      break;
    case DUCKDB_TYPE_SMALLINT:
      AppendValues<int16_t>(data, count, column.ints);
      break;
    case DUCKDB_TYPE_INTEGER:
      AppendValues<int32_t>(data, count, column.ints);
      break;
    case DUCKDB_TYPE_UTINYINT:
      AppendValues<uint8_t>(data, count, column.ints);
      break;
    case DUCKDB_TYPE_USMALLINT:
      AppendValues<uint16_t>(data, count, column.ints);
      break;
    case DUCKDB_TYPE_UINTEGER:
      AppendValues<uint32_t>(data, count, column.ints);
      break;
    case DUCKDB_TYPE_BIGINT:
      AppendValues<int64_t>(data, count, column.ints);
      break;
    case DUCKDB_TYPE_HUGEINT: {
      const auto* values = static_cast<const duckdb_hugeint*>(data);
      column.ints.resize(base + count);
      for (idx_t row = 0; row < count; ++row) {
        if (!valid(row)) continue;
        const auto value = values[row];
        const bool fits = (value.upper == 0 && value.lower <= uint64_t(INT64_MAX)) ||
                          (value.upper == -1 && value.lower > uint64_t(INT64_MAX));
        if (!fits) throw InvalidInput("column '{}': integer too large for 64 bits", column.name);
        column.ints[base + row] = static_cast<int64_t>(value.lower);
      }
      break;
    }
    case DUCKDB_TYPE_UBIGINT:
      AppendValues<uint64_t>(data, count, column.doubles);
      break;
    case DUCKDB_TYPE_FLOAT:
      AppendValues<float>(data, count, column.doubles);
      break;
    case DUCKDB_TYPE_DOUBLE:
      AppendValues<double>(data, count, column.doubles);
      break;
    case DUCKDB_TYPE_DECIMAL: {
      const duckdb_type internal = duckdb_decimal_internal_type(logical);
      const uint8_t scale = duckdb_decimal_scale(logical);
      column.doubles.resize(base + count);
      for (idx_t row = 0; row < count; ++row) {
        if (valid(row)) column.doubles[base + row] = DecimalToDouble(data, row, internal, scale);
      }
      break;
    }
    case DUCKDB_TYPE_VARCHAR: {
      auto* strings = static_cast<duckdb_string_t*>(const_cast<void*>(data));
      for (idx_t row = 0; row < count; ++row) {
        if (valid(row)) {
          column.strings.emplace_back(duckdb_string_t_data(&strings[row]),
                                      duckdb_string_t_length(strings[row]));
        } else {
          column.strings.emplace_back();
        }
      }
      break;
    }
    case DUCKDB_TYPE_ENUM:
      if (column.dictionary.empty()) {
        column.strings.resize(base + count);  // an ENUM without values holds only NULLs
        break;
      }
      switch (duckdb_enum_internal_type(logical)) {
        case DUCKDB_TYPE_UTINYINT:
          AppendValues<uint8_t>(data, count, column.ints);
          break;
        case DUCKDB_TYPE_USMALLINT:
          AppendValues<uint16_t>(data, count, column.ints);
          break;
        default:
          AppendValues<uint32_t>(data, count, column.ints);
      }
      break;
    case DUCKDB_TYPE_DATE:
      static_assert(sizeof(duckdb_date) == sizeof(int32_t));  // days since 1970-01-01
      AppendValues<int32_t>(data, count, column.ints);
      break;
    case DUCKDB_TYPE_TIMESTAMP:
      static_assert(sizeof(duckdb_timestamp) == sizeof(int64_t));  // microseconds
      AppendValues<int64_t>(data, count, column.ints);
      break;
    default:
      throw InternalError("unhandled DuckDB type {}", static_cast<int>(type));
  }
  if (validity == nullptr) return;
  for (idx_t row = 0; row < count; ++row) {
    if (valid(row)) continue;
    column.SetNull(base + row);
    if (column.type == ColumnType::DOUBLE) {
      column.doubles[base + row] = 0;
    } else if (column.type != ColumnType::VARCHAR || !column.dictionary.empty()) {
      column.ints[base + row] = 0;
    }
  }
}

Table MaterializeResult(duckdb_result& result) {
  Table table;
  const idx_t column_count = duckdb_column_count(&result);
  std::vector<duckdb_type> types(column_count);
  std::vector<LogicalTypeGuard> logical(column_count);
  for (idx_t i = 0; i < column_count; ++i) {
    const char* name = duckdb_column_name(&result, i);
    types[i] = duckdb_column_type(&result, i);
    logical[i].type = duckdb_column_logical_type(&result, i);
    Column& column = table.AddColumn(name, ResultColumnType(types[i], name));
    if (types[i] == DUCKDB_TYPE_ENUM) {
      // Dictionary-coded: the ENUM's values once, a code per row.
      const uint32_t size = duckdb_enum_dictionary_size(logical[i].type);
      for (uint32_t code = 0; code < size; ++code) {
        char* value = duckdb_enum_dictionary_value(logical[i].type, code);
        column.dictionary.emplace_back(value);
        duckdb_free(value);
      }
    }
  }
  // Every chunk first, so that each column is sized once: growing them chunk by chunk copies
  // and page-faults the whole result about twice over.
  std::vector<ChunkPtr> chunks;
  size_t rows = 0;
  while (true) {
    ChunkPtr chunk{duckdb_fetch_chunk(result)};
    if (!chunk) break;
    const idx_t count = duckdb_data_chunk_get_size(chunk.get());
    if (count == 0) break;
    rows += count;
    chunks.push_back(std::move(chunk));
  }
  for (auto& column : table.columns) column.Reserve(rows);
  for (const auto& chunk : chunks) {
    const idx_t count = duckdb_data_chunk_get_size(chunk.get());
    for (idx_t i = 0; i < column_count; ++i) {
      ReadVector(duckdb_data_chunk_get_vector(chunk.get(), i), count, types[i], logical[i].type,
                 table.columns[i]);
    }
  }
  return table;
}

duckdb_type DuckDbType(ColumnType type) {
  switch (type) {
    case ColumnType::BOOLEAN:
      return DUCKDB_TYPE_BOOLEAN;
    case ColumnType::INTEGER:
      return DUCKDB_TYPE_INTEGER;
    case ColumnType::BIGINT:
      return DUCKDB_TYPE_BIGINT;
    case ColumnType::DOUBLE:
      return DUCKDB_TYPE_DOUBLE;
    case ColumnType::VARCHAR:
      return DUCKDB_TYPE_VARCHAR;
    case ColumnType::DATE:
      return DUCKDB_TYPE_DATE;
    case ColumnType::TIMESTAMP:
      return DUCKDB_TYPE_TIMESTAMP;
  }
  return DUCKDB_TYPE_INVALID;
}

// Copies `count` values from `values` (converted to `Target`) into a chunk vector's data.
template <typename Target, typename Source>
void WriteValues(const Source* values, size_t count, void* data) {
  auto* out = static_cast<Target*>(data);
  for (size_t i = 0; i < count; ++i) out[i] = static_cast<Target>(values[i]);
}

// Copies rows [offset, offset + count) of `column` into a chunk vector. One loop per type; a NULL
// row's value is written too (it is never read) and marked in the validity mask.
void WriteVector(const Column& column, size_t offset, size_t count, duckdb_vector vector) {
  void* data = duckdb_vector_get_data(vector);
  switch (column.type) {
    case ColumnType::BOOLEAN: {
      auto* out = static_cast<bool*>(data);
      for (size_t i = 0; i < count; ++i) out[i] = column.ints[offset + i] != 0;
      break;
    }
    case ColumnType::INTEGER:
      WriteValues<int32_t>(column.ints.data() + offset, count, data);
      break;
    case ColumnType::BIGINT:
      WriteValues<int64_t>(column.ints.data() + offset, count, data);
      break;
    case ColumnType::DOUBLE:
      WriteValues<double>(column.doubles.data() + offset, count, data);
      break;
    case ColumnType::VARCHAR:
      for (size_t i = 0; i < count; ++i) {
        if (column.IsNull(offset + i)) continue;
        const std::string_view text = column.StringAt(offset + i);
        duckdb_vector_assign_string_element_len(vector, i, text.data(), text.size());
      }
      break;
    case ColumnType::DATE:
      static_assert(sizeof(duckdb_date) == sizeof(int32_t));
      WriteValues<int32_t>(column.ints.data() + offset, count, data);
      break;
    case ColumnType::TIMESTAMP:
      static_assert(sizeof(duckdb_timestamp) == sizeof(int64_t));
      WriteValues<int64_t>(column.ints.data() + offset, count, data);
      break;
  }
  if (column.valid.empty()) return;
  for (size_t i = 0; i < count; ++i) {
    if (!column.IsNull(offset + i)) continue;
    duckdb_vector_ensure_validity_writable(vector);
    duckdb_validity_set_row_invalid(duckdb_vector_get_validity(vector), i);
  }
}

void CheckTableShape(const Table& table) {
  for (const auto& column : table.columns) {
    if (column.Size() != table.RowCount()) {
      throw InternalError("column '{}' has {} rows, expected {}", column.name, column.Size(),
                          table.RowCount());
    }
    if (column.valid.size() > column.Size()) {
      throw InternalError("column '{}' has a validity mask longer than the column", column.name);
    }
  }
}

// The failed result's error as one line (the engine's full text goes to the debug log).
Error EngineError(duckdb_result& result) {
  const char* raw = duckdb_result_error(&result);
  const std::string_view message = raw != nullptr ? raw : "unknown error";
  spdlog::debug("engine error: {}", message);
  return Error(ClassifyDuckDbError(duckdb_result_error_type(&result)), EngineErrorMessage(message));
}

// An input error about reading `path`, naming it once (a CSV reader error starts with it).
Error CannotRead(const std::string& path, const Error& error) {
  std::string_view message = error.what();
  if (message.starts_with(path + ": ")) message.remove_prefix(path.size() + 2);
  return InvalidInput("cannot read {}: {}", path, message);
}

void RequireReadable(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) throw NotFound("file not found: {}", path);
}

}  // namespace

std::string EngineErrorMessage(std::string_view message) {
  if (const size_t at = message.find("CSV Error on Line: "); at != std::string_view::npos) {
    return OneLine(CsvErrorLine(message, at), 500);
  }
  // The first line says what failed; what follows is advice, a SQL excerpt with a caret,
  // candidate bindings or the CSV sniffer's search space. A failed sniff says why on its second.
  std::string line(FirstLine(message));
  if (line.find("Error when sniffing file") != std::string::npos && line.size() < message.size()) {
    const std::string_view reason = FirstLine(message.substr(line.size() + 1));
    if (!reason.empty()) line += " " + std::string(reason);
  }
  return OneLine(line, 500);
}

void Check(duckdb_state state, std::string_view what, const char* duckdb_message) {
  if (state == DuckDBSuccess) return;
  throw Error(ErrorType::INTERNAL,
              fmt::format("{}: {}", what,
                          EngineErrorMessage(duckdb_message ? duckdb_message : "unknown error")));
}

Database::Database(const std::string& path) {
  char* error = nullptr;
  const std::string target = path.empty() ? ":memory:" : path;
  if (duckdb_open_ext(target.c_str(), &handle_, nullptr, &error) != DuckDBSuccess) {
    const std::string message = error ? error : "unknown error";
    duckdb_free(error);
    throw IoError("cannot open database {}: {}", target, EngineErrorMessage(message));
  }
}

Database::~Database() {
  duckdb_close(&handle_);
}

Connection::Connection(Database& database) : database_(database) {
  Check(duckdb_connect(database.Handle(), &handle_), "cannot connect to DuckDB");
}

Connection::~Connection() {
  duckdb_disconnect(&handle_);
}

void Connection::Execute(const std::string& sql) {
  Query(sql);
}

Table Connection::Query(const std::string& sql) {
  const auto started = std::chrono::steady_clock::now();
  ResultGuard guard;
  if (duckdb_query(handle_, sql.c_str(), &guard.result) != DuckDBSuccess) {
    throw EngineError(guard.result);
  }
  Table table = MaterializeResult(guard.result);
  if (spdlog::should_log(spdlog::level::debug)) {
    // The statement's start for profiling with --log-level debug; the whole statement at trace.
    const size_t first = sql.find_first_not_of(" \n");
    const size_t length = spdlog::should_log(spdlog::level::trace) ? std::string::npos : 160;
    std::string head = first == std::string::npos ? "" : sql.substr(first, length);
    std::replace(head.begin(), head.end(), '\n', ' ');
    spdlog::debug("query {:.3f} s, {} rows: {}",
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
                  table.RowCount(), head);
  }
  return table;
}

std::optional<std::string_view> TextChunk::Cell(size_t row, size_t column) const {
  const uint64_t* validity = validity_[column];
  if (validity != nullptr && !duckdb_validity_row_is_valid(const_cast<uint64_t*>(validity), row)) {
    return std::nullopt;
  }
  auto* text = const_cast<duckdb_string_t*>(&strings_[column][row]);
  return std::string_view(duckdb_string_t_data(text), duckdb_string_t_length(*text));
}

uint64_t Connection::StreamText(const std::string& sql,
                                const std::function<void(const TextChunk&)>& on_chunk) {
  PreparedStatement statement = Prepare(sql);
  // The C API's streaming path (a pending result executed into a streaming result): DuckDB then
  // produces chunks as they are fetched instead of materialising the whole result. These calls
  // carry a deprecation notice in 1.4's duckdb.h but are the C API's only streaming reader.
  struct PendingGuard {
    duckdb_pending_result pending = nullptr;
    ~PendingGuard() { duckdb_destroy_pending(&pending); }
  } pending;
  if (duckdb_pending_prepared_streaming(statement.handle_, &pending.pending) != DuckDBSuccess) {
    const char* raw = duckdb_pending_error(pending.pending);
    throw InvalidInput("cannot run query: {}", EngineErrorMessage(raw ? raw : "unknown error"));
  }
  ResultGuard guard;
  if (duckdb_execute_pending(pending.pending, &guard.result) != DuckDBSuccess) {
    throw EngineError(guard.result);
  }
  const idx_t column_count = duckdb_column_count(&guard.result);
  for (idx_t i = 0; i < column_count; ++i) {
    if (duckdb_column_type(&guard.result, i) != DUCKDB_TYPE_VARCHAR) {
      throw InvalidInput("StreamText: column {} ({}) is not VARCHAR", i + 1,
                         duckdb_column_name(&guard.result, i));
    }
  }
  uint64_t rows = 0;
  TextChunk text;
  text.strings_.resize(column_count);
  text.validity_.resize(column_count);
  while (true) {
    ChunkPtr chunk{duckdb_fetch_chunk(guard.result)};
    if (!chunk) {
      if (duckdb_result_error(&guard.result) != nullptr) throw EngineError(guard.result);
      break;
    }
    const idx_t count = duckdb_data_chunk_get_size(chunk.get());
    if (count == 0) break;
    text.rows_ = count;
    for (idx_t i = 0; i < column_count; ++i) {
      duckdb_vector vector = duckdb_data_chunk_get_vector(chunk.get(), i);
      text.strings_[i] = static_cast<const duckdb_string_t*>(duckdb_vector_get_data(vector));
      text.validity_[i] = duckdb_vector_get_validity(vector);
    }
    on_chunk(text);
    rows += count;
  }
  return rows;
}

bool Connection::HasTable(const std::string& catalog, const std::string& table) {
  duckdb_table_description description = nullptr;
  const bool found =
      duckdb_table_description_create_ext(handle_, catalog.c_str(), "main", table.c_str(),
                                          &description) == DuckDBSuccess;
  // Destroyed whatever the answer (the C API's rule).
  duckdb_table_description_destroy(&description);
  return found;
}

bool Connection::HasTempRelation(const std::string& name) {
  if (HasTable("temp", name)) return true;
  return Prepare(
             "SELECT (SELECT count(*) FROM duckdb_tables() WHERE database_name = 'temp' AND "
             "table_name = $1) + (SELECT count(*) FROM duckdb_views() WHERE database_name = "
             "'temp' AND view_name = $1) AS n")
             .Bind(1, name)
             .Execute()
             .Get("n")
             .ints[0] > 0;
}

bool Connection::HasTempColumn(const std::string& relation, const std::string& column) {
  return Prepare(
             "SELECT count(*) AS n FROM duckdb_columns() WHERE database_name = 'temp' AND "
             "table_name = ? AND column_name = ?")
             .Bind(1, relation)
             .Bind(2, column)
             .Execute()
             .Get("n")
             .ints[0] > 0;
}

PreparedStatement Connection::Prepare(const std::string& sql) {
  duckdb_prepared_statement statement = nullptr;
  if (duckdb_prepare(handle_, sql.c_str(), &statement) != DuckDBSuccess) {
    const char* raw = duckdb_prepare_error(statement);
    const std::string message = raw != nullptr ? raw : "unknown error";
    duckdb_destroy_prepare(&statement);
    spdlog::debug("engine error: {}", message);
    throw InvalidInput("cannot prepare query: {}", EngineErrorMessage(message));
  }
  return PreparedStatement(statement);
}

PreparedStatement::~PreparedStatement() {
  if (handle_ != nullptr) duckdb_destroy_prepare(&handle_);
}

PreparedStatement& PreparedStatement::Bind(uint64_t index, int64_t value) {
  Check(duckdb_bind_int64(handle_, index, value), "cannot bind parameter");
  return *this;
}

PreparedStatement& PreparedStatement::Bind(uint64_t index, double value) {
  Check(duckdb_bind_double(handle_, index, value), "cannot bind parameter");
  return *this;
}

PreparedStatement& PreparedStatement::Bind(uint64_t index, const std::string& value) {
  Check(duckdb_bind_varchar_length(handle_, index, value.data(), value.size()),
        "cannot bind parameter");
  return *this;
}

PreparedStatement& PreparedStatement::BindNull(uint64_t index) {
  Check(duckdb_bind_null(handle_, index), "cannot bind parameter");
  return *this;
}

Table PreparedStatement::Execute() {
  ResultGuard guard;
  if (duckdb_execute_prepared(handle_, &guard.result) != DuckDBSuccess) {
    throw EngineError(guard.result);
  }
  return MaterializeResult(guard.result);
}

Appender::Appender(Connection& connection, const std::string& table, const std::string& catalog) {
  if (duckdb_appender_create_ext(connection.Handle(), catalog.empty() ? nullptr : catalog.c_str(),
                                 nullptr, table.c_str(), &handle_) != DuckDBSuccess) {
    const std::string message = handle_ ? duckdb_appender_error(handle_) : "unknown error";
    duckdb_appender_destroy(&handle_);
    throw InternalError("cannot append to table {}: {}", table, message);
  }
}

Appender::~Appender() {
  if (handle_ == nullptr) return;
  if (duckdb_appender_close(handle_) != DuckDBSuccess) {
    spdlog::error("appender close failed: {}", duckdb_appender_error(handle_));
  }
  duckdb_appender_destroy(&handle_);
}

void Appender::Append(const Table& table) {
  CheckTableShape(table);
  std::vector<duckdb_logical_type> types;
  for (const auto& column : table.columns) {
    types.push_back(duckdb_create_logical_type(DuckDbType(column.type)));
  }
  ChunkGuard chunk{duckdb_create_data_chunk(types.data(), types.size())};
  for (auto& type : types) duckdb_destroy_logical_type(&type);
  const size_t capacity = duckdb_vector_size();
  const size_t rows = table.RowCount();
  for (size_t offset = 0; offset < rows; offset += capacity) {
    const size_t count = std::min(capacity, rows - offset);
    duckdb_data_chunk_reset(chunk.chunk);
    for (size_t i = 0; i < table.columns.size(); ++i) {
      WriteVector(table.columns[i], offset, count, duckdb_data_chunk_get_vector(chunk.chunk, i));
    }
    duckdb_data_chunk_set_size(chunk.chunk, count);
    if (duckdb_append_data_chunk(handle_, chunk.chunk) != DuckDBSuccess) {
      throw InternalError("cannot append rows: {}", duckdb_appender_error(handle_));
    }
  }
}

void Appender::Flush() {
  if (duckdb_appender_flush(handle_) != DuckDBSuccess) {
    throw InternalError("cannot flush appended rows: {}", duckdb_appender_error(handle_));
  }
}

FileFormat ParseFileFormat(std::string_view text) {
  if (text == "parquet") return FileFormat::PARQUET;
  if (text == "csv") return FileFormat::CSV;
  throw InvalidInput("format '{}' is not one of parquet, csv", text);
}

std::string_view FileExtension(FileFormat format) {
  return format == FileFormat::PARQUET ? "parquet" : "csv";
}

std::string SqlLiteral(std::string_view text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') quoted += '\'';
    quoted += c;
  }
  return quoted + "'";
}

std::string SqlIdentifier(std::string_view name) {
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

Table ReadTableFile(Connection& connection, const std::string& path) {
  RequireReadable(path);
  const bool is_csv = std::filesystem::path(path).extension() == ".csv";
  const std::string source = is_csv ? fmt::format("read_csv({}, header = true)", SqlLiteral(path))
                                    : fmt::format("read_parquet({})", SqlLiteral(path));
  try {
    return connection.Query("SELECT * FROM " + source);
  } catch (const Error& error) {
    if (error.Type() == ErrorType::INTERNAL) throw;
    throw CannotRead(path, error);
  }
}

Table ReadCsvAsText(Connection& connection, const std::string& path) {
  RequireReadable(path);
  if (std::filesystem::file_size(path) == 0) throw InvalidInput("{} is empty", path);
  try {
    return connection.Query(fmt::format(
        "SELECT * FROM read_csv({}, header = true, all_varchar = true)", SqlLiteral(path)));
  } catch (const Error& error) {
    if (error.Type() == ErrorType::INTERNAL) throw;
    throw CannotRead(path, error);
  }
}

void WriteTableFile(Connection& connection, const Table& table, const std::string& path,
                    FileFormat format) {
  CheckTableShape(table);
  if (table.columns.empty()) throw InternalError("cannot write {}: table has no columns", path);
  static std::atomic<unsigned> counter{0};
  const std::string staging = fmt::format("cx_write_{}", counter++);
  std::string create = "CREATE TEMP TABLE " + staging + " (";
  for (size_t i = 0; i < table.columns.size(); ++i) {
    if (i > 0) create += ", ";
    create += SqlIdentifier(table.columns[i].name) + " " +
              std::string(SqlTypeName(table.columns[i].type));
  }
  connection.Execute(create + ")");
  const std::string temporary = TemporaryPathFor(path);
  try {
    {
      Appender appender(connection, staging);
      appender.Append(table);
      appender.Flush();
    }
    const std::string options = format == FileFormat::PARQUET ? "FORMAT parquet, COMPRESSION zstd"
                                                              : "FORMAT csv, HEADER true";
    connection.Execute(fmt::format("COPY {} TO {} ({})", staging, SqlLiteral(temporary), options));
    connection.Execute("DROP TABLE " + staging);
    RenameFile(temporary, path);
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    try {
      connection.Execute("DROP TABLE IF EXISTS " + staging);
    } catch (const Error&) {
      // The original error matters more than a failed clean-up of a temporary table.
    }
    throw;
  }
}

}  // namespace cxagent::storage
