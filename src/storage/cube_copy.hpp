#pragma once

#include <optional>
#include <string>
#include <thread>

#include "common/gate.hpp"
#include "storage/table.hpp"

namespace cxagent::storage {

//! Where a data folder keeps the binary copy of its stored slice cube:
//! `DIR/.cxagent/slice_cube.bin`.
std::string CubeCopyPath(const std::string& data_dir);

//! A refresh extends the stored slice cube (metrics::ExtendStoredCube) and so reads all of it
//! back first: from `slice_cube` of the results that is a DuckDB scan of every row (0.12 s of the
//! 1M-order refresh), from this copy a read of its bytes. The copy holds the cube exactly as it
//! was in memory (columns, types, slice dictionary, values to the bit) and names the generation
//! of the results written with it (their `leaves_generation`, pipeline/incremental.hpp); a
//! digest of every byte ends it. A copy of another generation (stale: the results were written
//! again since, by a run that did not write the copy or was stopped before renaming it), a torn,
//! truncated or damaged one is not used (ReadCubeCopy says why), and the refresh reads the
//! results' table instead.
//!
//! Writes the copy on a thread of its own into a temporary file; Commit renames it into place,
//! once the results it belongs to are in place. Destroyed uncommitted (a failed analysis), or
//! when writing failed, it removes the temporary file; a killed run's is removed by the next
//! writer.
class CubeCopyWriter {
 public:
  //! Starts writing `cube` (which must not change until Commit or destruction) with
  //! `generation` for the results of `data_dir`. A cube the copy cannot hold (a NULL, a column
  //! of text not dictionary-coded) is not written: Commit then only removes a stale copy.
  //! `held`: the writing thread waits for Release (or Commit) before it starts.
  CubeCopyWriter(const std::string& data_dir, const Table& cube, std::string generation,
                 bool held = false);
  ~CubeCopyWriter();
  CubeCopyWriter(const CubeCopyWriter&) = delete;
  CubeCopyWriter& operator=(const CubeCopyWriter&) = delete;

  //! Waits for the copy and renames it into place; when it could not be written, removes the
  //! stored copy (of the results being replaced) instead. Never throws: without a copy a refresh
  //! reads the results' table. Call it after the results were renamed into place.
  void Commit();
  //! Lets the writing start when it was held back; does nothing otherwise.
  void Release() { release_.Open(); }

 private:
  std::string path_;
  std::string temporary_;
  Gate release_;  // the writing waits at it (closed while `held`)
  std::thread writer_;
  std::string failure_;  // why the copy was not written (set by the writing thread)
  bool committed_ = false;
};

//! The cube of the copy at `path` when it is whole and of `generation`; otherwise nullopt and
//! `why` (no copy, another generation, torn or damaged). Never throws.
std::optional<Table> ReadCubeCopy(const std::string& path, const std::string& generation,
                                  std::string& why);

}  // namespace cxagent::storage
