#include "rca/hypothesis.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "common/error.hpp"
#include "rca/cx_model.hpp"
#include "rca/panel.hpp"

namespace cxagent::rca {

namespace {

// The channels several causes move: dasher assignment (supply against demand) and the
// cancellations that follow when no dasher comes.
const std::vector<std::string> DISPATCH_CHANNEL = {"assign_delay_min", "busy_ratio",
                                                   "cancel_no_dasher", "cancel_customer"};

std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

std::string_view DirectionName(Direction direction) {
  return direction == Direction::UP ? "up" : "down";
}

const std::vector<std::string>& ChangeKinds() {
  static const std::vector<std::string> kinds = {
      "dispatch_policy", "eta_model",    "substitution_model",  "app_release",
      "delivery_radius", "pricing",      "merchant_onboarding", "other"};
  return kinds;
}

void HypothesisRegistry::Register(Hypothesis hypothesis) {
  if (hypothesis.id.empty()) throw InvalidInput("a hypothesis needs an id");
  if (Contains(hypothesis.id)) {
    throw InvalidInput("hypothesis '{}' is already registered", hypothesis.id);
  }
  if (hypothesis.drivers.empty()) {
    throw InvalidInput("hypothesis '{}' names no driver metric", hypothesis.id);
  }
  std::vector<std::string> metric_names;
  for (const auto& metric : PanelMetrics()) metric_names.emplace_back(metric.name);
  const auto require_metric = [&](const std::string& metric, std::string_view role) {
    if (FindPanelMetric(metric) == nullptr) {
      throw InvalidInput("hypothesis '{}': unknown {} metric '{}'; known: {}", hypothesis.id, role,
                         metric, fmt::join(metric_names, ", "));
    }
  };
  for (const auto& driver : hypothesis.drivers) {
    require_metric(driver.metric, "driver");
    if (driver.adjust_for.empty() != driver.order_feature.empty()) {
      throw InvalidInput("hypothesis '{}': driver '{}' needs both order_feature and adjust_for",
                         hypothesis.id, driver.metric);
    }
    for (const auto* feature : {&driver.order_feature, &driver.adjust_for}) {
      if (!feature->empty() && FindOrderFeature(*feature) == nullptr) {
        throw InvalidInput("hypothesis '{}': driver '{}' names unknown feature '{}'",
                           hypothesis.id, driver.metric, *feature);
      }
    }
  }
  require_metric(hypothesis.outcome, "outcome");
  std::vector<std::string> feature_names;
  for (const auto& feature : OrderFeatures()) feature_names.emplace_back(feature.name);
  for (const auto* list : {&hypothesis.own_features, &hypothesis.shared_features}) {
    for (const auto& feature : *list) {
      if (FindOrderFeature(feature) == nullptr) {
        throw InvalidInput("hypothesis '{}': unknown feature '{}'; known: {}", hypothesis.id,
                           feature, fmt::join(feature_names, ", "));
      }
    }
  }
  for (const auto& kind : hypothesis.change_kinds) {
    if (std::find(ChangeKinds().begin(), ChangeKinds().end(), kind) == ChangeKinds().end()) {
      throw InvalidInput("hypothesis '{}': unknown change kind '{}'; known: {}", hypothesis.id,
                         kind, fmt::join(ChangeKinds(), ", "));
    }
  }
  if (hypothesis.label.empty()) hypothesis.label = hypothesis.id;
  hypotheses_.push_back(std::move(hypothesis));
}

const Hypothesis& HypothesisRegistry::Find(std::string_view id) const {
  for (const auto& hypothesis : hypotheses_) {
    if (hypothesis.id == id) return hypothesis;
  }
  throw InvalidInput("unknown hypothesis '{}'; known: {}", id, fmt::join(Names(), ", "));
}

bool HypothesisRegistry::Contains(std::string_view id) const {
  return std::any_of(hypotheses_.begin(), hypotheses_.end(),
                     [&](const Hypothesis& h) { return h.id == id; });
}

std::vector<std::string> HypothesisRegistry::Names() const {
  std::vector<std::string> names;
  for (const auto& hypothesis : hypotheses_) names.push_back(hypothesis.id);
  return names;
}

void RegisterBuiltinHypotheses(HypothesisRegistry& registry) {
  using enum Direction;
  registry.Register({.id = "batching_expansion",
                     .label = "Batching expansion",
                     .actionable = true,
                     .mechanism = "later deliveries from batching detours",
                     .drivers = {{"batched_rate", UP, "is_batched", "busy_ratio"},
                                 {"avg_travel", UP}},
                     .outcome = "on_time_rate",
                     .outcome_direction = DOWN,
                     .own_features = {"is_batched", "batch_size"},
                     .change_kinds = {"dispatch_policy"}});
  registry.Register({.id = "dasher_supply_shortage",
                     .label = "Dasher supply shortage",
                     .actionable = true,
                     .mechanism = "slower dasher assignment and no-dasher cancellations",
                     .drivers = {{"active_dashers", DOWN}, {"avg_assign_delay", UP},
                                 {"no_dasher_rate", UP}},
                     .outcome = "on_time_rate",
                     .outcome_direction = DOWN,
                     .shared_features = DISPATCH_CHANNEL});
  registry.Register({.id = "merchant_prep_delay",
                     .label = "Merchant prep delay",
                     .actionable = true,
                     .mechanism = "longer waits for merchants to prepare orders",
                     .drivers = {{"avg_prep_wait", UP}},
                     .outcome = "on_time_rate",
                     .outcome_direction = DOWN,
                     .own_features = {"prep_wait_min"},
                     .change_kinds = {"merchant_onboarding"}});
  registry.Register({.id = "inventory_feed_outage",
                     .label = "Inventory feed outage",
                     .actionable = true,
                     .mechanism = "missing and substituted items",
                     .drivers = {{"feed_lag", UP}, {"missing_item_rate", UP}},
                     .outcome = "missing_item_rate",
                     .outcome_direction = UP,
                     .own_features = {"feed_lag_hours", "missing_lines", "substituted_lines"}});
  registry.Register({.id = "substitution_model_regression",
                     .label = "Substitution model regression",
                     .actionable = true,
                     .mechanism = "rejected substitutions",
                     .drivers = {{"substitution_accept_rate", DOWN}},
                     .outcome = "substitution_accept_rate",
                     .outcome_direction = DOWN,
                     .own_features = {"sub_reject_share"},
                     .change_kinds = {"substitution_model"}});
  registry.Register({.id = "eta_underestimation",
                     .label = "ETA underestimation",
                     .actionable = true,
                     .mechanism = "ETAs quoted too short, so orders arrive late against the promise",
                     .drivers = {{"avg_quoted_eta", DOWN}, {"eta_error", UP}},
                     .outcome = "on_time_rate",
                     .outcome_direction = DOWN,
                     .shared_features = {"quoted_eta_min"},
                     .change_kinds = {"eta_model"}});
  registry.Register({.id = "app_release_regression",
                     .label = "App release regression",
                     .actionable = true,
                     .mechanism = "app-error cancellations",
                     .drivers = {{"app_error_rate", UP}},
                     .outcome = "cancel_rate",
                     .outcome_direction = UP,
                     .own_features = {"cancel_app_error"},
                     .change_kinds = {"app_release"}});
  registry.Register({.id = "severe_weather",
                     .label = "Severe weather",
                     .actionable = false,
                     .mechanism = "slower travel and fewer dashers in rain or snow",
                     .drivers = {{"bad_weather_share", UP}, {"avg_travel", UP}},
                     .outcome = "on_time_rate",
                     .outcome_direction = DOWN,
                     .own_features = {"weather"},
                     .shared_features = DISPATCH_CHANNEL});
  registry.Register({.id = "demand_surge",
                     .label = "Demand surge",
                     .actionable = true,
                     .mechanism = "more orders than dashers, so slower assignment",
                     .drivers = {{"order_volume", UP}, {"avg_assign_delay", UP}},
                     .outcome = "on_time_rate",
                     .outcome_direction = DOWN,
                     .shared_features = DISPATCH_CHANNEL,
                     .change_kinds = {"pricing"}});
  registry.Register({.id = "delivery_radius_expansion",
                     .label = "Delivery radius expansion",
                     .actionable = true,
                     .mechanism = "longer trips",
                     .drivers = {{"avg_distance", UP}, {"avg_travel", UP}},
                     .outcome = "on_time_rate",
                     .outcome_direction = DOWN,
                     .own_features = {"distance_km"},
                     .shared_features = Concat({"quoted_eta_min"}, DISPATCH_CHANNEL),
                     .change_kinds = {"delivery_radius"}});
}

}  // namespace cxagent::rca
