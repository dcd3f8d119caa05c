#include "recommend/efficiency.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "common/error.hpp"
#include "rca/panel.hpp"
#include "storage/data_folder.hpp"
#include "storage/duckdb.hpp"
#include "storage/table.hpp"

namespace cxagent::recommend {

namespace {

double Get(const storage::Table& table, std::string_view column, size_t row = 0) {
  const auto& c = table.Get(column);
  if (table.RowCount() <= row || c.IsNull(row)) return 0.0;
  return c.type == storage::ColumnType::DOUBLE ? c.doubles[row] : static_cast<double>(c.ints[row]);
}

// Intra-cluster correlation of cx_score within clusters given by `cluster` (a SQL expression),
// from the one-way ANOVA estimator, and the mean cluster size.
std::pair<double, double> Icc(storage::Connection& connection, const std::string& where,
                              const std::string& cluster) {
  const storage::Table t = connection.Query(fmt::format(
      "WITH c AS (SELECT {cluster} AS k, count(*) AS n, avg(cx_score) AS m, "
      "coalesce(var_samp(cx_score), 0) AS v FROM order_facts WHERE {where} GROUP BY ALL) "
      "SELECT count(*) AS clusters, sum(n) AS orders, sum((n - 1) * v) AS within, "
      "sum(n * m) / sum(n) AS grand, sum(n * m * m) AS nm2, sum(n * n) AS n2 FROM c",
      fmt::arg("cluster", cluster), fmt::arg("where", where)));
  const double k = Get(t, "clusters");
  const double n = Get(t, "orders");
  if (k < 2 || n <= k) return {0.0, k > 0 ? n / k : 0.0};
  const double grand = Get(t, "grand");
  const double msw = Get(t, "within") / (n - k);
  const double msb = (Get(t, "nm2") - n * grand * grand) / (k - 1);
  const double n0 = (n - Get(t, "n2") / n) / (k - 1);
  const double icc = (msb - msw) / (msb + (n0 - 1) * msw);
  return {std::clamp(icc, 0.0, 1.0), n / k};
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

EfficiencyModel MeasureEfficiency(storage::Connection& connection, const std::string& data_dir,
                                  const Slice& slice, Date baseline_start, Date baseline_end,
                                  Date start, Date end, const CostSettings& costs) {
  const auto clock_start = std::chrono::steady_clock::now();
  EfficiencyModel m;
  m.costs = costs;
  const std::string in_slice = rca::SliceCondition(slice);
  const std::string window = fmt::format("{} AND order_date BETWEEN DATE '{}' AND DATE '{}'",
                                         in_slice, FormatDate(start), FormatDate(end));
  const double days = static_cast<double>(end.days - start.days + 1);

  // Engaged minutes (accept to drop-off) less the waits and shopping the features carry, on
  // distance and batching: y = b0 + b1 distance + b2 batched.
  const storage::Table sums = connection.Query(fmt::format(
      "WITH d AS (SELECT distance_km AS x, is_batched::DOUBLE AS b, "
      "actual_eta_min - assign_delay_min - coalesce(prep_wait_min, 0) - coalesce(shop_min, 0) AS "
      "y, "
      "(actual_eta_min - assign_delay_min) / greatest(batch_size, 1) / 60.0 AS hours "
      "FROM order_facts WHERE {w} AND is_delivered AND actual_eta_min IS NOT NULL "
      "AND assign_delay_min IS NOT NULL AND distance_km IS NOT NULL) "
      "SELECT count(*) AS n, sum(x) AS sx, sum(b) AS sb, sum(x*x) AS sxx, sum(x*b) AS sxb, "
      "sum(b*b) AS sbb, sum(y) AS sy, sum(x*y) AS sxy, sum(b*y) AS sby, avg(hours) AS hours "
      "FROM d",
      fmt::arg("w", window)));
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

  const storage::Table orders = connection.Query(
      fmt::format("SELECT count(*) AS orders, count(*) FILTER (WHERE is_delivered) AS delivered, "
                  "coalesce(sum(refunds), 0) AS refunds FROM order_facts WHERE {}",
                  window));
  const double total = Get(orders, "orders");
  const double delivered = Get(orders, "delivered");
  m.orders_per_day = total / days;
  m.delivered_share = total > 0 ? delivered / total : 0;
  m.refunds_per_order = total > 0 ? Get(orders, "refunds") / total : 0;

  const std::string items = storage::RequireTableSource(data_dir, "items");
  const storage::Table refunds = connection.Query(
      fmt::format("SELECT avg(i.refund_amount) FILTER (WHERE i.status = 'missing') AS missing, "
                  "avg(i.refund_amount) FILTER (WHERE i.status = 'substituted' AND NOT "
                  "coalesce(i.substitution_accepted, FALSE)) AS rejected "
                  "FROM {} i JOIN (SELECT order_id FROM order_facts WHERE {}) f USING (order_id)",
                  items, window));
  m.refund_per_missing_line = Get(refunds, "missing");
  m.refund_per_rejected_line = Get(refunds, "rejected");

  // Active dasher-hours of the slice's regions, in proportion to the slice's share of their
  // orders (dashers are shared by every order of a region).
  if (const auto supply = storage::FindTableSource(data_dir, "supply_hourly")) {
    const std::string regions =
        slice.Pairs().contains("region")
            ? fmt::format("region = {}", storage::SqlLiteral(slice.Pairs().at("region")))
            : "TRUE";
    const storage::Table hours = connection.Query(fmt::format(
        "SELECT (SELECT coalesce(sum(active_dashers), 0) FROM {supply} WHERE {regions} AND "
        "hour >= TIMESTAMP '{start} 00:00:00' AND hour < TIMESTAMP '{end} 00:00:00' + INTERVAL 1 "
        "DAY) "
        "AS active, (SELECT count(*) FROM order_facts WHERE {regions} AND order_date BETWEEN "
        "DATE '{start}' AND DATE '{end}') AS region_orders, "
        "(SELECT count(DISTINCT region) FROM order_facts WHERE {regions}) AS n_regions",
        fmt::arg("supply", *supply), fmt::arg("regions", regions),
        fmt::arg("start", FormatDate(start)), fmt::arg("end", FormatDate(end))));
    const double region_orders = Get(hours, "region_orders");
    const double share = region_orders > 0 ? total / region_orders : 0;
    m.active_dasher_hours_per_day = Get(hours, "active") * share / days;
    m.regions = std::max(1, static_cast<int>(Get(hours, "n_regions")));
  }
  const double deliveries_per_day = m.orders_per_day * m.delivered_share;
  m.deliveries_per_dasher_hour =
      m.active_dasher_hours_per_day > 0 ? deliveries_per_day / m.active_dasher_hours_per_day : 0;
  m.cost_per_order = m.delivered_share * (costs.pay_per_engaged_hour * m.dasher_hours_per_delivery +
                                          costs.pay_per_delivery) +
                     m.refunds_per_order;

  const std::string baseline =
      fmt::format("{} AND order_date BETWEEN DATE '{}' AND DATE '{}'", in_slice,
                  FormatDate(baseline_start), FormatDate(baseline_end));
  const storage::Table spread = connection.Query(fmt::format(
      "SELECT coalesce(stddev_samp(cx_score), 0) AS sd FROM order_facts WHERE {}", baseline));
  m.cx_sd = Get(spread, "sd");
  std::tie(m.icc_region_hour, m.orders_per_region_hour) =
      Icc(connection, baseline, "region, date_trunc('hour', created_at)");
  std::tie(m.icc_store_day, m.orders_per_store_day) =
      Icc(connection, baseline, "store_id, order_date");
  spdlog::debug(
      "recommend: efficiency of {} in {:.3f} s", slice.ToText(),
      std::chrono::duration<double>(std::chrono::steady_clock::now() - clock_start).count());
  return m;
}

}  // namespace cxagent::recommend
