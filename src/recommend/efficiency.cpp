#include "recommend/efficiency.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <Eigen/Dense>
#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <vector>

#include "common/error.hpp"
#include "rca/panel.hpp"
#include "storage/dataset.hpp"
#include "storage/duckdb.hpp"
#include "storage/table.hpp"

namespace cxagent::recommend {

namespace {

double Get(const storage::Table& table, std::string_view column, size_t row = 0) {
  const auto& c = table.Get(column);
  if (table.RowCount() <= row || c.IsNull(row)) return 0.0;
  return c.type == storage::ColumnType::DOUBLE ? c.doubles[row] : static_cast<double>(c.ints[row]);
}

// One-way ANOVA estimate of the intra-cluster correlation from per-cluster counts, means and
// variances (clamped to [0, 1]; 0 without two clusters).
double AnovaIcc(const std::vector<double>& n, const std::vector<double>& mean,
                const std::vector<double>& var) {
  const double k = static_cast<double>(n.size());
  double total = 0, within = 0, nm = 0, nm2 = 0, n2 = 0;
  for (size_t c = 0; c < n.size(); ++c) {
    total += n[c];
    within += (n[c] - 1) * var[c];
    nm += n[c] * mean[c];
    nm2 += n[c] * mean[c] * mean[c];
    n2 += n[c] * n[c];
  }
  if (k < 2 || total <= k) return 0.0;
  const double grand = nm / total;
  const double msw = within / (total - k);
  const double msb = (nm2 - total * grand * grand) / (k - 1);
  const double n0 = (total - n2 / total) / (k - 1);
  const double denominator = msb + (n0 - 1) * msw;
  return denominator > 0 ? std::clamp((msb - msw) / denominator, 0.0, 1.0) : 0.0;
}

// Intra-cluster correlation of the CX Score within `clusters`.
double Icc(const std::vector<storage::CxCluster>& clusters) {
  std::vector<double> counts, means, vars;
  for (const auto& cluster : clusters) {
    counts.push_back(static_cast<double>(cluster.orders));
    means.push_back(cluster.mean);
    vars.push_back(cluster.variance);
  }
  return AnovaIcc(counts, means, vars);
}

// The sample standard deviation of the CX Scores of every order of `clusters` (0 for fewer than
// two orders), combined from each cluster's count, mean and variance.
double PooledSd(const std::vector<storage::CxCluster>& clusters) {
  double total = 0;
  double weighted = 0;
  for (const auto& cluster : clusters) {
    total += static_cast<double>(cluster.orders);
    weighted += static_cast<double>(cluster.orders) * cluster.mean;
  }
  if (total < 2) return 0;
  const double mean = weighted / total;
  double squares = 0;
  for (const auto& cluster : clusters) {
    const double n = static_cast<double>(cluster.orders);
    squares += (n - 1) * cluster.variance + n * (cluster.mean - mean) * (cluster.mean - mean);
  }
  return std::sqrt(std::max(0.0, squares / (total - 1)));
}

// Per group of `cluster` (SQL over `source`, within one order day), the CX Scores' count, mean
// and sample variance of the rows of `source` matching `where`, by the day they lie in.
std::map<int32_t, std::vector<storage::CxCluster>> Clusters(storage::Connection& connection,
                                                            const std::string& source,
                                                            const std::string& where,
                                                            const std::string& cluster) {
  const storage::Table t = connection.Query(
      fmt::format("SELECT CAST(order_date AS DATE) AS d, count(*) AS n, avg(cx_score) AS m, "
                  "coalesce(var_samp(cx_score), 0) AS v FROM {} WHERE {} GROUP BY "
                  "CAST(order_date AS DATE), {}",
                  source, where, cluster));
  std::map<int32_t, std::vector<storage::CxCluster>> clusters;
  for (size_t row = 0; row < t.RowCount(); ++row) {
    clusters[static_cast<int32_t>(t.Get("d").ints[row])].push_back(
        {t.Get("n").ints[row], t.Get("m").doubles[row], t.Get("v").doubles[row]});
  }
  return clusters;
}

std::string Between(Date first, Date last) {
  return fmt::format("order_date BETWEEN DATE '{}' AND DATE '{}'", FormatDate(first),
                     FormatDate(last));
}

// `column` (a date) is one of `days`: FALSE for none, a range test first so that a scan can skip
// what lies outside.
std::string OneOf(const std::string& column, const std::vector<Date>& days) {
  if (days.empty()) return "FALSE";
  std::vector<std::string> literals;
  for (const Date day : days) literals.push_back(fmt::format("DATE '{}'", FormatDate(day)));
  const auto [least, greatest] = std::minmax_element(days.begin(), days.end());
  return fmt::format("({0} BETWEEN DATE '{1}' AND DATE '{2}' AND CAST({0} AS DATE) IN ({3}))",
                     column, FormatDate(*least), FormatDate(*greatest), fmt::join(literals, ", "));
}

nlohmann::json ClustersJson(const std::vector<storage::CxCluster>& clusters) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& c : clusters) out.push_back({c.orders, c.mean, c.variance});
  return out;
}

