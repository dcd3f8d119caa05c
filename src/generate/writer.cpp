#include "generate/writer.hpp"

#include <duckdb.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/error.hpp"

namespace cxagent::generate {

namespace fs = std::filesystem;
using storage::Column;
using storage::ColumnType;
using storage::Table;

namespace {

std::string Quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

std::string SqlType(const Column& column) {
  if (!column.dictionary.empty()) {
    std::string values;
    for (const auto& value : column.dictionary)
      values += (values.empty() ? "" : ",") + Quote(value);
    return "ENUM(" + values + ")";
  }
  switch (column.type) {
    case ColumnType::BOOLEAN:
      return "BOOLEAN";
    case ColumnType::INTEGER:
      return "INTEGER";
    case ColumnType::BIGINT:
      return "BIGINT";
    case ColumnType::DOUBLE:
      return "DOUBLE";
    case ColumnType::VARCHAR:
      return "VARCHAR";
    case ColumnType::DATE:
      return "DATE";
    case ColumnType::TIMESTAMP:
      return "TIMESTAMP";
  }
  return "VARCHAR";
}

void CheckState(duckdb_state state, std::string_view what, const char* message = nullptr) {
  if (state != DuckDBSuccess) {
    throw IoError("DuckDB failed to {}: {}", what, message != nullptr ? message : "unknown error");
  }
}

}  // namespace

OutputFormat ParseOutputFormat(const std::string& text) {
  if (text == "parquet") return OutputFormat::PARQUET;
  if (text == "csv") return OutputFormat::CSV;
  throw InvalidInput("--format: '{}' is not a format; allowed: parquet, csv", text);
}

struct WorldWriter::State {
  fs::path out_dir;
  OutputFormat format;
  duckdb_database db = nullptr;
  duckdb_connection con = nullptr;
  std::vector<duckdb_appender> appenders;
  std::vector<fs::path> temps;
  std::vector<std::string> sql_types;  // per table, per column: for enum width
  std::vector<std::vector<duckdb_logical_type>> types;

  void Run(const std::string& sql) {
    duckdb_result result;
    duckdb_state state = duckdb_query(con, sql.c_str(), &result);
    std::string message = state == DuckDBSuccess ? "" : duckdb_result_error(&result);
    duckdb_destroy_result(&result);
    if (state != DuckDBSuccess)
      throw IoError("DuckDB failed: {} ({})", message, sql.substr(0, 120));
  }
};

WorldWriter::WorldWriter(const std::string& out_dir, OutputFormat format,
                         const std::vector<std::string>& regions)
    : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.out_dir = out_dir;
  s.format = format;
  std::error_code error;
  fs::create_directories(s.out_dir, error);
  if (error || !fs::is_directory(s.out_dir)) {
    throw IoError("--out: cannot create folder {}: {}", out_dir, error.message());
  }
  CheckState(duckdb_open(nullptr, &s.db), "open an in-memory database");
  CheckState(duckdb_connect(s.db, &s.con), "connect");
  WorldTables schema = MakeEmptyTables(regions);
  for (size_t t = 0; t < WorldTables::TableNames().size(); ++t) {
    const Table& table = schema.At(t);
    std::string columns;
    for (const auto& column : table.columns) {
      columns +=
          (columns.empty() ? "" : ", ") + fmt::format("\"{}\" {}", column.name, SqlType(column));
    }
    s.Run(fmt::format("CREATE TABLE \"{}\" ({})", WorldTables::TableNames()[t], columns));
    duckdb_appender appender = nullptr;
    if (duckdb_appender_create(s.con, nullptr, WorldTables::TableNames()[t].c_str(), &appender) !=
        DuckDBSuccess) {
      std::string message = duckdb_appender_error(appender);
      duckdb_appender_destroy(&appender);
      throw IoError("DuckDB failed to open an appender: {}", message);
    }
    s.appenders.push_back(appender);
    std::vector<duckdb_logical_type> types;
    for (idx_t c = 0; c < duckdb_appender_column_count(appender); ++c) {
      types.push_back(duckdb_appender_column_type(appender, c));
    }
    s.types.push_back(types);
  }
}

WorldWriter::~WorldWriter() {
  State& s = *state_;
  for (auto& appender : s.appenders) duckdb_appender_destroy(&appender);
  for (auto& types : s.types) {
    for (auto& type : types) duckdb_destroy_logical_type(&type);
  }
  if (s.con != nullptr) duckdb_disconnect(&s.con);
  if (s.db != nullptr) duckdb_close(&s.db);
  for (const auto& temp : s.temps) {
    std::error_code ignored;
    fs::remove(temp, ignored);
  }
}

