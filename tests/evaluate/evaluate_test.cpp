#include "evaluate/evaluate.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
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

TEST(EvaluateScore, AMissedIncidentThatAnUnconfirmedOneWouldHaveMatchedIsNamed) {
  // Unconfirmed incidents (no cause found, not alerted) are neither detections nor false
  // incidents; a miss that one of them would have matched is counted apart, so that a report
  // shows what moving them out of `incidents` cost.
  const json truth =
      Truth({Injected("a", "batching_expansion", {{"region", "seattle"}}, "2026-05-04"),
             Injected("b", "demand_surge", {{"region", "boston"}}, "2026-05-10")});
  const json analysis = {
      {"incidents", json::array()},
      {"unconfirmed",
       json::array(
           {Detected("INC-0002", "2026-05-05", {{"region", "seattle"}}, {{"region", "seattle"}}),
            Detected("INC-0003", "2026-04-01", {{"region", "austin"}}, {{"region", "austin"}})})}};
  const EvaluateReport report = ScoreAnalysis("s", truth, analysis, 42);
  ASSERT_EQ(report.incidents.size(), 2u);
  EXPECT_FALSE(report.incidents[0].detected);
  EXPECT_EQ(report.incidents[0].unconfirmed, "INC-0002");
  EXPECT_EQ(report.incidents[1].unconfirmed, "");
  EXPECT_EQ(report.false_incidents, 0);
  EXPECT_EQ(report.unconfirmed, 2);
  const json summary = ReportJson(report)["summary"];
  EXPECT_EQ(summary["unconfirmed"], 2);
  EXPECT_EQ(summary["missed_but_unconfirmed"], 1);
  EXPECT_EQ(ReportJson(report)["incidents"][0]["unconfirmed"], "INC-0002");
  EXPECT_NE(ReportText(report).find("miss (unconfirmed)"), std::string::npos) << ReportText(report);
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

TEST(EvaluateScore, AnIncidentDetectsOneInjectedIncidentAtMost) {
  // Two injected incidents in Atlanta on one day (spent held-out world random-7193-003): a radius
  // expansion over Atlanta and a substitution regression in its dasher-shopped grocery. Reported
  // as one incident over Atlanta, it detects the expansion alone; with the grocery reported too,
  // the grocery's incident detects the regression and is no false incident.
  const json shopped = {
      {"fulfillment_mode", "dasher_shop"}, {"region", "atlanta"}, {"store_type", "grocery"}};
  const json truth =
      Truth({Injected("a", "delivery_radius_expansion", {{"region", "atlanta"}}, "2026-02-13"),
             Injected("b", "substitution_model_regression", shopped, "2026-02-13")});
  const json atlanta = Detected("INC-0001", "2026-02-13", {{"region", "atlanta"}},
                                {{"region", "atlanta"}}, Rca("delivery_radius_expansion"));
  const EvaluateReport merged =
      ScoreAnalysis("s", truth, {{"incidents", json::array({atlanta})}}, 42);
  ASSERT_EQ(merged.incidents.size(), 2u);
  EXPECT_TRUE(merged.incidents[0].detected);
  EXPECT_EQ(merged.incidents[0].matched, "INC-0001");
  EXPECT_TRUE(merged.incidents[0].slice_exact);
  EXPECT_FALSE(merged.incidents[1].detected);
  EXPECT_EQ(merged.false_incidents, 0);
  const json grocery = Detected(
      "INC-0002", "2026-02-13", {{"region", "atlanta"}, {"store_type", "grocery"}},
      {{"region", "atlanta"}, {"store_type", "grocery"}}, Rca("substitution_model_regression"));
  const EvaluateReport split =
      ScoreAnalysis("s", truth, {{"incidents", json::array({atlanta, grocery})}}, 42);
  EXPECT_EQ(split.incidents[0].matched, "INC-0001");
  EXPECT_TRUE(split.incidents[1].detected);
  EXPECT_EQ(split.incidents[1].matched, "INC-0002");
  EXPECT_FALSE(split.incidents[1].slice_exact);
  EXPECT_TRUE(split.incidents[1].cause_hit);
  EXPECT_EQ(split.false_incidents, 0);
  // The pair that matches better goes first whatever the order of the truth: the grocery's exact
  // incident goes to the regression even when the expansion, listed first, matches it too.
  const json exact = Detected("INC-0003", "2026-02-13", shopped, shopped);
  const EvaluateReport one = ScoreAnalysis("s", truth, {{"incidents", json::array({exact})}}, 42);
  EXPECT_FALSE(one.incidents[0].detected);
  EXPECT_EQ(one.incidents[1].matched, "INC-0003");
  EXPECT_TRUE(one.incidents[1].slice_exact);
}

TEST(EvaluateScore, AnotherNameOfTheSameOrdersMatchesAsAnAlias) {
  // Spent held-out world random-9277-028: a substitution regression in Austin's dasher-shopped
  // orders, all of them grocery orders, reported as Austin's grocery with the other name among
  // slices[0]'s same_orders_as. It is detected, not exact; without the alias, unrelated.
  const json truth =
      Truth({Injected("a", "substitution_model_regression",
                      {{"fulfillment_mode", "dasher_shop"}, {"region", "austin"}}, "2025-02-26")});
  json incident = Detected(
      "INC-0001", "2025-02-27", {{"merchant", "greenleaf_market"}, {"region", "austin"}},
      {{"region", "austin"}, {"store_type", "grocery"}}, Rca("substitution_model_regression"));
  const json unnamed = {{"incidents", json::array({incident})}};
  EXPECT_FALSE(ScoreAnalysis("s", truth, unnamed, 42).incidents[0].detected);
  incident["slices"][0]["same_orders_as"] =
      json::array({json{{"fulfillment_mode", "dasher_shop"}, {"region", "austin"}}});
  const EvaluateReport report =
      ScoreAnalysis("s", truth, {{"incidents", json::array({incident})}}, 42);
  const IncidentScore& row = report.incidents[0];
  EXPECT_TRUE(row.detected);
  EXPECT_FALSE(row.slice_exact);
  EXPECT_TRUE(row.slice_alias);
  EXPECT_TRUE(row.cause_hit);
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

IncidentScore Row(const std::string& cause, bool detected, const std::string& top = "",
                  std::optional<double> confidence = std::nullopt) {
  IncidentScore row;
  row.cause = cause;
  row.detected = detected;
  row.top_cause = top;
  row.cause_hit = !top.empty() && top == cause;
  row.confidence = confidence;
  return row;
}

TEST(EvaluateConfusion, CountsTrueCausesAgainstTopCausesWithMissedAndNone) {
  EvaluateReport report;
  report.incidents = {Row("demand_surge", true, "demand_surge", 0.9),
                      Row("demand_surge", true, "dasher_supply_shortage", 0.6),
                      Row("demand_surge", false), Row("severe_weather", true),
                      Row("severe_weather", true, "severe_weather", 0.99)};
  const ConfusionMatrix matrix = CauseConfusion(report);
  EXPECT_EQ(matrix.at("demand_surge").at("demand_surge"), 1);
  EXPECT_EQ(matrix.at("demand_surge").at("dasher_supply_shortage"), 1);
  EXPECT_EQ(matrix.at("demand_surge").at("missed"), 1);
  EXPECT_EQ(matrix.at("severe_weather").at("none"), 1);
  EXPECT_EQ(matrix.at("severe_weather").at("severe_weather"), 1);
  EXPECT_EQ(matrix.size(), 2u);
  const json out = ReportJson(report);
  EXPECT_EQ(out["confusion"]["demand_surge"]["missed"], 1);
  const std::string text = ReportText(report);
  EXPECT_NE(text.find("cause confusion"), std::string::npos) << text;
  EXPECT_NE(text.find("dss = dasher_supply_shortage"), std::string::npos) << text;
}

TEST(EvaluateCalibration, BinsConfidenceAndWeighsEachBinsGapByItsShare) {
  EvaluateReport report;
  report.incidents = {Row("a", true, "a", 0.95), Row("a", true, "b", 0.93),
                      Row("b", true, "b", 0.25), Row("c", true, "c", 1.0),
                      // Neither a missed incident nor a match without RCA has a confidence.
                      Row("c", false), Row("d", true)};
  const Calibration calibration = ConfidenceCalibration(report);
  EXPECT_EQ(calibration.count, 4);
  ASSERT_EQ(calibration.bins.size(), 2u);
  EXPECT_DOUBLE_EQ(calibration.bins[0].lo, 0.2);
  EXPECT_EQ(calibration.bins[0].count, 1);
  EXPECT_DOUBLE_EQ(calibration.bins[0].accuracy, 1.0);
  EXPECT_DOUBLE_EQ(calibration.bins[1].hi, 1.0);
  EXPECT_EQ(calibration.bins[1].count, 3) << "1.0 falls in the last bin";
  EXPECT_NEAR(calibration.bins[1].mean_confidence, 0.96, 1e-12);
  EXPECT_NEAR(calibration.bins[1].accuracy, 2.0 / 3.0, 1e-12);
  // 3/4 x |0.96 - 2/3| + 1/4 x |0.25 - 1| = 0.4075
  EXPECT_NEAR(calibration.ece, 0.75 * (0.96 - 2.0 / 3.0) + 0.25 * 0.75, 1e-12);
  EXPECT_NEAR(calibration.brier, (0.05 * 0.05 + 0.93 * 0.93 + 0.75 * 0.75) / 4, 1e-12);
  const json out = ReportJson(report)["calibration"];
  EXPECT_EQ(out["count"], 4);
  EXPECT_EQ(out["bins"].size(), 2u);
  EXPECT_NEAR(out["ece"].get<double>(), calibration.ece, 1e-12);
  const std::string text = ReportText(report);
  EXPECT_NE(text.find("expected calibration error 0.40"), std::string::npos) << text;
}

TEST(EvaluateCalibration, ConfidenceThatMatchesTheHitRateHasNoError) {
  EvaluateReport report;
  for (int i = 0; i < 10; ++i) {
    report.incidents.push_back(Row("a", true, i < 8 ? "a" : "b", 0.8));
  }
  EXPECT_NEAR(ConfidenceCalibration(report).ece, 0.0, 1e-12);
}

TEST(EvaluateCalibration, NoConfidenceIsNoCalibration) {
  EvaluateReport report;
  report.incidents = {Row("a", false)};
  const json out = ReportJson(report)["calibration"];
  EXPECT_EQ(out["count"], 0);
  EXPECT_TRUE(out["ece"].is_null());
  EXPECT_NE(ReportText(report).find("no matched incident has a cause"), std::string::npos);
}

TEST(EvaluateReport, CountsDetectionAmongIncidentsThatMovedTheirSliceAPointOrMore) {
  EvaluateReport report;
  report.incidents = {Row("a", true, "a", 0.9), Row("b", false), Row("c", true, "c", 0.9),
                      Row("d", false)};
  report.incidents[0].slice_move = 2.0;
  report.incidents[1].slice_move = 1.5;
  report.incidents[2].slice_move = 0.3;  // too small to count either way
  const json summary = ReportJson(report)["summary"];
  EXPECT_EQ(summary["slice_move_measured"], 3);
  EXPECT_EQ(summary["moved_1pt"], 2);
  EXPECT_EQ(summary["moved_1pt_detected"], 1);
  EXPECT_DOUBLE_EQ(summary["moved_1pt_detection_rate"].get<double>(), 0.5);
  EXPECT_NE(ReportText(report).find("detected within 2 days: 1/2 (50%)"), std::string::npos)
      << ReportText(report);
}

// The conformal step behind recommend.model_error_share: each scored revert needs the share that
// stretches its bootstrap half-width over its error; 9 of 10 covered takes the 10th need of 10
// (rank ceil(11 x 0.9)), and rows without a sampling half-width (older analyses) are left out.
TEST(EvaluateReport, WhatIfConformalShareIsTheShareNinetyPercentNeed) {
  EvaluateReport report;
  for (int i = 1; i <= 10; ++i) {
    IncidentScore row = Row("r" + std::to_string(i), true, "r", 0.9);
    row.true_effect = 10.0 + 0.1 * i;  // error 0.1 i on an estimate of 10: needs 0.01 i
    row.expected = 10.0;
    row.expected_lo = 9.9;
    row.expected_hi = 10.1;
    row.expected_sampling = 0.0;
    report.incidents.push_back(row);
  }
  IncidentScore old = Row("old", true, "old", 0.9);
  old.true_effect = 50.0;
  old.expected = 10.0;
  old.expected_lo = 9.0;
  old.expected_hi = 11.0;
  report.incidents.push_back(old);
  const auto share = WhatIfConformalShare(report);
  ASSERT_TRUE(share.has_value());
  EXPECT_NEAR(*share, 0.10, 1e-12);
  EXPECT_NEAR(ReportJson(report)["summary"]["whatif_conformal_share"].get<double>(), 0.10, 1e-12);
  EXPECT_NE(ReportText(report).find("would cover (conformal): 0.100"), std::string::npos)
      << ReportText(report);
  report.incidents.resize(5);  // too few for the 90% rank
  EXPECT_FALSE(WhatIfConformalShare(report).has_value());
  EXPECT_TRUE(ReportJson(report)["summary"]["whatif_conformal_share"].is_null());
}

TEST(EvaluateReport, RevertSamplingHalfWidthReadsCxIntervalWhenPresent) {
  const json rec = {{"kind", "revert"},
                    {"cause", "batching_expansion"},
                    {"expected_cx_delta", {{"mean", 2.0}, {"ci90", {1.5, 2.5}}}}};
  json incident = {{"recommendations", {rec}}};
  EXPECT_FALSE(RevertSamplingHalfWidth(incident, "batching_expansion").has_value());
  incident["recommendations"][0]["cx_interval"] = {{"sampling_half_width", 0.4},
                                                   {"model_error_share", 0.125}};
  EXPECT_DOUBLE_EQ(*RevertSamplingHalfWidth(incident, "batching_expansion"), 0.4);
  EXPECT_FALSE(RevertSamplingHalfWidth(incident, "demand_surge").has_value());
}

TEST(EvaluateRun, SuiteFilesAndRandomWorldsAreExclusive) {
  EvaluateRequest request;
  request.scenarios = {"a.yaml"};
  request.random = RandomWorlds{.count = 1, .seed = 1};
  EXPECT_NE(ErrorMessage([&] { RunEvaluation(request); }).find("exclusive"), std::string::npos);
}

// A small --random run end to end: the drawn worlds are the ones DrawScenario gives, they are
// scored like the suites', and the report carries the new parts (< 60 s).
TEST(EvaluateCommand, ScoresRandomWorldsDrawnFromTheSeed) {
  TempDir dir;
  const std::string report = dir.File("report.json");
  const auto result =
      RunCxagent("evaluate --random 2 --seed 31 --days 28 --orders-per-day 1000 --work-dir " +
                 dir.File("worlds") + " --keep --out " + report);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("random worlds: 2 drawn from seed 31"), std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("cause confusion"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("confidence calibration"), std::string::npos) << result.out;
  size_t injected = 0;
  for (int i = 0; i < 2; ++i) {
    const generate::Scenario drawn = DrawScenario(31, i, 28, 1000);
    injected += drawn.incidents.size();
    EXPECT_EQ(ReadFile(dir.File("worlds/" + drawn.name + ".yaml")), ScenarioYaml(drawn));
    EXPECT_TRUE(std::filesystem::exists(dir.File("worlds/" + drawn.name + "/truth.json")));
  }
  const json parsed = json::parse(ReadFile(report));
  EXPECT_EQ(parsed["summary"]["scenarios"], 2);
  EXPECT_EQ(parsed["summary"]["injected"], injected);
  EXPECT_EQ(parsed["random"]["seed"], 31);
  EXPECT_EQ(parsed["random"]["orders_per_day"], 1000);
  int counted = 0;
  for (const auto& [truth, row] : parsed["confusion"].items()) {
    for (const auto& [top, count] : row.items()) counted += count.get<int>();
  }
  EXPECT_EQ(counted, static_cast<int>(injected));
  EXPECT_TRUE(parsed["calibration"].contains("ece"));
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
