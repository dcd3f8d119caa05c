#include "metrics/metric_catalog.hpp"

#include <array>
#include <string>

#include "common/error.hpp"

namespace cxagent::metrics {

namespace {

// What the metrics read beyond orders' required columns (docs/your-data.md).
constexpr std::string_view LATE[] = {"deliveries.late_min"};
constexpr std::string_view ITEM_STATUS[] = {"items.status"};
constexpr std::string_view SUBSTITUTIONS[] = {"items.status", "items.substitution_accepted"};
constexpr std::string_view CONTACTS[] = {"support.order_id"};
constexpr std::string_view RATINGS[] = {"ratings.rating"};
constexpr std::string_view BATCHED[] = {"deliveries.is_batched"};
constexpr std::string_view ASSIGN[] = {"deliveries.assign_delay_min"};
constexpr std::string_view PREP[] = {"deliveries.prep_wait_min"};
constexpr std::string_view TRAVEL[] = {"deliveries.travel_min"};
constexpr std::string_view DISTANCE[] = {"orders.distance_km"};
// The feed is joined on the order's store and day, the busy ratio on its region and hour.
constexpr std::string_view FEED[] = {"inventory.feed_lag_hours", "inventory.date",
                                     "inventory.store_id", "orders.store_id"};
constexpr std::string_view BUSY[] = {"supply_hourly.busy_ratio", "supply_hourly.region",
                                     "supply_hourly.hour", "orders.region", "orders.created_at"};

constexpr std::array<MetricDefinition, 17> METRICS{{
    {"cx_score", "cx_sum", "orders", MetricKind::RATIO, true, false, "mean per-order CX Score"},
    {"on_time_rate", "on_time", "delivered", MetricKind::RATIO, true, false,
     "delivered orders with late_min within the threshold", LATE, true},
    {"cancel_rate",
     "cancelled",
     "orders",
     MetricKind::RATIO,
     false,
     false,
     "cancelled orders",
     {},
     true},
    {"missing_item_rate", "missing_lines", "lines", MetricKind::RATIO, false, false,
     "missing lines among lines", ITEM_STATUS, true},
    {"substitution_accept_rate", "accepted_subs", "substituted_lines", MetricKind::RATIO, true,
     false, "accepted substitutions among substituted lines", SUBSTITUTIONS, true},
    {"contact_rate", "contacts", "orders", MetricKind::RATIO, false, false,
     "orders with a support contact", CONTACTS, true},
    {"avg_rating", "rating_sum", "rated", MetricKind::RATIO, true, false, "mean rating", RATINGS},
    {"low_rating_rate", "low_ratings", "rated", MetricKind::RATIO, false, false,
     "ratings of 1 or 2 among ratings", RATINGS, true},
    {"batched_rate", "batched", "dispatched", MetricKind::RATIO, false, true,
     "batched orders among dispatched", BATCHED, true},
    {"avg_assign_delay", "assign_delay_sum", "dispatched", MetricKind::RATIO, false, true,
     "minutes to assign a dasher", ASSIGN},
    {"avg_prep_wait", "prep_wait_sum", "dispatched", MetricKind::RATIO, false, true,
     "minutes waiting for merchant prep", PREP},
    {"avg_travel", "travel_sum", "dispatched", MetricKind::RATIO, false, true, "travel minutes",
     TRAVEL},
    {"avg_distance", "distance_sum", "orders", MetricKind::RATIO, false, true, "distance in km",
     DISTANCE},
    {"eta_error", "eta_error_sum", "delivered", MetricKind::RATIO, false, true,
     "actual minus quoted minutes", LATE},
    {"feed_lag", "feed_lag_sum", "feed_lag_n", MetricKind::RATIO, false, true,
     "age of the store's inventory feed in hours", FEED, false, true},
    {"busy_ratio", "busy_sum", "busy_n", MetricKind::RATIO, false, true,
     "marketplace busy ratio at order time", BUSY},
    {"order_volume", "orders", "", MetricKind::ADDITIVE, true, true, "orders"},
}};

}  // namespace

std::span<const MetricDefinition> Metrics() {
  return METRICS;
}

const MetricDefinition& FindMetric(std::string_view name) {
  // Looked up per slice and metric in detection (tens of thousands of times a run): the list of
  // known names is put together only for the error.
  for (const auto& metric : METRICS) {
    if (metric.name == name) return metric;
  }
  std::string names;
  for (const auto& metric : METRICS) {
    names += (names.empty() ? "" : ", ") + std::string(metric.name);
  }
  throw InvalidInput("unknown metric '{}'; known metrics: {}", name, names);
}

std::vector<UnavailableMetric> UnavailableMetrics(const storage::Dataset& dataset) {
  std::vector<UnavailableMetric> unavailable;
  for (const auto& metric : METRICS) {
    std::vector<std::string> missing = storage::MissingNeeds(dataset, metric.needs);
    if (!missing.empty()) unavailable.push_back({std::string(metric.name), std::move(missing)});
  }
  return unavailable;
}

}  // namespace cxagent::metrics
