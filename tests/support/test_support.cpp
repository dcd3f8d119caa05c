#include "support/test_support.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/date.hpp"
#include "storage/duckdb.hpp"

namespace cxagent::testing {

namespace {

std::string Slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  path_ = std::filesystem::temp_directory_path() /
          ("cxagent-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::Write(const std::string& name, const std::string& content) const {
  const std::string path = File(name);
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

void WriteMinimalOrders(const std::string& folder, int days) {
  storage::Table orders;
  auto& id = orders.AddColumn("order_id", storage::ColumnType::BIGINT);
  auto& day = orders.AddColumn("order_date", storage::ColumnType::DATE);
  for (int i = 0; i < days; ++i) {
    id.ints.push_back(i);
    day.ints.push_back(ParseDate("2026-06-01").days + i);
  }
  storage::Database database;
  storage::Connection connection(database);
  storage::WriteTableFile(connection, orders, folder + "/orders.parquet",
                          storage::FileFormat::PARQUET);
}

void RewriteParquet(const std::filesystem::path& path, const std::string& select,
                    const std::string& suffix) {
  storage::Database database;
  storage::Connection connection(database);
  const std::string copy = path.string() + ".new";
  connection.Execute("COPY (SELECT " + select + " FROM read_parquet(" +
                     storage::SqlLiteral(path.string()) + ") t " + suffix + ") TO " +
                     storage::SqlLiteral(copy) + " (FORMAT parquet)");
  std::filesystem::rename(copy, path);
}

CommandResult RunCxagent(const std::string& arguments) {
  TempDir capture;
  const std::string out = capture.File("stdout");
  const std::string err = capture.File("stderr");
  const std::string command =
      std::string(CXAGENT_BINARY) + " " + arguments + " >" + out + " 2>" + err + " </dev/null";
  const int status = std::system(command.c_str());
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = Slurp(out);
  result.err = Slurp(err);
  return result;
}

}  // namespace cxagent::testing
