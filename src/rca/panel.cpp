#include "rca/panel.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <limits>
#include <map>

#include "common/error.hpp"
#include "detect/busy_windows.hpp"
#include "storage/dataset.hpp"
#include "storage/duckdb.hpp"

namespace cxagent::rca {

namespace {

constexpr double NaN = std::numeric_limits<double>::quiet_NaN();

double S(const DaySums& sums, Sum sum) {
  return sums[static_cast<size_t>(sum)];
}

std::optional<double> Ratio(const DaySums& sums, Sum numerator, Sum denominator,
                            double scale = 1.0) {
  const double d = S(sums, denominator);
  if (!(d > 0)) return std::nullopt;
  return scale * S(sums, numerator) / d;
}

// What the metrics read beyond orders' required columns (the metric catalog's where it has the
// metric; prep wait counts merchant-picked orders only, so it also needs their mode).
constexpr std::string_view LATE[] = {"deliveries.late_min"};
constexpr std::string_view ITEM_STATUS[] = {"items.status"};
constexpr std::string_view SUBSTITUTIONS[] = {"items.status", "items.substitution_accepted"};
constexpr std::string_view BATCHED[] = {"deliveries.is_batched"};
constexpr std::string_view ASSIGN[] = {"deliveries.assign_delay_min"};
constexpr std::string_view PREP[] = {"deliveries.prep_wait_min", "orders.fulfillment_mode"};
constexpr std::string_view TRAVEL[] = {"deliveries.travel_min"};
constexpr std::string_view DISTANCE[] = {"orders.distance_km"};
constexpr std::string_view ACTUAL[] = {"deliveries.actual_eta_min"};
constexpr std::string_view QUOTED[] = {"orders.quoted_eta_min"};
constexpr std::string_view FEED[] = {"inventory.feed_lag_hours", "inventory.date",
                                     "inventory.store_id", "orders.store_id"};
constexpr std::string_view BUSY[] = {"supply_hourly.busy_ratio", "supply_hourly.region",
                                     "supply_hourly.hour", "orders.region", "orders.created_at"};
constexpr std::string_view CANCEL_REASON[] = {"orders.cancel_reason"};
constexpr std::string_view WEATHER[] = {"deliveries.weather"};
constexpr std::string_view DASHERS[] = {"supply_hourly.active_dashers", "supply_hourly.region",
                                        "supply_hourly.hour"};

constexpr PanelMetric METRICS[] = {
    {"cx_score", "CX Score", "points", false,
     [](const DaySums& s) { return Ratio(s, Sum::CX, Sum::ORDERS); }},
    {"on_time_rate", "on-time rate", "%", true,
     [](const DaySums& s) { return Ratio(s, Sum::ON_TIME, Sum::DELIVERED); }, LATE, Sum::DELIVERED},
    {"cancel_rate",
     "cancellation rate",
     "%",
     true,
     [](const DaySums& s) { return Ratio(s, Sum::CANCELLED, Sum::ORDERS); },
     {},
     Sum::ORDERS},
    {"missing_item_rate", "missing-item rate", "%", true,
     [](const DaySums& s) { return Ratio(s, Sum::MISSING, Sum::LINES); }, ITEM_STATUS, Sum::LINES},
    {"substitution_accept_rate", "substitution acceptance", "%", true,
     [](const DaySums& s) { return Ratio(s, Sum::ACCEPTED, Sum::SUBSTITUTED); }, SUBSTITUTIONS,
     Sum::SUBSTITUTED},
    {"batched_rate", "batched orders", "%", true,
     [](const DaySums& s) { return Ratio(s, Sum::BATCHED, Sum::DISPATCHED); }, BATCHED,
     Sum::DISPATCHED},
    {"avg_assign_delay", "dasher assignment delay", "min", false,
     [](const DaySums& s) { return Ratio(s, Sum::ASSIGN, Sum::DISPATCHED); }, ASSIGN},
    {"avg_prep_wait", "merchant prep wait", "min", false,
     [](const DaySums& s) { return Ratio(s, Sum::PREP, Sum::PREP_N); }, PREP},
    {"avg_travel", "travel time", "min", false,
     [](const DaySums& s) { return Ratio(s, Sum::TRAVEL, Sum::DISPATCHED); }, TRAVEL},
    {"avg_distance", "delivery distance", "km", false,
     [](const DaySums& s) { return Ratio(s, Sum::DISTANCE, Sum::ORDERS); }, DISTANCE},
    {"eta_error", "ETA error (actual - quoted)", "min", false,
     [](const DaySums& s) { return Ratio(s, Sum::ETA_ERROR, Sum::DELIVERED); }, LATE},
    {"avg_actual_eta", "actual delivery time", "min", false,
     [](const DaySums& s) { return Ratio(s, Sum::ACTUAL, Sum::DELIVERED); }, ACTUAL},
    {"avg_quoted_eta", "quoted ETA", "min", false,
     [](const DaySums& s) { return Ratio(s, Sum::QUOTED, Sum::ORDERS); }, QUOTED},
    {"feed_lag", "inventory feed lag", "h", false,
     [](const DaySums& s) { return Ratio(s, Sum::FEED, Sum::FEED_N); }, FEED},
    {"busy_ratio", "busy ratio", "", false,
     [](const DaySums& s) { return Ratio(s, Sum::BUSY, Sum::BUSY_N); }, BUSY},
    {"order_volume",
     "orders per day (seasonally adjusted)",
     "orders",
     false,
     [](const DaySums& s) { return Ratio(s, Sum::ORDERS, Sum::VOLUME_INDEX); },
     {},
     Sum::COUNT_,
     false,
     true},
    {"app_error_rate", "app-error cancellations", "%", true,
     [](const DaySums& s) { return Ratio(s, Sum::APP_ERROR, Sum::ORDERS); }, CANCEL_REASON,
     Sum::ORDERS},
    {"no_dasher_rate", "no-dasher cancellations", "%", true,
     [](const DaySums& s) { return Ratio(s, Sum::NO_DASHER, Sum::ORDERS); }, CANCEL_REASON,
     Sum::ORDERS},
    {"bad_weather_share", "deliveries in rain or snow", "%", true,
     [](const DaySums& s) { return Ratio(s, Sum::BAD_WEATHER, Sum::DELIVERED); }, WEATHER,
     Sum::COUNT_, true},
    {"active_dashers", "active dasher-hours", "dasher-hours", false,
     [](const DaySums& s) -> std::optional<double> {
       if (!(S(s, Sum::DASHERS) > 0)) return std::nullopt;
       return S(s, Sum::DASHERS);
     },
     DASHERS, Sum::COUNT_, false, true},
};

// The sums of one unit-day as SQL aggregates over order_facts, in Sum order (DASHERS and
// VOLUME_INDEX are filled afterwards), with the `order_leaves` column that already holds the same
// sum when the cube computes it (metrics/slice_cube.cpp; "" when only the RCA needs it).
// The sums only the RCA needs (no leaf column) are written as a value summed over the orders where
// a condition holds, in SQL that DuckDB and ClickHouse both run (PanelLeafSums), and their DuckDB
// aggregate is made from those.
struct SumSql {
  std::string_view aggregate;
  std::string_view leaf_column;
  std::string_view value = {};
  std::string_view condition = {};
};
constexpr SumSql SUM_SQL[] = {
    {"count(*)", "orders"},
    {"sum(cx_score)", "cx_sum"},
    {"count_if(is_dispatched)", "dispatched"},
    {"count_if(is_batched)", "batched"},
    // Delivery columns are NULL for an order never dispatched, so the cube's unfiltered sums of
    // them are these.
    {"sum(assign_delay_min) FILTER (WHERE is_dispatched)", "assign_delay_sum"},
    {"", "", "prep_wait_min", "is_dispatched AND fulfillment_mode = 'merchant_pick'"},
    {"", "", "1",
     "is_dispatched AND fulfillment_mode = 'merchant_pick' AND prep_wait_min IS NOT NULL"},
    {"sum(distance_km)", "distance_sum"},
    {"", "", "quoted_eta_min", "1 = 1"},
    {"count_if(is_delivered)", "delivered"},
    {"sum(late_min) FILTER (WHERE is_delivered)", "eta_error_sum"},
    {"", "", "actual_eta_min", "is_delivered"},
    {"sum(travel_min) FILTER (WHERE is_dispatched)", "travel_sum"},
    {"sum(feed_lag_hours)", "feed_lag_sum"},
    {"count(feed_lag_hours)", "feed_lag_n"},
    {"sum(busy_ratio)", "busy_sum"},
    {"count(busy_ratio)", "busy_n"},
    {"sum(n_lines)", "lines"},
    {"sum(missing_lines)", "missing_lines"},
    {"sum(substituted_lines)", "substituted_lines"},
    {"sum(accepted_subs)", "accepted_subs"},
    {"count_if(is_cancelled)", "cancelled"},
    {"", "", "1", "cancel_reason = 'app_error'"},
    {"", "", "1", "cancel_reason = 'no_dasher'"},
    {"", "", "1", "is_delivered AND weather IN ('rain', 'snow')"},
    {"count_if(on_time)", "on_time"},
};
static_assert(std::size(SUM_SQL) == static_cast<size_t>(Sum::DASHERS));

// The DuckDB aggregate of SUM_SQL[i] over order_facts.
std::string Aggregate(size_t i) {
  if (!SUM_SQL[i].aggregate.empty()) return std::string(SUM_SQL[i].aggregate);
  return fmt::format("sum({}) FILTER (WHERE {})", SUM_SQL[i].value, SUM_SQL[i].condition);
}

double ColumnValue(const storage::Column& column, size_t row) {
  if (column.IsNull(row)) return 0;
  return column.type == storage::ColumnType::DOUBLE ? column.doubles[row]
                                                    : static_cast<double>(column.ints[row]);
}

Slice WithValue(const Slice& slice, const std::string& dimension, const std::string& value) {
  auto pairs = slice.Pairs();
  pairs[dimension] = value;
  return Slice(pairs);
}

}  // namespace

std::span<const PanelMetric> PanelMetrics() {
  return METRICS;
}

const PanelMetric* FindPanelMetric(std::string_view name) {
  for (const auto& metric : METRICS) {
    if (metric.name == name) return &metric;
  }
  return nullptr;
}

std::vector<double> MetricSeries(const PanelMetric& metric, const Unit& unit) {
  std::vector<double> out;
  out.reserve(unit.days.size());
  for (const auto& day : unit.days) out.push_back(metric.value(day).value_or(NaN));
  return out;
}

std::string SliceCondition(const Slice& slice) {
  if (slice.IsAll()) return "TRUE";
  std::vector<std::string> terms;
  for (const auto& [dimension, value] : slice.Pairs()) {
    terms.push_back(
        fmt::format("{} = {}", storage::SqlIdentifier(dimension), storage::SqlLiteral(value)));
  }
  return fmt::format("({})", fmt::join(terms, " AND "));
}

// The orders of any of `slices` (FALSE for none, and where a dimension is NULL).
std::string AnyOf(const std::vector<Slice>& slices) {
  if (slices.empty()) return "FALSE";
  std::vector<std::string> terms;
  for (const Slice& slice : slices) terms.push_back(SliceCondition(slice));
  return fmt::format("coalesce({}, FALSE)", fmt::join(terms, " OR "));
}

std::vector<std::string> PanelLeafAggregates() {
  std::vector<std::string> sums;
  for (size_t i = 0; i < std::size(SUM_SQL); ++i) {
    if (SUM_SQL[i].leaf_column.empty()) {
      sums.push_back(fmt::format("coalesce({}, 0)::DOUBLE AS rca_s{}", Aggregate(i), i));
    }
  }
  return sums;
}

std::vector<storage::LeafSum> PanelLeafSums() {
  std::vector<storage::LeafSum> sums;
  for (size_t i = 0; i < std::size(SUM_SQL); ++i) {
    if (SUM_SQL[i].leaf_column.empty()) {
      sums.push_back({.name = fmt::format("rca_s{}", i),
                      .value = std::string(SUM_SQL[i].value),
                      .condition = std::string(SUM_SQL[i].condition)});
    }
  }
  return sums;
}

void BuildPanelLeaves(storage::Connection& connection,
                      const std::vector<std::string>& leaf_dimensions, Date first, Date last) {
  std::vector<std::string> dimensions;
  for (const auto& dimension : leaf_dimensions) {
    dimensions.push_back(storage::SqlIdentifier(dimension));
  }
  // The analysis computes the RCA's own sums in its pass over the orders (metrics::BuildSliceCube
  // with PanelLeafAggregates) next to the cube's, so a second pass is needed only when it did not.
  size_t own = 0;
  while (!SUM_SQL[own].leaf_column.empty()) ++own;
  if (connection.HasTempColumn("order_leaves", fmt::format("rca_s{}", own))) {
    std::vector<std::string> sums;
    for (size_t i = 0; i < std::size(SUM_SQL); ++i) {
      sums.push_back(
          SUM_SQL[i].leaf_column.empty()
              ? fmt::format("rca_s{}", i)
              : fmt::format("coalesce({}, 0)::DOUBLE AS rca_s{}", SUM_SQL[i].leaf_column, i));
    }
    connection.Execute(fmt::format(
        "CREATE OR REPLACE TEMP VIEW rca_leaves AS SELECT {}, order_date::DATE AS order_date, {} "
        "FROM order_leaves",
        fmt::join(dimensions, ", "), fmt::join(sums, ", ")));
    return;
  }
  // One pass over order_facts (a view joining every table): the RCA sums per leaf (every
  // slicing dimension) and day. Each incident's panel then rolls these up.
  std::vector<std::string> sums;
  for (size_t i = 0; i < std::size(SUM_SQL); ++i) {
    sums.push_back(fmt::format("coalesce({}, 0)::DOUBLE AS rca_s{}", Aggregate(i), i));
  }
  connection.Execute(fmt::format(
      "CREATE OR REPLACE TEMP TABLE rca_leaves AS SELECT {0}, order_date::DATE AS order_date, {1} "
      "FROM order_facts WHERE order_date BETWEEN DATE '{2}' AND DATE '{3}' GROUP BY ALL",
      fmt::join(dimensions, ", "), fmt::join(sums, ", "), FormatDate(first), FormatDate(last)));
}

Panel LoadPanel(storage::Connection& connection, const storage::Dataset& dataset,
                const IncidentWindows& windows) {
  Panel panel;
  for (Date d = windows.baseline_start; d <= windows.end; d = AddDays(d, 1)) {
    panel.dates.push_back(d);
  }
  const auto index_of = [&](Date date) {
    return static_cast<size_t>(date.days - windows.baseline_start.days);
  };
  panel.baseline_end = index_of(windows.baseline_end) + 1;
  panel.incident_begin = index_of(windows.start);

  // Unit key: "T" for the slice, the sibling's text for a slice differing in one dimension,
  // "" for every other order (it only counts towards the marketplace total).
  // The orders of narrower incidents inside the slice are another regression's: "N", counted
  // only towards the marketplace total, like the orders of no unit.
  std::string unit_sql;
  const auto& pairs = windows.slice.Pairs();
  const std::string left_out = windows.narrower.empty()
                                   ? std::string()
                                   : fmt::format("WHEN {} THEN 'N'", AnyOf(windows.narrower));
  if (pairs.empty()) {
    unit_sql = left_out.empty() ? "'T'" : fmt::format("CASE {} ELSE 'T' END", left_out);
  } else {
    std::vector<std::string> cases;
    if (!left_out.empty()) cases.push_back(left_out);
    cases.push_back(fmt::format("WHEN {} THEN 'T'", SliceCondition(windows.slice)));
    for (const auto& [dimension, value] : pairs) {
      std::vector<std::string> others;
      std::vector<std::string> parts;
      for (const auto& [other, other_value] : pairs) {
        if (other != dimension) {
          others.push_back(fmt::format("{} = {}", storage::SqlIdentifier(other),
                                       storage::SqlLiteral(other_value)));
        }
      }
      cases.push_back(
          fmt::format("WHEN {} THEN '{}=' || coalesce({}, 'unknown')",
                      others.empty() ? "TRUE" : fmt::format("{}", fmt::join(others, " AND ")),
                      dimension, storage::SqlIdentifier(dimension)));
    }
    unit_sql = fmt::format("CASE {} ELSE '' END", fmt::join(cases, " "));
  }
  std::vector<std::string> sums;
  for (size_t i = 0; i < std::size(SUM_SQL); ++i) {
    sums.push_back(fmt::format("sum(rca_s{0}) AS s{0}", i));
  }
  const std::string sql = fmt::format(
      "SELECT order_date AS d, {} AS unit, {} FROM rca_leaves "
      "WHERE order_date BETWEEN DATE '{}' AND DATE '{}' GROUP BY ALL",
      unit_sql, fmt::join(sums, ", "), FormatDate(windows.baseline_start), FormatDate(windows.end));
  const storage::Table table = connection.Query(sql);

  std::map<std::string, Unit> units;
  std::vector<DaySums> market(panel.dates.size(), DaySums{});
  const auto& date_column = table.Get("d");
  const auto& unit_column = table.Get("unit");
  std::vector<const storage::Column*> sum_columns;
  for (size_t i = 0; i < std::size(SUM_SQL); ++i)
    sum_columns.push_back(&table.Get(fmt::format("s{}", i)));
  for (size_t row = 0; row < table.RowCount(); ++row) {
    const Date date{static_cast<int32_t>(date_column.ints[row])};
    if (date < windows.baseline_start || date > windows.end) continue;
    const size_t day = index_of(date);
    const std::string key(unit_column.StringAt(row));
    DaySums* target = nullptr;
    if (!key.empty()) {
      Unit& unit = units[key];
      if (unit.days.empty()) unit.days.assign(panel.dates.size(), DaySums{});
      target = &unit.days[day];
    }
    for (size_t i = 0; i < sum_columns.size(); ++i) {
      const double value = ColumnValue(*sum_columns[i], row);
      market[day][i] += value;
      if (target != nullptr) (*target)[i] += value;
    }
  }

  // Supply: active dasher-hours per day, by region (key "" for every region) and daypart (key
  // "" for every hour): a slice of one daypart has the dashers of its hours, so that a shortage
  // at dinner is not diluted by the day's other hours.
  std::map<std::pair<std::string, std::string>, std::vector<double>> dashers;
  if (dataset.HasColumn("supply_hourly", "active_dashers")) {
    try {
      const storage::Table rows = connection.Query(fmt::format(
          "SELECT region, d, {} AS daypart, sum(active_dashers)::DOUBLE AS dashers FROM (SELECT "
          "region, CAST(\"hour\" AS DATE) AS d, CAST(extract(hour FROM \"hour\") AS INTEGER) AS "
          "h, active_dashers FROM supply_hourly WHERE CAST(\"hour\" AS DATE) BETWEEN DATE '{}' AND "
          "DATE '{}') s GROUP BY region, d, daypart",
          detect::DaypartOfHour("h"), FormatDate(windows.baseline_start), FormatDate(windows.end)));
      const auto& region = rows.Get("region");
      const auto& d = rows.Get("d");
      const auto& daypart = rows.Get("daypart");
      const auto& value = rows.Get("dashers");
      for (size_t row = 0; row < rows.RowCount(); ++row) {
        if (region.IsNull(row) || d.IsNull(row)) continue;
        const Date date{static_cast<int32_t>(d.ints[row])};
        if (date < windows.baseline_start || date > windows.end) continue;
        const std::string name(region.StringAt(row));
        const std::string part(daypart.StringAt(row));
        for (const auto& key :
             {std::pair{name, part}, std::pair{name, std::string()}, std::pair{std::string(), part},
              std::pair{std::string(), std::string()}}) {
          auto& series = dashers[key];
          if (series.empty()) series.assign(panel.dates.size(), 0.0);
          series[index_of(date)] += ColumnValue(value, row);
        }
      }
    } catch (const Error& error) {
      // Supply is optional evidence: a malformed table only removes the dasher metric.
      spdlog::warn("rca: supply_hourly not used: {}", error.what());
    }
  }

  const size_t orders_index = static_cast<size_t>(Sum::ORDERS);
  const auto finish = [&](Unit& unit, const Slice& slice) {
    unit.slice = slice;
    if (unit.days.empty()) unit.days.assign(panel.dates.size(), DaySums{});
    // Seasonal index of demand: the rest of the marketplace's orders over their baseline mean.
    std::vector<double> rest(panel.dates.size());
    double baseline_rest = 0;
    size_t baseline_days = 0;
    for (size_t day = 0; day < panel.dates.size(); ++day) {
      rest[day] = market[day][orders_index] - unit.days[day][orders_index];
      if (day < panel.baseline_end && rest[day] > 0) {
        baseline_rest += rest[day];
        ++baseline_days;
      }
    }
    const double mean_rest =
        baseline_days > 0 ? baseline_rest / static_cast<double>(baseline_days) : 0;
    const auto pair_of = [&](const char* dimension) {
      const auto found = slice.Pairs().find(dimension);
      return found == slice.Pairs().end() ? std::string() : found->second;
    };
    // A daypart outside the contract's five (a team's own) has the day's hours.
    std::pair<std::string, std::string> key{pair_of("region"), pair_of("daypart")};
    if (!dashers.empty() && dashers.count(key) == 0) key.second.clear();
    const auto found = dashers.find(key);
    const std::vector<double>* supply = found == dashers.end() ? nullptr : &found->second;
    for (size_t day = 0; day < panel.dates.size(); ++day) {
      auto& day_sums = unit.days[day];
      day_sums[static_cast<size_t>(Sum::VOLUME_INDEX)] =
          mean_rest > 0 && rest[day] > 0 ? rest[day] / mean_rest : 1.0;
      day_sums[static_cast<size_t>(Sum::DASHERS)] = supply != nullptr ? (*supply)[day] : 0.0;
      unit.orders += day_sums[orders_index];
    }
  };
  finish(units["T"], windows.slice);
  panel.treated = std::move(units["T"]);
  if (const auto left_out = units.find("N"); left_out != units.end()) {
    panel.left_out = std::move(left_out->second);
  }
  for (auto& [key, unit] : units) {
    if (key == "T") continue;
    const auto equals = key.find('=');
    if (equals == std::string::npos) continue;
    const std::string dimension = key.substr(0, equals);
    const std::string value = key.substr(equals + 1);
    if (value == "unknown" || value.empty()) continue;
    Slice sibling;
    try {
      sibling = WithValue(windows.slice, dimension, value);
    } catch (const Error&) {
      continue;
    }
    finish(unit, sibling);
    unit.dimension = dimension;
    panel.siblings.push_back(std::move(unit));
  }
  return panel;
}

}  // namespace cxagent::rca
