#pragma once

#include <memory>
#include <string>

#include "generate/generator.hpp"
#include "storage/duckdb.hpp"

namespace cxagent::generate {

//! Parses the `--format` flag ("parquet" or "csv"); throws InvalidInput naming the flag and the
//! allowed values otherwise.
storage::FileFormat ParseOutputFormat(const std::string& text);

//! A TableSink that streams the world straight into the output files through
//! storage::StreamedFiles: each of the eight tables is written to a temporary file while the days
//! are generated, and a day chunk is freed once every table has read it, so memory stays bounded
//! whatever the world's size. Commit waits
//! for the files, writes truth.json and renames everything into place only after all of it was
//! written; destroying the writer without Commit removes every temporary file.
class WorldWriter : public TableSink {
 public:
  //! Prepares to write into `out_dir` (created if absent).
  WorldWriter(const std::string& out_dir, storage::FileFormat format,
              const std::vector<std::string>& regions);
  ~WorldWriter() override;
  WorldWriter(const WorldWriter&) = delete;
  WorldWriter& operator=(const WorldWriter&) = delete;

  //! Hands the next day's rows to the table writers (blocks while they are several days behind).
  void Consume(WorldTables&& chunk) override;
  //! Writes the eight table files and `truth_json` as truth.json, atomically per file, renaming
  //! only after every file was written.
  void Commit(const std::string& truth_json);

  //! The files being written (defined in writer.cpp).
  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace cxagent::generate
