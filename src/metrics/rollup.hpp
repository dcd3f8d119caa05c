#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "storage/table.hpp"

namespace cxagent::metrics {

//! Leaf rows for RollUp: each dimension dictionary-coded, a date and the sums, leaf-major.
struct LeafSums {
  std::vector<std::string> dimensions;           //!< names, in slice-text order
  std::vector<std::vector<std::string>> values;  //!< per dimension: the text of each code
  std::vector<std::vector<uint32_t>> codes;      //!< per dimension: one code per leaf
  std::vector<int32_t> dates;                    //!< per leaf: days since 1970-01-01
  std::vector<std::string> columns;              //!< names of the sums
  std::vector<bool> integer;                     //!< per column: a count (stored as BIGINT)
  std::vector<double> sums;                      //!< leaves x columns, leaf-major

  size_t LeafCount() const { return dates.size(); }
};

//! What RollUp keeps.
struct RollUpOptions {
  int max_depth = 3;         //!< slices combine at most this many dimensions
  double min_daily = 0;      //!< a slice's volume column must average this much a day
  size_t volume_column = 0;  //!< the column the volume rule reads (orders)
  size_t threads = 1;        //!< workers; each takes whole branches of the slice tree
};

//! What decided which slices a cube keeps, beyond the cube's own rows: the number of distinct
//! dates of its leaves, the last of them, and the volume of every value combination it left out
//! (under the floor). A kept slice's volume is the sum of its rows' volume column.
struct CubeVolumes {
  int64_t days = 0;  //!< distinct dates of the leaves
  int32_t last = 0;  //!< the last date (days since 1970-01-01; meaningless when `days` is 0)
  std::vector<std::string> slices;  //!< combinations left out, as slice text, ascending
  std::vector<double> volumes;      //!< their volume column's sums
};

//! The slice cube of `leaves`: for every combination of up to `max_depth` dimensions (the empty
//! one is slice `all`) and every value combination whose volume column sums to at least
//! `min_daily` times the number of distinct dates, one row per date holding any of its leaves,
//! with the sums over those leaves. Columns: `slice` (canonical text, `dimension=value` pairs in
//! dimension order joined by `&`), `depth` (INTEGER), `date` (DATE), then the sums (BIGINT for
//! counts, DOUBLE otherwise); rows ordered by slice text, then date.
//!
//! Each value combination gets a compact id from its parent's id and its last code, so no key is
//! ever wider than 64 bits whatever the cardinalities; sums go to cells per (combination, date),
//! found through a flat index when the kept combinations times dates stay under
//! max(2^20, 4 x leaves) and through a hash map otherwise. The branches of the slice tree are
//! planned on `threads` workers; then each worker sums every `threads`-th combination, reading
//! the leaves in blocks that serve all of its combinations.
//!
//! When `volumes` is given, it receives what ExtendCube needs to add later days to the cube.
storage::Table RollUp(const LeafSums& leaves, const RollUpOptions& options,
                      CubeVolumes* volumes = nullptr);

//! RollUp's rows over all the leaves of `slices` (slice text, ascending), in slice and date
//! order, or nullopt with the reason in `why`: what ExtendCube's `fetch` returns.
using ReachingRows = std::function<std::optional<storage::Table>(
    const std::vector<std::string>& slices, std::string& why)>;

//! RollUp of the leaves of some days followed by others, from `stored` (RollUp's table of the
//! earlier days' leaves, its rows in any order, `volumes` its CubeVolumes) and `added` (RollUp of
//! the later days' leaves alone with no volume floor: every combination present on those days).
//! Equal to RollUp of all the leaves (sums to rounding: the same leaves added up in another
//! grouping): a slice of `stored` is kept with its rows and its rows of `added` when its volume
//! over all days still meets the floor (`options.min_daily` times the distinct dates), and dropped
//! otherwise; a combination `stored` left out stays out while under the floor; one first seen on
//! the added days is kept with its added rows when they meet the floor. A combination left out of
//! `stored` that reaches the floor with the added days needs its rows of every day, which
//! `stored` does not hold: they are taken from `reaching` (RollUp's rows of such combinations
//! over all the leaves, in slice and date order) when it has them; when it has not, nullopt is
//! returned and `needed`, when given, lists every such combination (slice text, ascending). On
//! success `volumes` becomes the returned cube's. Returns nullopt, saying why in `why`, when the
//! cube cannot be had this way: a combination reaching the floor is not in `reaching` or its rows
//! there do not sum to its volume, `added` holds a date not after the stored days, or the tables
//! do not match (columns, types, rows of `added` or `reaching` out of slice and date order, a
//! slice's date twice, NULLs). The output's rows are in slice and date order whatever the order of
//! `stored`'s. Without `reaching`, `fetch` (when given) is asked for the rows of the combinations
//! reaching the floor, all in one call, once they are known (`needed` then lists them too), so
//! that the cube is had in one pass rather than a failed one and another with `reaching`.
std::optional<storage::Table> ExtendCube(const storage::Table& stored, const storage::Table& added,
                                         const RollUpOptions& options, CubeVolumes& volumes,
                                         std::string& why, const storage::Table* reaching = nullptr,
                                         std::vector<std::string>* needed = nullptr,
                                         const ReachingRows& fetch = {});

//! ExtendCube without `reaching`, whose result takes over `stored`'s buffers when its rows come
//! in slice and date order (as RollUp writes them; a copy of the cube is read back so): the
//! stored rows are moved within their columns and the added ones copied between them, rather
//! than every row copied into a second cube (at 1M orders, 73 MB). On success `stored` is left
//! empty or in an unspecified state; on failure (nullopt) it is unchanged. Capacity reserved in
//! its columns beforehand spares them a reallocation when the cube grows.
std::optional<storage::Table> ExtendCubeInPlace(storage::Table& stored, const storage::Table& added,
                                                const RollUpOptions& options, CubeVolumes& volumes,
                                                std::string& why,
                                                std::vector<std::string>* needed = nullptr,
                                                const ReachingRows& fetch = {});

}  // namespace cxagent::metrics
