#pragma once

#include <nlohmann/json.hpp>

#include <exception>
#include <string>
#include <thread>
#include <vector>

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

//! Writes an analysis's results database (the tables StoreResults lists) to a temporary file in
//! the data folder, attached to `connection` as `cx_results_new`, and renames it into place on
//! Commit; destroyed uncommitted (a failed analysis), it removes the file. The slice cube can be
//! handed over as soon as it exists: it is written on a thread of its own while the analysis
//! goes on.
class ResultsWriter {
 public:
  //! Throws IoError when the `.cxagent` folder cannot be created.
  ResultsWriter(Connection& connection, const std::string& data_dir);
  ~ResultsWriter();
  ResultsWriter(const ResultsWriter&) = delete;
  ResultsWriter& operator=(const ResultsWriter&) = delete;

  //! Starts writing `slice_cube` (which must outlive Commit or the writer) on another connection
  //! to the same database.
  void StoreCube(const Table& slice_cube);
  //! Has Commit copy the connection's TEMP table `name` into the results under the same name
  //! (what a later refresh reads back: pipeline/incremental.hpp).
  void StoreTempTable(const std::string& name);
  //! Has Commit add to the stored table `table` (after it is created) the rows of `select` (a
  //! query, e.g. over the previous results attached to the connection).
  void AppendRows(const std::string& table, const std::string& select);
  //! Waits for the cube (rethrowing its failure), writes `analysis`, its incidents, the RCA
  //! artifacts the connection staged and the TEMP tables named by StoreTempTable, then renames
  //! the file into place.
  void Commit(const nlohmann::json& analysis);

 private:
  Connection& connection_;
  std::string path_;
  std::string temporary_;
  std::thread cube_writer_;
  std::exception_ptr cube_failure_;
  std::vector<std::string> temp_tables_;
  std::vector<std::pair<std::string, std::string>> appends_;  // table, query
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
