#include "support/shared_folder.hpp"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace cxagent::testing {
namespace {

// A name of this process's own, so that concurrent test runs never share the folder.
std::string OwnName() {
  return "shared-folder-test-" + std::to_string(::getpid());
}

TEST(SharedFolderTest, AFailedMakeKeepsNothingAndFailsTheTest) {
  std::filesystem::path folder;
  EXPECT_NONFATAL_FAILURE(folder = SharedFolder(OwnName(), {},
                                                [](const std::filesystem::path& made) {
                                                  std::ofstream(made / "half")
                                                      << "written before the failure";
                                                  return false;
                                                }),
                          "could not be made");
  EXPECT_FALSE(std::filesystem::exists(folder));
  EXPECT_FALSE(std::filesystem::exists(folder.string() + ".making"));
  std::filesystem::remove(folder.parent_path() / (OwnName() + ".lock"));
}

TEST(SharedFolderTest, IsMadeOnceAndThenShared) {
  int makes = 0;
  const auto make = [&makes](const std::filesystem::path& made) {
    ++makes;
    std::ofstream(made / "content") << "made";
    return true;
  };
  const std::filesystem::path first = SharedFolder(OwnName(), {}, make);
  const std::filesystem::path second = SharedFolder(OwnName(), {}, make);
  EXPECT_EQ(makes, 1);
  EXPECT_EQ(first, second);
  EXPECT_TRUE(std::filesystem::exists(first / "content"));
  // Another input's stamp is another folder, made again.
  const std::filesystem::path other =
      SharedFolder(OwnName(), {CXAGENT_SOURCE_DIR "/README.md"}, make);
  EXPECT_EQ(makes, 2);
  EXPECT_NE(other, first);
  EXPECT_FALSE(std::filesystem::exists(first)) << "the folder of the earlier stamps is removed";
  std::filesystem::remove_all(other);
  std::filesystem::remove(other.parent_path() / (OwnName() + ".lock"));
}

}  // namespace
}  // namespace cxagent::testing