std::vector<storage::CxCluster> ClustersFromJson(const nlohmann::json& json, const char* key) {
  const auto found = json.find(key);
  if (found == json.end() || !found->is_array()) {
    throw InvalidInput("efficiency day: field '{}' is missing or not an array", key);
  }
  std::vector<storage::CxCluster> clusters;
  for (const auto& entry : *found) {
    if (!entry.is_array() || entry.size() != 3 || !entry[0].is_number_integer() ||
        !entry[1].is_number() || !entry[2].is_number()) {
      throw InvalidInput("efficiency day: field '{}' holds a malformed cluster", key);
    }
    clusters.push_back({entry[0].get<int64_t>(), entry[1].get<double>(), entry[2].get<double>()});
  }
  return clusters;
}

// The orders of the incident window in the slice's region (every region when the slice fixes
// none) and how many regions the slice's orders and those orders span: from the leaves pass's
// per-day counts (`order_leaves`) when the connection has them, else from the orders table.
struct RegionOrders {
  double orders = 0;
  double regions = 0;
};

RegionOrders CountRegionOrders(storage::Connection& connection, const Slice& slice,
                               Date baseline_start, Date baseline_end, Date start, Date end) {
  const bool leaves = connection.HasTempRelation("order_leaves");
  const std::string source = leaves ? "order_leaves" : "orders";
  const bool has_region = !leaves || connection.HasTempColumn("order_leaves", "region");
  const std::string regions =
      slice.Pairs().contains("region")
          ? fmt::format("region = {}", storage::SqlLiteral(slice.Pairs().at("region")))
          : "TRUE";
  const storage::Table counts = connection.Query(fmt::format(
      "SELECT (SELECT {count} FROM {source} WHERE {regions} AND {window}) AS orders, "
      "(SELECT {distinct} FROM {source} WHERE {regions} AND ({window} OR "
      "(coalesce({slice}, FALSE) AND {baseline}))) AS regions",
      fmt::arg("count", leaves ? "sum(orders)" : "count(*)"), fmt::arg("source", source),
      fmt::arg("distinct", has_region ? "count(DISTINCT region)" : "0"),
      fmt::arg("regions", regions), fmt::arg("slice", rca::SliceCondition(slice)),
      fmt::arg("window", Between(start, end)),
      fmt::arg("baseline", Between(baseline_start, baseline_end))));
  return {Get(counts, "orders"), Get(counts, "regions")};
}

}  // namespace

nlohmann::json EfficiencyDay::SumsJson() const {
  nlohmann::json out;
  for (const auto& [name, field] : storage::SliceEfficiencySums::Fields()) {
    out[std::string(name)] = sums.*field;
  }
  out["region_hours"] = ClustersJson(sums.region_hours);
  out["store_days"] = ClustersJson(sums.store_days);
  return out;
}

