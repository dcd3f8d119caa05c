#pragma once

#include <cstddef>
#include <cstdint>
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
storage::Table RollUp(const LeafSums& leaves, const RollUpOptions& options);

}  // namespace cxagent::metrics
