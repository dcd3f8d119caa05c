#pragma once

#include <memory>
#include <string>

#include "generate/generator.hpp"

namespace cxagent::generate {

//! Output file format of the generator.
enum class OutputFormat { PARQUET, CSV };

//! Parses "parquet" or "csv"; throws InvalidInput naming the allowed values otherwise.
OutputFormat ParseOutputFormat(const std::string& text);

//! A TableSink that streams the world into DuckDB tables through data-chunk appenders (the
//! dictionary-coded columns as DuckDB ENUMs, so strings are never materialised) and, on Commit,
//! writes each table with COPY to a temporary file in the output folder and renames all files
//! into place together. Destroying it without Commit removes every temporary file.
class WorldWriter : public TableSink {
 public:
  //! Prepares to write into `out_dir` (created if absent).
  WorldWriter(const std::string& out_dir, OutputFormat format,
              const std::vector<std::string>& regions);
  ~WorldWriter() override;
  WorldWriter(const WorldWriter&) = delete;
  WorldWriter& operator=(const WorldWriter&) = delete;

  //! Appends a chunk of rows to the DuckDB tables.
  void Consume(WorldTables&& chunk) override;
  //! Writes the eight table files and `truth_json` as truth.json, atomically per file, renaming
  //! only after every file was written.
  void Commit(const std::string& truth_json);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace cxagent::generate
