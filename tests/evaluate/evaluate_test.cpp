#include "evaluate/evaluate.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "common/file.hpp"
#include "support/test_support.hpp"

namespace cxagent::evaluate {
namespace {

using nlohmann::json;
using testing::ErrorMessage;
using testing::RunCxagent;
using testing::TempDir;

// A vector, not a json: a braced list of one json converts to that json under clang, not to an
// array holding it.
json Truth(std::vector<json> incidents) {
  return {{"days", 42}, {"incidents", json(std::move(incidents))}};
}

json Injected(const std::string& id, const std::string& cause, json slice, const std::string& start,
              json change_id = nullptr) {
  return {{"id", id},
          {"cause", cause},
          {"slice", std::move(slice)},
          {"start_date", start},
          {"change_id", std::move(change_id)}};
}

json Detected(const std::string& id, const std::string& start, json slice, json localized,
              json rca = nullptr) {
  json incident = {{"id", id},
                   {"start_date", start},
                   {"slice", slice},
                   {"slices", json::array({json{{"slice", localized}}})}};
  if (!rca.is_null()) incident["rca"] = std::move(rca);
  return incident;
}

json Rca(const std::string& cause, json evidence = json::array()) {
  return {{"causes", json::array({json{{"cause", cause}, {"evidence", std::move(evidence)}}})}};
}

TEST(EvaluateScore, MatchesAStartWithinTwoDaysAndAnExactSlice) {
  const json truth =
      Truth({Injected("a", "batching_expansion", {{"region", "seattle"}}, "2026-05-04")});
  const json analysis = {
      {"incidents", json::array({Detected("INC-0001", "2026-05-06", {{"region", "seattle"}},
                                          {{"region", "seattle"}}, Rca("batching_expansion")),
                                 Detected("INC-0002", "2026-04-10", {{"region", "boston"}},
                                          {{"region", "boston"}})})}};
  const EvaluateReport report = ScoreAnalysis("s", truth, analysis, 42);
  ASSERT_EQ(report.incidents.size(), 1u);
  const IncidentScore& row = report.incidents[0];
  EXPECT_TRUE(row.detected);
  EXPECT_EQ(row.matched, "INC-0001");
  EXPECT_EQ(row.start_error, 2);
  EXPECT_TRUE(row.slice_exact);
  EXPECT_TRUE(row.cause_hit);
  EXPECT_EQ(report.false_incidents, 1);
}

TEST(EvaluateScore, AStartThreeDaysOffIsAMiss) {
  const json truth =
      Truth({Injected("a", "batching_expansion", {{"region", "seattle"}}, "2026-05-04")});
  const json analysis = {
      {"incidents", json::array({Detected("INC-0001", "2026-05-07", {{"region", "seattle"}},
                                          {{"region", "seattle"}})})}};
  const EvaluateReport report = ScoreAnalysis("s", truth, analysis, 42);
  EXPECT_FALSE(report.incidents[0].detected);
  EXPECT_EQ(report.false_incidents, 1);
}

TEST(EvaluateScore, AnUnrelatedSliceIsNotAMatchButAParentIsAnInexactOne) {
  const json truth =
      Truth({Injected("a", "inventory_feed_outage",
                      {{"region", "boston"}, {"store_type", "grocery"}}, "2026-05-04"),
             Injected("b", "batching_expansion", {{"region", "austin"}}, "2026-05-04")});
  const json analysis = {
      {"incidents", json::array({Detected("INC-0001", "2026-05-04", {{"region", "boston"}},
                                          {{"region", "boston"}})})}};
  const EvaluateReport report = ScoreAnalysis("s", truth, analysis, 42);
  EXPECT_TRUE(report.incidents[0].detected);
  EXPECT_FALSE(report.incidents[0].slice_exact);
  EXPECT_EQ(report.incidents[0].found_slice, "region=boston");
  EXPECT_FALSE(report.incidents[1].detected);
  EXPECT_EQ(report.false_incidents, 0);
}

TEST(EvaluateScore, PrefersTheExactSliceOverTheNearerStart) {
  const json truth =
      Truth({Injected("a", "batching_expansion", {{"region", "seattle"}}, "2026-05-04")});
  const json analysis = {
      {"incidents", json::array({Detected("INC-0001", "2026-05-04", json::object(), json::object()),
                                 Detected("INC-0002", "2026-05-05", {{"region", "seattle"}},
                                          {{"region", "seattle"}})})}};
  const EvaluateReport report = ScoreAnalysis("s", truth, analysis, 42);
  EXPECT_EQ(report.incidents[0].matched, "INC-0002");
  EXPECT_TRUE(report.incidents[0].slice_exact);
}

TEST(EvaluateScore, AWrongTopCauseCitingAnUntrueChangeIsADecoyWin) {
  const json truth = Truth({Injected("a", "demand_surge", {{"region", "austin"}}, "2026-05-04")});
  const json evidence =
      json::array({json{{"kind", "change_log"}, {"change_id", "chg-decoy"}, {"consistent", true}}});
  const json analysis = {
      {"incidents",
       json::array({Detected("INC-0001", "2026-05-04", {{"region", "austin"}},
                             {{"region", "austin"}}, Rca("batching_expansion", evidence))})}};
  const EvaluateReport report = ScoreAnalysis("s", truth, analysis, 42);
  EXPECT_FALSE(report.incidents[0].cause_hit);
  EXPECT_TRUE(report.incidents[0].decoy_first);
  const json summary = ReportJson(report)["summary"];
  EXPECT_EQ(summary["decoy_first"], 1);
  EXPECT_EQ(summary["cause_rate"], 0.0);
}

TEST(EvaluateScore, FalseIncidentsAreCountedPerNinetyDays) {
  const json analysis = {{"incidents", json::array({Detected("INC-0001", "2026-05-04",
                                                             json::object(), json::object())})}};
  const json summary = ReportJson(ScoreAnalysis("clean", Truth({}), analysis, 45))["summary"];
  EXPECT_EQ(summary["false_incidents"], 1);
  EXPECT_DOUBLE_EQ(summary["false_per_90_days"].get<double>(), 2.0);
}

TEST(EvaluateRun, AMissingScenarioFileIsNotFound) {
  EvaluateRequest request;
  request.scenarios = {"/nonexistent/scenario.yaml"};
  EXPECT_EQ(ErrorMessage([&] { RunEvaluation(request); }, ErrorType::NOT_FOUND),
            "scenario file not found: /nonexistent/scenario.yaml");
}

TEST(EvaluateCommand, ScoresAScenarioAndWritesTheJsonReport) {
  TempDir dir;
  const std::string report = dir.File("report.json");
  const auto result = RunCxagent("evaluate --suite " + std::string(CXAGENT_SOURCE_DIR) +
                                 "/scenarios/causes/batching_expansion.yaml --days 40 "
                                 "--orders-per-day 1500 --work-dir " +
                                 dir.File("worlds") + " --out " + report);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("detected within 2 days: 1/1"), std::string::npos) << result.out;
  EXPECT_FALSE(std::filesystem::exists(dir.File("worlds/batching_expansion")));
  const json parsed = json::parse(ReadFile(report));
  EXPECT_EQ(parsed["summary"]["injected"], 1);
}

TEST(EvaluateCommand, AFolderWithoutScenariosIsBadInput) {
  TempDir dir;
  const auto result = RunCxagent("evaluate --suite " + dir.Path().string());
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("--suite: no .yaml scenario files in"), std::string::npos)
      << result.err;
}

