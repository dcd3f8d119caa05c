#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "storage/clickhouse_url.hpp"

namespace cxagent::storage {

class Connection;
class Dataset;

//! The servers of the cluster `location` names (its `?cluster=`), one per shard, in shard order.
//! The URL's server is one of them; the others are the `?shards=` addresses or, when none are
//! given, each other shard's `host_address` in the server's `system.clusters` at the URL's HTTP
//! port. Each server is asked which shard it is (the cluster's `is_local` entry), so that a wrong,
//! repeated or missing address is an error naming it. Throws InvalidInput without a cluster,
//! for a shard with replicas (plain MergeTree tables hold one copy) and for addresses that do not
//! cover every shard once; NotFound for an unknown cluster; the client's errors otherwise.
std::vector<ClickHouseLocation> ResolveClickHouseShards(const ClickHouseLocation& location);

//! How `cxagent load` writes a dataset into ClickHouse.
struct ClickHouseLoadOptions {
  bool replace = false;             //!< replace the dataset's tables if the database has them
  size_t chunk_bytes = 16u << 20u;  //!< CSV bytes sent per INSERT (bounds the memory used)
};

//! Where a load stands, after each chunk sent and when a table is done.
struct ClickHouseLoadProgress {
  std::string table;
  uint64_t rows = 0;   //!< rows sent so far
  uint64_t total = 0;  //!< rows of the table in the data
  double seconds = 0;  //!< since the table's load started
  bool done = false;   //!< the table is fully loaded (into its staging name)
};

//! What a load wrote: one entry per table, in the contract's order.
struct ClickHouseTableLoad {
  std::string table;
  uint64_t rows = 0;
  double seconds = 0;
};

//! Loads every table `dataset` has into the cluster of `location` in the layout of
//! docs/clickhouse.md: per-order tables as a MergeTree `<table>_local` on every shard and a
//! Distributed `<table>` over them sharded by cityHash64(order_id); supply_hourly, inventory and
//! change_log whole on every shard as MergeTree `<table>`. DuckDB streams each table's rows,
//! which are sent in CSV chunks of about `chunk_bytes`. Every table is first loaded under its
//! staging name (StagingName) on every shard; only when all are loaded and their row counts
//! checked are they renamed into the final names, one RENAME per shard, so a failure leaves the
//! final names as they were (the staging tables are dropped). Throws Conflict when the database
//! already has a final name of any contract table and `replace` is off; with `replace` the
//! previous tables are swapped out and dropped, including contract tables the dataset lacks.
std::vector<ClickHouseTableLoad> LoadIntoClickHouse(
    Connection& connection, const Dataset& dataset, const ClickHouseLocation& location,
    const ClickHouseLoadOptions& options,
    const std::function<void(const ClickHouseLoadProgress&)>& progress);

}  // namespace cxagent::storage
