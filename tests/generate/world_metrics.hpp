#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "generate/generator.hpp"
#include "generate/scenario.hpp"

namespace cxagent::generate::testing {

//! Scenario YAML for a small test world (28 days x `orders` a day) with the given incidents text.
inline std::string SmallScenario(const std::string& incidents, int64_t orders = 2000, int days = 28,
                                 const std::string& extra = "") {
  return "name: test\nseed: 5\nstart_date: 2026-03-02\ndays: " + std::to_string(days) +
         "\norders_per_day: " + std::to_string(orders) + "\n" + extra +
         (incidents.empty() ? "" : "incidents:\n" + incidents);
}

//! Everything about one order joined from the eight tables: the inputs of the CX Score and of
//! the driver metrics (domain.md §4).
struct OrderView {
  int64_t id = 0;
  int day = 0;
  std::string region, store_type, merchant, platform, segment, daypart, mode;
  bool cancelled = false;
  std::string cancel_reason;
  double distance = 0, quoted = 0;
  bool dispatched = false, batched = false;
  double assign = 0, prep_wait = 0, shop = 0, travel = 0, actual = 0, late = 0;
  std::string weather;
  int lines = 0, missing = 0, substituted = 0, rejected = 0;
  bool contacted = false;
  int rating = 0;

  //! The CX Score of the order with the default weights.
  double Cx() const {
    if (cancelled) return 0;
    double score = 100;
    if (late > 20) {
      score -= 30;
    } else if (late > 5) {
      score -= 15;
    }
    score -= std::min(30, 10 * missing);
    score -= std::min(15, 5 * rejected);
    if (contacted) score -= 15;
    if (rating == 1 || rating == 2) score -= 20;
    if (rating == 3) score -= 5;
    return std::max(0.0, score);
  }
};

//! Joins the tables into one OrderView per order, keyed by order id.
inline std::unordered_map<int64_t, OrderView> JoinOrders(const WorldTables& w, int32_t start_date) {
  std::unordered_map<int64_t, OrderView> out;
  const auto& o = w.orders;
  for (size_t i = 0; i < o.RowCount(); ++i) {
    OrderView v;
    v.id = o.Get("order_id").ints[i];
    v.day = static_cast<int>(o.Get("order_date").ints[i] - start_date);
    v.region = o.Get("region").StringAt(i);
    v.store_type = o.Get("store_type").StringAt(i);
    v.merchant = o.Get("merchant").StringAt(i);
    v.platform = o.Get("platform").StringAt(i);
    v.segment = o.Get("customer_segment").StringAt(i);
    v.daypart = o.Get("daypart").StringAt(i);
    v.mode = o.Get("fulfillment_mode").StringAt(i);
    v.cancelled = o.Get("status").StringAt(i) == "cancelled";
    if (!o.Get("cancel_reason").IsNull(i)) v.cancel_reason = o.Get("cancel_reason").StringAt(i);
    v.distance = o.Get("distance_km").doubles[i];
    v.quoted = o.Get("quoted_eta_min").doubles[i];
    out[v.id] = v;
  }
  const auto& d = w.deliveries;
  for (size_t i = 0; i < d.RowCount(); ++i) {
    OrderView& v = out.at(d.Get("order_id").ints[i]);
    v.dispatched = true;
    v.batched = d.Get("is_batched").ints[i] != 0;
    v.assign = d.Get("assign_delay_min").doubles[i];
    v.prep_wait = d.Get("prep_wait_min").doubles[i];
    v.shop = d.Get("shop_min").doubles[i];
    v.travel = d.Get("travel_min").doubles[i];
    v.actual = d.Get("actual_eta_min").doubles[i];
    v.late = d.Get("late_min").doubles[i];
    v.weather = d.Get("weather").StringAt(i);
  }
  const auto& it = w.items;
  for (size_t i = 0; i < it.RowCount(); ++i) {
    OrderView& v = out.at(it.Get("order_id").ints[i]);
    ++v.lines;
    std::string_view status = it.Get("status").StringAt(i);
    if (status == "missing") ++v.missing;
    if (status == "substituted") {
      ++v.substituted;
      if (it.Get("substitution_accepted").ints[i] == 0) ++v.rejected;
    }
  }
  for (size_t i = 0; i < w.support.RowCount(); ++i)
    out.at(w.support.Get("order_id").ints[i]).contacted = true;
  for (size_t i = 0; i < w.ratings.RowCount(); ++i) {
    out.at(w.ratings.Get("order_id").ints[i]).rating =
        static_cast<int>(w.ratings.Get("rating").ints[i]);
  }
  return out;
}

//! True when the order is in `slice` (domain.md §3 dimensions).
inline bool InSlice(const OrderView& v, const Slice& slice) {
  for (const auto& [dimension, value] : slice) {
    const std::string& actual = dimension == "region"             ? v.region
                                : dimension == "store_type"       ? v.store_type
                                : dimension == "merchant"         ? v.merchant
                                : dimension == "platform"         ? v.platform
                                : dimension == "customer_segment" ? v.segment
                                : dimension == "daypart"          ? v.daypart
                                                                  : v.mode;
    if (actual != value) return false;
  }
  return true;
}

//! Mean, standard error and count of a metric over the orders selected by `keep`.
struct Sample {
  double mean = 0, se = 0;
  size_t n = 0;
};
inline Sample Measure(const std::unordered_map<int64_t, OrderView>& orders,
                      const std::function<bool(const OrderView&)>& keep,
                      const std::function<std::optional<double>(const OrderView&)>& metric) {
  double sum = 0, sum2 = 0;
  size_t n = 0;
  for (const auto& [id, v] : orders) {
    if (!keep(v)) continue;
    auto x = metric(v);
    if (!x) continue;
    sum += *x;
    sum2 += *x * *x;
    ++n;
  }
  Sample s;
  s.n = n;
  if (n < 2) return s;
  s.mean = sum / static_cast<double>(n);
  double var = (sum2 - static_cast<double>(n) * s.mean * s.mean) / static_cast<double>(n - 1);
  s.se = std::sqrt(std::max(var, 0.0) / static_cast<double>(n));
  return s;
}

//! `x` for a delivered (dispatched) order, nothing otherwise.
inline std::optional<double> Delivered(const OrderView& v, double x) {
  if (!v.dispatched) return std::nullopt;
  return x;
}

//! Welch's z statistic of b - a.
inline double ZScore(const Sample& a, const Sample& b) {
  double se = std::sqrt(a.se * a.se + b.se * b.se);
  return se == 0 ? 0 : (b.mean - a.mean) / se;
}

}  // namespace cxagent::generate::testing
