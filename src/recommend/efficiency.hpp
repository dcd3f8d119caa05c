#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "common/date.hpp"
#include "common/slice.hpp"
#include "storage/clickhouse_facts.hpp"

namespace cxagent::storage {
class Connection;
class Dataset;
}  // namespace cxagent::storage

namespace cxagent::rca {
struct IncidentModel;
}

namespace cxagent::recommend {

//! Dollar figures of the cost model (configurable: the data has no pay column).
struct CostSettings {
  double pay_per_engaged_hour = 22.0;  //!< dasher pay per hour from accept to drop-off
  double pay_per_delivery = 2.5;       //!< base pay per delivery
};

//! The slice's fulfillment efficiency over the incident window, measured from the tables, and
//! the per-order pieces the simulation needs to carry a change of drivers to it (docs/recommend.md
//! defines each figure).
struct EfficiencyModel {
  double orders_per_day = 0;
  double delivered_share = 0;
  //! Dasher time per delivery (accept to drop-off, shared across a batch), hours.
  double dasher_hours_per_delivery = 0;
  //! Deliveries per active dasher-hour (supply_hourly, the slice's share of its regions' hours).
  double deliveries_per_dasher_hour = 0;
  //! The slice's share of its regions' active dasher-hours per day.
  double active_dasher_hours_per_day = 0;
  //! Refunds per order, dollars (items and support).
  double refunds_per_order = 0;
  //! Cost per order: dasher pay (engaged hours and per delivery) plus refunds, dollars.
  double cost_per_order = 0;
  //! Incentive spend per day in the slice (the data records none: 0).
  double incentive_spend = 0;
  //! Refund of a missing line and of a rejected substitution, dollars.
  double refund_per_missing_line = 0;
  double refund_per_rejected_line = 0;
  //! Engaged minutes of a delivery from its drivers: base + prep wait + shopping + per_km x
  //! distance + batched_extra x is_batched (least squares on the window's deliveries).
  double engaged_base_min = 0;
  double engaged_per_km = 0;
  double engaged_batched_extra = 0;
  CostSettings costs;
  //! For power analyses: per-order CX standard deviation and the intra-cluster correlation of CX
  //! within a region-hour and within a store-day (baseline window).
  double cx_sd = 0;
  double icc_region_hour = 0;
  double icc_store_day = 0;
  double orders_per_region_hour = 0;
  double orders_per_store_day = 0;
  int regions = 1;

  //! The `efficiency_baseline` object of docs/api.md.
  nlohmann::json BaselineJson() const;
  //! Every field, for storage with the incident.
  nlohmann::json ToJson() const;
  //! Inverse of ToJson; throws InvalidInput naming a missing field.
  static EfficiencyModel FromJson(const nlohmann::json& json);
};

//! What the efficiency reads from one day of a slice's orders (storage::SliceEfficiencySums):
//! the day's incident-window sums, or its baseline CX clusters. A window's days add up to its
//! sums (SumEfficiencyDays); a refresh keeps those of unchanged days (docs/incremental.md).
struct EfficiencyDay {
  Date day;
  bool baseline = false;  //!< the day's baseline clusters (else its incident-window sums)
  storage::SliceEfficiencySums sums;

  //! `sums` as JSON, for storage with the results.
  nlohmann::json SumsJson() const;
  //! Inverse of SumsJson; throws InvalidInput naming a missing or malformed field.
  static storage::SliceEfficiencySums SumsFromJson(const nlohmann::json& json);
};

//! The EfficiencyDay of each of `window_days` (incident-window sums) and `baseline_days`
//! (baseline clusters) of the orders of `slice`, read from the connection's tables as
//! MeasureEfficiency reads them: one per day asked (zero sums for a day without orders), window
//! days first, each list in its order.
std::vector<EfficiencyDay> ReadEfficiencyDays(storage::Connection& connection, const Slice& slice,
                                              const std::vector<Date>& window_days,
                                              const std::vector<Date>& baseline_days);

//! The sums of `days` added up in one fixed order (window days before baseline days, each by
//! day), so that the same days' sums give the same total bit for bit however they were obtained.
storage::SliceEfficiencySums SumEfficiencyDays(std::vector<EfficiencyDay> days);

//! The days from `first` to `last`.
std::vector<Date> DaysBetween(Date first, Date last);

//! Measures the model for a slice: efficiency over [start, end], clustering over the baseline
//! [baseline_start, baseline_end]. What it reads from the slice's orders is `computed` when given
//! (a ClickHouse dataset's, storage::ClickHouseSliceEfficiency, or SumEfficiencyDays of the
//! windows' days), else read from the connection's
//! tables (`orders`, `deliveries`, `items`, `support`, for the slice's orders only; the CX spread
//! and its intra-cluster correlations from every baseline order's CX Score, through the
//! connection's `selected_order_facts` (metrics::BuildOrderFacts; replaces `selected_orders`)
//! when it has one, else `order_facts`). The orders of the slice's regions come from the leaves
//! pass's `order_leaves` when the connection has it, and the dasher-hours from `supply_hourly`.
EfficiencyModel MeasureEfficiency(storage::Connection& connection, const storage::Dataset& dataset,
                                  const Slice& slice, Date baseline_start, Date baseline_end,
                                  Date start, Date end, const CostSettings& costs,
                                  const storage::SliceEfficiencySums* computed = nullptr);

}  // namespace cxagent::recommend
