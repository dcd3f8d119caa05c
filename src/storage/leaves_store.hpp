#pragma once

#include <exception>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/date.hpp"

namespace cxagent::storage {

class Connection;

//! Where a data folder keeps the per-day-and-leaf sums for refreshes:
//! `DIR/.cxagent/leaves.duckdb` (table `order_leaves`, and `leaves_state` with its generation).
std::string LeavesPath(const std::string& data_dir);

//! The stored per-day-and-leaf sums of a data folder. Kept beside the results rather than in
//! them, so that a refresh changes only the days that changed (in one transaction) instead of
//! writing every day's sums again; the generation it records ties it to the results written with
//! it (pipeline/incremental.hpp), so a crash between the two is seen and answered with a full
//! analysis.
class LeavesStore {
 public:
  //! A store for `data_dir` on `connection` (nothing is read or written yet).
  LeavesStore(Connection& connection, std::string data_dir);
  ~LeavesStore();
  LeavesStore(const LeavesStore&) = delete;
  LeavesStore& operator=(const LeavesStore&) = delete;

  //! Attaches the stored sums as `cx_leaves` (read-write) and returns their generation; nullopt
  //! (and the reason in `why`) when there are none or they cannot be read.
  std::optional<std::string> Open(std::string& why);

  //! Starts writing `relation` (a table every connection sees, which must not change until
  //! Commit) as the whole of a new store with `generation`, on a connection of its own; Commit
  //! puts it into place.
  void Replace(const std::string& relation, const std::string& generation);
  //! Has Commit replace the sums of `days` in the opened store with the rows of `relation` and
  //! set `generation`.
  void Update(const std::vector<Date>& days, const std::string& relation,
              const std::string& generation);
  //! Applies Replace or Update (rethrowing a failure of the writing thread); call it just before
  //! the results are committed.
  void Commit();

 private:
  Connection& connection_;
  std::string path_;
  std::string temporary_;
  bool attached_ = false;
  std::thread writer_;
  std::exception_ptr failure_;
  bool replacing_ = false;
  bool updating_ = false;
  std::vector<Date> days_;
  std::string relation_;
  std::string generation_;
};

}  // namespace cxagent::storage
