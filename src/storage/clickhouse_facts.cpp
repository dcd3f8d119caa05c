#include "storage/clickhouse_facts.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <vector>

#include "common/config.hpp"
#include "common/error.hpp"
#include "storage/clickhouse_client.hpp"
#include "storage/dataset.hpp"
#include "storage/duckdb.hpp"

namespace cxagent::storage {

namespace {

// Builds the chain of one-join subqueries that gives every order of a shard its facts: each
// level is `SELECT <carried columns> FROM (<previous level>) ALL LEFT JOIN (<right>) USING keys`
// (18.16 runs one JOIN per SELECT; docs/clickhouse.md). The right sides are unique on their keys,
// and each carries a `<prefix>_present` flag, since an unmatched row takes the type's default
// unless join_use_nulls is set (which is not relied on either way).
class FactsChain {
 public:
  explicit FactsChain(const Dataset& dataset) : dataset_(dataset), schema_(*dataset.ClickHouse()) {}

  // `column` of `table` as the data has it, else a NULL of `type` (as DuckDB's views read it).
  std::string Column(std::string_view table, std::string_view column, const char* type) const {
    if (dataset_.HasTable(table) && !schema_.TypeOf(table, column).empty()) {
      return SqlIdentifier(column);
    }
    return fmt::format("CAST(NULL AS Nullable({}))", type);
  }

  bool Has(std::string_view table, std::string_view column) const {
    return dataset_.HasTable(table) && !schema_.TypeOf(table, column).empty();
  }

  std::string Relation(std::string_view table) const {
    return schema_.tables.at(std::string(table)).join_relation;
  }

  void Start(const std::string& select, std::vector<std::string> carried) {
    sql_ = select;
    carried_ = std::move(carried);
  }

  void Join(const std::string& right, const std::string& keys, std::vector<std::string> added) {
    carried_.insert(carried_.end(), added.begin(), added.end());
    sql_ = fmt::format("SELECT {} FROM ({}) ALL LEFT JOIN ({}) USING {}", fmt::join(carried_, ", "),
                       sql_, right, keys);
  }

  const std::string& Sql() const { return sql_; }

