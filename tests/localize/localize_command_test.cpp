#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "support/test_support.hpp"

namespace cxagent {
namespace {

using testing::RunCxagent;
using testing::TempDir;

// Leaves of a small cube where region=seattle fell from 90% to 60%; everything else held.
std::string RegressedSeattleCsv() {
  std::string csv = "region,platform,real_num,real_den,predict_num,predict_den\n";
  for (const std::string region : {"seattle", "boston", "chicago", "austin"}) {
    for (const std::string platform : {"ios", "android", "web"}) {
      const bool hit = region == "seattle";
      csv += region + "," + platform + "," + (hit ? "600" : "901") + ",1000,900,1000\n";
    }
  }
  return csv;
}

TEST(LocalizeCommandTest, PrintsRootCausesJsonOnStdout) {
  TempDir dir;
  auto result = RunCxagent("localize --input " + dir.Write("leaves.csv", RegressedSeattleCsv()));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto json = nlohmann::json::parse(result.out);
  ASSERT_EQ(json.at("root_causes").size(), 1u);
  EXPECT_EQ(json["root_causes"][0]["slice"], nlohmann::json({{"region", "seattle"}}));
  EXPECT_GT(json["root_causes"][0]["score"].get<double>(), 0.9);
}

TEST(LocalizeCommandTest, WritesTheSameJsonToOutFile) {
  TempDir dir;
  const std::string out = dir.File("result.json");
  auto result = RunCxagent("localize --input " + dir.Write("leaves.csv", RegressedSeattleCsv()) +
                           " --out " + out);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(result.out.empty());
  std::ifstream in(out);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(nlohmann::json::parse(text.str())["root_causes"][0]["slice"]["region"], "seattle");
}

TEST(LocalizeCommandTest, MissingInputFileExitsTwoNamingIt) {
  TempDir dir;
  auto result = RunCxagent("localize --input " + dir.File("absent.csv"));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("absent.csv' does not exist"), std::string::npos) << result.err;
}

TEST(LocalizeCommandTest, BadCellExitsTwoNamingLineAndColumnAndWritesNoOutput) {
  TempDir dir;
  const std::string out = dir.File("result.json");
  auto result = RunCxagent(
      "localize --input " +
      dir.Write("leaves.csv", "region,real,predict\nseattle,1,2\nboston,x,2\n") + " --out " + out);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("line 3, column 'real': 'x' is not a number"), std::string::npos)
      << result.err;
  EXPECT_FALSE(std::ifstream(out).good());
}

TEST(LocalizeCommandTest, EmptyFileExitsTwo) {
  TempDir dir;
  auto result = RunCxagent("localize --input " + dir.Write("leaves.csv", ""));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("the file is empty"), std::string::npos) << result.err;
}

TEST(LocalizeCommandTest, HugeValuesExitTwoNamingLineAndColumnInsteadOfNullScores) {
  // Sums of +-1e308 overflow: this used to answer scores and deltas of null with exit 0.
  TempDir dir;
  const std::string out = dir.File("result.json");
  auto result =
      RunCxagent("localize --input " +
                 dir.Write("leaves.csv", "region,real,predict\na,1e308,-1e308\nb,1,2\nc,1,1\n") +
                 " --out " + out);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err.find('\n'), result.err.size() - 1) << result.err;
  EXPECT_NE(result.err.find("leaves.csv: line 2, column 'real': '1e308' is too large"),
            std::string::npos)
      << result.err;
  EXPECT_FALSE(std::ifstream(out).good());
}

}  // namespace
}  // namespace cxagent
