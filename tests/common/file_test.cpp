#include "common/file.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace cxagent