 private:
  const Dataset& dataset_;
  const ClickHouseSchema& schema_;
  std::string sql_;
  std::vector<std::string> carried_;
};

// `flag` of a right side is 1: the row matched (0 or NULL when it did not).
std::string Matched(const std::string& flag) {
  return fmt::format("ifNull({}, 0) = 1", flag);
}

// " WHERE condition", or nothing for an empty condition.
std::string Where(const std::string& condition) {
  return condition.empty() ? std::string() : " WHERE " + condition;
}

// The orders' day as ClickHouse computes it from the columns the data has.
std::string OrderDateSql(const FactsChain& chain) {
  return chain.Has("orders", "order_date") ? "order_date" : "toDate(created_at)";
}

// Which orders a facts query reads, as conditions (empty: every row): `orders` on the orders'
// columns (the shard's orders and the outermost Distributed orders); `keyed` on a per-order
// table's order_id, its rows of those orders found among the shard's own orders by an IN
// subquery over the local table (as FetchClickHouseOrders does), after a range's order id bounds
// let the tables sorted by order_id skip the other parts; `inventory` on the inventory's date.
struct Cut {
  std::string orders;
  std::string keyed;
  std::string inventory;
};

// The cut of the orders that match `condition` (over the orders' columns; empty for all) in the
// days of `range` (every day without one).
Cut CutOf(const FactsChain& chain, const LeavesRange* range, const std::string& condition) {
  std::vector<std::string> orders;
  if (!condition.empty()) orders.push_back(condition);
  Cut cut;
  std::string bounds;
  if (range != nullptr) {
    orders.push_back(fmt::format("{} BETWEEN toDate('{}') AND toDate('{}')", OrderDateSql(chain),
                                 FormatDate(range->first), FormatDate(range->last)));
    bounds = fmt::format("order_id BETWEEN {} AND {}", range->min_order_id, range->max_order_id);
    orders.push_back(bounds);
    cut.inventory = fmt::format("toDate(date) BETWEEN toDate('{}') AND toDate('{}')",
                                FormatDate(range->first), FormatDate(range->last));
  }
  cut.orders = fmt::format("{}", fmt::join(orders, " AND "));
  if (!cut.orders.empty()) {
    cut.keyed =
        fmt::format("{}{}order_id IN (SELECT order_id FROM {}{})", bounds,
                    bounds.empty() ? "" : " AND ", chain.Relation("orders"), Where(cut.orders));
  }
  return cut;
}

// The condition of `slice` (its dimensions' values) over the orders' columns; empty for `all`.
std::string SliceSql(const std::map<std::string, std::string>& slice) {
  std::vector<std::string> terms;
  for (const auto& [column, value] : slice) {
    terms.push_back(fmt::format("{} = {}", SqlIdentifier(column), SqlLiteral(value)));
  }
  return fmt::format("{}", fmt::join(terms, " AND "));
}

// A column of the deliveries that a chain joins: read as `type`, under `alias`.
struct DeliveryColumn {
  const char* column;
  const char* type;
  const char* alias;
};

// Joins each order's delivery to `chain` (cut by `keyed_where`): d_present, which is 1 where the
// order has one, and `columns`.
void JoinDeliveries(FactsChain& chain, const std::vector<DeliveryColumn>& columns,
                    const std::string& keyed_where) {
  std::vector<std::string> selected{"order_id", "1 AS d_present"};
  std::vector<std::string> carried{"d_present"};
  for (const auto& [column, type, alias] : columns) {
    selected.push_back(fmt::format("{} AS {}", chain.Column("deliveries", column, type), alias));
    carried.push_back(alias);
  }
  chain.Join(fmt::format("SELECT {} FROM {}{}", fmt::join(selected, ", "),
                         chain.Relation("deliveries"), keyed_where),
             "order_id", carried);
}

// Every order's facts, built on its shard, as a SELECT of order_id and the f_ columns the leaves
// pass sums (f_cx_score among them, and f_x<k> for the `extra` sums), for the orders of `cut`: a
// chain of one-join subqueries over the `_local` tables and the small tables; the tables and
// columns the data lacks read as DuckDB's order facts read them (no rows, NULL). Without
// `drivers`, the feed lag and busy ratio (from the inventory and the supply) are left NULL.
std::string PerOrderFactsSql(const Dataset& dataset, const OrderScoreSql& score,
                             const std::vector<LeafSum>& extra, const Cut& cut, bool drivers) {
  FactsChain chain(dataset);
  const bool has_time = chain.Has("orders", "created_at");
  const std::string order_date = OrderDateSql(chain);
  // The hour as Unix time on both sides of the supply join, whatever the columns' time zones.
  const std::string order_hour = has_time
                                     ? "toUInt64(intDiv(toUnixTimestamp(created_at), 3600) * 3600)"
                                     : "toUInt64(toUInt32(order_date) * 86400)";
  const std::string keyed_where = Where(cut.keyed);
  // Level 0: the shard's orders with the keys of the joins.
  // The orders' own columns the extra sums may read ride along under names of their own (an alias
  // equal to a column's name is not relied on).
  std::vector<std::string> carried{"order_id", "status",   "order_date",
                                   "o_mode",   "o_quoted", "o_cancel_reason"};
  std::vector<std::string> start{
      "order_id",
      "status",
      order_date + " AS order_date",
      chain.Column("orders", "fulfillment_mode", "String") + " AS o_mode",
      chain.Column("orders", "quoted_eta_min", "Float64") + " AS o_quoted",
      chain.Column("orders", "cancel_reason", "String") + " AS o_cancel_reason"};
  const bool feed = drivers && chain.Has("orders", "store_id") && chain.Has("inventory", "date") &&
                    chain.Has("inventory", "store_id") && chain.Has("inventory", "feed_lag_hours");
  const bool supply = drivers && chain.Has("orders", "region") &&
                      chain.Has("supply_hourly", "region") && chain.Has("supply_hourly", "hour") &&
                      chain.Has("supply_hourly", "busy_ratio");
  if (feed) {
    start.emplace_back("toInt64(store_id) AS store_id");
    carried.emplace_back("store_id");
  }
  if (supply) {
    start.emplace_back("toString(region) AS region");
    start.emplace_back(order_hour + " AS order_hour");
    carried.emplace_back("region");
    carried.emplace_back("order_hour");
  }
  chain.Start(fmt::format("SELECT {} FROM {}{}", fmt::join(start, ", "), chain.Relation("orders"),
                          Where(cut.orders)),
              carried);
  const bool deliveries = chain.Has("deliveries", "order_id");
  if (deliveries) {
    JoinDeliveries(chain,
                   {{"is_batched", "UInt8", "d_is_batched"},
                    {"assign_delay_min", "Float64", "d_assign"},
                    {"prep_wait_min", "Float64", "d_prep"},
                    {"travel_min", "Float64", "d_travel"},
                    {"late_min", "Float64", "d_late"},
                    {"actual_eta_min", "Float64", "d_actual"},
                    {"weather", "String", "d_weather"}},
                   keyed_where);
  }
  const bool items = chain.Has("items", "order_id");
  if (items) {
    const std::string status = chain.Column("items", "status", "String");
    const std::string accepted =
        fmt::format("ifNull({}, 0)", chain.Column("items", "substitution_accepted", "UInt8"));
    chain.Join(fmt::format("SELECT order_id, 1 AS i_present, count() AS i_lines, "
                           "countIf(ifNull({0} = 'missing', 0) = 1) AS i_missing, "
                           "countIf(ifNull({0} = 'substituted', 0) = 1) AS i_substituted, "
                           "countIf(ifNull({0} = 'substituted', 0) = 1 AND {1} = 1) AS i_accepted, "
                           "countIf(ifNull({0} = 'substituted', 0) = 1 AND {1} = 0) AS i_rejected "
                           "FROM {2}{3} GROUP BY order_id",
                           status, accepted, chain.Relation("items"), keyed_where),
               "order_id",
               {"i_present", "i_lines", "i_missing", "i_substituted", "i_accepted", "i_rejected"});
  }
  const bool support = chain.Has("support", "order_id");
  if (support) {
    chain.Join(fmt::format("SELECT order_id, 1 AS s_present FROM {}{} GROUP BY order_id",
                           chain.Relation("support"), keyed_where),
               "order_id", {"s_present"});
  }
  const bool ratings = chain.Has("ratings", "order_id");
  if (ratings) {
    chain.Join(fmt::format("SELECT order_id, 1 AS r_present, min({}) AS r_rating FROM {}{} "
                           "GROUP BY order_id",
                           chain.Column("ratings", "rating", "Int32"), chain.Relation("ratings"),
                           keyed_where),
               "order_id", {"r_present", "r_rating"});
  }
  if (feed) {
    chain.Join(fmt::format("SELECT toDate(date) AS order_date, toInt64(store_id) AS store_id, "
                           "1 AS fd_present, avg(feed_lag_hours) AS fd_lag FROM {}{} "
                           "GROUP BY order_date, store_id",
                           chain.Relation("inventory"), Where(cut.inventory)),
               "(order_date, store_id)", {"fd_present", "fd_lag"});
  }
  if (supply) {
    chain.Join(fmt::format("SELECT toString(region) AS region, toUInt64(toUnixTimestamp(hour)) AS "
                           "order_hour, 1 AS sp_present, avg(busy_ratio) AS sp_busy FROM {} "
                           "GROUP BY region, order_hour",
                           chain.Relation("supply_hourly")),
               "(region, order_hour)", {"sp_present", "sp_busy"});
  }
  // Each order's facts under the names of DuckDB's order facts (metrics/order_facts.cpp).
  const auto when = [](bool present, const std::string& flag, const std::string& value,
                       const char* absent) {
    return present ? fmt::format("if({}, {}, {})", Matched(flag), value, absent)
                   : std::string(absent);
  };
  std::vector<std::string> facts{
      "order_id",
      "status = 'cancelled' AS is_cancelled",
      "status = 'delivered' AS is_delivered",
      (deliveries ? "toUInt8(" + Matched("d_present") + ")" : std::string("toUInt8(0)")) +
          " AS is_dispatched",
      when(deliveries, "d_present", "d_is_batched", "CAST(NULL AS Nullable(UInt8))") +
          " AS is_batched",
      when(deliveries, "d_present", "d_assign", "CAST(NULL AS Nullable(Float64))") +
          " AS assign_delay_min",
      when(deliveries, "d_present", "d_prep", "CAST(NULL AS Nullable(Float64))") +
          " AS prep_wait_min",
      when(deliveries, "d_present", "d_travel", "CAST(NULL AS Nullable(Float64))") +
          " AS travel_min",
      when(deliveries, "d_present", "d_late", "CAST(NULL AS Nullable(Float64))") + " AS late_min",
      when(items, "i_present", "i_lines", "0") + " AS n_lines",
      when(items, "i_present", "i_missing", "0") + " AS missing_lines",
      when(items, "i_present", "i_substituted", "0") + " AS substituted_lines",
      when(items, "i_present", "i_accepted", "0") + " AS accepted_subs",
      when(items, "i_present", "i_rejected", "0") + " AS rejected_subs",
      (support ? "toUInt8(" + Matched("s_present") + ")" : std::string("toUInt8(0)")) +
          " AS has_contact",
      when(ratings, "r_present", "r_rating", "CAST(NULL AS Nullable(Int32))") + " AS rating",
      when(feed, "fd_present", "fd_lag", "CAST(NULL AS Nullable(Float64))") + " AS feed_lag_hours",
      when(supply, "sp_present", "sp_busy", "CAST(NULL AS Nullable(Float64))") + " AS busy_ratio",
      when(deliveries, "d_present", "d_actual", "CAST(NULL AS Nullable(Float64))") +
          " AS actual_eta_min",
      when(deliveries, "d_present", "d_weather", "CAST(NULL AS Nullable(String))") + " AS weather",
      "o_mode AS fulfillment_mode",
      "o_quoted AS quoted_eta_min",
      "o_cancel_reason AS cancel_reason",
  };
  // Each extra sum's per-order value: NULL where its condition does not hold, so that sum() skips
  // it.
  std::string extra_values;
  for (size_t k = 0; k < extra.size(); ++k) {
    extra_values += fmt::format(
        ", if(ifNull(toUInt8({}), 0) = 1, toFloat64({}), CAST(NULL AS "
        "Nullable(Float64))) AS f_x{}",
        extra[k].condition, extra[k].value, k);
  }
  return fmt::format(
      "SELECT order_id, is_cancelled AS f_cancelled, is_delivered AS f_delivered, "
      "is_dispatched AS f_dispatched, is_batched AS f_batched, assign_delay_min AS f_assign, "
      "prep_wait_min AS f_prep, travel_min AS f_travel, late_min AS f_late, n_lines AS f_lines, "
      "missing_lines AS f_missing, substituted_lines AS f_substituted, accepted_subs AS "
      "f_accepted, has_contact AS f_contact, rating AS f_rating, feed_lag_hours AS f_feed_lag, "
      "busy_ratio AS f_busy, (cancel_reason = 'app_error') AS f_app_error, ({}) AS f_on_time, "
      "({}) AS f_low_rating, ({}) AS f_cx_score{} "
      "FROM (SELECT {} FROM ({}))",
      score.on_time, score.low_rating, score.cx_score, extra_values, fmt::join(facts, ", "),
      chain.Sql());
}

}  // namespace

ClickHouseConfig ReadClickHouseConfig(ConfigReader& reader) {
  ClickHouseConfig config;
  config.orders_per_query = reader.Integer(
      "orders_per_query", static_cast<int>(config.orders_per_query), 1, 1'000'000'000,
      "the most orders one query of the leaves pass reads, all shards together");
  reader.Finish();
  return config;
}

std::vector<LeavesRange> PlanLeavesRanges(const std::vector<DayOrders>& days,
                                          int64_t orders_per_query) {
  if (orders_per_query < 1) {
    throw InvalidInput("orders per query must be at least 1, not {}", orders_per_query);
  }
  std::vector<LeavesRange> ranges;
  for (const DayOrders& day : days) {
    // A day joins the open range while the range stays within the bound; a day above the bound
    // is a range of its own (a leaf row is one day's: a day cannot be cut).
    if (ranges.empty() || ranges.back().orders + day.orders > orders_per_query) {
      ranges.push_back({day.day, day.day, day.orders, day.min_order_id, day.max_order_id});
      continue;
    }
    LeavesRange& range = ranges.back();
    range.last = day.day;
    range.orders += day.orders;
    range.min_order_id = std::min(range.min_order_id, day.min_order_id);
    range.max_order_id = std::max(range.max_order_id, day.max_order_id);
  }
  return ranges;
}

std::string ClickHouseOrderLeavesSql(const Dataset& dataset, const OrderScoreSql& score,
                                     const std::vector<LeafSum>& extra, const LeavesRange* range) {
  const ClickHouseSchema* schema = dataset.ClickHouse();
  if (schema == nullptr) {
    throw InvalidInput("{} is not a ClickHouse dataset", dataset.Folder());
  }
  const FactsChain chain(dataset);
  const std::string order_date = OrderDateSql(chain);
  // A range's orders, and every join's right side cut to them on its shard.
  const Cut cut = CutOf(chain, range, "");
  const std::string per_order = PerOrderFactsSql(dataset, score, extra, cut, true);
  // The leaves: the same columns as metrics::OrderLeavesSql, counts Int64 and sums Float64.
  std::vector<std::string> dimensions;
  for (const auto& dimension : dataset.Dimensions()) dimensions.push_back(SqlIdentifier(dimension));
  const auto count_if = [](const std::string& condition, const char* name) {
    return fmt::format("toInt64(countIf(ifNull({}, 0) = 1)) AS {}", condition, name);
  };
  const auto sum = [](const std::string& value, const char* name) {
    return fmt::format("toFloat64(ifNull(sum({}), 0)) AS {}", value, name);
  };
  std::vector<std::string> aggregates{
      "toInt64(count()) AS orders",
      sum("f_cx_score", "cx_sum"),
      count_if("f_delivered", "delivered"),
      count_if("f_on_time", "on_time"),
      count_if("f_cancelled", "cancelled"),
      "toInt64(sum(f_lines)) AS lines",
      "toInt64(sum(f_missing)) AS missing_lines",
      "toInt64(sum(f_substituted)) AS substituted_lines",
      "toInt64(sum(f_accepted)) AS accepted_subs",
      count_if("f_contact", "contacts"),
      "toInt64(count(f_rating)) AS rated",
      "toInt64(ifNull(sum(f_rating), 0)) AS rating_sum",
      count_if("f_low_rating", "low_ratings"),
      count_if("f_dispatched", "dispatched"),
      count_if("f_batched", "batched"),
      sum("f_assign", "assign_delay_sum"),
      sum("f_prep", "prep_wait_sum"),
      sum("f_travel", "travel_sum"),
      sum(chain.Column("orders", "distance_km", "Float64"), "distance_sum"),
      "toFloat64(ifNull(sumIf(f_late, ifNull(f_delivered, 0) = 1), 0)) AS eta_error_sum",
      "toInt64(count(f_feed_lag)) AS feed_lag_n",
      sum("f_feed_lag", "feed_lag_sum"),
      "toInt64(count(f_busy)) AS busy_n",
      sum("f_busy", "busy_sum"),
      count_if("f_app_error", "app_errors"),
  };
  for (size_t k = 0; k < extra.size(); ++k) {
    aggregates.push_back(
        fmt::format("toFloat64(ifNull(sum(f_x{}), 0)) AS {}", k, SqlIdentifier(extra[k].name)));
  }
  // The outermost FROM is the Distributed orders, so that every shard joins its own orders'
  // facts and sends only its partial sums (docs/clickhouse.md, "Shard-local joins").
  const std::string orders = schema->tables.at("orders").relation;
  return fmt::format(
      "SELECT {0}, {1} AS order_date, {2} FROM {3} ALL LEFT JOIN ({4}) USING "
      "order_id{5} GROUP BY {0}, order_date",
      fmt::join(dimensions, ", "), order_date, fmt::join(aggregates, ", "), orders, per_order,
      Where(cut.orders));
}

std::vector<DayOrders> ClickHouseDayOrders(const Dataset& dataset) {
  const ClickHouseSchema* schema = dataset.ClickHouse();
  if (schema == nullptr) {
    throw InvalidInput("{} is not a ClickHouse dataset", dataset.Folder());
  }
  const std::string day =
      schema->TypeOf("orders", "order_date").empty() ? "toDate(created_at)" : "order_date";
  const Table table =
      ClickHouseClient(schema->location)
          .Query(fmt::format("SELECT {} AS day, toInt64(count()) AS orders, "
                             "toInt64(min(order_id)) AS low, toInt64(max(order_id)) "
                             "AS high FROM {} GROUP BY day ORDER BY day",
                             day, schema->tables.at("orders").relation));
  std::vector<DayOrders> days;
  const Column& dates = table.Get("day");
  for (size_t row = 0; row < table.RowCount(); ++row) {
    days.push_back({Date{static_cast<int32_t>(dates.ints[row])}, table.Get("orders").ints[row],
                    table.Get("low").ints[row], table.Get("high").ints[row]});
  }
  return days;
}

std::vector<LeavesRange> BuildClickHouseOrderLeaves(Connection& connection, const Dataset& dataset,
                                                    const OrderScoreSql& score,
                                                    const std::vector<LeafSum>& extra,
                                                    const ClickHouseConfig& config) {
  if (dataset.ClickHouse() == nullptr) {
    throw InvalidInput("{} is not a ClickHouse dataset", dataset.Folder());
  }
  const std::vector<LeavesRange> ranges =
      PlanLeavesRanges(ClickHouseDayOrders(dataset), config.orders_per_query);
  const ClickHouseClient client(dataset.ClickHouse()->location);
  // Each range's rows go into order_leaves before the next range is read, so that only one
  // range's leaves are held here at a time. Without orders, one query over every day still
  // gives the table its columns.
  bool created = false;
  const auto append = [&](const std::string& sql) {
    const Table leaves = client.Query(sql);
    if (!created) {
      std::vector<std::string> columns;
      for (const auto& column : leaves.columns) {
        columns.push_back(
            fmt::format("{} {}", SqlIdentifier(column.name), SqlTypeName(column.type)));
      }
      connection.Execute(
          fmt::format("CREATE OR REPLACE TEMP TABLE order_leaves ({})", fmt::join(columns, ", ")));
      created = true;
    }
    Appender appender(connection, "order_leaves", "temp");
    appender.Append(leaves);
    appender.Flush();
  };
  if (ranges.empty()) append(ClickHouseOrderLeavesSql(dataset, score, extra));
  for (const LeavesRange& range : ranges) {
    append(ClickHouseOrderLeavesSql(dataset, score, extra, &range));
  }
  return ranges;
}

namespace {

// The sums of SliceEfficiencySums by the names their queries give them (the members' names).
constexpr std::pair<std::string_view, double SliceEfficiencySums::*> EFFICIENCY_SUMS[] = {
    {"orders", &SliceEfficiencySums::orders},
    {"delivered", &SliceEfficiencySums::delivered},
    {"n", &SliceEfficiencySums::n},
    {"sx", &SliceEfficiencySums::sx},
    {"sb", &SliceEfficiencySums::sb},
    {"sxx", &SliceEfficiencySums::sxx},
    {"sxb", &SliceEfficiencySums::sxb},
    {"sbb", &SliceEfficiencySums::sbb},
    {"sy", &SliceEfficiencySums::sy},
    {"sxy", &SliceEfficiencySums::sxy},
    {"sby", &SliceEfficiencySums::sby},
    {"hours_sum", &SliceEfficiencySums::hours_sum},
    {"hours_n", &SliceEfficiencySums::hours_n},
    {"refunds", &SliceEfficiencySums::refunds},
    {"missing_refund_sum", &SliceEfficiencySums::missing_refund_sum},
    {"missing_refund_n", &SliceEfficiencySums::missing_refund_n},
    {"rejected_refund_sum", &SliceEfficiencySums::rejected_refund_sum},
    {"rejected_refund_n", &SliceEfficiencySums::rejected_refund_n},
};

}  // namespace

std::span<const std::pair<std::string_view, double SliceEfficiencySums::*>>
SliceEfficiencySums::Fields() {
  return EFFICIENCY_SUMS;
}

void SliceEfficiencySums::Add(const SliceEfficiencySums& other) {
  for (const auto& [name, sum] : EFFICIENCY_SUMS) this->*sum += other.*sum;
  region_hours.insert(region_hours.end(), other.region_hours.begin(), other.region_hours.end());
  store_days.insert(store_days.end(), other.store_days.begin(), other.store_days.end());
}

void SliceEfficiencySums::Read(const Table& table, size_t row) {
  for (const auto& [name, sum] : EFFICIENCY_SUMS) {
    const Column* column = table.Find(name);
    if (column == nullptr) continue;
    if (table.RowCount() <= row || column->IsNull(row)) {
      this->*sum = 0;
    } else {
      this->*sum = column->type == ColumnType::DOUBLE ? column->doubles[row]
                                                      : static_cast<double>(column->ints[row]);
    }
  }
}

namespace {

// The window sums of SliceEfficiencySums over the orders of `cut` (one row): the orders with
// their deliveries and their items' and contacts' refunds, joined on each shard.
std::string WindowSumsSql(const Dataset& dataset, const Cut& cut) {
  FactsChain chain(dataset);
  chain.Start(fmt::format("SELECT order_id FROM {}{}", chain.Relation("orders"), Where(cut.orders)),
              {"order_id"});
  const std::string keyed_where = Where(cut.keyed);
  const bool deliveries = chain.Has("deliveries", "order_id");
  if (deliveries) {
    JoinDeliveries(chain,
                   {{"is_batched", "UInt8", "d_is_batched"},
                    {"batch_size", "Int32", "d_batch"},
                    {"assign_delay_min", "Float64", "d_assign"},
                    {"prep_wait_min", "Float64", "d_prep"},
                    {"shop_min", "Float64", "d_shop"},
                    {"actual_eta_min", "Float64", "d_actual"}},
                   keyed_where);
  }
  const bool items = chain.Has("items", "order_id");
  if (items) {
    // The refunds of an order's lines; a line's refund counts towards the missing or rejected
    // mean where it is not NULL (avg skips NULL in DuckDB's recommend::MeasureEfficiency).
    const std::string refund = chain.Column("items", "refund_amount", "Float64");
    const std::string status = chain.Column("items", "status", "String");
    const std::string missing = fmt::format("ifNull({} = 'missing', 0) = 1", status);
    const std::string rejected =
        fmt::format("ifNull({} = 'substituted', 0) = 1 AND ifNull({}, 0) = 0", status,
                    chain.Column("items", "substitution_accepted", "UInt8"));
    chain.Join(
        fmt::format("SELECT order_id, 1 AS i_present, sum({0}) AS i_refunds, "
                    "sum(if({1}, {0}, NULL)) AS i_missing_sum, "
                    "count(if({1}, {0}, NULL)) AS i_missing_n, "
                    "sum(if({2}, {0}, NULL)) AS i_rejected_sum, "
                    "count(if({2}, {0}, NULL)) AS i_rejected_n FROM {3}{4} GROUP BY order_id",
                    refund, missing, rejected, chain.Relation("items"), keyed_where),
        "order_id",
        {"i_present", "i_refunds", "i_missing_sum", "i_missing_n", "i_rejected_sum",
         "i_rejected_n"});
  }
  const bool support = chain.Has("support", "order_id");
  if (support) {
    chain.Join(fmt::format("SELECT order_id, 1 AS s_present, sum({}) AS s_refunds FROM {}{} "
                           "GROUP BY order_id",
                           chain.Column("support", "refund_amount", "Float64"),
                           chain.Relation("support"), keyed_where),
               "order_id", {"s_present", "s_refunds"});
  }
  // The regression's rows and values as DuckDB's MeasureEfficiency has them: delivered orders
  // with an actual ETA, an assign delay and a distance; a batch size read as at least 1 (DuckDB's
  // greatest skips NULL).
  const std::string distance = chain.Column("orders", "distance_km", "Float64");
  const std::string delivered = "ifNull(status = 'delivered', 0) = 1";
  const std::string row =
      deliveries ? fmt::format(
                       "({} AND {} AND NOT isNull(d_actual) AND NOT isNull(d_assign) AND "
                       "NOT isNull({}))",
                       delivered, Matched("d_present"), distance)
                 : std::string("0");
  const std::string x = fmt::format("toFloat64({})", distance);
  const std::string b = deliveries ? "toFloat64(d_is_batched)" : "CAST(NULL AS Nullable(Float64))";
  const std::string y = "(d_actual - d_assign - ifNull(d_prep, 0) - ifNull(d_shop, 0))";
  const std::string hours =
      "((d_actual - d_assign) / greatest(ifNull(toFloat64(d_batch), 1), 1) / 60.0)";
  const auto sum = [&](const std::string& value, const char* name) {
    return deliveries
               ? fmt::format("toFloat64(ifNull(sum(if({}, {}, NULL)), 0)) AS {}", row, value, name)
               : fmt::format("toFloat64(0) AS {}", name);
  };
  // The sum of a joined value over the orders that have the joined row (0 without the table).
  const auto of = [](bool present, const std::string& flag, const std::string& value) {
    return present
               ? fmt::format("toFloat64(ifNull(sum(if({}, {}, NULL)), 0))", Matched(flag), value)
               : std::string("toFloat64(0)");
  };
  const std::vector<std::string> columns{
      "toFloat64(count()) AS orders",
      fmt::format("toFloat64(countIf({})) AS delivered", delivered),
      fmt::format("toFloat64(countIf({})) AS n", row),
      sum(x, "sx"),
      sum(b, "sb"),
      sum(x + " * " + x, "sxx"),
      sum(x + " * " + b, "sxb"),
      sum(b + " * " + b, "sbb"),
      sum(y, "sy"),
      sum(x + " * " + y, "sxy"),
      sum(b + " * " + y, "sby"),
      sum(hours, "hours_sum"),
      deliveries ? fmt::format("toFloat64(count(if({}, {}, NULL))) AS hours_n", row, hours)
                 : std::string("toFloat64(0) AS hours_n"),
      fmt::format("{} + {} AS refunds", of(items, "i_present", "i_refunds"),
                  of(support, "s_present", "s_refunds")),
      of(items, "i_present", "i_missing_sum") + " AS missing_refund_sum",
      of(items, "i_present", "i_missing_n") + " AS missing_refund_n",
      of(items, "i_present", "i_rejected_sum") + " AS rejected_refund_sum",
      of(items, "i_present", "i_rejected_n") + " AS rejected_refund_n",
  };
  return fmt::format("SELECT {} FROM {} ALL LEFT JOIN ({}) USING order_id{}",
                     fmt::join(columns, ", "), dataset.ClickHouse()->tables.at("orders").relation,
                     chain.Sql(), Where(cut.orders));
}

// The CX Scores of the orders of `cut` per group of `keys` (over the orders' columns): their
// number, mean and sample variance (0 for one order), as DuckDB's var_samp with coalesce.
std::string CxClustersSql(const Dataset& dataset, const OrderScoreSql& score, const Cut& cut,
                          const std::vector<std::string>& keys) {
  const std::string per_order = PerOrderFactsSql(dataset, score, {}, cut, false);
  return fmt::format(
      "SELECT toInt64(count()) AS n, avg(f_cx_score) AS m, if(count() > 1, varSamp(f_cx_score), "
      "0) AS v FROM {} ALL LEFT JOIN ({}) USING order_id{} GROUP BY {}",
      dataset.ClickHouse()->tables.at("orders").relation, per_order, Where(cut.orders),
      fmt::join(keys, ", "));
}

std::vector<CxCluster> ReadClusters(const Table& table) {
  std::vector<CxCluster> clusters;
  for (size_t row = 0; row < table.RowCount(); ++row) {
    const int64_t n = table.Get("n").ints[row];
    if (n == 0) continue;
    clusters.push_back({n, table.Get("m").doubles[row], table.Get("v").doubles[row]});
  }
  return clusters;
}

// The days of `days` in [first, last].
std::vector<DayOrders> DaysBetween(const std::vector<DayOrders>& days, Date first, Date last) {
  std::vector<DayOrders> between;
  for (const DayOrders& day : days) {
    if (day.day >= first && day.day <= last) between.push_back(day);
  }
  return between;
}

}  // namespace

SliceEfficiencySums ClickHouseSliceEfficiency(const Dataset& dataset, const OrderScoreSql& score,
                                              const std::map<std::string, std::string>& slice,
                                              Date baseline_start, Date baseline_end, Date start,
                                              Date end, const std::vector<DayOrders>& days,
                                              const ClickHouseConfig& config) {
  if (dataset.ClickHouse() == nullptr) {
    throw InvalidInput("{} is not a ClickHouse dataset", dataset.Folder());
  }
  const ClickHouseClient client(dataset.ClickHouse()->location);
  const FactsChain chain(dataset);
  const std::string condition = SliceSql(slice);
  SliceEfficiencySums sums;
  for (const LeavesRange& range :
       PlanLeavesRanges(DaysBetween(days, start, end), config.orders_per_query)) {
    const Table row = client.Query(WindowSumsSql(dataset, CutOf(chain, &range, condition)));
    SliceEfficiencySums part;
    part.Read(row);
    sums.Add(part);
  }
  // A region-hour and a store-day lie within one day, so each range's groups are whole ones. A
  // column the data lacks groups as one NULL value, as in DuckDB.
  std::vector<std::string> region_hour;
  if (chain.Has("orders", "region")) region_hour.emplace_back("region");
  region_hour.emplace_back(chain.Has("orders", "created_at") ? "toStartOfHour(created_at)"
                                                             : OrderDateSql(chain));
  std::vector<std::string> store_day;
  if (chain.Has("orders", "store_id")) store_day.emplace_back("store_id");
  store_day.emplace_back(OrderDateSql(chain));
  for (const LeavesRange& range :
       PlanLeavesRanges(DaysBetween(days, baseline_start, baseline_end), config.orders_per_query)) {
    const Cut cut = CutOf(chain, &range, condition);
    SliceEfficiencySums part;
    part.region_hours = ReadClusters(client.Query(CxClustersSql(dataset, score, cut, region_hour)));
    part.store_days = ReadClusters(client.Query(CxClustersSql(dataset, score, cut, store_day)));
    sums.Add(part);
  }
  return sums;
}

}  // namespace cxagent::storage
