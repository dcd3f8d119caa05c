#pragma once

#include <string>
#include <vector>

namespace cxagent::storage {

class Connection;
class Dataset;

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

//! The ClickHouse query of the leaves pass over a ClickHouse dataset (docs/clickhouse.md): per
//! day and leaf (every slicing dimension of `dataset`), the same columns, names and sums as
//! metrics::OrderLeavesSql over DuckDB's order facts. One SELECT over the Distributed orders
//! grouped by the leaf and day, joined once to every order's facts built on its own shard (a
//! chain of one-join subqueries over the `_local` tables and the small tables); the tables and
//! columns the data lacks read as DuckDB's order facts read them (no rows, NULL).
//! The `extra` sums follow the others, as OrderLeavesSql's `extra` aggregates do.
std::string ClickHouseOrderLeavesSql(const Dataset& dataset, const OrderScoreSql& score,
                                     const std::vector<LeafSum>& extra = {});

//! Runs ClickHouseOrderLeavesSql on the dataset's server and puts its rows into TEMP table
//! `order_leaves` on `connection`, typed as metrics::OrderLeavesSql makes it (dimensions VARCHAR,
//! order_date DATE, counts BIGINT, sums DOUBLE), so that the roll-up reads it unchanged. Throws
//! the client's errors (exit 2 with the server's message) and InvalidInput for a dataset that
//! is not ClickHouse's.
void BuildClickHouseOrderLeaves(Connection& connection, const Dataset& dataset,
                                const OrderScoreSql& score, const std::vector<LeafSum>& extra = {});

}  // namespace cxagent::storage
