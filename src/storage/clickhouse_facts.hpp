#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/date.hpp"

namespace cxagent {
class ConfigReader;
}  // namespace cxagent

namespace cxagent::storage {

class Connection;
class Dataset;
struct Table;

//! The per-order scores as SQL that DuckDB and ClickHouse both run (CASE, greatest, least,
//! comparisons), over the order facts' columns is_cancelled, is_delivered, late_min,
//! missing_lines, rejected_subs, has_contact and rating (metrics::OrderScoreSql writes them).
struct OrderScoreSql {
  std::string on_time;     //!< the order was delivered within the lateness threshold
  std::string low_rating;  //!< the order was rated 1 or 2
  std::string cx_score;    //!< the order's CX Score (domain.md §4)
};

//! One more per-leaf sum of the leaves pass: `value` summed over the orders where `condition`
//! holds, as DOUBLE column `name` (0 without such orders). Both are SQL that DuckDB and ClickHouse
//! run (comparisons, AND, IN, IS NOT NULL) over the order facts' columns: is_cancelled,
//! is_delivered, is_dispatched, prep_wait_min, actual_eta_min, weather, fulfillment_mode,
//! quoted_eta_min, cancel_reason (rca::PanelLeafSums).
struct LeafSum {
  std::string name;
  std::string value;
  std::string condition;
};

//! How the analysis of a ClickHouse dataset splits its leaves pass (the `clickhouse` section of
//! the analysis configuration; docs/clickhouse.md, "The leaves pass in ranges of days").
struct ClickHouseConfig {
  //! The most orders (of all shards together) one query of the leaves pass reads: the days are
  //! cut into ranges of consecutive days holding at most this many orders (a day holding more is
  //! a range of its own), so that a shard's memory per query follows this number, not the size
  //! of the data.
  int64_t orders_per_query = 1'000'000;
};

//! Reads the `clickhouse` section (orders_per_query, 1 to 1e9); throws InvalidInput naming the
//! file, the key and what is allowed.
ClickHouseConfig ReadClickHouseConfig(ConfigReader& reader);

//! The orders of one day of a ClickHouse dataset, and the lowest and highest of their order ids.
struct DayOrders {
  Date day;
  int64_t orders = 0;
  int64_t min_order_id = 0;
  int64_t max_order_id = 0;
};

//! Consecutive days the leaves pass reads in one query: [first, last], the orders they hold and
//! the lowest and highest of their order ids (the per-order tables, sorted by order_id, then skip
//! the parts of other days when order ids grow with time).
struct LeavesRange {
  Date first;
  Date last;
  int64_t orders = 0;
  int64_t min_order_id = 0;
  int64_t max_order_id = 0;
};

//! Cuts `days` (ascending, each once) into ranges of consecutive days, in order, each holding at
//! most `orders_per_query` orders, except a day holding more, which is a range of its own. Every
//! day is in exactly one range. Throws InvalidInput for `orders_per_query` below 1.
std::vector<LeavesRange> PlanLeavesRanges(const std::vector<DayOrders>& days,
                                          int64_t orders_per_query);

//! The ClickHouse query of the leaves pass over a ClickHouse dataset (docs/clickhouse.md): per
//! day and leaf (every slicing dimension of `dataset`), the same columns, names and sums as
//! metrics::OrderLeavesSql over DuckDB's order facts. One SELECT over the Distributed orders
//! grouped by the leaf and day, joined once to every order's facts built on its own shard (a
//! chain of one-join subqueries over the `_local` tables and the small tables); the tables and
//! columns the data lacks read as DuckDB's order facts read them (no rows, NULL).
//! The `extra` sums follow the others, as OrderLeavesSql's `extra` aggregates do. With `range`,
//! only the orders of its days are read, and every join's right side is cut to those orders on
//! its shard (the per-order tables by the range's order ids, the inventory by its days), so that
//! a shard holds only the range's rows in memory; the rows are those of the range's days.
std::string ClickHouseOrderLeavesSql(const Dataset& dataset, const OrderScoreSql& score,
                                     const std::vector<LeafSum>& extra = {},
                                     const LeavesRange* range = nullptr);

//! The orders per day of a ClickHouse dataset, ascending (one aggregate query over the orders'
//! day and order id).
std::vector<DayOrders> ClickHouseDayOrders(const Dataset& dataset);

//! Runs the leaves pass on the dataset's servers and puts its rows into TEMP table
//! `order_leaves` on `connection`, typed as metrics::OrderLeavesSql makes it (dimensions VARCHAR,
//! order_date DATE, counts BIGINT, sums DOUBLE), so that the roll-up reads it unchanged: one
//! ClickHouseOrderLeavesSql per range of days (PlanLeavesRanges over ClickHouseDayOrders with
//! `config.orders_per_query`); each leaf row belongs to one day, so the ranges' rows together are
//! the rows of one query over every day. Returns the ranges that ran. Throws the client's errors
//! (exit 2 with the server's message) and InvalidInput for a dataset that is not ClickHouse's.
std::vector<LeavesRange> BuildClickHouseOrderLeaves(Connection& connection, const Dataset& dataset,
                                                    const OrderScoreSql& score,
                                                    const std::vector<LeafSum>& extra = {},
                                                    const ClickHouseConfig& config = {});

//! The CX Scores of a group of orders: how many, their mean and their sample variance (0 for one
//! order).
struct CxCluster {
  int64_t orders = 0;
  double mean = 0;
  double variance = 0;
};

//! What the efficiency (recommend::MeasureEfficiency) reads from a slice's orders, in a form both
//! engines compute and that ranges of days add up to: sums over the incident window's orders
//! and the baseline's CX Scores per region-hour and per store-day (each such group lies within
//! one day).
struct SliceEfficiencySums {
  double orders = 0;     //!< the incident window's orders of the slice
  double delivered = 0;  //!< those delivered
  //! The engaged-time regression's rows (delivered orders with an actual ETA, an assign delay and
  //! a distance) and their sums: x the distance, b is_batched (NULL skipped), y the engaged
  //! minutes less the prep wait and shopping.
  double n = 0;
  double sx = 0;
  double sb = 0;
  double sxx = 0;
  double sxb = 0;
  double sbb = 0;
  double sy = 0;
  double sxy = 0;
  double sby = 0;
  double hours_sum = 0;  //!< dasher hours of the regression's rows (engaged time over batch size)
  double hours_n = 0;    //!< how many of them have it
  double refunds = 0;    //!< the item lines' and support contacts' refunds of the window's orders
  double missing_refund_sum = 0;        //!< refunds of missing lines (those with a refund)
  double missing_refund_n = 0;          //!< missing lines with a refund
  double rejected_refund_sum = 0;       //!< refunds of rejected substitutions (those with a refund)
  double rejected_refund_n = 0;         //!< rejected substitutions with a refund
  std::vector<CxCluster> region_hours;  //!< the baseline's orders of the slice per region-hour
  std::vector<CxCluster> store_days;    //!< the baseline's orders of the slice per store-day

