#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/clickhouse_url.hpp"

namespace cxagent::storage {

//! One contract table of a ClickHouse dataset as its database has it (docs/clickhouse.md).
struct ClickHouseTable {
  std::string relation;       //!< `db.table`: what a query over all its rows reads
  std::string join_relation;  //!< what a shard-local join reads: `db.table_local` or `relation`
  bool distributed = false;   //!< the table is Distributed over `<table>_local` on every shard
  std::string engine;         //!< the table's engine, e.g. "Distributed", "MergeTree"
  std::vector<std::pair<std::string, std::string>> columns;  //!< name and ClickHouse type
};

//! The contract tables a ClickHouse database holds, read from system.tables and system.columns.
struct ClickHouseSchema {
  ClickHouseLocation location;                    //!< where they are
  std::map<std::string, ClickHouseTable> tables;  //!< present contract tables by contract name

  //! The ClickHouse type of `column` of `table`, empty when the table or column is absent.
  std::string TypeOf(std::string_view table, std::string_view column) const;
};

//! Reads which contract tables and columns `location`'s database has (no data is read). A per-order
//! table that is Distributed needs `<table>_local` beside it (cxagent load's layout), which
//! shard-local joins read; a small table (inventory, supply_hourly, change_log) must not be
//! Distributed. A column whose type cannot hold the contract's is refused. Throws the client's
//! errors (server down, unknown database: exit 2 with the server's message) and InvalidInput
//! naming the table and column.
ClickHouseSchema DiscoverClickHouseSchema(const ClickHouseLocation& location);

}  // namespace cxagent::storage
