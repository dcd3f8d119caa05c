#include "support/test_support.hpp"

#include "support/shared_folder.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

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

// "size.mtime" of a file, which changes when a build or an edit writes it.
std::string Stamp(const std::filesystem::path& path) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  if (error) return "absent";
  const auto time = std::filesystem::last_write_time(path, error).time_since_epoch().count();
  return fmt::format("{}.{}", size, time);
}

// Holds an exclusive lock on a file for its lifetime.
class FileLock {
 public:
  explicit FileLock(const std::filesystem::path& path)
      : fd_(::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644)) {
    if (fd_ < 0 || ::flock(fd_, LOCK_EX) != 0) {
      throw std::runtime_error("cannot lock " + path.string());
    }
  }
  ~FileLock() { ::close(fd_); }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_;
};

}  // namespace

std::filesystem::path SharedFolder(const std::string& name, const std::vector<std::string>& inputs,
                                   const std::function<bool(const std::filesystem::path&)>& make) {
  const std::filesystem::path root =
      std::filesystem::path(CXAGENT_BINARY).parent_path() / "test-cache";
  std::filesystem::create_directories(root);
  std::string stamps = Stamp("/proc/self/exe") + "|" + Stamp(CXAGENT_BINARY);
  for (const auto& input : inputs) stamps += "|" + input + "=" + Stamp(input);
  const std::string prefix = name + "-";
  const std::filesystem::path folder =
      root / fmt::format("{}{:016x}", prefix, std::hash<std::string>{}(stamps));
  const FileLock lock(root / (name + ".lock"));
  if (std::filesystem::is_directory(folder)) return folder;
  // Earlier builds' folders of this name, and what a killed maker left.
  for (const auto& entry : std::filesystem::directory_iterator(root)) {
    const std::string entry_name = entry.path().filename().string();
    if (entry.is_directory() && entry_name.starts_with(prefix)) {
      std::filesystem::remove_all(entry.path());
    }
  }
  const std::filesystem::path making = folder.string() + ".making";
  std::filesystem::create_directories(making);
  if (!make(making)) {
    std::filesystem::remove_all(making);
    ADD_FAILURE() << "the shared test folder '" << name << "' could not be made";
    return folder;
  }
  std::filesystem::rename(making, folder);
  return folder;
}

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
