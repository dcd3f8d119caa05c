#include "metrics/slice_cube.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "common/error.hpp"
#include "common/slice.hpp"
#include "storage/duckdb.hpp"

namespace cxagent::metrics {

namespace {

// Every combination of 0..max_depth dimensions, as index lists.
void Combinations(size_t count, size_t depth, size_t start, std::vector<size_t>& current,
                  std::vector<std::vector<size_t>>& out) {
  out.push_back(current);
  if (current.size() == depth) return;
  for (size_t i = start; i < count; ++i) {
    current.push_back(i);
    Combinations(count, depth, i + 1, current, out);
    current.pop_back();
  }
}

// The cube's value columns, in their stored order (metric_catalog.cpp names them as numerators
// and denominators).
struct CubeColumn {
  const char* name;
  bool integer;  // a count: summed back to BIGINT (DuckDB widens sums of BIGINT to HUGEINT)
};
constexpr CubeColumn CUBE_COLUMNS[] = {{"orders", true},         {"cx_sum", false},
                                       {"delivered", true},      {"on_time", true},
                                       {"cancelled", true},      {"lines", true},
                                       {"missing_lines", true},  {"substituted_lines", true},
                                       {"accepted_subs", true},  {"contacts", true},
                                       {"rated", true},          {"rating_sum", true},
                                       {"low_ratings", true},    {"dispatched", true},
                                       {"batched", true},        {"assign_delay_sum", false},
                                       {"prep_wait_sum", false}, {"travel_sum", false},
                                       {"distance_sum", false},  {"eta_error_sum", false},
                                       {"feed_lag_n", true},     {"feed_lag_sum", false},
                                       {"busy_n", true},         {"busy_sum", false}};

// Counts packed into one BIGINT for the rollup (SliceCubeSql): 3 fields of 21 bits.
constexpr size_t PACK_BITS = 21;
constexpr size_t PACK_SLOTS = 3;

// Per-order sums and counts behind every metric (metric_catalog.cpp names the numerators and
// denominators), as an aggregate list over `order_facts`.
constexpr const char* ORDER_AGGREGATES = R"sql(count(*) AS orders,
         sum(cx_score) AS cx_sum,
         count(*) FILTER (WHERE is_delivered) AS delivered,
         count(*) FILTER (WHERE on_time) AS on_time,
         count(*) FILTER (WHERE is_cancelled) AS cancelled,
         sum(n_lines) AS lines,
         sum(missing_lines) AS missing_lines,
         sum(substituted_lines) AS substituted_lines,
         sum(accepted_subs) AS accepted_subs,
         count(*) FILTER (WHERE has_contact) AS contacts,
         count(rating) AS rated,
         coalesce(sum(rating), 0) AS rating_sum,
         count(*) FILTER (WHERE low_rating) AS low_ratings,
         count(*) FILTER (WHERE is_dispatched) AS dispatched,
         count(*) FILTER (WHERE is_batched) AS batched,
         coalesce(sum(assign_delay_min), 0) AS assign_delay_sum,
         coalesce(sum(prep_wait_min), 0) AS prep_wait_sum,
         coalesce(sum(travel_min), 0) AS travel_sum,
         coalesce(sum(distance_km), 0) AS distance_sum,
         coalesce(sum(late_min) FILTER (WHERE is_delivered), 0) AS eta_error_sum,
         count(feed_lag_hours) AS feed_lag_n,
         coalesce(sum(feed_lag_hours), 0) AS feed_lag_sum,
         count(busy_ratio) AS busy_n,
         coalesce(sum(busy_ratio), 0) AS busy_sum)sql";

}  // namespace

CubeConfig ReadCubeConfig(ConfigReader& reader) {
  CubeConfig config;
  const YAML::Node dimensions = reader.Section("dimensions");
  if (dimensions.IsDefined() && !dimensions.IsNull()) {
    if (!dimensions.IsSequence() || dimensions.size() == 0) {
      throw InvalidInput("{}: must be a non-empty list of: {}", reader.Where("dimensions"),
                         fmt::join(DIMENSIONS, ", "));
    }
    for (const auto& entry : dimensions) {
      const std::string name = entry.IsScalar() ? entry.Scalar() : "";
      if (std::find(std::begin(DIMENSIONS), std::end(DIMENSIONS), name) == std::end(DIMENSIONS)) {
        throw InvalidInput("{}: unknown dimension '{}'; allowed: {}", reader.Where("dimensions"),
                           name, fmt::join(DIMENSIONS, ", "));
      }
      if (std::find(config.dimensions.begin(), config.dimensions.end(), name) !=
          config.dimensions.end()) {
        throw InvalidInput("{}: dimension '{}' is listed twice", reader.Where("dimensions"), name);
      }
      config.dimensions.push_back(name);
    }
  }
  config.max_depth = reader.Integer("max_depth", config.max_depth, 1, 7,
                                    "slices combine at most this many dimensions");
  config.min_daily_orders = reader.Number("min_daily_orders", config.min_daily_orders, 0, 1e9,
                                          "slices averaging fewer orders a day are left out");
  reader.Finish();
  return config;
}

