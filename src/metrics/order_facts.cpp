#include "metrics/order_facts.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "common/error.hpp"
#include "common/slice.hpp"
#include "storage/dataset.hpp"
#include "storage/duckdb.hpp"

namespace cxagent::metrics {

namespace {

// The facts query as view `name`. With `selected`, only the orders listed in `selected_orders` are
// read, and the per-order tables (deliveries, items, support, ratings) are cut to them before
// they are joined and aggregated: a filtered read then costs a fraction of a full pass, where a
// filter on `order_facts` would still join and aggregate every order's rows.
std::string FactsViewSql(const std::vector<std::string>& dimensions, const CxScoreConfig& c,
                         const char* name, bool selected) {
  const storage::OrderScoreSql score = OrderScoreSql(c);
  // The tables are the dataset's views (storage::Dataset), registered under their contract names.
  const auto source = [](std::string_view table) { return storage::SqlIdentifier(table); };
  // The slicing dimensions, then the contract's that are not among them: the orders view always
  // has those (NULL when the data lacks them), and the CX model reads them as features whatever
  // the data slices by (a team's `store_category` dimension mapped onto `store_type`, say).
  std::vector<std::string> columns = dimensions;
  for (const std::string_view dimension : DIMENSIONS) {
    if (std::find(columns.begin(), columns.end(), dimension) == columns.end()) {
      columns.emplace_back(dimension);
    }
  }
  std::string dimension_columns;
  for (const auto& dimension : columns) {
    dimension_columns += fmt::format("o.{}, ", storage::SqlIdentifier(dimension));
  }
  return fmt::format(
      R"sql(
CREATE OR REPLACE TEMP VIEW {name} AS
WITH item_agg AS (
  SELECT order_id,
         count(*) AS n_lines,
         count(*) FILTER (WHERE status = 'missing') AS missing_lines,
         count(*) FILTER (WHERE status = 'substituted') AS substituted_lines,
         count(*) FILTER (WHERE status = 'substituted' AND substitution_accepted) AS accepted_subs,
         count(*) FILTER (WHERE status = 'substituted' AND NOT coalesce(substitution_accepted, FALSE))
           AS rejected_subs,
         coalesce(sum(refund_amount), 0) AS item_refunds
  FROM {items} {only} GROUP BY order_id),
support_agg AS (
  SELECT order_id, count(*) AS contacts, coalesce(sum(refund_amount), 0) AS support_refunds
  FROM {support} {only} GROUP BY order_id),
rating_agg AS (SELECT order_id, min(rating) AS rating FROM {ratings} {only} GROUP BY order_id),
feed AS (
  SELECT date, store_id, avg(feed_lag_hours) AS feed_lag_hours
  FROM {inventory} GROUP BY date, store_id),
supply AS (
  SELECT region, hour, avg(busy_ratio) AS busy_ratio FROM {supply_hourly} GROUP BY region, hour),
joined AS (
  SELECT o.order_id, o.order_date, o.created_at,
         {dimension_columns}o.store_id,
         o.status = 'cancelled' AS is_cancelled,
         o.status = 'delivered' AS is_delivered,
         d.order_id IS NOT NULL AS is_dispatched,
         o.distance_km, o.subtotal, o.quoted_eta_min, o.cancel_reason,
         d.is_batched, d.batch_size, d.assign_delay_min, d.prep_wait_min, d.shop_min,
         d.travel_min, d.actual_eta_min, d.late_min, d.weather,
         coalesce(i.n_lines, 0) AS n_lines, coalesce(i.missing_lines, 0) AS missing_lines,
         coalesce(i.substituted_lines, 0) AS substituted_lines,
         coalesce(i.accepted_subs, 0) AS accepted_subs,
         coalesce(i.rejected_subs, 0) AS rejected_subs,
         coalesce(i.item_refunds, 0) + coalesce(s.support_refunds, 0) AS refunds,
         coalesce(s.contacts, 0) > 0 AS has_contact,
         r.rating,
         f.feed_lag_hours,
         p.busy_ratio
  FROM (SELECT * FROM {orders} {only}) o
  LEFT JOIN (SELECT * FROM {deliveries} {only}) d ON d.order_id = o.order_id
  LEFT JOIN item_agg i ON i.order_id = o.order_id
  LEFT JOIN support_agg s ON s.order_id = o.order_id
  LEFT JOIN rating_agg r ON r.order_id = o.order_id
  LEFT JOIN feed f ON f.date = o.order_date AND f.store_id = o.store_id
  LEFT JOIN supply p ON p.region = o.region AND p.hour = date_trunc('hour', o.created_at))
SELECT *,
       {on_time} AS on_time,
       {low_rating} AS low_rating,
       {cx_score} AS cx_score
FROM joined
)sql",
      fmt::arg("name", name), fmt::arg("dimension_columns", dimension_columns),
      fmt::arg("only", selected ? "WHERE order_id IN (SELECT order_id FROM selected_orders)" : ""),
      fmt::arg("orders", source("orders")), fmt::arg("deliveries", source("deliveries")),
      fmt::arg("items", source("items")), fmt::arg("support", source("support")),
      fmt::arg("ratings", source("ratings")), fmt::arg("inventory", source("inventory")),
      fmt::arg("supply_hourly", source("supply_hourly")), fmt::arg("on_time", score.on_time),
      fmt::arg("low_rating", score.low_rating), fmt::arg("cx_score", score.cx_score));
}

}  // namespace

