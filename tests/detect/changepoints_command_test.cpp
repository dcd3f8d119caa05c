#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <utility>

#include "support/test_support.hpp"
#include "synthetic.hpp"

namespace cxagent::detect {
namespace {

using cxagent::testing::RunCxagent;
using cxagent::testing::TempDir;

// A CSV `t,value` with a level shift of 5 sigmas at index 60 of 120.
std::string StepCsv() {
  const auto values =
      testing::Concat(testing::Noise(60, 10.0, 1.0, 71), testing::Noise(60, 15.0, 1.0, 72));
  std::ostringstream csv;
  csv << "t,value\n";
  for (size_t i = 0; i < values.size(); ++i) csv << i << "," << values[i] << "\n";
  return csv.str();
}

TEST(ChangepointsCommand, PrintsTheChangeOfAStepSeriesAsJson) {
  TempDir dir;
  const auto result = RunCxagent("changepoints --input " + dir.Write("step.csv", StepCsv()));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "{\"changepoints\":[60]}\n");
}

TEST(ChangepointsCommand, AcceptsEveryRegisteredMethod) {
  TempDir dir;
  const auto input = dir.Write("step.csv", StepCsv());
  for (const char* method : {"pelt", "binseg", "bocpd", "ewma", "zscore"}) {
    const auto result =
        RunCxagent(std::string("changepoints --method ") + method + " --input " + input);
    EXPECT_EQ(result.exit_code, 0) << method << ": " << result.err;
    EXPECT_NE(result.out.find("\"changepoints\""), std::string::npos) << method;
  }
}

TEST(ChangepointsCommand, WritesTheOutputFileWhenAsked) {
  TempDir dir;
  const auto result = RunCxagent("changepoints --input " + dir.Write("step.csv", StepCsv()) +
                                 " --out " + dir.File("out.json"));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(result.out.empty());
  std::ifstream in(dir.File("out.json"));
  std::stringstream written;
  written << in.rdbuf();
  EXPECT_EQ(written.str(), "{\"changepoints\":[60]}\n");
}

TEST(ChangepointsCommand, KeepsIndicesOfMissingCells) {
  // Missing cells stay in the series, so the change is still reported at its file position.
  auto csv = std::string("value\n");
  const auto values =
      testing::Concat(testing::Noise(60, 10.0, 1.0, 73), testing::Noise(60, 15.0, 1.0, 74));
  for (size_t i = 0; i < values.size(); ++i) {
    csv += (i >= 50 && i < 55) ? "\n" : std::to_string(values[i]) + "\n";
  }
  TempDir dir;
  const auto result = RunCxagent("changepoints --input " + dir.Write("gaps.csv", csv));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "{\"changepoints\":[60]}\n");
}

TEST(ChangepointsCommand, MissingFileIsBadInput) {
  TempDir dir;
  const auto result = RunCxagent("changepoints --input " + dir.File("absent.csv"));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(result.out.empty());
  EXPECT_NE(result.err.find("file not found: " + dir.File("absent.csv")), std::string::npos)
      << result.err;
}

TEST(ChangepointsCommand, EmptyFileIsBadInput) {
  TempDir dir;
  const auto path = dir.Write("empty.csv", "");
  const auto result = RunCxagent("changepoints --input " + path);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find(path + " is empty"), std::string::npos) << result.err;
}

TEST(ChangepointsCommand, HeaderWithoutRowsIsBadInput) {
  TempDir dir;
  const auto path = dir.Write("header.csv", "value\n");
  const auto result = RunCxagent("changepoints --input " + path);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find(path + ": no data rows after the header"), std::string::npos)
      << result.err;
}

TEST(ChangepointsCommand, MissingValueColumnNamesTheHeader) {
  TempDir dir;
  const auto path = dir.Write("columns.csv", "t,score\n1,2\n");
  const auto result = RunCxagent("changepoints --input " + path);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find(path + ": no column 'value' (the header has: t, score)"),
            std::string::npos)
      << result.err;
}

TEST(ChangepointsCommand, NonNumericCellNamesLineAndColumn) {
  TempDir dir;
  const auto path = dir.Write("bad.csv", "t,value\n1,2.5\n2,\n3,abc\n4,1\n");
  const auto result = RunCxagent("changepoints --input " + path);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(result.out.empty());
  EXPECT_NE(result.err.find(path + ": line 4, column 'value': 'abc' is not a finite number"),
            std::string::npos)
      << result.err;
}