storage::SliceEfficiencySums EfficiencyDay::SumsFromJson(const nlohmann::json& json) {
  if (!json.is_object()) throw InvalidInput("efficiency day: expected an object");
  storage::SliceEfficiencySums sums;
  for (const auto& [name, field] : storage::SliceEfficiencySums::Fields()) {
    const auto found = json.find(std::string(name));
    if (found == json.end() || !found->is_number()) {
      throw InvalidInput("efficiency day: field '{}' is missing or not a number", name);
    }
    sums.*field = found->get<double>();
  }
  sums.region_hours = ClustersFromJson(json, "region_hours");
  sums.store_days = ClustersFromJson(json, "store_days");
  return sums;
}

std::vector<Date> DaysBetween(Date first, Date last) {
  std::vector<Date> days;
  for (Date day = first; day <= last; day = AddDays(day, 1)) days.push_back(day);
  return days;
}

std::vector<EfficiencyDay> ReadEfficiencyDays(storage::Connection& connection, const Slice& slice,
                                              const std::vector<Date>& window_days,
                                              const std::vector<Date>& baseline_days) {
  std::vector<EfficiencyDay> days;
  std::map<int32_t, size_t> window_at;
  std::map<int32_t, size_t> baseline_at;
  for (const Date day : window_days) {
    window_at[day.days] = days.size();
    days.push_back({day, false, {}});
  }
  for (const Date day : baseline_days) {
    baseline_at[day.days] = days.size();
    days.push_back({day, true, {}});
  }
  if (days.empty()) return days;
  const std::string in_slice = rca::SliceCondition(slice);
  const std::string window = OneOf("order_date", window_days);
  const std::string baseline = OneOf("order_date", baseline_days);
  // order_facts would join every table over every order first.
  connection.Execute(fmt::format(
      "CREATE OR REPLACE TEMP TABLE recommend_orders AS SELECT o.order_id, "
      "CAST(o.order_date AS DATE) AS day, {window} AS in_window, {baseline} AS "
      "in_baseline, o.status = 'delivered' AS is_delivered, o.distance_km, "
      "d.is_batched, d.batch_size, d.actual_eta_min, d.assign_delay_min, "
      "d.prep_wait_min, d.shop_min "
      "FROM orders o LEFT JOIN deliveries d ON d.order_id = o.order_id "
      "WHERE coalesce({slice}, FALSE) AND ({window} OR {baseline})",
      fmt::arg("slice", in_slice), fmt::arg("window", window), fmt::arg("baseline", baseline)));
  const auto window_day = [&](const storage::Table& t,
                              size_t row) -> storage::SliceEfficiencySums& {
    return days[window_at.at(static_cast<int32_t>(t.Get("day").ints[row]))].sums;
  };

  // Engaged minutes (accept to drop-off) less the waits and shopping the features carry, on
  // distance and batching.
  const storage::Table regression = connection.Query(
      "WITH d AS (SELECT day, distance_km AS x, is_batched::DOUBLE AS b, "
      "actual_eta_min - assign_delay_min - coalesce(prep_wait_min, 0) - coalesce(shop_min, 0) AS "
      "y, (actual_eta_min - assign_delay_min) / greatest(batch_size, 1) / 60.0 AS hours "
      "FROM recommend_orders WHERE in_window AND is_delivered AND actual_eta_min IS NOT NULL "
      "AND assign_delay_min IS NOT NULL AND distance_km IS NOT NULL) "
      "SELECT day, count(*) AS n, sum(x) AS sx, sum(b) AS sb, sum(x*x) AS sxx, sum(x*b) AS sxb, "
      "sum(b*b) AS sbb, sum(y) AS sy, sum(x*y) AS sxy, sum(b*y) AS sby, sum(hours) AS "
      "hours_sum, count(hours) AS hours_n FROM d GROUP BY day");
  for (size_t row = 0; row < regression.RowCount(); ++row) {
    window_day(regression, row).Read(regression, row);
  }

  // Refunds are the items' and the support contacts' (order_facts' `refunds`).
  const storage::Table counts = connection.Query(
      "WITH w AS (SELECT order_id, day FROM recommend_orders WHERE in_window), "
      "o AS (SELECT day, count(*) AS orders, count(*) FILTER (WHERE is_delivered) AS delivered "
      "FROM recommend_orders WHERE in_window GROUP BY day), "
      "i AS (SELECT w.day, coalesce(sum(refund_amount), 0) AS refunds, "
      "sum(refund_amount) FILTER (WHERE status = 'missing') AS missing_refund_sum, "
      "count(refund_amount) FILTER (WHERE status = 'missing') AS missing_refund_n, "
      "sum(refund_amount) FILTER (WHERE status = 'substituted' AND NOT "
      "coalesce(substitution_accepted, FALSE)) AS rejected_refund_sum, "
      "count(refund_amount) FILTER (WHERE status = 'substituted' AND NOT "
      "coalesce(substitution_accepted, FALSE)) AS rejected_refund_n FROM items JOIN w USING "
      "(order_id) "
      "GROUP BY w.day), "
      "s AS (SELECT w.day, coalesce(sum(refund_amount), 0) AS refunds FROM support "
      "JOIN w USING (order_id) GROUP BY w.day) "
      "SELECT o.day, o.orders, o.delivered, coalesce(i.refunds, 0) + coalesce(s.refunds, 0) AS "
      "refunds, i.missing_refund_sum, i.missing_refund_n, i.rejected_refund_sum, "
      "i.rejected_refund_n FROM o "
      "LEFT JOIN i ON i.day = o.day LEFT JOIN s ON s.day = o.day");
  for (size_t row = 0; row < counts.RowCount(); ++row) {
    window_day(counts, row).Read(counts, row);
  }

  // The CX Scores of every baseline order of the slice. Every order, not a sample: an ICC of a
  // few thousandths still makes a design effect of 1.4 at 60 orders a region-hour, and a
  // sample's estimate of it is mostly noise. A region-hour and a store-day lie within one day.
  std::map<int32_t, std::vector<storage::CxCluster>> region_hours;
  std::map<int32_t, std::vector<storage::CxCluster>> store_days;
  if (baseline_days.empty()) {
    // No baseline day asked: no CX Score is needed.
  } else if (connection.HasTempRelation("selected_order_facts")) {
    connection.Execute(
        "CREATE OR REPLACE TEMP TABLE selected_orders AS SELECT order_id FROM recommend_orders "
        "WHERE in_baseline; "
        "CREATE OR REPLACE TEMP TABLE recommend_baseline AS SELECT region, "
        "date_trunc('hour', created_at) AS hour, store_id, order_date, cx_score "
        "FROM selected_order_facts");
    region_hours = Clusters(connection, "recommend_baseline", "TRUE", "region, hour");
    store_days = Clusters(connection, "recommend_baseline", "TRUE", "store_id");
  } else {
    const std::string where = fmt::format("coalesce({}, FALSE) AND {}", in_slice, baseline);
    region_hours =
        Clusters(connection, "order_facts", where, "region, date_trunc('hour', created_at)");
    store_days = Clusters(connection, "order_facts", where, "store_id");
  }
  for (auto& [day, clusters] : region_hours) {
    days[baseline_at.at(day)].sums.region_hours = std::move(clusters);
  }
  for (auto& [day, clusters] : store_days) {
    days[baseline_at.at(day)].sums.store_days = std::move(clusters);
  }
  connection.Execute("DROP TABLE IF EXISTS recommend_baseline");
  connection.Execute("DROP TABLE IF EXISTS recommend_orders");
  return days;
}

