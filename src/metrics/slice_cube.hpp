#pragma once

#include <string>
#include <vector>

#include "common/config.hpp"

namespace cxagent::storage {
class Connection;
}

namespace cxagent::metrics {

//! Which slices the cube holds.
struct CubeConfig {
  std::vector<std::string> dimensions;  //!< slicing dimensions (default: all seven)
  int max_depth = 3;                    //!< slices combine at most this many dimensions
  double min_daily_orders = 20;  //!< slices averaging fewer orders a day are left out (noise)
};

//! Reads the `cube` section of a configuration file (absent keys keep their defaults).
CubeConfig ReadCubeConfig(ConfigReader& reader);

//! The SQL that builds the temporary table `order_leaves` from `order_facts` in one streaming
//! pass: per day and leaf (all seven dimensions fixed), the sums and counts behind every metric.
//! Everything downstream that needs no single order (cube, localization, explained-away checks)
//! reads these instead of the orders. `extra` aggregates (`expression AS name`) ride along, so a
//! later stage needing other per-leaf sums does not pay a second pass over the orders.
std::string OrderLeavesSql(const std::vector<std::string>& extra = {});

//! The SQL that builds the temporary table `slice_cube` from `order_leaves`: per slice (canonical
//! text in column `slice`, its `depth`) and `date`, the sums and counts behind every metric of the
//! catalog — ratio metrics stay numerator and denominator, never pre-averaged rates. One
//! GROUPING SETS pass over the leaves (dimensions as ENUM types `cube_<dimension>` the statements
//! create from the leaves); slices under the minimum volume are dropped. With `pack_counts` the
//! counts ride three to a BIGINT through the rollup (fewer sums, same result); only valid when
//! CountsFitPacking says so.
std::string SliceCubeSql(const CubeConfig& config, bool pack_counts = false);

//! Whether every count of `order_leaves` summed over a day stays under 2^21 and none is negative,
//! so that SliceCubeSql may pack counts.
bool CountsFitPacking(storage::Connection& connection);

//! Builds `slice_cube` from `order_leaves` (SliceCubeSql, packing counts when they fit).
void RollUpLeaves(storage::Connection& connection, const CubeConfig& config);

//! The same sums as SliceCubeSql in one plain DuckDB GROUPING SETS query over `order_facts`
//! (into TEMP table `plain_cube`): the peer the cube stage is benchmarked against.
std::string PlainGroupingSetsSql(const CubeConfig& config);

//! Builds `order_leaves` (with the `extra` aggregates, see OrderLeavesSql) and then `slice_cube`
//! (requires `order_facts`, see BuildOrderFacts).
void BuildSliceCube(storage::Connection& connection, const CubeConfig& config,
                    const std::vector<std::string>& extra = {});

}  // namespace cxagent::metrics
