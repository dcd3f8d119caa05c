#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/date.hpp"

namespace cxagent::storage {

class Connection;
class Dataset;
struct DataSummary;

//! Registers a ClickHouse dataset's tables on `connection` under their contract names, as TEMP
//! tables with the contract's columns and types (a column the data lacks is NULL, order_date and
//! created_at derived from each other as a data folder's views do), so that the stages read them
//! as they read a data folder's views and do not know which engine answered: the small tables
//! (inventory, supply_hourly, change_log) fetched whole, the per-order tables (orders, deliveries,
//! items, support, ratings) empty until FetchClickHouseOrders fills them with a selection. Never
//! reads a whole per-order table. Throws the client's errors (exit 2 with the server's message).
void RegisterClickHouseTables(Connection& connection, const Dataset& dataset);

//! Orders to fetch: those whose columns in `equals` have the given values (every order when it is
//! empty), whose day lies in [first, last] and whose order id's bucket, DuckDB's
//! `hash(order_id) % 1000000`, is below `below` (every order at 1000000): the draw of
//! rca::IncidentFactsDraws.
struct OrderSelection {
  std::map<std::string, std::string> equals;
  Date first;
  Date last;
  int64_t below = 1'000'000;
};

//! DuckDB's `hash(x)` of a BIGINT `x` as ClickHouse SQL, to the bit (a UBIGINT / UInt64): DuckDB
//! hashes a 64-bit integer with MurmurHash3's finaliser (xor-shift by 32 and multiply by
//! 0xd6e8feb86659fd93 twice, then a last xor-shift), and ClickHouse's UInt64 multiplication wraps
//! as DuckDB's does. `x` must be a ClickHouse integer column or expression.
std::string ClickHouseDuckDbHashSql(const std::string& x);

//! The ClickHouse condition of `selections` over the orders' columns (FALSE for none).
std::string ClickHouseSelectionSql(const Dataset& dataset,
                                   const std::vector<OrderSelection>& selections);

//! Replaces the rows of the per-order TEMP tables (RegisterClickHouseTables) with the orders that
//! match any of `selections` and those orders' rows of deliveries, items, support and ratings:
//! one ClickHouse SELECT per table, the per-order tables filtered on each shard by an IN
//! subquery over its own orders. Returns the number of orders fetched.
int64_t FetchClickHouseOrders(Connection& connection, const Dataset& dataset,
                              const std::vector<OrderSelection>& selections);

//! The order count and date range of a ClickHouse dataset (one aggregate query).
DataSummary SummarizeClickHouseData(const Dataset& dataset);

}  // namespace cxagent::storage