storage::SliceEfficiencySums SumEfficiencyDays(std::vector<EfficiencyDay> days) {
  std::sort(days.begin(), days.end(), [](const EfficiencyDay& a, const EfficiencyDay& b) {
    return std::pair(a.baseline, a.day) < std::pair(b.baseline, b.day);
  });
  storage::SliceEfficiencySums sums;
  for (const auto& day : days) sums.Add(day.sums);
  return sums;
}

nlohmann::json EfficiencyModel::BaselineJson() const {
  return {{"cost_per_order", cost_per_order},
          {"deliveries_per_dasher_hour", deliveries_per_dasher_hour},
          {"dasher_hours_per_delivery", dasher_hours_per_delivery},
          {"incentive_spend", incentive_spend}};
}

nlohmann::json EfficiencyModel::ToJson() const {
  return {{"orders_per_day", orders_per_day},
          {"delivered_share", delivered_share},
          {"dasher_hours_per_delivery", dasher_hours_per_delivery},
          {"deliveries_per_dasher_hour", deliveries_per_dasher_hour},
          {"active_dasher_hours_per_day", active_dasher_hours_per_day},
          {"refunds_per_order", refunds_per_order},
          {"cost_per_order", cost_per_order},
          {"incentive_spend", incentive_spend},
          {"refund_per_missing_line", refund_per_missing_line},
          {"refund_per_rejected_line", refund_per_rejected_line},
          {"engaged_base_min", engaged_base_min},
          {"engaged_per_km", engaged_per_km},
          {"engaged_batched_extra", engaged_batched_extra},
          {"pay_per_engaged_hour", costs.pay_per_engaged_hour},
          {"pay_per_delivery", costs.pay_per_delivery},
          {"cx_sd", cx_sd},
          {"icc_region_hour", icc_region_hour},
          {"icc_store_day", icc_store_day},
          {"orders_per_region_hour", orders_per_region_hour},
          {"orders_per_store_day", orders_per_store_day},
          {"regions", regions}};
}

