#include "rca/hypothesis.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "common/error.hpp"
#include "rca/cx_model.hpp"
#include "rca/panel.hpp"
#include "storage/needs.hpp"

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
      "dispatch_policy", "eta_model", "substitution_model",  "app_release",
      "delivery_radius", "pricing",   "merchant_onboarding", "other"};
  return kinds;
}

void HypothesisRegistry::Register(Hypothesis hypothesis) {
  if (hypothesis.id.empty()) throw InvalidInput("a hypothesis needs an id");
  if (Contains(hypothesis.id)) {
    throw InvalidInput("hypothesis '{}' is already registered", hypothesis.id);
  }
  if (std::none_of(hypothesis.drivers.begin(), hypothesis.drivers.end(),
                   [](const DriverSpec& driver) { return driver.signature; })) {
    throw InvalidInput("hypothesis '{}' names no signature driver", hypothesis.id);
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
        throw InvalidInput("hypothesis '{}': driver '{}' names unknown feature '{}'", hypothesis.id,
                           driver.metric, *feature);
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

void HypothesisRegistry::Validate() const {
  for (const auto& hypothesis : hypotheses_) {
    for (const auto& driver : hypothesis.drivers) {
      for (const auto& other : driver.explained_by) {
        if (!Contains(other) || other == hypothesis.id) {
          throw InvalidInput("hypothesis '{}': driver '{}' is explained by unknown hypothesis '{}'",
                             hypothesis.id, driver.metric, other);
        }
      }
    }
  }
}

std::vector<std::string> HypothesisRegistry::Names() const {
  std::vector<std::string> names;
  for (const auto& hypothesis : hypotheses_) names.push_back(hypothesis.id);
  return names;
}

std::vector<std::string> UntestableNeeds(const Hypothesis& hypothesis,
                                         const storage::Dataset& dataset) {
  std::vector<std::string> needs;
  const auto add = [&](const std::vector<std::string>& missing) {
    for (const auto& need : missing) {
      if (std::find(needs.begin(), needs.end(), need) == needs.end()) needs.push_back(need);
    }
  };
  add(storage::MissingNeeds(dataset, FindPanelMetric(hypothesis.outcome)->needs));
  std::vector<std::string> signatures;
  bool measured = false;
  for (const auto& driver : hypothesis.drivers) {
    if (!driver.signature) continue;
    const std::vector<std::string> missing =
        storage::MissingNeeds(dataset, FindPanelMetric(driver.metric)->needs);
    measured |= missing.empty();
    signatures.insert(signatures.end(), missing.begin(), missing.end());
  }
  if (!measured) add(signatures);
  return needs;
}

void RegisterBuiltinHypotheses(HypothesisRegistry& registry) {
  using enum Direction;
  // Causes that make the marketplace busier (demand over supply), and so slow assignment and
  // batch more orders by themselves.
  const std::vector<std::string> busier = {"dasher_supply_shortage", "demand_surge",
                                           "severe_weather", "delivery_radius_expansion"};
  registry.Register({.id = "batching_expansion",
                     .label = "Batching expansion",
                     .actionable = true,
                     .mechanism = "later deliveries from batching detours",
                     .drivers = {{.metric = "batched_rate",
                                  .direction = UP,
                                  .order_feature = "is_batched",
                                  .adjust_for = "busy_ratio",
                                  .signature = true,
                                  .explained_by = busier},
                                 {.metric = "avg_travel", .direction = UP}},
                     .outcome = "on_time_rate",
                     .outcome_direction = DOWN,
                     .own_features = {"is_batched", "batch_size"},
                     .change_kinds = {"dispatch_policy"}});
  registry.Register(
      {.id = "dasher_supply_shortage",
       .label = "Dasher supply shortage",
       .actionable = true,
       .mechanism = "slower dasher assignment and no-dasher cancellations",
       // Fewer dashers show in supply_hourly for a region; for any other slice only as slower
       // assignment that no rise in demand, weather or trip length explains.
       .drivers = {{.metric = "active_dashers",
                    .direction = DOWN,
                    .signature = true,
                    .explained_by = {"severe_weather"}},
                   {.metric = "avg_assign_delay",
                    .direction = UP,
                    .signature = true,
                    .explained_by = {"demand_surge", "severe_weather",
                                     "delivery_radius_expansion"}},
                   {.metric = "no_dasher_rate", .direction = UP}},
       .outcome = "on_time_rate",
       .outcome_direction = DOWN,
       .shared_features = DISPATCH_CHANNEL});
  registry.Register({.id = "merchant_prep_delay",
                     .label = "Merchant prep delay",
                     .actionable = true,
                     .mechanism = "longer waits for merchants to prepare orders",
                     .drivers = {{.metric = "avg_prep_wait", .direction = UP, .signature = true}},
                     .outcome = "on_time_rate",
                     .outcome_direction = DOWN,
                     .own_features = {"prep_wait_min"},
                     .change_kinds = {"merchant_onboarding"}});
  registry.Register({.id = "inventory_feed_outage",
                     .label = "Inventory feed outage",
                     .actionable = true,
                     .mechanism = "missing and substituted items",
                     .drivers = {{.metric = "feed_lag", .direction = UP, .signature = true},
                                 {.metric = "missing_item_rate", .direction = UP}},
                     .outcome = "missing_item_rate",
                     .outcome_direction = UP,
                     .own_features = {"feed_lag_hours", "missing_lines", "substituted_lines"}});
  registry.Register(
      {.id = "substitution_model_regression",
       .label = "Substitution model regression",
       .actionable = true,
       .mechanism = "rejected substitutions",
       .drivers = {{.metric = "substitution_accept_rate", .direction = DOWN, .signature = true}},
       .outcome = "substitution_accept_rate",
       .outcome_direction = DOWN,
       .own_features = {"sub_reject_share"},
       .change_kinds = {"substitution_model"}});
  registry.Register(
      {.id = "eta_underestimation",
       .label = "ETA underestimation",
       .actionable = true,
       .mechanism = "ETAs quoted too short, so orders arrive late against the promise",
       .drivers = {{.metric = "avg_quoted_eta", .direction = DOWN, .signature = true},
                   {.metric = "eta_error", .direction = UP},
                   {.metric = "avg_actual_eta", .direction = UP}},
       .outcome = "on_time_rate",
       .outcome_direction = DOWN,
       .shared_features = {"quoted_eta_min"},
       .change_kinds = {"eta_model"}});
  registry.Register({.id = "app_release_regression",
                     .label = "App release regression",
                     .actionable = true,
                     .mechanism = "app-error cancellations",
                     .drivers = {{.metric = "app_error_rate", .direction = UP, .signature = true},
                                 {.metric = "cancel_rate", .direction = UP}},
                     .outcome = "cancel_rate",
                     .outcome_direction = UP,
                     .own_features = {"cancel_app_error"},
                     .change_kinds = {"app_release"}});
  registry.Register(
      {.id = "severe_weather",
       .label = "Severe weather",
       .actionable = false,
       .mechanism = "slower travel and fewer dashers in rain or snow",
       .drivers = {{.metric = "bad_weather_share", .direction = UP, .signature = true},
                   {.metric = "avg_travel", .direction = UP},
                   {.metric = "active_dashers", .direction = DOWN}},
       .outcome = "on_time_rate",
       .outcome_direction = DOWN,
       .own_features = {"weather"},
       .shared_features = DISPATCH_CHANNEL});
  registry.Register({.id = "demand_surge",
                     .label = "Demand surge",
                     .actionable = true,
                     .mechanism = "more orders than dashers, so slower assignment",
                     .drivers = {{.metric = "order_volume", .direction = UP, .signature = true},
                                 {.metric = "avg_assign_delay", .direction = UP},
                                 {.metric = "busy_ratio", .direction = UP}},
                     .outcome = "on_time_rate",
                     .outcome_direction = DOWN,
                     .shared_features = DISPATCH_CHANNEL,
                     .change_kinds = {"pricing"}});
  registry.Register({.id = "delivery_radius_expansion",
                     .label = "Delivery radius expansion",
                     .actionable = true,
                     .mechanism = "longer trips",
                     .drivers = {{.metric = "avg_distance", .direction = UP, .signature = true},
                                 {.metric = "avg_travel", .direction = UP}},
                     .outcome = "on_time_rate",
                     .outcome_direction = DOWN,
                     .own_features = {"distance_km"},
                     .shared_features = Concat({"quoted_eta_min"}, DISPATCH_CHANNEL),
                     .change_kinds = {"delivery_radius"}});
  registry.Validate();
}

}  // namespace cxagent::rca