void WorldWriter::Consume(WorldTables&& chunk) {
  State& s = *state_;
  const idx_t capacity = duckdb_vector_size();
  for (size_t t = 0; t < WorldTables::TableNames().size(); ++t) {
    const Table& table = chunk.At(t);
    const size_t rows = table.RowCount();
    auto& types = s.types[t];
    for (size_t begin = 0; begin < rows; begin += capacity) {
      idx_t n = std::min<idx_t>(capacity, rows - begin);
      duckdb_data_chunk data = duckdb_create_data_chunk(types.data(), types.size());
      for (size_t c = 0; c < table.columns.size(); ++c) {
        const Column& column = table.columns[c];
        duckdb_vector vector = duckdb_data_chunk_get_vector(data, c);
        void* raw = duckdb_vector_get_data(vector);
        if (!column.dictionary.empty()) {
          // ENUM physical width depends on the dictionary size.
          duckdb_type internal = duckdb_enum_internal_type(types[c]);
          for (idx_t i = 0; i < n; ++i) {
            int64_t code = column.ints[begin + i];
            if (internal == DUCKDB_TYPE_UTINYINT) {
              static_cast<uint8_t*>(raw)[i] = static_cast<uint8_t>(code);
            } else {
              static_cast<uint16_t*>(raw)[i] = static_cast<uint16_t>(code);
            }
          }
        } else {
          switch (column.type) {
            case ColumnType::BOOLEAN:
              for (idx_t i = 0; i < n; ++i)
                static_cast<bool*>(raw)[i] = column.ints[begin + i] != 0;
              break;
            case ColumnType::INTEGER:
            case ColumnType::DATE:
              for (idx_t i = 0; i < n; ++i)
                static_cast<int32_t*>(raw)[i] = static_cast<int32_t>(column.ints[begin + i]);
              break;
            case ColumnType::BIGINT:
            case ColumnType::TIMESTAMP:
              std::memcpy(raw, column.ints.data() + begin, n * sizeof(int64_t));
              break;
            case ColumnType::DOUBLE:
              std::memcpy(raw, column.doubles.data() + begin, n * sizeof(double));
              break;
            case ColumnType::VARCHAR:
              for (idx_t i = 0; i < n; ++i) {
                const std::string& text = column.strings[begin + i];
                duckdb_vector_assign_string_element_len(vector, i, text.data(), text.size());
              }
              break;
          }
        }
        if (!column.valid.empty()) {
          duckdb_vector_ensure_validity_writable(vector);
          uint64_t* validity = duckdb_vector_get_validity(vector);
          for (idx_t i = 0; i < n; ++i) {
            if (column.valid[begin + i] == 0) duckdb_validity_set_row_invalid(validity, i);
          }
        }
      }
      duckdb_data_chunk_set_size(data, n);
      duckdb_state state = duckdb_append_data_chunk(s.appenders[t], data);
      duckdb_destroy_data_chunk(&data);
      if (state != DuckDBSuccess) {
        throw IoError("DuckDB failed to append to {}: {}", WorldTables::TableNames()[t],
                      duckdb_appender_error(s.appenders[t]));
      }
    }
  }
}

void WorldWriter::Commit(const std::string& truth_json) {
  State& s = *state_;
  for (size_t t = 0; t < s.appenders.size(); ++t) {
    if (duckdb_appender_close(s.appenders[t]) != DuckDBSuccess) {
      throw IoError("DuckDB failed to flush {}: {}", WorldTables::TableNames()[t],
                    duckdb_appender_error(s.appenders[t]));
    }
  }
  const std::string extension = s.format == OutputFormat::PARQUET ? "parquet" : "csv";
  const std::string options = s.format == OutputFormat::PARQUET
                                  ? "FORMAT parquet, COMPRESSION snappy"
                                  : "FORMAT csv, HEADER true";
  const std::string tag = fmt::format(".tmp-{}", static_cast<long>(getpid()));
  std::vector<std::pair<fs::path, fs::path>> moves;
  for (const auto& name : WorldTables::TableNames()) {
    fs::path final_path = s.out_dir / (name + "." + extension);
    fs::path temp = s.out_dir / ("." + name + "." + extension + tag);
    s.temps.push_back(temp);
    // ENUM columns are written as plain strings so readers see VARCHAR (domain.md §2).
    s.Run(
        fmt::format("COPY (SELECT * FROM \"{}\") TO {} ({})", name, Quote(temp.string()), options));
    moves.emplace_back(temp, final_path);
  }
  fs::path truth_temp = s.out_dir / (".truth.json" + tag);
  s.temps.push_back(truth_temp);
  {
    std::ofstream file(truth_temp, std::ios::binary | std::ios::trunc);
    file << truth_json;
    file.close();
    if (!file) throw IoError("cannot write {}", truth_temp.string());
  }
  moves.emplace_back(truth_temp, s.out_dir / "truth.json");
  // Check every destination before the first rename, so a predictable failure never leaves a
  // world half old, half new.
  for (const auto& [from, to] : moves) {
    if (fs::is_directory(to)) throw IoError("cannot write {}: a folder is in the way", to.string());
  }
  for (const auto& [from, to] : moves) {
    std::error_code error;
    fs::rename(from, to, error);
    if (error)
      throw IoError("cannot rename {} to {}: {}", from.string(), to.string(), error.message());
  }
  s.temps.clear();
}

}  // namespace cxagent::generate