EfficiencyModel EfficiencyModel::FromJson(const nlohmann::json& json) {
  if (!json.is_object()) throw InvalidInput("efficiency model: expected an object");
  const auto number = [&](const char* key) {
    const auto found = json.find(key);
    if (found == json.end() || !found->is_number()) {
      throw InvalidInput("efficiency model: field '{}' is missing or not a number", key);
    }
    return found->get<double>();
  };
  EfficiencyModel m;
  m.orders_per_day = number("orders_per_day");
  m.delivered_share = number("delivered_share");
  m.dasher_hours_per_delivery = number("dasher_hours_per_delivery");
  m.deliveries_per_dasher_hour = number("deliveries_per_dasher_hour");
  m.active_dasher_hours_per_day = number("active_dasher_hours_per_day");
  m.refunds_per_order = number("refunds_per_order");
  m.cost_per_order = number("cost_per_order");
  m.incentive_spend = number("incentive_spend");
  m.refund_per_missing_line = number("refund_per_missing_line");
  m.refund_per_rejected_line = number("refund_per_rejected_line");
  m.engaged_base_min = number("engaged_base_min");
  m.engaged_per_km = number("engaged_per_km");
  m.engaged_batched_extra = number("engaged_batched_extra");
  m.costs.pay_per_engaged_hour = number("pay_per_engaged_hour");
  m.costs.pay_per_delivery = number("pay_per_delivery");
  m.cx_sd = number("cx_sd");
  m.icc_region_hour = number("icc_region_hour");
  m.icc_store_day = number("icc_store_day");
  m.orders_per_region_hour = number("orders_per_region_hour");
  m.orders_per_store_day = number("orders_per_store_day");
  m.regions = static_cast<int>(number("regions"));
  return m;
}