TEST(ChangepointsCommand, TooShortSeriesNamesTheFileAndCounts) {
  TempDir dir;
  const auto path = dir.Write("short.csv", "value\n1\n2\n3\n");
  const auto result = RunCxagent("changepoints --input " + path);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find(
                path + ": detector 'pelt' needs at least 10 observed points, the series has 3"),
            std::string::npos)
      << result.err;
}

TEST(ChangepointsCommand, UnknownMethodListsTheAllowedOnes) {
  TempDir dir;
  const auto result =
      RunCxagent("changepoints --method magic --input " + dir.Write("step.csv", StepCsv()));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(
      result.err.find("unknown detector 'magic' (allowed: binseg, bocpd, ewma, pelt, zscore)"),
      std::string::npos)
      << result.err;
}

TEST(ChangepointsCommand, FailureLeavesNoOutputFile) {
  TempDir dir;
  const auto result = RunCxagent("changepoints --input " + dir.Write("bad.csv", "value\n1\nx\n") +
                                 " --out " + dir.File("out.json"));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists(dir.File("out.json")));
}

TEST(ChangepointsCommand, FindsAStepBetweenTheLargestDoubles) {
  TempDir dir;
  std::string csv = "value\n";
  for (int i = 0; i < 40; ++i) csv += i < 20 ? "-1e308\n" : "1e308\n";
  const auto result = RunCxagent("changepoints --input " + dir.Write("huge.csv", csv));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "{\"changepoints\":[20]}\n");
}

TEST(ChangepointsCommand, NonFiniteCellsNameTheirLine) {
  TempDir dir;
  for (const char* cell : {"nan", "inf", "-inf", "1e309"}) {
    const auto path = dir.Write("bad.csv", std::string("value\n1\n2\n") + cell + "\n4\n");
    const auto result = RunCxagent("changepoints --input " + path);
    EXPECT_EQ(result.exit_code, 2) << cell;
    EXPECT_EQ(result.err.find('\n'), result.err.size() - 1) << result.err;
    EXPECT_NE(
        result.err.find(path + ": line 4, column 'value': '" + cell + "' is not a finite number"),
        std::string::npos)
        << result.err;
  }
}

TEST(ChangepointsCommand, SetChangesADetectorSetting) {
  TempDir dir;
  const auto input = dir.Write("step.csv", StepCsv());
  // A 5-sigma step over 60 + 60 points lowers the cost by about 750, below 1000 log(120).
  const auto strict = RunCxagent("changepoints --set penalty=1000 --input " + input);
  EXPECT_EQ(strict.exit_code, 0) << strict.err;
  EXPECT_EQ(strict.out, "{\"changepoints\":[]}\n");
  const auto bocpd = RunCxagent(
      "changepoints --method bocpd --set expected_run_length=50 "
      "--set max_run_length=200 --input " +
      input);
  EXPECT_EQ(bocpd.exit_code, 0) << bocpd.err;
  EXPECT_NE(bocpd.out.find("\"changepoints\""), std::string::npos);
}

TEST(ChangepointsCommand, SetRejectsBadSettingsBeforeReadingTheInput) {
  TempDir dir;
  // The input does not exist: each bad setting must be reported first.
  const auto input = dir.File("absent.csv");
  const std::pair<const char*, const char*> cases[] = {
      {"--set penalty", "--set penalty: expected KEY=VALUE, e.g. --set penalty=3"},
      {"--set =3", "--set =3: expected KEY=VALUE"},
      {"--set penalty=3 --set penalty=4", "--set penalty=4: 'penalty' is set twice"},
      {"--set penality=3", "detector 'pelt': unknown key 'penality' (allowed: penalty, min_size"},
      {"--set penalty=abc", "detector 'pelt': 'penalty' must be a number in [0.01, 1000]"},
      {"--set penalty=", "detector 'pelt': 'penalty' must be a number in [0.01, 1000]"},
      {"--set max_autocorrelation=1",
       "detector 'pelt': 'max_autocorrelation' must be in [0, 0.99], got 1"},
      {"--set min_size=2.5", "detector 'pelt': 'min_size' must be a whole number"},
      {"--method bocpd --set penalty=3", "detector 'bocpd': unknown key 'penalty'"},
  };
  for (const auto& [options, message] : cases) {
    const auto result = RunCxagent(std::string("changepoints ") + options + " --input " + input);
    EXPECT_EQ(result.exit_code, 2) << options;
    EXPECT_TRUE(result.out.empty()) << options;
    EXPECT_NE(result.err.find(message), std::string::npos) << options << ": " << result.err;
  }
}

}  // namespace
}  // namespace cxagent::detect
