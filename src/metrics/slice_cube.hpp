#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/config.hpp"
#include "metrics/rollup.hpp"
#include "storage/table.hpp"

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
//! `dimensions` are the leaves' (the dataset's slicing dimensions; empty: the contract's seven).
std::string OrderLeavesSql(const std::vector<std::string>& extra = {},
                           std::vector<std::string> dimensions = {});

//! The query of OrderLeavesSql over the relation `facts` (`order_facts`, or
//! `selected_order_facts` for the leaves of some orders only).
std::string OrderLeavesSelect(const std::vector<std::string>& extra,
                              std::vector<std::string> dimensions, const std::string& facts);

//! The slice cube from `order_leaves`: per slice (canonical text in column `slice`, its `depth`)
//! and `date`, the sums and counts behind every metric of the catalog — ratio metrics stay
//! numerator and denominator, never pre-averaged rates — for every combination of up to `max_depth`
//! of the configured dimensions; slices averaging fewer than `min_daily_orders` orders a day are
//! left out. A NULL dimension value reads as `unknown`. The leaves are read once and rolled up in
//! memory (RollUp); rows come ordered by slice, then date. The analysis keeps the cube in memory
//! and stores it with its results (storage::StoreResults). `volumes`, when given, receives what
//! ExtendStoredCube needs to add later days to this cube.
storage::Table RollUpLeaves(storage::Connection& connection, const CubeConfig& config,
                            CubeVolumes* volumes = nullptr);

//! Text naming what decides a cube's slices (dimensions, depth, volume floor): a stored cube can
//! be extended only under the same.
std::string CubeKey(const CubeConfig& config);

//! What ExtendStoredCube did besides taking the stored cube's rows.
struct CubeExtension {
  std::vector<std::string> dropped;  //!< stored slices that fell under the volume floor
  std::vector<std::string> reached;  //!< slices reaching it with the added days (summed anew)
  //! Every slice of the extended cube that the stored one did not hold, in ascending order:
  //! `reached`, and combinations first seen on the added days.
  std::vector<std::string> fresh;
};

//! RollUpLeaves of the leaves of some days followed by others (the relation `all_leaves`), from
//! the cube of the earlier days (the relation `stored_cube`, RollUpLeaves's table as stored, with
//! its `volumes`) and the leaves of the later days alone (the relation `added_leaves`):
//! metrics::ExtendCube. A few slices left out of the stored cube that reach the volume floor with
//! the added days are summed over every day of `all_leaves` (one query for them all); with more
//! of them, or when the cube cannot be extended for another reason, nullopt and `why` (then roll
//! up every day). `extension`, when given, receives what was dropped and summed anew.
//! `stored_rows`, when given, are the stored cube's rows as ReadStoredCube returned them (read
//! ahead, while the refresh computed the new days' sums); otherwise they are read here. The
//! extended cube takes over their buffers (ExtendCubeInPlace): when one is returned they are left
//! empty or in an unspecified state.
std::optional<storage::Table> ExtendStoredCube(
    storage::Connection& connection, const CubeConfig& config, const std::string& stored_cube,
    const std::string& added_leaves, const std::string& all_leaves, CubeVolumes& volumes,
    std::string& why, CubeExtension* extension = nullptr, storage::Table* stored_rows = nullptr);

//! The rows of the stored cube `stored_cube` (a relation) as ExtendStoredCube reads them: the
//! slice as an ENUM (a code per row, not a string per row), in the order they are stored.
storage::Table ReadStoredCube(storage::Connection& connection, const std::string& stored_cube);

//! The same sums as RollUpLeaves in one plain DuckDB GROUPING SETS query over `order_facts`
//! (into TEMP table `plain_cube`): the peer the cube stage is benchmarked against.
std::string PlainGroupingSetsSql(const CubeConfig& config);

//! Builds `order_leaves` (with the `extra` aggregates, see OrderLeavesSql) and returns the slice
//! cube rolled up from them (requires `order_facts`, see BuildOrderFacts). The leaves fix every
//! one of `leaf_dimensions` (empty: the contract's seven); the cube combines config.dimensions.
storage::Table BuildSliceCube(storage::Connection& connection, const CubeConfig& config,
                              const std::vector<std::string>& extra = {},
                              const std::vector<std::string>& leaf_dimensions = {});

}  // namespace cxagent::metrics