EfficiencyModel MeasureEfficiency(storage::Connection& connection, const storage::Dataset& dataset,
                                  const Slice& slice, Date baseline_start, Date baseline_end,
                                  Date start, Date end, const CostSettings& costs,
                                  const storage::SliceEfficiencySums* computed) {
  EfficiencyModel m;
  m.costs = costs;
  const double days = static_cast<double>(end.days - start.days + 1);
  const storage::SliceEfficiencySums sums =
      computed != nullptr
          ? *computed
          : SumEfficiencyDays(ReadEfficiencyDays(connection, slice, DaysBetween(start, end),
                                                 DaysBetween(baseline_start, baseline_end)));

  // Engaged minutes on distance and batching: y = b0 + b1 distance + b2 batched.
  if (sums.n >= 3) {
    Eigen::Matrix3d a;
    a << sums.n, sums.sx, sums.sb, sums.sx, sums.sxx, sums.sxb, sums.sb, sums.sxb, sums.sbb;
    Eigen::Vector3d b(sums.sy, sums.sxy, sums.sby);
    // A slice without batching makes the system singular; the pseudo-inverse gives 0 for it.
    const Eigen::Vector3d beta = a.completeOrthogonalDecomposition().solve(b);
    m.engaged_base_min = beta[0];
    m.engaged_per_km = beta[1];
    m.engaged_batched_extra = beta[2];
    m.dasher_hours_per_delivery = sums.hours_n > 0 ? sums.hours_sum / sums.hours_n : 0;
  }

  const double total = sums.orders;
  m.orders_per_day = total / days;
  m.delivered_share = total > 0 ? sums.delivered / total : 0;
  m.refunds_per_order = total > 0 ? sums.refunds / total : 0;
  m.refund_per_missing_line =
      sums.missing_refund_n > 0 ? sums.missing_refund_sum / sums.missing_refund_n : 0;
  m.refund_per_rejected_line =
      sums.rejected_refund_n > 0 ? sums.rejected_refund_sum / sums.rejected_refund_n : 0;

  // Active dasher-hours of the slice's regions, in proportion to the slice's share of their
  // orders (dashers are shared by every order of a region).
  if (dataset.HasColumn("supply_hourly", "active_dashers")) {
    const std::string regions =
        slice.Pairs().contains("region")
            ? fmt::format("region = {}", storage::SqlLiteral(slice.Pairs().at("region")))
            : "TRUE";
    const storage::Table hours = connection.Query(fmt::format(
        "SELECT coalesce(sum(active_dashers), 0) AS active FROM {supply} WHERE {regions} AND "
        "hour >= TIMESTAMP '{start} 00:00:00' AND hour < TIMESTAMP '{end} 00:00:00' + INTERVAL 1 "
        "DAY",
        fmt::arg("supply", "supply_hourly"), fmt::arg("regions", regions),
        fmt::arg("start", FormatDate(start)), fmt::arg("end", FormatDate(end))));
    const RegionOrders region =
        CountRegionOrders(connection, slice, baseline_start, baseline_end, start, end);
    const double share = region.orders > 0 ? total / region.orders : 0;
    m.active_dasher_hours_per_day = Get(hours, "active") * share / days;
    m.regions = std::max(1, static_cast<int>(region.regions));
  }
  const double deliveries_per_day = m.orders_per_day * m.delivered_share;
  m.deliveries_per_dasher_hour =
      m.active_dasher_hours_per_day > 0 ? deliveries_per_day / m.active_dasher_hours_per_day : 0;
  m.cost_per_order = m.delivered_share * (costs.pay_per_engaged_hour * m.dasher_hours_per_delivery +
                                          costs.pay_per_delivery) +
                     m.refunds_per_order;

  // Clustering of CX over the baseline: cluster sizes, the spread and the correlations within a
  // region-hour and a store-day.
  double baseline_orders = 0;
  for (const auto& cluster : sums.region_hours) {
    baseline_orders += static_cast<double>(cluster.orders);
  }
  const auto per = [&](size_t clusters) {
    return clusters > 0 ? baseline_orders / static_cast<double>(clusters) : 0.0;
  };
  m.orders_per_region_hour = per(sums.region_hours.size());
  m.orders_per_store_day = per(sums.store_days.size());
  m.cx_sd = PooledSd(sums.region_hours);
  m.icc_region_hour = Icc(sums.region_hours);
  m.icc_store_day = Icc(sums.store_days);
  return m;
}

}  // namespace cxagent::recommend
