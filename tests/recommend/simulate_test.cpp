#include <gtest/gtest.h>

#include <cmath>

#include "recommend/action.hpp"
#include "recommend/cause_world.hpp"
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
  for (double r : simulator.RecoveredShares()) std::cerr << "recovered " << r << "\n";
  std::cerr << GetParam().cause << ": simulated " << result.cx.mean << " [" << result.cx.lo << ", "
            << result.cx.hi << "], true " << world->true_effect << ", observed drop "
            << world->observed_drop << " | " << WhatIfJson(result).dump() << "\n";
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

}  // namespace
}  // namespace cxagent::recommend
