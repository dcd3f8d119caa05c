#include "metrics/metric_catalog.hpp"

#include <array>
#include <string>

#include "common/error.hpp"

namespace cxagent::metrics {

namespace {

constexpr std::array<MetricDefinition, 17> METRICS{{
    {"cx_score", "cx_sum", "orders", MetricKind::RATIO, true, false, "mean per-order CX Score"},
    {"on_time_rate", "on_time", "delivered", MetricKind::RATIO, true, false,
     "delivered orders with late_min within the threshold"},
    {"cancel_rate", "cancelled", "orders", MetricKind::RATIO, false, false, "cancelled orders"},
    {"missing_item_rate", "missing_lines", "lines", MetricKind::RATIO, false, false,
     "missing lines among lines"},
    {"substitution_accept_rate", "accepted_subs", "substituted_lines", MetricKind::RATIO, true,
     false, "accepted substitutions among substituted lines"},
    {"contact_rate", "contacts", "orders", MetricKind::RATIO, false, false,
     "orders with a support contact"},
    {"avg_rating", "rating_sum", "rated", MetricKind::RATIO, true, false, "mean rating"},
    {"low_rating_rate", "low_ratings", "rated", MetricKind::RATIO, false, false,
     "ratings of 1 or 2 among ratings"},
    {"batched_rate", "batched", "dispatched", MetricKind::RATIO, false, true,
     "batched orders among dispatched"},
    {"avg_assign_delay", "assign_delay_sum", "dispatched", MetricKind::RATIO, false, true,
     "minutes to assign a dasher"},
    {"avg_prep_wait", "prep_wait_sum", "dispatched", MetricKind::RATIO, false, true,
     "minutes waiting for merchant prep"},
    {"avg_travel", "travel_sum", "dispatched", MetricKind::RATIO, false, true, "travel minutes"},
    {"avg_distance", "distance_sum", "orders", MetricKind::RATIO, false, true, "distance in km"},
    {"eta_error", "eta_error_sum", "delivered", MetricKind::RATIO, false, true,
     "actual minus quoted minutes"},
    {"feed_lag", "feed_lag_sum", "feed_lag_n", MetricKind::RATIO, false, true,
     "age of the store's inventory feed in hours"},
    {"busy_ratio", "busy_sum", "busy_n", MetricKind::RATIO, false, true,
     "marketplace busy ratio at order time"},
    {"order_volume", "orders", "", MetricKind::ADDITIVE, true, true, "orders"},
}};

}  // namespace

std::span<const MetricDefinition> Metrics() {
  return METRICS;
}

const MetricDefinition& FindMetric(std::string_view name) {
  std::string names;
  for (const auto& metric : METRICS) {
    if (metric.name == name) return metric;
    names += (names.empty() ? "" : ", ") + std::string(metric.name);
  }
  throw InvalidInput("unknown metric '{}'; known metrics: {}", name, names);
}

}  // namespace cxagent::metrics