TEST(EvaluateCommand, AMissingSuiteIsNotFound) {
  const auto result = RunCxagent("evaluate --suite /nonexistent/suite");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("--suite: no such file or folder: /nonexistent/suite"),
            std::string::npos)
      << result.err;
}

TEST(EvaluateCommand, TwoScenariosWithOneNameAreRejectedBeforeAnyWork) {
  TempDir dir;
  std::filesystem::create_directories(dir.Path() / "a");
  std::filesystem::create_directories(dir.Path() / "b");
  const std::string a = dir.Write("a/same.yaml", "name: x\n");
  const std::string b = dir.Write("b/same.yaml", "name: x\n");
  const auto result = RunCxagent("evaluate --suite " + a + " --suite " + b);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("two scenario files are named 'same'"), std::string::npos)
      << result.err;
}

}  // namespace
}  // namespace cxagent::evaluate

namespace cxagent::evaluate {
namespace {

// Hard localization cases of the suite, end to end: every injected incident is found within two
// days with slices[0] equal to its slice, and nothing else is reported.
class SuiteScenarioTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SuiteScenarioTest, EveryIncidentIsFoundAtItsExactSlice) {
  TempDir dir;
  EvaluateRequest request;
  request.scenarios = {std::string(CXAGENT_SOURCE_DIR) + "/scenarios/suite/" + GetParam() +
                       ".yaml"};
  request.work_dir = dir.File("worlds");
  const EvaluateReport report = RunEvaluation(request);
  ASSERT_FALSE(report.incidents.empty());
  for (const auto& row : report.incidents) {
    EXPECT_TRUE(row.detected) << row.truth_id;
    EXPECT_TRUE(row.slice_exact) << row.truth_id << " found " << row.found_slice;
  }
  EXPECT_EQ(report.false_incidents, 0);
}

INSTANTIATE_TEST_SUITE_P(Localization, SuiteScenarioTest,
                         ::testing::Values("batching-depth3", "two-simultaneous", "everywhere"));

}  // namespace
}  // namespace cxagent::evaluate