namespace {

// The configured dimensions in canonical (sorted) order.
std::vector<std::string> CubeDimensions(const CubeConfig& config) {
  std::vector<std::string> dimensions = config.dimensions;
  if (dimensions.empty()) dimensions.assign(std::begin(DIMENSIONS), std::end(DIMENSIONS));
  // Canonical slice text sorts pairs by dimension name.
  std::sort(dimensions.begin(), dimensions.end());
  return dimensions;
}

// `(order_date, d1, ...)` for every combination of up to max_depth dimensions.
std::string GroupingSets(const std::vector<std::string>& dimensions, int max_depth) {
  std::vector<std::vector<size_t>> sets;
  std::vector<size_t> current;
  Combinations(dimensions.size(), static_cast<size_t>(max_depth), 0, current, sets);
  std::vector<std::string> grouping_sets;
  for (const auto& set : sets) {
    std::vector<std::string> columns{"order_date"};
    for (size_t index : set) columns.push_back(dimensions[index]);
    grouping_sets.push_back("(" + fmt::format("{}", fmt::join(columns, ", ")) + ")");
  }
  return fmt::format("{}", fmt::join(grouping_sets, ", "));
}

}  // namespace

std::string PlainGroupingSetsSql(const CubeConfig& config) {
  const std::vector<std::string> dimensions = CubeDimensions(config);
  return fmt::format(
      "CREATE OR REPLACE TEMP TABLE plain_cube AS SELECT {0}, order_date, {1} FROM order_facts "
      "GROUP BY GROUPING SETS ({2})",
      fmt::join(dimensions, ", "), ORDER_AGGREGATES, GroupingSets(dimensions, config.max_depth));
}

std::string OrderLeavesSql(const std::vector<std::string>& extra) {
  std::vector<std::string> dimensions(std::begin(DIMENSIONS), std::end(DIMENSIONS));
  std::sort(dimensions.begin(), dimensions.end());
  return fmt::format(
      "CREATE OR REPLACE TEMP TABLE order_leaves AS SELECT {0}, order_date, {1}{2}{3} "
      "FROM order_facts GROUP BY {0}, order_date",
      fmt::join(dimensions, ", "), ORDER_AGGREGATES, extra.empty() ? "" : ", ",
      fmt::join(extra, ", "));
}

