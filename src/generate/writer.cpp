#include "generate/writer.hpp"

#include <duckdb.h>
#include <fmt/format.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "common/error.hpp"
#include "storage/duckdb.hpp"

namespace cxagent::generate {

namespace fs = std::filesystem;
using storage::Column;
using storage::ColumnType;
using storage::Table;

namespace {

// Day chunks not yet read by every table writer are kept at most this many at a time: enough
// slack that a briefly slow writer does not stall generation, few enough to bound memory.
constexpr size_t MAX_CHUNKS_AHEAD = 8;

duckdb_logical_type LogicalType(const Column& column) {
  if (!column.dictionary.empty()) {
    std::vector<const char*> names;
    for (const auto& value : column.dictionary) names.push_back(value.c_str());
    return duckdb_create_enum_type(names.data(), names.size());
  }
  switch (column.type) {
    case ColumnType::BOOLEAN:
      return duckdb_create_logical_type(DUCKDB_TYPE_BOOLEAN);
    case ColumnType::INTEGER:
      return duckdb_create_logical_type(DUCKDB_TYPE_INTEGER);
    case ColumnType::BIGINT:
      return duckdb_create_logical_type(DUCKDB_TYPE_BIGINT);
    case ColumnType::DOUBLE:
      return duckdb_create_logical_type(DUCKDB_TYPE_DOUBLE);
    case ColumnType::DATE:
      return duckdb_create_logical_type(DUCKDB_TYPE_DATE);
    case ColumnType::TIMESTAMP:
      return duckdb_create_logical_type(DUCKDB_TYPE_TIMESTAMP);
    case ColumnType::VARCHAR:
      break;
  }
  return duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
}

// Copies rows [begin, begin + n) of `column` into `vector` at `offset`.
void CopyRows(const Column& column, duckdb_vector vector, size_t begin, idx_t n, idx_t offset) {
  void* raw = duckdb_vector_get_data(vector);
  if (!column.dictionary.empty()) {
    // Dictionaries here are small (< 256 values), so DuckDB stores the ENUM as UTINYINT.
    auto* out = static_cast<uint8_t*>(raw) + offset;
    for (idx_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(column.ints[begin + i]);
  } else {
    switch (column.type) {
      case ColumnType::BOOLEAN: {
        auto* out = static_cast<bool*>(raw) + offset;
        for (idx_t i = 0; i < n; ++i) out[i] = column.ints[begin + i] != 0;
        break;
      }
      case ColumnType::INTEGER:
      case ColumnType::DATE: {
        auto* out = static_cast<int32_t*>(raw) + offset;
        for (idx_t i = 0; i < n; ++i) out[i] = static_cast<int32_t>(column.ints[begin + i]);
        break;
      }
      case ColumnType::BIGINT:
      case ColumnType::TIMESTAMP:
        std::memcpy(static_cast<int64_t*>(raw) + offset, column.ints.data() + begin,
                    n * sizeof(int64_t));
        break;
      case ColumnType::DOUBLE:
        std::memcpy(static_cast<double*>(raw) + offset, column.doubles.data() + begin,
                    n * sizeof(double));
        break;
      case ColumnType::VARCHAR:
        for (idx_t i = 0; i < n; ++i) {
          const std::string& text = column.strings[begin + i];
          duckdb_vector_assign_string_element_len(vector, offset + i, text.data(), text.size());
        }
        break;
    }
  }
  if (!column.valid.empty()) {
    duckdb_vector_ensure_validity_writable(vector);
    uint64_t* validity = duckdb_vector_get_validity(vector);
    for (idx_t i = 0; i < n; ++i) {
      if (column.valid[begin + i] == 0) duckdb_validity_set_row_invalid(validity, offset + i);
    }
  }
}

}  // namespace

storage::FileFormat ParseOutputFormat(const std::string& text) {
  try {
    return storage::ParseFileFormat(text);
  } catch (const Error&) {
    throw InvalidInput("--format: '{}' is not a format; allowed: parquet, csv", text);
  }
}

struct WorldWriter::State {
  fs::path out_dir;
  std::string extension;  // "parquet" or "csv"
  std::string temp_tag;   // suffix of this process's temporary files
  WorldTables schema;
  duckdb_database db = nullptr;
  std::vector<fs::path> temps;
  std::vector<std::thread> copies;
  bool committed = false;

