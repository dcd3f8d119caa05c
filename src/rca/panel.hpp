#pragma once

#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/date.hpp"
#include "common/slice.hpp"
#include "storage/clickhouse_facts.hpp"
#include "storage/needs.hpp"

namespace cxagent::storage {
class Connection;
class Dataset;
}  // namespace cxagent::storage

namespace cxagent::rca {

//! The daily sums a unit (a slice) carries; every RCA metric is a ratio of two of them.
enum class Sum : int {
  ORDERS,
  CX,
  DISPATCHED,
  BATCHED,
  ASSIGN,
  PREP,
  PREP_N,  // dispatched merchant_pick orders (prep wait applies)
  DISTANCE,
  QUOTED,
  DELIVERED,
  ETA_ERROR,
  ACTUAL,
  TRAVEL,
  FEED,
  FEED_N,
  BUSY,
  BUSY_N,
  LINES,
  MISSING,
  SUBSTITUTED,
  ACCEPTED,
  CANCELLED,
  APP_ERROR,
  NO_DASHER,
  BAD_WEATHER,
  ON_TIME,
  DASHERS,       // active dasher-hours of the unit's region(s) that day (supply_hourly)
  VOLUME_INDEX,  // the day's orders of the rest of the marketplace over its baseline mean
  COUNT_
};
inline constexpr size_t SUM_COUNT = static_cast<size_t>(Sum::COUNT_);

//! One unit-day of sums.
using DaySums = std::array<double, SUM_COUNT>;

//! A daily metric the RCA tests: a ratio of two sums (or of a sum to a constant one).
struct PanelMetric {
  std::string_view name;
  std::string_view label;
  std::string_view unit;  //!< for the narrative: "%", "min", "km", "h", "orders", ""
  bool percent = false;   //!< a share shown as a percentage in the narrative
  //! Value of the metric on one day, nullopt when its denominator is zero.
  std::optional<double> (*value)(const DaySums& sums);
  //! The contract columns it is computed from beyond `orders`' required ones (empty: always
  //! available); without them its sums read 0 and it is not tested.
  storage::Needs needs = {};
  //! A share's denominator (the units its daily value is a share of, for its binomial
  //! variance); COUNT_ for a metric that is not a share.
  Sum share_of = Sum::COUNT_;
  //! Its units move together within a day (a rainy day is rainy for every delivery of a
  //! region): its days, not its units, are the evidence, so its shift is judged by Welch's z.
  bool day_level = false;
  //! A total that grows with the slice's size (orders, dasher-hours): slices of different sizes
  //! are compared by their moves relative to their baselines.
  bool extensive = false;
};

//! Every metric a hypothesis may name as driver or outcome (domain.md §4 names where they exist:
//! cx_score, on_time_rate, cancel_rate, missing_item_rate, substitution_accept_rate,
//! batched_rate, avg_assign_delay, avg_prep_wait, avg_travel, avg_distance, eta_error, feed_lag,
//! busy_ratio, order_volume; plus avg_quoted_eta, app_error_rate, no_dasher_rate,
//! bad_weather_share and active_dashers).
std::span<const PanelMetric> PanelMetrics();
//! The metric called `name`, or nullptr.
const PanelMetric* FindPanelMetric(std::string_view name);

//! A slice's daily sums over the analysed dates.
struct Unit {
  Slice slice;
  std::string dimension;      //!< for a sibling, the dimension in which it differs
  std::vector<DaySums> days;  //!< one per Panel::dates entry
  double orders = 0;          //!< total orders over all dates
};

//! The incident slice and its siblings (the slices that differ from it in exactly one dimension)
//! day by day, from the baseline start to the incident end: the data of the shift tests and the
//! differences in differences.
struct Panel {
  std::vector<Date> dates;
  Unit treated;
  //! The slice's orders in its narrower incidents (IncidentWindows::narrower), left out of
  //! `treated`: the slice's own figures add them back. No days when there are none.
  Unit left_out;
  std::vector<Unit> siblings;
  //! Index into `dates` of the first incident day and one past the last baseline day.
  size_t incident_begin = 0;
  size_t baseline_end = 0;
};

//! Windows of one incident.
struct IncidentWindows {
  Slice slice;
  Date baseline_start;
  Date baseline_end;
  Date start;
  Date end;  //!< last day (inclusive)
  //! The incident went on after `end` (rca::WindowsOf read only its first days).
  bool cut = false;
  //! The root slices of concurrent incidents strictly wider than `slice` (detect::Incident::wider).
  std::vector<Slice> wider;
  //! The root slices of concurrent incidents strictly inside `slice` (detect::Incident::narrower,
  //! when RcaConfig::narrower_incidents): their orders are left out of the panel's treated unit,
  //! so that the drivers are tested on the rest of the slice.
  std::vector<Slice> narrower;
  //! The share of each window's orders in `incident_facts` (see RcaEngine::AnalyzeAll): an order
  //! is there when `hash(order_id) % 1000000 < share * 1e6` (rounded up), so the same orders are
  //! drawn on every run and any smaller share selects a subset.
  double baseline_facts_share = 1.0;
  double incident_facts_share = 1.0;  //!< as baseline_facts_share, for the incident window
};

//! A metric's daily values for a unit (NaN where undefined).
std::vector<double> MetricSeries(const PanelMetric& metric, const Unit& unit);

//! The SQL condition selecting a slice's orders (TRUE for `all`).
std::string SliceCondition(const Slice& slice);

//! The RCA's daily sums per leaf as aggregate expressions over `order_facts` (columns `rca_s0`,
//! ...), for a caller that computes the leaves in its own pass (metrics::BuildSliceCube).
std::vector<std::string> PanelLeafAggregates();

//! The same sums as PanelLeafAggregates (the same names, in the same order), each as a value summed
//! over the orders where a condition holds, in SQL that ClickHouse runs too: the leaves pass of a
//! ClickHouse dataset computes them there (storage::BuildClickHouseOrderLeaves).
std::vector<storage::LeafSum> PanelLeafSums();

//! Makes `rca_leaves`, the RCA's daily sums per leaf (every slicing dimension) and day, for the
//! dates [first, last]: a view over `order_leaves` when that already carries them (see
//! PanelLeafAggregates), else a TEMP table from one pass over `order_facts` for all incidents.
//! LoadPanel reads it.
void BuildPanelLeaves(storage::Connection& connection,
                      const std::vector<std::string>& leaf_dimensions, Date first, Date last);

//! Builds the panel from `rca_leaves` (see BuildPanelLeaves; it must cover the windows) and,
//! when the dataset has it, `supply_hourly` (active dashers per region and day).
Panel LoadPanel(storage::Connection& connection, const storage::Dataset& dataset,
                const IncidentWindows& windows);

}  // namespace cxagent::rca
