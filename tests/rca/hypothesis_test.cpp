#include <gtest/gtest.h>

#include <set>

#include "rca/hypothesis.hpp"
#include "support/test_support.hpp"

namespace cxagent::rca {
namespace {

using testing::ErrorMessage;

Hypothesis Minimal(std::string id) {
  return {.id = std::move(id),
          .label = "Test",
          .drivers = {{.metric = "batched_rate", .direction = Direction::UP, .signature = true}},
          .outcome = "on_time_rate",
          .own_features = {"is_batched"},
          .change_kinds = {"dispatch_policy"}};
}

TEST(HypothesisRegistryTest, TheBuiltinsAreTheTenCausesOfTheDomain) {
  HypothesisRegistry registry;
  RegisterBuiltinHypotheses(registry);
  const std::vector<std::string> list = registry.Names();
  const std::set<std::string> names(list.begin(), list.end());
  const std::set<std::string> expected = {"batching_expansion",
                                          "dasher_supply_shortage",
                                          "merchant_prep_delay",
                                          "inventory_feed_outage",
                                          "substitution_model_regression",
                                          "eta_underestimation",
                                          "app_release_regression",
                                          "severe_weather",
                                          "demand_surge",
                                          "delivery_radius_expansion"};
  EXPECT_EQ(names, expected);
  for (const auto& hypothesis : registry.All()) {
    EXPECT_EQ(hypothesis.actionable, hypothesis.id != "severe_weather") << hypothesis.id;
    EXPECT_FALSE(hypothesis.own_features.empty() && hypothesis.shared_features.empty())
        << hypothesis.id;
  }
  // The internal changes of domain.md §5 are the ones a change_log row can support.
  EXPECT_EQ(registry.Find("batching_expansion").change_kinds,
            std::vector<std::string>{"dispatch_policy"});
  EXPECT_EQ(registry.Find("app_release_regression").change_kinds,
            std::vector<std::string>{"app_release"});
  EXPECT_TRUE(registry.Find("severe_weather").change_kinds.empty());
  EXPECT_TRUE(registry.Find("dasher_supply_shortage").change_kinds.empty());
}

TEST(HypothesisRegistryTest, FindNamesTheKnownHypotheses) {
  HypothesisRegistry registry;
  RegisterBuiltinHypotheses(registry);
  const std::string message = ErrorMessage([&] { registry.Find("gremlins"); });
  EXPECT_NE(message.find("unknown hypothesis 'gremlins'"), std::string::npos) << message;
  EXPECT_NE(message.find("batching_expansion"), std::string::npos) << message;
  EXPECT_TRUE(registry.Contains("demand_surge"));
  EXPECT_FALSE(registry.Contains("gremlins"));
}

TEST(HypothesisRegistryTest, RejectsBadDefinitionsWithTheReason) {
  HypothesisRegistry registry;
  registry.Register(Minimal("one"));
  EXPECT_NE(ErrorMessage([&] { registry.Register(Minimal("one")); }).find("already registered"),
            std::string::npos);
  EXPECT_NE(ErrorMessage([&] { registry.Register(Minimal("")); }).find("needs an id"),
            std::string::npos);

  Hypothesis bad = Minimal("metric");
  bad.drivers[0].metric = "vibes";
  std::string message = ErrorMessage([&] { registry.Register(bad); });
  EXPECT_NE(message.find("unknown driver metric 'vibes'"), std::string::npos) << message;
  EXPECT_NE(message.find("batched_rate"), std::string::npos) << message;

  bad = Minimal("outcome");
  bad.outcome = "happiness";
  EXPECT_NE(ErrorMessage([&] { registry.Register(bad); }).find("unknown outcome metric"),
            std::string::npos);

  bad = Minimal("feature");
  bad.shared_features = {"moon_phase"};
  message = ErrorMessage([&] { registry.Register(bad); });
  EXPECT_NE(message.find("unknown feature 'moon_phase'"), std::string::npos) << message;

  bad = Minimal("kind");
  bad.change_kinds = {"astrology"};
  message = ErrorMessage([&] { registry.Register(bad); });
  EXPECT_NE(message.find("unknown change kind 'astrology'"), std::string::npos) << message;
  EXPECT_NE(message.find("dispatch_policy"), std::string::npos) << message;

  bad = Minimal("signature");
  bad.drivers[0].signature = false;
  EXPECT_NE(ErrorMessage([&] { registry.Register(bad); }).find("no signature driver"),
            std::string::npos);

  bad = Minimal("adjust");
  bad.drivers[0].adjust_for = "busy_ratio";
  EXPECT_NE(ErrorMessage([&] { registry.Register(bad); }).find("needs both"), std::string::npos);

  bad = Minimal("explained");
  bad.drivers[0].explained_by = {"nobody"};
  registry.Register(bad);
  message = ErrorMessage([&] { registry.Validate(); });
  EXPECT_NE(message.find("explained by unknown hypothesis 'nobody'"), std::string::npos) << message;
}

}  // namespace
}  // namespace cxagent::rca