std::string SliceCubeSql(const CubeConfig& config, bool pack_counts) {
  const std::vector<std::string> dimensions = CubeDimensions(config);
  // Dimensions are tested through one grouping id (bit i set = dimension i rolled up, first
  // dimension in the highest bit), so the slice text is built only for kept rows.
  const size_t count = dimensions.size();
  std::vector<std::string> pairs;
  for (size_t i = 0; i < count; ++i) {
    pairs.push_back(
        fmt::format("CASE WHEN gid & {1} = 0 THEN '{0}=' || coalesce({0}, 'unknown') END",
                    dimensions[i], 1u << (count - 1 - i)));
  }
  // The rollup hashes every leaf once per grouping set, so its keys and states are made cheap
  // first: each dimension becomes an ENUM of the values the leaves hold (a small integer instead
  // of a string to hash and compare) and each count an INTEGER (DuckDB sums BIGINTs in 128-bit
  // states; a leaf-day's counts fit 32 bits and their sums are taken back to BIGINT).
  std::vector<std::string> types;
  std::vector<std::string> inputs;
  for (const auto& dimension : dimensions) {
    types.push_back(fmt::format(
        "DROP TYPE IF EXISTS cube_{0}; CREATE TYPE cube_{0} AS ENUM (SELECT DISTINCT {0} FROM "
        "order_leaves WHERE {0} IS NOT NULL ORDER BY 1);",
        dimension));
    inputs.push_back(fmt::format("{0}::cube_{0} AS {0}", dimension));
  }
  // The rollup's cost grows with the number of sums; with `pack_counts` the counts other than
  // `orders` (which the volume floor reads) travel three to a BIGINT, 21 bits each, and are
  // unpacked at the end — exact as long as no slice-day's count reaches 2^21, which the caller
  // checks (CountsFitPacking).
  std::vector<std::string> sums;
  std::vector<std::string> columns;
  std::vector<std::string> packed;  // the expression packing the current group of counts
  size_t packs = 0;
  for (const auto& column : CUBE_COLUMNS) {
    const std::string name = column.name;
    if (pack_counts && column.integer && name != "orders") {
      const size_t slot = packed.size();
      packed.push_back(fmt::format("({}::BIGINT << {})", name, PACK_BITS * slot));
      columns.push_back(fmt::format("((p{} >> {}) & {})::BIGINT AS {}", packs, PACK_BITS * slot,
                                    (int64_t{1} << PACK_BITS) - 1, name));
      if (packed.size() == PACK_SLOTS) {
        inputs.push_back(fmt::format("{} AS p{}", fmt::join(packed, " + "), packs));
        sums.push_back(fmt::format("sum(p{0})::BIGINT AS p{0}", packs));
        packed.clear();
        ++packs;
      }
      continue;
    }
    sums.push_back(fmt::format(
        fmt::runtime(column.integer ? "sum({0})::BIGINT AS {0}" : "sum({0}) AS {0}"), name));
    inputs.push_back(
        fmt::format(fmt::runtime(column.integer ? "{0}::INTEGER AS {0}" : "{0}"), name));
    columns.push_back(name);
  }
  if (!packed.empty()) {
    inputs.push_back(fmt::format("{} AS p{}", fmt::join(packed, " + "), packs));
    sums.push_back(fmt::format("sum(p{0})::BIGINT AS p{0}", packs));
  }
  // The grouping sets roll up the leaves (OrderLeavesSql), far fewer rows than orders; sums of
  // counts and sums are exact, so the cube equals a single pass over the orders. Slices are kept
  // by a semi-join with their totals (cheaper than a window over every slice-day).
  std::vector<std::string> same;
  for (const auto& dimension : dimensions) {
    same.push_back(fmt::format("r.{0} IS NOT DISTINCT FROM b.{0}", dimension));
  }
  return fmt::format(
      R"sql(
{types}
CREATE OR REPLACE TEMP TABLE slice_cube AS
WITH leaves AS (SELECT order_date, {inputs} FROM order_leaves),
rolled AS (
  SELECT {dims}, grouping({dims}) AS gid, order_date AS date, {sums}
  FROM leaves
  GROUP BY GROUPING SETS ({sets})),
big AS (
  SELECT gid, {dims} FROM rolled GROUP BY ALL
  HAVING sum(orders) >= {min_daily} * (SELECT count(DISTINCT order_date) FROM order_leaves)),
kept AS (SELECT r.* FROM rolled r SEMI JOIN big b ON r.gid = b.gid AND {same})
SELECT coalesce(nullif(concat_ws('&', {pairs}), ''), 'all') AS slice,
       ({count} - bit_count(gid))::INTEGER AS depth,
       date, {columns}
FROM kept
)sql",
      fmt::arg("types", fmt::join(types, "\n")), fmt::arg("inputs", fmt::join(inputs, ", ")),
      fmt::arg("dims", fmt::join(dimensions, ", ")), fmt::arg("sums", fmt::join(sums, ", ")),
      fmt::arg("same", fmt::join(same, " AND ")), fmt::arg("pairs", fmt::join(pairs, ", ")),
      fmt::arg("count", count), fmt::arg("columns", fmt::join(columns, ", ")),
      fmt::arg("sets", GroupingSets(dimensions, config.max_depth)),
      fmt::arg("min_daily", config.min_daily_orders));
}

bool CountsFitPacking(storage::Connection& connection) {
  // Counts are sums of non-negative per-order counts, so a day's total over every leaf bounds
  // every slice-day; a negative value (a bad rating in the data) would borrow across fields.
  std::vector<std::string> totals;
  std::vector<std::string> tops;
  std::vector<std::string> bottoms;
  for (const auto& column : CUBE_COLUMNS) {
    if (!column.integer) continue;
    totals.push_back(fmt::format("sum({0}) AS {0}", column.name));
    tops.push_back(fmt::format("max({})", column.name));
    bottoms.push_back(fmt::format("min({})", column.name));
  }
  const storage::Table bounds = connection.Query(fmt::format(
      "SELECT coalesce((SELECT greatest({0}) FROM (SELECT {1} FROM order_leaves GROUP BY "
      "order_date)), 0)::BIGINT AS top, coalesce((SELECT least({2}) FROM order_leaves), 0)::BIGINT "
      "AS bottom",
      fmt::join(tops, ", "), fmt::join(totals, ", "), fmt::join(bottoms, ", ")));
  return bounds.Get("top").ints[0] < (int64_t{1} << PACK_BITS) && bounds.Get("bottom").ints[0] >= 0;
}

void RollUpLeaves(storage::Connection& connection, const CubeConfig& config) {
  connection.Execute(SliceCubeSql(config, CountsFitPacking(connection)));
}

void BuildSliceCube(storage::Connection& connection, const CubeConfig& config,
                    const std::vector<std::string>& extra) {
  connection.Execute(OrderLeavesSql(extra));
  RollUpLeaves(connection, config);
}

}  // namespace cxagent::metrics
