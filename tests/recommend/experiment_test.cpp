#include <gtest/gtest.h>

#include "recommend/action.hpp"
#include "recommend/efficiency.hpp"
#include "recommend/experiment.hpp"
#include "support/test_support.hpp"

namespace cxagent::recommend {
namespace {

using testing::ErrorMessage;

// Cohen's medium effect (d = 0.5) at two-sided alpha 0.05 and 80% power needs
// 2 (1.95996 + 0.84162)^2 / 0.25 = 62.8 -> 63 subjects per group by the normal approximation
// (64 with the t correction), the textbook figure.
TEST(RecommendPower, MediumEffectNeedsSixtyThreePerArm) {
  EXPECT_EQ(RequiredPerArm(0.5, 1.0, 0.05, 0.8), 63);
  EXPECT_NEAR(NormalQuantile(0.975), 1.959964, 1e-6);
  EXPECT_NEAR(NormalQuantile(0.8), 0.841621, 1e-6);
}

// Donner and Klar: clusters of 20 with an intra-cluster correlation of 0.05 inflate the sample by
// 1 + 19 x 0.05 = 1.95, so 62.8 becomes 122.4 -> 123.
TEST(RecommendPower, ClusteringInflatesBytheDesignEffect) {
  EXPECT_DOUBLE_EQ(DesignEffect(20, 0.05), 1.95);
  EXPECT_EQ(RequiredPerArm(0.5, 1.0, 0.05, 0.8, DesignEffect(20, 0.05)), 123);
  EXPECT_EQ(DesignEffect(1, 0.3), 1.0);
}

TEST(RecommendPower, MinimumDetectableEffectInvertsTheSampleSize) {
  const double z = NormalQuantile(0.975) + NormalQuantile(0.8);
  const double n = 2 * z * z / 0.25;
  EXPECT_NEAR(MinimumDetectableEffect(n, 1.0, 0.05, 0.8), 0.5, 1e-9);
  EXPECT_NEAR(MinimumDetectableEffect(n * 1.95, 1.0, 0.05, 0.8, 1.95), 0.5, 1e-9);
}

TEST(RecommendPower, BadInputsAreRejected) {
  EXPECT_NE(ErrorMessage([] { RequiredPerArm(0, 1, 0.05, 0.8); }).find("effect must be positive"),
            std::string::npos);
  EXPECT_NE(ErrorMessage([] { RequiredPerArm(1, 1, 1.5, 0.8); }).find("alpha"), std::string::npos);
}

nlohmann::json Incident() {
  EfficiencyModel e;
  e.orders_per_day = 500;
  e.delivered_share = 0.98;
  e.dasher_hours_per_delivery = 0.4;
  e.deliveries_per_dasher_hour = 1.1;
  e.active_dasher_hours_per_day = 440;
  e.cost_per_order = 12;
  e.cx_sd = 22;
  e.icc_region_hour = 0.02;
  e.icc_store_day = 0.03;
  e.orders_per_region_hour = 20;
  e.orders_per_store_day = 4;
  return {{"id", "INC-0001"},
          {"slices", {{{"slice", {{"region", "seattle"}}}}}},
          {"recommend_inputs", {{"efficiency", e.ToJson()}}}};
}

nlohmann::json Recommendation(const std::string& template_name) {
  return {{"id", "REC-0001-1"},
          {"cause", "batching_expansion"},
          {"kind", "revert"},
          {"action", "Roll back the batching policy in region=seattle"},
          {"template", template_name},
          {"params", {{"batched_rate", 0.14}}},
          {"expected_cx_delta", {{"mean", 3.4}, {"ci90", {2.7, 3.9}}}},
          {"efficiency_delta", {{"cost_per_order", {{"mean", 1.3}, {"ci90", {1.2, 1.4}}}}}}};
}

TEST(RecommendPlan, MarkdownHasEverySection) {
  ActionRegistry registry;
  RegisterBuiltinActionTemplates(registry);
  const std::string plan =
      ExperimentPlan(registry, Incident(), Recommendation("batching_rollback"));
  for (const char* section :
       {"# Experiment plan: REC-0001-1 for INC-0001", "## Hypothesis", "## Action and parameters",
        "## Design", "Window length", "Burn-in", "## Metrics", "Primary: CX Score", "Guardrails",
        "## Power and duration", "design effect", "Duration:", "minimum detectable effect",
        "## Analysis", "cluster-robust", "## Rollout and rollback", "Roll back at once"}) {
    EXPECT_NE(plan.find(section), std::string::npos) << section << "\n" << plan;
  }
  EXPECT_NE(plan.find("Switchback"), std::string::npos) << plan;
  EXPECT_NE(plan.find("`batched_rate` = 0.14"), std::string::npos) << plan;
}

TEST(RecommendPlan, LeversWithoutInterferenceAreUserLevelTests) {
  ActionRegistry registry;
  RegisterBuiltinActionTemplates(registry);
  nlohmann::json rec = Recommendation("app_release_rollback");
  rec["params"] = {{"app_error_rate", 0.0015}};
  const std::string plan = ExperimentPlan(registry, Incident(), rec);
  EXPECT_NE(plan.find("A/B by customer"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("Switchback"), std::string::npos) << plan;
}

TEST(RecommendPlan, MissingInputsAreNamed) {
  ActionRegistry registry;
  RegisterBuiltinActionTemplates(registry);
  nlohmann::json incident = Incident();
  incident.erase("recommend_inputs");
  const std::string message = ErrorMessage(
      [&] { ExperimentPlan(registry, incident, Recommendation("batching_rollback")); });
  EXPECT_NE(message.find("recommend_inputs"), std::string::npos) << message;
}

}  // namespace
}  // namespace cxagent::recommend
