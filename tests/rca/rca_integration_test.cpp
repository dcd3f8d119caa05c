#include <gtest/gtest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <set>

#include "common/file.hpp"
#include "rca/artifacts.hpp"
#include "support/test_support.hpp"

namespace cxagent::rca {
namespace {

using testing::RunCxagent;
using testing::TempDir;

// One small generated world per family of causes (late deliveries, dispatch, items,
// cancellations): the true cause ranks first with its evidence in the shape of docs/api.md, and
// the incident's CX model is stored for what-if simulation.
class RcaGeneratedTest : public ::testing::TestWithParam<std::string> {};

void CheckInterval(const nlohmann::json& interval) {
  ASSERT_TRUE(interval.contains("mean"));
  ASSERT_TRUE(interval["ci90"].is_array());
  ASSERT_EQ(interval["ci90"].size(), 2U);
  EXPECT_LE(interval["ci90"][0].get<double>(), interval["mean"].get<double>() + 1e-9);
  EXPECT_GE(interval["ci90"][1].get<double>(), interval["mean"].get<double>() - 1e-9);
}

TEST_P(RcaGeneratedTest, TheTrueCauseRanksFirstWithItsEvidence) {
  const std::string cause = GetParam();
  TempDir dir;
  const std::string data = dir.File("world");
  const auto generated =
      RunCxagent(fmt::format("generate --scenario {}/scenarios/causes/{}.yaml --out {} --days 38 "
                             "--orders-per-day 1400",
                             CXAGENT_SOURCE_DIR, cause, data));
  ASSERT_EQ(generated.exit_code, 0) << generated.err;
  const auto analyzed = RunCxagent("analyze --data " + data + " --out " + dir.File("a.json"));
  ASSERT_EQ(analyzed.exit_code, 0) << analyzed.err;
  EXPECT_NE(analyzed.err.find("analyze: root causes of"), std::string::npos);
  const auto analysis = nlohmann::json::parse(ReadFile(dir.File("a.json")));
  const auto truth = nlohmann::json::parse(ReadFile(data + "/truth.json"));
  const auto& expected = truth["incidents"][0];

  const nlohmann::json* incident = nullptr;
  for (const auto& candidate : analysis["incidents"]) {
    if (!candidate["slices"].empty() && candidate["slices"][0]["slice"] == expected["slice"]) {
      incident = &candidate;
      break;
    }
  }
  ASSERT_NE(incident, nullptr) << analysis.dump(1);
  const auto& rca = (*incident)["rca"];
  ASSERT_FALSE(rca["causes"].empty());
  const auto& top = rca["causes"][0];
  EXPECT_EQ(top["cause"], expected["cause"]) << rca["narrative"];
  EXPECT_GT(top["confidence"].get<double>(), 0.8);
  EXPECT_LE(top["confidence"].get<double>(), 1.0);
  EXPECT_LT(top["impact"].get<double>(), 0.0);
  EXPECT_TRUE(top["actionable"].get<bool>());
  EXPECT_FALSE(top["label"].get<std::string>().empty());
  const std::string narrative = rca["narrative"];
  EXPECT_NE(narrative.find("CX fell"), std::string::npos) << narrative;
  EXPECT_NE(narrative.find(top["label"].get<std::string>()), std::string::npos) << narrative;
  EXPECT_NE(narrative.find("Confidence"), std::string::npos) << narrative;

  // Ranked by confidence x |impact|.
  for (size_t i = 1; i < rca["causes"].size(); ++i) {
    const auto& a = rca["causes"][i - 1];
    const auto& b = rca["causes"][i];
    EXPECT_GE(a["confidence"].get<double>() * std::fabs(a["impact"].get<double>()) + 1e-9,
              b["confidence"].get<double>() * std::fabs(b["impact"].get<double>()));
  }

  std::set<std::string> kinds;
  for (const auto& record : top["evidence"]) {
    const std::string kind = record["kind"];
    kinds.insert(kind);
    if (kind == "driver_shift") {
      EXPECT_TRUE(record["metric"].is_string());
      EXPECT_TRUE(record["before"].is_number());
      EXPECT_TRUE(record["after"].is_number());
      CheckInterval(record["delta"]);
      EXPECT_EQ(record["change_date"], expected["start_date"]);
      EXPECT_GT(record["series"].size(), 30U);
      EXPECT_TRUE(record["series"][0].contains("date"));
      EXPECT_TRUE(record["series"][0].contains("value"));
    } else if (kind == "shap") {
      double sum = 0;
      for (const auto& feature : record["features"]) {
        EXPECT_NEAR(feature["delta"].get<double>(),
                    feature["incident"].get<double>() - feature["baseline"].get<double>(), 2e-4);
        sum += feature["delta"].get<double>();
      }
      EXPECT_NEAR(sum, record["explained"].get<double>(), 0.01);
      // The model explains the observed drop of its sample.
      EXPECT_NEAR(record["explained"].get<double>(), record["observed"].get<double>(),
                  0.35 * std::fabs(record["observed"].get<double>()) + 0.3);
    } else if (kind == "did") {
      EXPECT_EQ(record["metric"], "cx_score");
      CheckInterval(record["estimate"]);
      EXPECT_LT(record["estimate"]["mean"].get<double>(), 0.0);
      EXPECT_TRUE(record["placebo"].contains("estimate"));
      EXPECT_TRUE(record["placebo"].contains("p_value"));
      EXPECT_FALSE(record["controls"].empty());
      EXPECT_EQ(record["treated"].size(), record["control"].size());
    } else if (kind == "change_log") {
      for (const char* key : {"change_id", "changed_at", "change_kind", "scope", "description",
                              "consistent", "reason"}) {
        EXPECT_TRUE(record.contains(key)) << key;
      }
    }
  }
  EXPECT_TRUE(kinds.count("driver_shift"));
  EXPECT_TRUE(kinds.count("shap"));
  EXPECT_TRUE(kinds.count("did"));
  if (expected.value("log_change", false)) {
    // The change the incident wrote is cited as consistent.
    bool cited = false;
    for (const auto& record : top["evidence"]) {
      cited |= record["kind"] == "change_log" && record["change_id"] == expected["change_id"] &&
               record["consistent"].get<bool>();
    }
    EXPECT_TRUE(cited) << top["evidence"].dump(1);
  }

  // The model and its sample are stored and re-predict the sample.
  const IncidentModel model = LoadIncidentModel(data, (*incident)["id"]);
  ASSERT_GT(model.sample.rows, 1000U);
  const std::vector<double> predicted = model.model.Predict(model.sample);
  double error = 0;
  for (size_t i = 0; i < predicted.size(); ++i) error += predicted[i] - model.cx_score[i];
  EXPECT_LT(std::fabs(error / static_cast<double>(predicted.size())), 0.5);
}

INSTANTIATE_TEST_SUITE_P(CauseFamilies, RcaGeneratedTest,
                         ::testing::Values("batching_expansion", "dasher_supply_shortage",
                                           "inventory_feed_outage", "app_release_regression"));

}  // namespace
}  // namespace cxagent::rca
