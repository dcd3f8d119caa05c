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

std::string SliceCubeSql(const CubeConfig& config) {
  std::vector<std::string> dimensions = config.dimensions;
  if (dimensions.empty()) dimensions.assign(std::begin(DIMENSIONS), std::end(DIMENSIONS));
  // Canonical slice text sorts pairs by dimension name.
  std::sort(dimensions.begin(), dimensions.end());

  std::vector<std::vector<size_t>> sets;
  std::vector<size_t> current;
  Combinations(dimensions.size(), static_cast<size_t>(config.max_depth), 0, current, sets);
  std::vector<std::string> grouping_sets;
  for (const auto& set : sets) {
    std::vector<std::string> columns{"order_date"};
    for (size_t index : set) columns.push_back(dimensions[index]);
    grouping_sets.push_back("(" + fmt::format("{}", fmt::join(columns, ", ")) + ")");
  }
  std::vector<std::string> pairs;
  std::vector<std::string> depth_terms;
  for (const auto& dimension : dimensions) {
    pairs.push_back(fmt::format(
        "CASE WHEN grouping({0}) = 0 THEN '{0}=' || coalesce({0}, 'unknown') END", dimension));
    depth_terms.push_back(fmt::format("(1 - grouping({}))", dimension));
  }
  return fmt::format(R"sql(
CREATE OR REPLACE TEMP TABLE slice_cube AS
WITH cube AS (
  SELECT coalesce(nullif(concat_ws('&', {pairs}), ''), 'all') AS slice,
         ({depth})::INTEGER AS depth,
         order_date AS date,
         count(*) AS orders,
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
         coalesce(sum(busy_ratio), 0) AS busy_sum
  FROM order_facts
  GROUP BY GROUPING SETS ({sets}))
SELECT * FROM cube
QUALIFY sum(orders) OVER (PARTITION BY slice) >=
        {min_daily} * (SELECT count(DISTINCT order_date) FROM order_facts)
ORDER BY slice, date
)sql",
                     fmt::arg("pairs", fmt::join(pairs, ", ")),
                     fmt::arg("depth", fmt::join(depth_terms, " + ")),
                     fmt::arg("sets", fmt::join(grouping_sets, ", ")),
                     fmt::arg("min_daily", config.min_daily_orders));
}

void BuildSliceCube(storage::Connection& connection, const CubeConfig& config) {
  connection.Execute(SliceCubeSql(config));
}

}  // namespace cxagent::metrics
