#include "common/file.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "support/test_support.hpp"

namespace cxagent {
namespace {

using testing::ErrorMessage;
using testing::TempDir;

TEST(FileTest, WritesAtomicallyAndLeavesNoTemporaryFile) {
  TempDir dir;
  const std::string path = dir.File("out.json");
  WriteFileAtomic(path, "{\"a\": 1}");
  WriteFileAtomic(path, "{\"a\": 2}");
  EXPECT_EQ(ReadFile(path), "{\"a\": 2}");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.Path()),
                          std::filesystem::directory_iterator()),
            1);
}

TEST(FileTest, ReportsAFolderThatDoesNotExist) {
  TempDir dir;
  const std::string path = dir.File("missing/out.json");
  const std::string message = ErrorMessage([&] { WriteFileAtomic(path, "x"); }, ErrorType::IO);
  EXPECT_NE(message.find("cannot write " + path), std::string::npos) << message;
}

TEST(FileTest, ReadingAMissingFileIsNotFound) {
  EXPECT_EQ(ErrorMessage([] { ReadFile("/nonexistent/file.txt"); }, ErrorType::NOT_FOUND),
            "file not found: /nonexistent/file.txt");
}

// A process id that certainly runs no process: a child that has exited and been reaped.
pid_t DeadProcessId() {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  int status = 0;
  waitpid(child, &status, 0);
  return child;
}

TEST(StaleTemporariesTest, RemovesThoseOfGoneProcessesOnly) {
  TempDir dir;
  const std::string path = dir.File("results.duckdb");
  const pid_t dead = DeadProcessId();
  const pid_t alive = getppid();
  const std::string dead_db = dir.Write(fmt::format("results.duckdb.tmp-{}-0", dead), "db");
  const std::string dead_wal = dir.Write(fmt::format("results.duckdb.tmp-{}-0.wal", dead), "wal");
  const std::string live_db = dir.Write(fmt::format("results.duckdb.tmp-{}-3", alive), "db");
  // A killed process's id can come back: this process's id on a name it did not hand out.
  const std::string reused = dir.Write(fmt::format("results.duckdb.tmp-{}-999999", getpid()), "x");
  const std::string own = TemporaryPathFor(path);
  dir.Write(std::filesystem::path(own).filename().string(), "mine");
  const std::string other = dir.Write(fmt::format("other.duckdb.tmp-{}-0", dead), "other");
  const std::string unrelated = dir.Write("results.duckdb.tmp-notes", "keep");

  EXPECT_EQ(RemoveStaleTemporaries(path), 3);
  EXPECT_FALSE(std::filesystem::exists(dead_db));
  EXPECT_FALSE(std::filesystem::exists(dead_wal));
  EXPECT_FALSE(std::filesystem::exists(reused));
  EXPECT_TRUE(std::filesystem::exists(live_db));
  EXPECT_TRUE(std::filesystem::exists(own));
  EXPECT_TRUE(std::filesystem::exists(other));
  EXPECT_TRUE(std::filesystem::exists(unrelated));
}

TEST(StaleTemporariesTest, AnAtomicWriteClearsAKilledWritersTemporary) {
  TempDir dir;
  const std::string path = dir.File("out.json");
  const std::string left = dir.Write(fmt::format("out.json.tmp-{}-0", DeadProcessId()), "{");
  WriteFileAtomic(path, "{}");
  EXPECT_FALSE(std::filesystem::exists(left));
  EXPECT_EQ(ReadFile(path), "{}");
}

}  // namespace
}  // namespace cxagent
