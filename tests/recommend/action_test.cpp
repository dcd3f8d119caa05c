#include <gtest/gtest.h>

#include <cmath>

#include "rca/hypothesis.hpp"
#include "rca/rca.hpp"
#include "recommend/action.hpp"
#include "support/test_support.hpp"

namespace cxagent::recommend {
namespace {

using testing::ErrorMessage;

// A two-window sample of zeros: enough for parameter validation, which needs no data.
rca::IncidentModel TinyModel() {
  rca::IncidentModel model;
  for (const auto& feature : rca::OrderFeatures()) model.sample.names.emplace_back(feature.name);
  model.sample.rows = 4;
  model.sample.values.assign(4 * model.sample.names.size(), 0.0F);
  model.in_incident = {0, 0, 1, 1};
  model.cx_score = {90, 90, 80, 80};
  model.order_ids = {1, 2, 3, 4};
  return model;
}

ActionRegistry Builtins() {
  ActionRegistry registry;
  RegisterBuiltinActionTemplates(registry);
  return registry;
}

TEST(RecommendActions, EveryActionableCauseHasExactlyOneRevertAndExternalOnesNone) {
  const ActionRegistry registry = Builtins();
  rca::HypothesisRegistry hypotheses;
  rca::RegisterBuiltinHypotheses(hypotheses);
  for (const auto& hypothesis : hypotheses.All()) {
    int reverts = 0;
    for (const auto& name : registry.Names()) {
      reverts += registry.Find(name).KindFor(hypothesis.id) == ActionKind::REVERT;
    }
    EXPECT_EQ(reverts, hypothesis.actionable ? 1 : 0) << hypothesis.id;
    EXPECT_FALSE(registry.ForCause(hypothesis.id).empty()) << hypothesis.id << " has no action";
  }
  for (const auto& action : registry.ForCause("severe_weather")) {
    EXPECT_EQ(action->KindFor("severe_weather"), ActionKind::MITIGATE) << action->name;
  }
}

TEST(RecommendActions, ASecondRevertForACauseIsRejected) {
  ActionRegistry registry = Builtins();
  ActionTemplate copy = registry.Find("batching_cap");
  copy.name = "another_batching_revert";
  copy.causes = {{"batching_expansion", ActionKind::REVERT}};
  const std::string message = ErrorMessage([&] { registry.Register(copy); });
  EXPECT_NE(message.find("batching_rollback"), std::string::npos) << message;
}

TEST(RecommendActions, UnknownTemplateIsRejectedWithTheKnownNames) {
  const ActionRegistry registry = Builtins();
  const std::string message = ErrorMessage([&] { registry.Find("free_pizza"); });
  EXPECT_NE(message.find("unknown action template 'free_pizza'"), std::string::npos) << message;
  EXPECT_NE(message.find("batching_cap"), std::string::npos) << message;
}

TEST(RecommendActions, NegativeCapIsRejectedNamingTheParameterAndRange) {
  const rca::IncidentModel model = TinyModel();
  const IncidentSample sample(model);
  const ActionRegistry registry = Builtins();
  const ActionTemplate& cap = registry.Find("batching_cap");
  const std::string message = ErrorMessage([&] {
    cap.Resolve(nlohmann::json{{"max_batch", -1}}, sample);
  });
  EXPECT_NE(message.find("batching_cap: parameter 'max_batch' must be between 1 and 4"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("got -1"), std::string::npos) << message;
}

TEST(RecommendActions, UnknownParameterIsRejectedWithTheAllowedOnes) {
  const rca::IncidentModel model = TinyModel();
  const IncidentSample sample(model);
  const ActionRegistry registry = Builtins();
  const ActionTemplate& cap = registry.Find("batching_cap");
  const std::string message = ErrorMessage([&] {
    cap.Resolve(nlohmann::json{{"max_orders", 2}}, sample);
  });
  EXPECT_NE(message.find("unknown parameter 'max_orders'; allowed: max_batch"), std::string::npos)
      << message;
}

TEST(RecommendActions, FractionalCapAndTextValuesAreRejected) {
  const rca::IncidentModel model = TinyModel();
  const IncidentSample sample(model);
  const ActionRegistry registry = Builtins();
  const ActionTemplate& cap = registry.Find("batching_cap");
  EXPECT_NE(ErrorMessage([&] {
              cap.Resolve(nlohmann::json{{"max_batch", 1.5}}, sample);
            }).find("must be a whole number"),
            std::string::npos);
  EXPECT_NE(ErrorMessage([&] {
              cap.Resolve(nlohmann::json{{"max_batch", "two"}}, sample);
            }).find("must be a number, got string"),
            std::string::npos);
  EXPECT_NE(ErrorMessage([&] {
              cap.Resolve(nlohmann::json::array(), sample);
            }).find("parameters must be an object"),
            std::string::npos);
}

TEST(RecommendActions, AbsentParametersTakeTheRevertDefaults) {
  const rca::IncidentModel model = TinyModel();
  const IncidentSample sample(model);
  const ActionRegistry registry = Builtins();
  const ParamValues cap = registry.Find("batching_cap").Resolve(nlohmann::json(), sample);
  EXPECT_EQ(cap.at("max_batch"), 1);
  const ParamValues rollback =
      registry.Find("app_release_rollback").Resolve(nlohmann::json::object(), sample);
  EXPECT_EQ(rollback.at("app_error_rate"), 0);  // the baseline rate of the sample
}

}  // namespace
}  // namespace cxagent::recommend
