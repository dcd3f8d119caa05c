#pragma once

#include <memory>
#include <string>
#include <vector>

#include "storage/duckdb.hpp"
#include "storage/table.hpp"

namespace cxagent::storage {

//! One file that StreamedFiles writes: its name (for messages), the columns of its rows (an
//! empty table with the names, types and dictionaries of every chunk) and where to write it.
struct StreamedFile {
  std::string name;
  Table schema;
  std::string path;
};

//! Writes several tables to Parquet or CSV files while their rows are still being produced, with
//! bounded memory: each file is written by its own `COPY (SELECT * FROM <table function>) TO
//! <path>` running on its own thread from the start; the table function hands DuckDB the pushed
//! chunks in order (dictionary-coded columns as ENUMs, so their strings are never materialised),
//! and a chunk is released once every file has read it. The files are written in place at the
//! paths given: callers write to temporary names and rename once Finish returned.
class StreamedFiles {
 public:
  //! One chunk of rows: a table per file, in the order of the files, kept alive by `owner`.
  struct Chunk {
    std::shared_ptr<const void> owner;
    std::vector<const Table*> tables;
  };

  //! Starts one writer per file. `parquet_compression` names DuckDB's codec ("snappy", "zstd").
  StreamedFiles(std::vector<StreamedFile> files, FileFormat format,
                const std::string& parquet_compression);
  //! Stops the writers if Finish was not called (they fail, so the files are incomplete).
  ~StreamedFiles();
  StreamedFiles(const StreamedFiles&) = delete;
  StreamedFiles& operator=(const StreamedFiles&) = delete;

  //! Hands the next chunk to the writers; blocks while they are several chunks behind. Throws
  //! IoError naming the file when a writer failed.
  void Push(Chunk chunk);
  //! Ends the stream and waits until every file is written; throws IoError naming the first
  //! file whose writer failed.
  void Finish();

  //! The state shared with the writer threads (defined in streamed_files.cpp).
  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace cxagent::storage