storage::OrderScoreSql OrderScoreSql(const CxScoreConfig& c) {
  // Penalties follow domain.md §4: a cancelled order scores 0 and takes no other penalty;
  // otherwise 100 minus lateness, missing lines, rejected substitutions, contact and rating,
  // floored at 0. Orders without items, contacts or ratings take no penalty for them.
  storage::OrderScoreSql score;
  score.on_time = fmt::format("is_delivered AND late_min <= {}", c.late_minutes);
  score.low_rating = "rating IS NOT NULL AND rating <= 2";
  score.cx_score = fmt::format(
      R"sql(CASE WHEN is_cancelled THEN 0.0 ELSE greatest(0.0, 100.0
         - CASE WHEN late_min > {very_late} THEN {very_late_penalty}
                WHEN late_min > {late} THEN {late_penalty} ELSE 0 END
         - least(missing_lines * {missing_penalty}, {missing_cap})
         - least(rejected_subs * {rejected_penalty}, {rejected_cap})
         - CASE WHEN has_contact THEN {contact_penalty} ELSE 0 END
         - CASE WHEN rating <= 2 THEN {low_rating_penalty}
                WHEN rating = 3 THEN {neutral_rating_penalty} ELSE 0 END) END)sql",
      fmt::arg("late", c.late_minutes), fmt::arg("very_late", c.very_late_minutes),
      fmt::arg("late_penalty", c.late_penalty), fmt::arg("very_late_penalty", c.very_late_penalty),
      fmt::arg("missing_penalty", c.missing_line_penalty), fmt::arg("missing_cap", c.missing_cap),
      fmt::arg("rejected_penalty", c.rejected_sub_penalty),
      fmt::arg("rejected_cap", c.rejected_sub_cap), fmt::arg("contact_penalty", c.contact_penalty),
      fmt::arg("low_rating_penalty", c.low_rating_penalty),
      fmt::arg("neutral_rating_penalty", c.neutral_rating_penalty));
  return score;
}

std::string OrderFactsSql(const std::vector<std::string>& dimensions, const CxScoreConfig& config) {
  std::string sql = FactsViewSql(dimensions, config, "order_facts", false) + ";\n";
  sql += "CREATE OR REPLACE TEMP VIEW order_rows AS SELECT * FROM orders;\n";
  sql +=
      "CREATE OR REPLACE TEMP TABLE selected_orders AS SELECT order_id FROM order_rows LIMIT 0;\n";
  return sql + FactsViewSql(dimensions, config, "selected_order_facts", true);
}

void BuildOrderFacts(storage::Connection& connection, const storage::Dataset& dataset,
                     const CxScoreConfig& config) {
  // Components the data lacks take no points off (their penalties are 0), so the score is the
  // one the data can support (metrics::ConfigForData).
  const std::string sql = OrderFactsSql(dataset.Dimensions(), ConfigForData(config, dataset));
  try {
    connection.Execute(sql);
  } catch (const Error& error) {
    if (error.Type() != ErrorType::INVALID_INPUT) throw;
    throw InvalidInput("cannot compute order facts from {}: {}", dataset.Folder(), error.what());
  }
}

std::vector<storage::LeavesRange> BuildClickHouseLeaves(
    storage::Connection& connection, const storage::Dataset& dataset, const CxScoreConfig& config,
    const std::vector<storage::LeafSum>& extra, const storage::ClickHouseConfig& clickhouse) {
  return storage::BuildClickHouseOrderLeaves(
      connection, dataset, OrderScoreSql(ConfigForData(config, dataset)), extra, clickhouse);
}

}  // namespace cxagent::metrics
