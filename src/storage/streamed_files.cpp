#include "storage/streamed_files.hpp"

#include <duckdb.h>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <limits>
#include <mutex>
#include <thread>

#include "common/error.hpp"

namespace cxagent::storage {

namespace {

// Chunks not yet read by every writer are kept at most this many at a time: enough slack that a
// briefly slow writer does not stall the producer, few enough to bound memory.
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
    if (column.dictionary.size() > 256) {
      throw InternalError("column '{}': an ENUM of {} values is not stored in one byte",
                          column.name, column.dictionary.size());
    }
    // DuckDB stores an ENUM of up to 256 values as UTINYINT.
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
      if (begin + i < column.valid.size() && column.valid[begin + i] == 0) {
        duckdb_validity_set_row_invalid(validity, offset + i);
      }
    }
  }
}

}  // namespace

struct StreamedFiles::State {
  std::vector<StreamedFile> files;
  Database database;
  std::vector<std::thread> copies;

  // The chunks shared by the writers.
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<Chunk> chunks;
  size_t first_chunk = 0;       // index of chunks.front() in the whole stream
  size_t pushed = 0;            // chunks handed over so far
  bool finished = false;        // no more chunks will come
  std::string failure;          // set when a writer or the producer failed
  std::vector<size_t> reading;  // per file: index of the chunk it reads
  std::vector<size_t> row;      // per file: next row in that chunk
  std::vector<std::string> copy_errors;

  // Drops chunks every writer has moved past. Caller holds the mutex.
  void Release() {
    const size_t slowest = *std::min_element(reading.begin(), reading.end());
    while (!chunks.empty() && first_chunk < slowest) {
      chunks.pop_front();
      ++first_chunk;
    }
  }
};

namespace {

struct Source {
  StreamedFiles::State* state;
  size_t file;
};

void Bind(duckdb_bind_info info) {
  auto* source = static_cast<Source*>(duckdb_bind_get_extra_info(info));
  for (const auto& column : source->state->files[source->file].schema.columns) {
    duckdb_logical_type type = LogicalType(column);
    duckdb_bind_add_result_column(info, column.name.c_str(), type);
    duckdb_destroy_logical_type(&type);
  }
}

void Init(duckdb_init_info info) {
  // One reader per file keeps the rows in the order they were pushed.
  duckdb_init_set_max_threads(info, 1);
}

void Scan(duckdb_function_info info, duckdb_data_chunk output) {
  auto* source = static_cast<Source*>(duckdb_function_get_extra_info(info));
  StreamedFiles::State& s = *source->state;
  const size_t f = source->file;
  const idx_t capacity = duckdb_vector_size();
  idx_t filled = 0;
  std::unique_lock lock(s.mutex);
  while (filled < capacity) {
    s.changed.wait(lock,
                   [&] { return !s.failure.empty() || s.finished || s.reading[f] < s.pushed; });
    if (!s.failure.empty()) {
      duckdb_function_set_error(info, s.failure.c_str());
      return;
    }
    if (s.reading[f] >= s.pushed) break;  // finished and fully read
    // Copying needs no lock: the chunk is immutable and kept alive by this copy of it.
    const StreamedFiles::Chunk chunk = s.chunks[s.reading[f] - s.first_chunk];
    const Table& table = *chunk.tables[f];
    const size_t begin = s.row[f];
    const idx_t n = std::min<idx_t>(capacity - filled, table.RowCount() - begin);
    if (n > 0) {
      lock.unlock();
      try {
        for (size_t c = 0; c < table.columns.size(); ++c) {
          CopyRows(table.columns[c], duckdb_data_chunk_get_vector(output, c), begin, n, filled);
        }
      } catch (const std::exception& error) {
        duckdb_function_set_error(info, error.what());
        return;
      }
      lock.lock();
      filled += n;
      s.row[f] = begin + n;
    }
    if (s.row[f] >= table.RowCount()) {
      ++s.reading[f];
      s.row[f] = 0;
      s.Release();
      s.changed.notify_all();
    }
  }
  duckdb_data_chunk_set_size(output, filled);
}

}  // namespace

