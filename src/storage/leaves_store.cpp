#include "storage/leaves_store.hpp"

#include <spdlog/spdlog.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>

#include "common/error.hpp"
#include "common/file.hpp"
#include "storage/duckdb.hpp"

namespace cxagent::storage {

namespace fs = std::filesystem;

namespace {

void RemoveQuietly(const std::string& path) {
  std::error_code ignored;
  fs::remove(path, ignored);
  fs::remove(path + ".wal", ignored);
}

}  // namespace

std::string LeavesPath(const std::string& data_dir) {
  return (fs::path(data_dir) / ".cxagent" / "leaves.duckdb").string();
}

LeavesStore::LeavesStore(Connection& connection, std::string data_dir)
    : connection_(connection), path_(LeavesPath(data_dir)) {}

LeavesStore::~LeavesStore() {
  if (writer_.joinable()) writer_.join();
  if (!temporary_.empty()) RemoveQuietly(temporary_);
}

std::optional<std::string> LeavesStore::Open(std::string& why) {
  std::error_code error;
  if (!fs::exists(path_, error)) {
    why = "there are no stored per-day sums";
    return std::nullopt;
  }
  try {
    connection_.Execute(fmt::format("ATTACH {} AS cx_leaves", SqlLiteral(path_)));
    attached_ = true;
    const Table state = connection_.Query("SELECT generation FROM cx_leaves.leaves_state");
    if (state.RowCount() != 1) {
      why = "the stored per-day sums are damaged";
      return std::nullopt;
    }
    return std::string(state.Get("generation").StringAt(0));
  } catch (const Error& failure) {
    why = fmt::format("the stored per-day sums cannot be read ({})", failure.what());
    return std::nullopt;
  }
}

void LeavesStore::Replace(const std::string& relation, const std::string& generation) {
  if (replacing_ || updating_) throw InternalError("leaves store: one change per run");
  replacing_ = true;
  std::error_code error;
  fs::create_directories(fs::path(path_).parent_path(), error);
  RemoveStaleTemporaries(path_);
  temporary_ = TemporaryPathFor(path_);
  RemoveQuietly(temporary_);
  writer_ = std::thread([this, relation, generation] {
    try {
      Connection writer(connection_.Owner());
      writer.Execute(
          fmt::format("ATTACH {0} AS cx_leaves_new; "
                      "CREATE TABLE cx_leaves_new.order_leaves AS SELECT * FROM {1}; "
                      "CREATE TABLE cx_leaves_new.leaves_state AS SELECT {2} AS generation; "
                      "DETACH cx_leaves_new",
                      SqlLiteral(temporary_), relation, SqlLiteral(generation)));
    } catch (...) {
      failure_ = std::current_exception();
    }
  });
}

void LeavesStore::Update(const std::vector<Date>& days, const std::string& relation,
                         const std::string& generation) {
  if (replacing_ || updating_) throw InternalError("leaves store: one change per run");
  if (!attached_) throw InternalError("leaves store: Update before Open");
  updating_ = true;
  days_ = days;
  relation_ = relation;
  generation_ = generation;
}

void LeavesStore::Commit() {
  if (replacing_) {
    writer_.join();
    if (failure_) std::rethrow_exception(failure_);
    if (attached_) {
      connection_.Execute("DETACH cx_leaves");
      attached_ = false;
    }
    RenameFile(temporary_, path_);
    temporary_.clear();
    replacing_ = false;
    return;
  }
  if (!updating_) return;
  std::vector<std::string> dates;
  for (const Date day : days_) dates.push_back(fmt::format("DATE '{}'", FormatDate(day)));
  std::string sql = "BEGIN TRANSACTION; ";
  if (!days_.empty()) {
    sql += fmt::format(
        "DELETE FROM cx_leaves.order_leaves WHERE order_date IN ({0}); "
        "INSERT INTO cx_leaves.order_leaves BY NAME SELECT * FROM {1}; ",
        fmt::join(dates, ", "), relation_);
  }
  sql += fmt::format("UPDATE cx_leaves.leaves_state SET generation = {}; COMMIT",
                     SqlLiteral(generation_));
  try {
    connection_.Execute(sql);
  } catch (...) {
    try {
      connection_.Execute("ROLLBACK");
    } catch (...) {
    }
    throw;
  }
  updating_ = false;
  // The changed days' rows are in the write-ahead log; checkpointing them into the file (their
  // columns compressed, their statistics) would otherwise happen when the database closes, after
  // the results are written. On a connection of its own it runs while they are. A checkpoint that
  // cannot run now is left to the close.
  writer_ = std::thread([this] {
    try {
      Connection checkpointer(connection_.Owner());
      checkpointer.Execute("CHECKPOINT cx_leaves");
    } catch (const std::exception& failure) {
      spdlog::debug("leaves store: checkpointed when closed ({})", failure.what());
    }
  });
}

}  // namespace cxagent::storage
