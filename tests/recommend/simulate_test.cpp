#include <gtest/gtest.h>

#include <cmath>

#include "recommend/action.hpp"
#include "recommend/cause_world.hpp"
#include "recommend/recommend.hpp"
#include "recommend/simulate.hpp"

namespace cxagent::recommend {
namespace {

using testing::BuildCauseWorld;

struct CauseCase {
  const char* cause;
};

class RecommendRevertTest : public ::testing::TestWithParam<CauseCase> {};

// Undoing the cause through its revert template recovers the CX the incident cost: the
// simulated change has the sign and roughly the size of the true effect (the same world
// generated without the incident).
TEST_P(RecommendRevertTest, RevertRecoversTheTrueEffect) {
  const auto world = BuildCauseWorld(GetParam().cause, 1500, true);
  ActionRegistry registry;
  RegisterBuiltinActionTemplates(registry);
  const ActionTemplate* revert = registry.RevertFor(GetParam().cause);
  ASSERT_NE(revert, nullptr);
  SimulationOptions options;
  options.refits = 3;
  options.bootstrap = 200;
  const Simulator simulator(world->model, world->efficiency, options);
  const ParamValues params = revert->Resolve(nlohmann::json(), simulator.Sample());
  const WhatIfResult result = simulator.Simulate(*revert, params, world->slice.ToText());
  SCOPED_TRACE(WhatIfJson(result).dump());
  EXPECT_GT(world->true_effect, 0.5);
  EXPECT_GT(result.cx.mean, 0.5 * world->true_effect);
  EXPECT_LT(result.cx.mean, 1.5 * world->true_effect);
}

INSTANTIATE_TEST_SUITE_P(
    Causes, RecommendRevertTest,
    ::testing::Values(CauseCase{"batching_expansion"}, CauseCase{"dasher_supply_shortage"},
                      CauseCase{"merchant_prep_delay"}, CauseCase{"inventory_feed_outage"},
                      CauseCase{"substitution_model_regression"}, CauseCase{"eta_underestimation"},
                      CauseCase{"app_release_regression"}, CauseCase{"demand_surge"},
                      CauseCase{"delivery_radius_expansion"}),
    [](const auto& test) { return std::string(test.param.cause); });

double Width(const Interval& interval) {
  return interval.hi - interval.lo;
}

TEST(RecommendSimulate, IntervalNarrowsWithMoreOrders) {
  ActionRegistry registry;
  RegisterBuiltinActionTemplates(registry);
  const ActionTemplate& rollback = registry.Find("batching_rollback");
  SimulationOptions options;
  options.refits = 2;
  options.bootstrap = 300;
  double widths[2] = {0, 0};
  const int keep[2] = {1500, 10000};  // per 10000 orders of the slice
  for (int i = 0; i < 2; ++i) {
    const auto world = BuildCauseWorld("batching_expansion", 1500, false, keep[i]);
    const Simulator simulator(world->model, world->efficiency, options);
    const ParamValues params = rollback.Resolve(nlohmann::json(), simulator.Sample());
    widths[i] = Width(simulator.Simulate(rollback, params, world->slice.ToText()).cx);
  }
  EXPECT_GT(widths[0], 1.3 * widths[1]) << widths[0] << " vs " << widths[1];
}

TEST(RecommendSimulate, NoBatchingGoesBeyondTheRollbackAndCostsDasherTime) {
  const auto world = BuildCauseWorld("batching_expansion", 1500, false);
  ActionRegistry registry;
  RegisterBuiltinActionTemplates(registry);
  RecommendConfig config;
  config.simulation.refits = 1;
  config.simulation.bootstrap = 100;
  const IncidentRecommendations out =
      Recommend(registry, world->model, world->efficiency, {"batching_expansion"}, "INC-0007",
                world->slice.ToText(), config);
  ASSERT_EQ(out.recommendations.size(), 2U);
  double revert = 0;
  double improve = 0;
  for (const auto& rec : out.recommendations) {
    EXPECT_EQ(rec.at("id").get<std::string>().rfind("REC-0007-", 0), 0U) << rec.dump();
    const double gain = rec.at("expected_cx_delta").at("mean").get<double>();
    (rec.at("kind") == "revert" ? revert : improve) = gain;
    // Unbatching spends more dasher time per delivery.
    EXPECT_GT(rec.at("efficiency_delta").at("dasher_hours_per_delivery").at("mean").get<double>(),
              0);
    EXPECT_TRUE(rec.at("cx_per_cost").is_number());
  }
  EXPECT_GT(improve, revert);
  // The frontier: caps 1..4, the CX gain falls as the cap loosens (3 and 4 change nothing).
  ASSERT_EQ(out.tradeoffs.size(), 1U);
  const auto& points = out.tradeoffs[0].at("points");
  ASSERT_EQ(points.size(), 4U);
  EXPECT_GT(points[0].at("cx_delta").at("mean").get<double>(),
            points[1].at("cx_delta").at("mean").get<double>());
  EXPECT_NEAR(points[3].at("cx_delta").at("mean").get<double>(), 0, 1e-9);
  EXPECT_TRUE(out.efficiency_baseline.at("cost_per_order").get<double>() > 0);
}

TEST(RecommendSimulate, SimulateRejectsParametersOutOfRange) {
  const auto world = BuildCauseWorld("app_release_regression", 600, false);
  ActionRegistry registry;
  RegisterBuiltinActionTemplates(registry);
  SimulationOptions options;
  options.refits = 0;
  const Simulator simulator(world->model, world->efficiency, options);
  const std::string message = testing::ErrorMessage([&] {
    simulator.Simulate(registry.Find("app_release_rollback"), {{"app_error_rate", 2}}, "all");
  });
  EXPECT_NE(message.find("'app_error_rate' must be between 0 and 1"), std::string::npos) << message;
}

}  // namespace
}  // namespace cxagent::recommend