StreamedFiles::StreamedFiles(std::vector<StreamedFile> files, FileFormat format,
                             const std::string& parquet_compression)
    : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.files = std::move(files);
  const size_t count = s.files.size();
  s.reading.assign(count, 0);
  s.row.assign(count, 0);
  s.copy_errors.assign(count, "");
  static std::atomic<unsigned> streams{0};
  const unsigned stream = streams++;
  std::vector<std::string> functions;
  {
    Connection setup(s.database);
    for (size_t f = 0; f < count; ++f) {
      functions.push_back(fmt::format("cxagent_stream_{}_{}", stream, f));
      duckdb_table_function function = duckdb_create_table_function();
      duckdb_table_function_set_name(function, functions.back().c_str());
      duckdb_table_function_set_extra_info(function, new Source{&s, f},
                                           [](void* p) { delete static_cast<Source*>(p); });
      duckdb_table_function_set_bind(function, Bind);
      duckdb_table_function_set_init(function, Init);
      duckdb_table_function_set_function(function, Scan);
      const duckdb_state state = duckdb_register_table_function(setup.Handle(), function);
      duckdb_destroy_table_function(&function);
      if (state != DuckDBSuccess) {
        throw IoError("writing {}: DuckDB failed to register the table function", s.files[f].name);
      }
    }
  }
  const std::string options =
      format == FileFormat::PARQUET
          ? fmt::format("FORMAT parquet, COMPRESSION {}", parquet_compression)
          : "FORMAT csv, HEADER true";
  for (size_t f = 0; f < count; ++f) {
    std::string sql = fmt::format("COPY (SELECT * FROM {}()) TO {} ({})", functions[f],
                                  SqlLiteral(s.files[f].path), options);
    s.copies.emplace_back([&s, f, sql] {
      std::string problem;
      try {
        Connection connection(s.database);
        connection.Execute(sql);
      } catch (const std::exception& error) {
        problem = error.what();
      }
      std::lock_guard lock(s.mutex);
      if (!problem.empty()) {
        s.copy_errors[f] = problem;
        if (s.failure.empty()) {
          s.failure = fmt::format("writing {} failed: {}", s.files[f].name, problem);
        }
      }
      // A finished writer reads nothing more; let the others and the producer go on.
      s.reading[f] = std::numeric_limits<size_t>::max();
      s.Release();
      s.changed.notify_all();
    });
  }
}

StreamedFiles::~StreamedFiles() {
  State& s = *state_;
  {
    std::lock_guard lock(s.mutex);
    if (!s.finished && s.failure.empty()) s.failure = "writing was aborted";
  }
  s.changed.notify_all();
  for (auto& thread : s.copies) {
    if (thread.joinable()) thread.join();
  }
}

void StreamedFiles::Push(Chunk chunk) {
  State& s = *state_;
  if (chunk.tables.size() != s.files.size()) {
    throw InternalError("a chunk of {} tables for {} files", chunk.tables.size(), s.files.size());
  }
  std::unique_lock lock(s.mutex);
  s.changed.wait(lock, [&] { return !s.failure.empty() || s.chunks.size() < MAX_CHUNKS_AHEAD; });
  if (!s.failure.empty()) throw IoError("{}", s.failure);
  s.chunks.push_back(std::move(chunk));
  ++s.pushed;
  s.changed.notify_all();
}

void StreamedFiles::Finish() {
  State& s = *state_;
  {
    std::lock_guard lock(s.mutex);
    s.finished = true;
  }
  s.changed.notify_all();
  for (auto& thread : s.copies) {
    if (thread.joinable()) thread.join();
  }
  for (const auto& error : s.copy_errors) {
    if (!error.empty()) throw IoError("{}", s.failure);
  }
}

}  // namespace cxagent::storage