  // The day chunks shared by the eight table readers.
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<std::shared_ptr<WorldTables>> chunks;
  size_t first_chunk = 0;       // index of chunks.front() in the whole stream
  size_t pushed = 0;            // chunks handed over so far
  bool finished = false;        // no more chunks will come
  std::string failure;          // set when a writer or the generator failed
  std::vector<size_t> reading;  // per table: index of the chunk it reads
  std::vector<size_t> row;      // per table: next row in that chunk
  std::vector<std::string> copy_errors;

  // Drops chunks every table has moved past. Caller holds the mutex.
  void Release() {
    size_t slowest = *std::min_element(reading.begin(), reading.end());
    while (!chunks.empty() && first_chunk < slowest) {
      chunks.pop_front();
      ++first_chunk;
    }
  }
};

namespace {

struct TableSource {
  WorldWriter::State* state;
  size_t table;
};

void BindTable(duckdb_bind_info info) {
  auto* source = static_cast<TableSource*>(duckdb_bind_get_extra_info(info));
  for (const auto& column : source->state->schema.At(source->table).columns) {
    duckdb_logical_type type = LogicalType(column);
    duckdb_bind_add_result_column(info, column.name.c_str(), type);
    duckdb_destroy_logical_type(&type);
  }
}

void InitTable(duckdb_init_info info) {
  // One reader per table keeps the rows in generation order in the file.
  duckdb_init_set_max_threads(info, 1);
}

void ScanTable(duckdb_function_info info, duckdb_data_chunk output) {
  auto* source = static_cast<TableSource*>(duckdb_function_get_extra_info(info));
  WorldWriter::State& s = *source->state;
  const size_t t = source->table;
  const idx_t capacity = duckdb_vector_size();
  idx_t filled = 0;
  std::unique_lock lock(s.mutex);
  while (filled < capacity) {
    s.changed.wait(lock,
                   [&] { return !s.failure.empty() || s.finished || s.reading[t] < s.pushed; });
    if (!s.failure.empty()) {
      duckdb_function_set_error(info, s.failure.c_str());
      return;
    }
    if (s.reading[t] >= s.pushed) break;  // finished and fully read
    std::shared_ptr<WorldTables> chunk = s.chunks[s.reading[t] - s.first_chunk];
    const Table& table = chunk->At(t);
    size_t begin = s.row[t];
    idx_t n = std::min<idx_t>(capacity - filled, table.RowCount() - begin);
    if (n > 0) {
      // Copying needs no lock: the chunk is immutable and kept alive by the shared pointer.
      lock.unlock();
      for (size_t c = 0; c < table.columns.size(); ++c) {
        CopyRows(table.columns[c], duckdb_data_chunk_get_vector(output, c), begin, n, filled);
      }
      lock.lock();
      filled += n;
      s.row[t] = begin + n;
    }
    if (s.row[t] >= table.RowCount()) {
      ++s.reading[t];
      s.row[t] = 0;
      s.Release();
      s.changed.notify_all();
    }
  }
  duckdb_data_chunk_set_size(output, filled);
}

void Run(duckdb_connection con, const std::string& sql) {
  duckdb_result result;
  duckdb_state state = duckdb_query(con, sql.c_str(), &result);
  std::string message = state == DuckDBSuccess ? "" : duckdb_result_error(&result);
  duckdb_destroy_result(&result);
  if (state != DuckDBSuccess) throw IoError("DuckDB failed: {}", message);
}

}  // namespace

WorldWriter::WorldWriter(const std::string& out_dir, storage::FileFormat format,
                         const std::vector<std::string>& regions)
    : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.out_dir = out_dir;
  s.schema = MakeEmptyTables(regions);
  const size_t n_tables = WorldTables::TableNames().size();
  s.reading.assign(n_tables, 0);
  s.row.assign(n_tables, 0);
  s.copy_errors.assign(n_tables, "");
  std::error_code error;
  fs::create_directories(s.out_dir, error);
  if (error || !fs::is_directory(s.out_dir)) {
    throw IoError("--out: cannot create folder {}: {}", out_dir,
                  error ? error.message() : "not a folder");
  }
  if (duckdb_open(nullptr, &s.db) != DuckDBSuccess)
    throw IoError("DuckDB failed to open a database");
  duckdb_connection setup = nullptr;
  if (duckdb_connect(s.db, &setup) != DuckDBSuccess) throw IoError("DuckDB failed to connect");
  for (size_t t = 0; t < n_tables; ++t) {
    duckdb_table_function function = duckdb_create_table_function();
    std::string name = fmt::format("cxagent_world_{}", WorldTables::TableNames()[t]);
    duckdb_table_function_set_name(function, name.c_str());
    duckdb_table_function_set_extra_info(function, new TableSource{&s, t},
                                         [](void* p) { delete static_cast<TableSource*>(p); });
    duckdb_table_function_set_bind(function, BindTable);
    duckdb_table_function_set_init(function, InitTable);
    duckdb_table_function_set_function(function, ScanTable);
    duckdb_state state = duckdb_register_table_function(setup, function);
    duckdb_destroy_table_function(&function);
    if (state != DuckDBSuccess) {
      duckdb_disconnect(&setup);
      throw IoError("DuckDB failed to register {}", name);
    }
  }
  duckdb_disconnect(&setup);

