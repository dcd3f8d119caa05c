#include "recommend/efficiency.hpp"

#include <fmt/format.h>

#include <Eigen/Dense>
#include <algorithm>
#include <array>
#include <cmath>
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

// Intra-cluster correlation of cx_score within clusters given by `cluster` (a SQL expression)
// over the rows of `source` matching `where`.
double Icc(storage::Connection& connection, const std::string& source, const std::string& where,
           const std::string& cluster) {
  const storage::Table t = connection.Query(
      fmt::format("SELECT count(*) AS n, avg(cx_score) AS m, coalesce(var_samp(cx_score), 0) AS v "
                  "FROM {} WHERE {} GROUP BY {}",
                  source, where, cluster));
  const auto& n = t.Get("n");
  const auto& m = t.Get("m");
  const auto& v = t.Get("v");
  std::vector<double> counts, means, vars;
  for (size_t row = 0; row < t.RowCount(); ++row) {
    counts.push_back(static_cast<double>(n.ints[row]));
    means.push_back(m.doubles[row]);
    vars.push_back(v.doubles[row]);
  }
  return AnovaIcc(counts, means, vars);
}

std::string Between(Date first, Date last) {
  return fmt::format("order_date BETWEEN DATE '{}' AND DATE '{}'", FormatDate(first),
                     FormatDate(last));
}

}  // namespace

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
                                  Date start, Date end, const CostSettings& costs) {
  EfficiencyModel m;
  m.costs = costs;
  const std::string in_slice = rca::SliceCondition(slice);
  const std::string regions =
      slice.Pairs().contains("region")
          ? fmt::format("region = {}", storage::SqlLiteral(slice.Pairs().at("region")))
          : "TRUE";
  const double days = static_cast<double>(end.days - start.days + 1);
  // The dataset's views; a table the data lacks is there, empty.
  const std::string orders = "orders";
  const std::string deliveries = "deliveries";
  const std::string items = "items";
  const std::string support = "support";

  // The orders every figure reads, from the tables themselves: the slice over both windows and
  // its regions' orders in the incident window (their share of the active dasher-hours).
  // order_facts would join every table over every order first.
  connection.Execute(fmt::format(
      "CREATE OR REPLACE TEMP TABLE recommend_orders AS SELECT o.order_id, o.order_date, "
      "o.region, o.store_id, date_trunc('hour', o.created_at) AS hour, "
      "coalesce({slice}, FALSE) AND {window} AS in_window, "
      "coalesce({slice}, FALSE) AND {baseline} AS in_baseline, o.status = 'delivered' AS "
      "is_delivered, o.distance_km, d.is_batched, d.batch_size, d.actual_eta_min, "
      "d.assign_delay_min, d.prep_wait_min, d.shop_min "
      "FROM {orders} o LEFT JOIN {deliveries} d ON d.order_id = o.order_id "
      "WHERE ({regions} AND {window}) OR ({slice} AND {baseline})",
      fmt::arg("slice", in_slice), fmt::arg("regions", regions),
      fmt::arg("window", Between(start, end)),
      fmt::arg("baseline", Between(baseline_start, baseline_end)), fmt::arg("orders", orders),
      fmt::arg("deliveries", deliveries)));

  // Engaged minutes (accept to drop-off) less the waits and shopping the features carry, on
  // distance and batching: y = b0 + b1 distance + b2 batched.
  const storage::Table sums = connection.Query(
      "WITH d AS (SELECT distance_km AS x, is_batched::DOUBLE AS b, "
      "actual_eta_min - assign_delay_min - coalesce(prep_wait_min, 0) - coalesce(shop_min, 0) AS "
      "y, (actual_eta_min - assign_delay_min) / greatest(batch_size, 1) / 60.0 AS hours "
      "FROM recommend_orders WHERE in_window AND is_delivered AND actual_eta_min IS NOT NULL "
      "AND assign_delay_min IS NOT NULL AND distance_km IS NOT NULL) "
      "SELECT count(*) AS n, sum(x) AS sx, sum(b) AS sb, sum(x*x) AS sxx, sum(x*b) AS sxb, "
      "sum(b*b) AS sbb, sum(y) AS sy, sum(x*y) AS sxy, sum(b*y) AS sby, avg(hours) AS hours "
      "FROM d");
  const double n = Get(sums, "n");
  if (n >= 3) {
    Eigen::Matrix3d a;
    a << n, Get(sums, "sx"), Get(sums, "sb"), Get(sums, "sx"), Get(sums, "sxx"), Get(sums, "sxb"),
        Get(sums, "sb"), Get(sums, "sxb"), Get(sums, "sbb");
    Eigen::Vector3d b(Get(sums, "sy"), Get(sums, "sxy"), Get(sums, "sby"));
    // A slice without batching makes the system singular; the pseudo-inverse gives 0 for it.
    const Eigen::Vector3d beta = a.completeOrthogonalDecomposition().solve(b);
    m.engaged_base_min = beta[0];
    m.engaged_per_km = beta[1];
    m.engaged_batched_extra = beta[2];
    m.dasher_hours_per_delivery = Get(sums, "hours");
  }

  // Refunds are the items' and the support contacts' (order_facts' `refunds`).
  const storage::Table counts = connection.Query(fmt::format(
      "WITH w AS (SELECT order_id FROM recommend_orders WHERE in_window), "
      "i AS (SELECT coalesce(sum(refund_amount), 0) AS refunds, "
      "avg(refund_amount) FILTER (WHERE status = 'missing') AS missing, "
      "avg(refund_amount) FILTER (WHERE status = 'substituted' AND NOT "
      "coalesce(substitution_accepted, FALSE)) AS rejected FROM {items} JOIN w USING (order_id)), "
      "s AS (SELECT coalesce(sum(refund_amount), 0) AS refunds FROM {support} "
      "JOIN w USING (order_id)) "
      "SELECT (SELECT count(*) FROM recommend_orders WHERE in_window) AS orders, "
      "(SELECT count(*) FROM recommend_orders WHERE in_window AND is_delivered) AS delivered, "
      "(SELECT count(*) FROM recommend_orders WHERE {regions} AND {window}) AS region_orders, "
      "(SELECT count(DISTINCT region) FROM recommend_orders WHERE {regions}) AS n_regions, "
      "i.refunds + s.refunds AS refunds, i.missing, i.rejected FROM i, s",
      fmt::arg("items", items), fmt::arg("support", support), fmt::arg("regions", regions),
      fmt::arg("window", Between(start, end))));
  const double total = Get(counts, "orders");
  const double delivered = Get(counts, "delivered");
  m.orders_per_day = total / days;
  m.delivered_share = total > 0 ? delivered / total : 0;
  m.refunds_per_order = total > 0 ? Get(counts, "refunds") / total : 0;
  m.refund_per_missing_line = Get(counts, "missing");
  m.refund_per_rejected_line = Get(counts, "rejected");

  // Active dasher-hours of the slice's regions, in proportion to the slice's share of their
  // orders (dashers are shared by every order of a region).
  if (dataset.HasColumn("supply_hourly", "active_dashers")) {
    const storage::Table hours = connection.Query(fmt::format(
        "SELECT coalesce(sum(active_dashers), 0) AS active FROM {supply} WHERE {regions} AND "
        "hour >= TIMESTAMP '{start} 00:00:00' AND hour < TIMESTAMP '{end} 00:00:00' + INTERVAL 1 "
        "DAY",
        fmt::arg("supply", "supply_hourly"), fmt::arg("regions", regions),
        fmt::arg("start", FormatDate(start)), fmt::arg("end", FormatDate(end))));
    const double region_orders = Get(counts, "region_orders");
    const double share = region_orders > 0 ? total / region_orders : 0;
    m.active_dasher_hours_per_day = Get(hours, "active") * share / days;
    m.regions = std::max(1, static_cast<int>(Get(counts, "n_regions")));
  }
  const double deliveries_per_day = m.orders_per_day * m.delivered_share;
  m.deliveries_per_dasher_hour =
      m.active_dasher_hours_per_day > 0 ? deliveries_per_day / m.active_dasher_hours_per_day : 0;
  m.cost_per_order = m.delivered_share * (costs.pay_per_engaged_hour * m.dasher_hours_per_delivery +
                                          costs.pay_per_delivery) +
                     m.refunds_per_order;

  // Clustering of CX over the baseline: cluster sizes from every order, the spread and the
  // correlations within a region-hour and a store-day from CX Scores.
  const storage::Table sizes = connection.Query(
      "SELECT count(*) AS n, count(DISTINCT (region, hour)) AS region_hours, "
      "count(DISTINCT (store_id, order_date)) AS store_days FROM recommend_orders "
      "WHERE in_baseline");
  const double baseline_orders = Get(sizes, "n");
  const auto per = [&](const char* clusters) {
    const double k = Get(sizes, clusters);
    return k > 0 ? baseline_orders / k : 0.0;
  };
  m.orders_per_region_hour = per("region_hours");
  m.orders_per_store_day = per("store_days");
  // The CX Scores of every baseline order of the slice: through `selected_order_facts` (only
  // those orders' rows of the other tables are joined) when the connection has it, else from
  // `order_facts` itself. Every order, not a sample: an ICC of a few thousandths still makes a
  // design effect of 1.4 at 60 orders a region-hour, and a sample's estimate of it is mostly noise.
  std::string source = "order_facts";
  std::string where = fmt::format("{} AND {}", in_slice, Between(baseline_start, baseline_end));
  const bool selective = connection.HasTempRelation("selected_order_facts");
  if (selective) {
    connection.Execute(
        "CREATE OR REPLACE TEMP TABLE selected_orders AS SELECT order_id FROM recommend_orders "
        "WHERE in_baseline; "
        "CREATE OR REPLACE TEMP TABLE recommend_baseline AS SELECT region, "
        "date_trunc('hour', created_at) AS hour, store_id, order_date, cx_score "
        "FROM selected_order_facts");
    source = "recommend_baseline";
    where = "TRUE";
  }
  const storage::Table spread = connection.Query(fmt::format(
      "SELECT coalesce(stddev_samp(cx_score), 0) AS sd FROM {} WHERE {}", source, where));
  m.cx_sd = Get(spread, "sd");
  m.icc_region_hour = Icc(connection, source, where,
                          selective ? "region, hour" : "region, date_trunc('hour', created_at)");
  m.icc_store_day = Icc(connection, source, where, "store_id, order_date");
  connection.Execute("DROP TABLE IF EXISTS recommend_baseline");
  connection.Execute("DROP TABLE IF EXISTS recommend_orders");
  return m;
}

}  // namespace cxagent::recommend
