#pragma once

#include <string>
#include <vector>

#include "metrics/cx_config.hpp"
#include "storage/clickhouse_facts.hpp"

namespace cxagent::storage {
class Connection;
class Dataset;
}  // namespace cxagent::storage

namespace cxagent::metrics {

//! Defines the temporary view `order_facts` over the dataset's tables (storage::Dataset): one row
//! per order with its dimensions, CX Score, component inputs (lateness, item outcomes, contact,
//! rating) and driver metrics (batching, assign delay, prep wait, travel, distance, ETA error, feed
//! lag, busy ratio, weather). A view, not a table: at 10M orders a materialized copy costs more
//! time and memory than the whole rest of the analysis, so each consumer reads it once in a
//! streaming query (the cube's leaves) or with a filter that DuckDB pushes into the scans (one
//! slice and window). Also defines `order_rows` (the orders table as it is) and
//! `selected_order_facts`: the same rows for only the orders listed in TEMP table `selected_orders`
//! (created empty), which reads a small selection for a fraction of a pass over the orders (fill
//! `selected_orders` from `order_rows`). The score leaves out the components the data lacks
//! (ConfigForData). Throws InvalidInput when the tables cannot be combined.
void BuildOrderFacts(storage::Connection& connection, const storage::Dataset& dataset,
                     const CxScoreConfig& config);

//! The per-order on-time, low-rating and CX Score expressions of `config` (domain.md §4), in
//! SQL that DuckDB's order facts and ClickHouse's (storage/clickhouse_facts) both run.
storage::OrderScoreSql OrderScoreSql(const CxScoreConfig& config);

//! Builds `order_leaves` for a ClickHouse dataset: the leaves pass runs in ClickHouse
//! (storage::BuildClickHouseOrderLeaves) with the score the data supports (ConfigForData), and
//! only the leaves come back. The same table as OrderLeavesSql over DuckDB's order facts.
//! The `extra` sums (rca::PanelLeafSums) are computed in the same pass, which runs in ranges of
//! days as `clickhouse` sets; returns the ranges.
std::vector<storage::LeavesRange> BuildClickHouseLeaves(
    storage::Connection& connection, const storage::Dataset& dataset, const CxScoreConfig& config,
    const std::vector<storage::LeafSum>& extra = {},
    const storage::ClickHouseConfig& clickhouse = {});

//! The SQL of BuildOrderFacts with the slicing `dimensions` as order facts columns, and the
//! contract's seven (domain.md §3) too when they are not among them.
std::string OrderFactsSql(const std::vector<std::string>& dimensions, const CxScoreConfig& config);

}  // namespace cxagent::metrics
