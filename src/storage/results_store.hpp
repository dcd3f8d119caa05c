#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "common/gate.hpp"

namespace cxagent::storage {

class Connection;
struct Table;

//! Where the results of `analyze` live inside a data folder: `DIR/.cxagent/results.duckdb`.
std::string ResultsPath(const std::string& data_dir);

//! Stores an analysis (the JSON of interfaces.md §2) and its slice cube (metrics::BuildSliceCube)
//! in the data folder's results database: written to a temporary file, then renamed into place, so
//! a reader sees the previous results or the new ones, never a mix. Tables: `analysis` (one row,
//! the whole JSON), `incidents` (one row per incident with its JSON) and `slice_cube`; plus
//! `rca_models` and `rca_samples` when the connection holds those TEMP tables (the per-incident
//! CX models of root-cause analysis, see rca::StageArtifacts).
void StoreResults(Connection& connection, const std::string& data_dir,
                  const nlohmann::json& analysis, const Table& slice_cube);

//! What a refresh changed in the stored slice cube (an append: metrics::ExtendStoredCube): the
//! rows dated `days` are replaced, the `dropped` slices' rows deleted and the `added` slices' rows
//! (of every day) inserted; every other row of the new cube is a stored row as it was.
struct CubeChanges {
  std::vector<int32_t> days;         //!< days since 1970-01-01
  std::vector<std::string> dropped;  //!< slice text
  std::vector<std::string> added;    //!< slice text
  //! The stored cube holds no row of `days` (all after its last) nor of the `added` slices (left
  //! out of it): only the dropped slices' rows are deleted, rather than every row scanned for
  //! those days and slices too.
  bool appended = false;
};

//! Writes an analysis's results database (the tables StoreResults lists) to a temporary file in
//! the data folder, attached to `connection` as `cx_results_new`, and renames it into place on
//! Commit; destroyed uncommitted (a failed analysis), it removes the file. The slice cube can be
//! handed over as soon as it exists: it is written on a thread of its own while the analysis
//! goes on.
//!
//! A refresh whose results differ from the stored ones in a few rows starts from a copy of the
//! stored file instead (docs/incremental.md, *What is stored*): the slice cube's changed rows are
//! deleted and inserted (StoreCube with CubeChanges), the RCA artifacts of reused incidents stay
//! in place (KeepStoredRows) and every other table is dropped and written again. A copy is not
//! taken, and a new file is written (the log says why), when the stored file is more than half
//! free space (GROWTH_LIMIT: deleted rows and dropped tables leave free blocks that DuckDB reuses
//! but does not give back), has a write-ahead log, cannot be copied, or is not the file the
//! refresh read (its `refresh_state` differs); and when updating the copy fails, the writer starts
//! over with a new file. Either way the file renamed into place holds the same tables and rows.
class ResultsWriter {
 public:
  //! A new results file; with `stored` (the name under which the stored results are attached
  //! to `connection`, e.g. a refresh's `cx_previous`), a copy of them when it can (above). Throws
  //! IoError when the `.cxagent` folder cannot be created.
  ResultsWriter(Connection& connection, const std::string& data_dir,
                const std::string& stored = {});
  ~ResultsWriter();
  ResultsWriter(const ResultsWriter&) = delete;
  ResultsWriter& operator=(const ResultsWriter&) = delete;

  //! Whether the results are being built from a copy of the stored ones.
  bool FromStored() const { return !stored_.empty(); }
  //! Why the results given stored ones are written anew rather than from a copy of them (empty
  //! when a copy is used or none was asked for).
  const std::string& WhyAnew() const { return why_anew_; }

  //! Starts writing `slice_cube` (which must outlive Commit or the writer) on another connection
  //! to the same database. With `changes` (which StoreCube copies) and a copy of the stored
  //! results, only those rows of the stored cube are deleted and inserted; otherwise the cube is
  //! written whole. `held`: the writing thread waits for Release (or Commit) before it starts.
  void StoreCube(const Table& slice_cube, const CubeChanges* changes = nullptr, bool held = false);
  //! Lets the cube's writing start when StoreCube held it back; does nothing otherwise.
  void Release() { release_.Open(); }
  //! Has Commit copy the connection's TEMP table `name` into the results under the same name
  //! (what a later refresh reads back: pipeline/incremental.hpp).
  void StoreTempTable(const std::string& name);
  //! Has Commit keep, in the results' `table` (an RCA artifact table, rca_models or rca_samples,
  //! written from the connection's TEMP table of that name), the stored rows whose `incident_id`
  //! is one of `ids`: left in place in a copy of the stored results, else copied from
  //! `source` (the stored table, e.g. `cx_previous.rca_samples`).
  void KeepStoredRows(const std::string& table, const std::vector<std::string>& ids,
                      const std::string& source);
  //! Waits for the cube (rethrowing its failure), writes `analysis`, its incidents, the RCA
  //! artifacts the connection staged and the TEMP tables named by StoreTempTable, then renames
  //! the file into place.
  void Commit(const nlohmann::json& analysis);

  //! A copy of the stored results is not updated in place when more than this share of its
  //! blocks is free: the file is written new (and compact) instead.
  static constexpr double GROWTH_LIMIT = 0.5;

 private:
  struct Kept {
    std::string table;
    std::vector<std::string> ids;
    std::string source;
  };
  // The copy of the stored results when it can be used (see the class), else "" with `why`.
  std::string CopyStored(const std::string& stored, std::string& why);
  // Attaches a new, empty temporary file.
  void AttachNew();
  // Drops what the copy holds but the tables updated in place, and updates those (the RCA
  // artifacts).
  void UpdateCopy();
  // Writes `analysis`, its incidents, the staged RCA artifacts and the TEMP tables named by
  // StoreTempTable into the new file (Commit, in one transaction).
  void WriteTables(const nlohmann::json& analysis);
  // Drops the copy (after a failure to update it) and writes the cube whole into a new file.
  void StartOver(const std::string& why);

  Connection& connection_;
  std::string path_;
  std::string temporary_;
  std::string stored_;  // the stored results' name on the connection, while their copy is used
  std::string why_anew_;
  const Table* cube_ = nullptr;
  std::thread cube_writer_;
  Gate release_{false};  // the cube's writing waits at it (StoreCube opens it unless `held`)
  std::exception_ptr cube_failure_;
  std::vector<std::string> temp_tables_;
  std::vector<Kept> kept_;
  bool attached_ = false;
  bool cube_started_ = false;
  bool committed_ = false;
};

//! The stored results of a data folder.
struct StoredResults {
  nlohmann::json analysis;  //!< the analysis document as written
  int64_t cube_rows = 0;    //!< rows of the stored slice cube
};

//! Loads the stored results; throws NotFound when `analyze` has not stored any for the folder.
StoredResults LoadResults(const std::string& data_dir);

//! Attaches the results database read-only to `connection` as schema `results`, so that
//! `results.slice_cube` and `results.incidents` can be queried; throws NotFound when absent.
void AttachResults(Connection& connection, const std::string& data_dir);

}  // namespace cxagent::storage