  //! Adds the sums of other days of the same slice: sums add up, groups are appended.
  void Add(const SliceEfficiencySums& other);
  //! Sets each sum for which `table` has a column of the sum's name, from row `row` (NULL or no
  //! such row reads as 0): how both engines' queries hand their sums over.
  void Read(const Table& table, size_t row = 0);

  //! Every sum (not the groups) with its name, the member's: for code that reads, adds or
  //! stores them one by one.
  static std::span<const std::pair<std::string_view, double SliceEfficiencySums::*>> Fields();
};

//! SliceEfficiencySums of the orders of `slice` (dimension -> value; empty for every order) in a
//! ClickHouse dataset, for the incident window [start, end] and the baseline [baseline_start,
//! baseline_end], computed on the shards and read in ranges of days of `days`
//! (ClickHouseDayOrders) of at most `config.orders_per_query` orders, each query's joins cut to
//! its orders of the slice: one small answer per range, whatever the slice's size. Throws the
//! client's errors and InvalidInput for a dataset that is not ClickHouse's.
SliceEfficiencySums ClickHouseSliceEfficiency(const Dataset& dataset, const OrderScoreSql& score,
                                              const std::map<std::string, std::string>& slice,
                                              Date baseline_start, Date baseline_end, Date start,
                                              Date end, const std::vector<DayOrders>& days,
                                              const ClickHouseConfig& config);

}  // namespace cxagent::storage