  s.extension = storage::FileExtension(format);
  s.temp_tag = fmt::format(".tmp-{}", static_cast<long>(getpid()));
  const std::string options = format == storage::FileFormat::PARQUET
                                  ? "FORMAT parquet, COMPRESSION snappy"
                                  : "FORMAT csv, HEADER true";
  for (size_t t = 0; t < n_tables; ++t) {
    const std::string& name = WorldTables::TableNames()[t];
    s.temps.push_back(s.out_dir / ("." + name + "." + s.extension + s.temp_tag));
  }
  for (size_t t = 0; t < n_tables; ++t) {
    std::string sql = fmt::format("COPY (SELECT * FROM cxagent_world_{}()) TO {} ({})",
                                  WorldTables::TableNames()[t],
                                  storage::SqlLiteral(s.temps[t].string()), options);
    s.copies.emplace_back([&s, t, sql] {
      duckdb_connection con = nullptr;
      std::string problem;
      if (duckdb_connect(s.db, &con) != DuckDBSuccess) {
        problem = "DuckDB failed to connect";
      } else {
        try {
          Run(con, sql);
        } catch (const std::exception& e) {
          problem = e.what();
        }
        duckdb_disconnect(&con);
      }
      std::lock_guard lock(s.mutex);
      if (!problem.empty()) {
        s.copy_errors[t] = problem;
        if (s.failure.empty()) {
          s.failure = fmt::format("writing {} failed: {}", WorldTables::TableNames()[t], problem);
        }
      }
      // A finished writer reads nothing more; let the others and the generator go on.
      s.reading[t] = std::numeric_limits<size_t>::max();
      s.Release();
      s.changed.notify_all();
    });
  }
}

WorldWriter::~WorldWriter() {
  State& s = *state_;
  {
    std::lock_guard lock(s.mutex);
    if (!s.finished && s.failure.empty()) s.failure = "generation was aborted";
  }
  s.changed.notify_all();
  for (auto& thread : s.copies) {
    if (thread.joinable()) thread.join();
  }
  if (s.db != nullptr) duckdb_close(&s.db);
  if (!s.committed) {
    for (const auto& temp : s.temps) {
      std::error_code ignored;
      fs::remove(temp, ignored);
    }
  }
}

void WorldWriter::Consume(WorldTables&& chunk) {
  State& s = *state_;
  auto shared = std::make_shared<WorldTables>(std::move(chunk));
  std::unique_lock lock(s.mutex);
  s.changed.wait(lock, [&] { return !s.failure.empty() || s.chunks.size() < MAX_CHUNKS_AHEAD; });
  if (!s.failure.empty()) throw IoError("{}", s.failure);
  s.chunks.push_back(std::move(shared));
  ++s.pushed;
  s.changed.notify_all();
}

void WorldWriter::Commit(const std::string& truth_json) {
  State& s = *state_;
  {
    std::lock_guard lock(s.mutex);
    s.finished = true;
  }
  s.changed.notify_all();
  for (auto& thread : s.copies) thread.join();
  for (const auto& error : s.copy_errors) {
    if (!error.empty()) throw IoError("{}", s.failure);
  }
  std::vector<std::pair<fs::path, fs::path>> moves;
  for (size_t t = 0; t < s.temps.size(); ++t) {
    moves.emplace_back(s.temps[t], s.out_dir / (WorldTables::TableNames()[t] + "." + s.extension));
  }
  fs::path truth_temp = s.out_dir / (".truth.json" + s.temp_tag);
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
  s.committed = true;
}

}  // namespace cxagent::generate
