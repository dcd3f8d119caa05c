#include "metrics/slice_cube.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include "common/error.hpp"
#include "common/slice.hpp"
#include "metrics/rollup.hpp"
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
  bool integer;  // a count: stored as BIGINT (summed exactly as doubles below 2^53)
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
                                       {"busy_n", true},         {"busy_sum", false},
                                       {"app_errors", true}};

// Per-order sums and counts behind every metric (metric_catalog.cpp names the numerators and
// denominators), as an aggregate list over `order_facts`. Conditional counts use count_if, which
// DuckDB runs cheaper than count(*) FILTER (~0.15 s of the 1M-order leaves pass) but which is NULL
// when every input is NULL, hence the coalesce. Counts are BIGINT and sums DOUBLE (DuckDB's own
// sums are HUGEINT and DECIMAL(38): 16 bytes a value, which made storing and reading the leaves
// back several times slower; every reader took them as DOUBLE anyway).
constexpr const char* ORDER_AGGREGATES = R"sql(count(*) AS orders,
         sum(cx_score)::DOUBLE AS cx_sum,
         coalesce(count_if(is_delivered), 0)::BIGINT AS delivered,
         coalesce(count_if(on_time), 0)::BIGINT AS on_time,
         coalesce(count_if(is_cancelled), 0)::BIGINT AS cancelled,
         sum(n_lines)::BIGINT AS lines,
         sum(missing_lines)::BIGINT AS missing_lines,
         sum(substituted_lines)::BIGINT AS substituted_lines,
         sum(accepted_subs)::BIGINT AS accepted_subs,
         coalesce(count_if(has_contact), 0)::BIGINT AS contacts,
         count(rating) AS rated,
         coalesce(sum(rating), 0)::BIGINT AS rating_sum,
         coalesce(count_if(low_rating), 0)::BIGINT AS low_ratings,
         coalesce(count_if(is_dispatched), 0)::BIGINT AS dispatched,
         coalesce(count_if(is_batched), 0)::BIGINT AS batched,
         coalesce(sum(assign_delay_min), 0)::DOUBLE AS assign_delay_sum,
         coalesce(sum(prep_wait_min), 0)::DOUBLE AS prep_wait_sum,
         coalesce(sum(travel_min), 0)::DOUBLE AS travel_sum,
         coalesce(sum(distance_km), 0)::DOUBLE AS distance_sum,
         coalesce(sum(late_min) FILTER (WHERE is_delivered), 0)::DOUBLE AS eta_error_sum,
         count(feed_lag_hours) AS feed_lag_n,
         coalesce(sum(feed_lag_hours), 0)::DOUBLE AS feed_lag_sum,
         count(busy_ratio) AS busy_n,
         coalesce(sum(busy_ratio), 0)::DOUBLE AS busy_sum,
         coalesce(count_if(cancel_reason = 'app_error'), 0)::BIGINT AS app_errors)sql";

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
      // The contract's seven or a dataset file's own (checked against the data when it opens).
      const std::string name = entry.IsScalar() ? entry.Scalar() : "";
      if (!IsDimensionName(name)) {
        throw InvalidInput(
            "{}: '{}' is not a dimension name (lower-case letters, digits and _, such as {})",
            reader.Where("dimensions"), name, fmt::join(DIMENSIONS, ", "));
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

std::string OrderLeavesSelect(const std::vector<std::string>& extra,
                              std::vector<std::string> dimensions, const std::string& facts) {
  if (dimensions.empty()) dimensions.assign(std::begin(DIMENSIONS), std::end(DIMENSIONS));
  std::sort(dimensions.begin(), dimensions.end());
  for (auto& dimension : dimensions) dimension = storage::SqlIdentifier(dimension);
  return fmt::format("SELECT {0}, order_date, {1}{2}{3} FROM {4} GROUP BY {0}, order_date",
                     fmt::join(dimensions, ", "), ORDER_AGGREGATES, extra.empty() ? "" : ", ",
                     fmt::join(extra, ", "), facts);
}

std::string OrderLeavesSql(const std::vector<std::string>& extra,
                           std::vector<std::string> dimensions) {
  return "CREATE OR REPLACE TEMP TABLE order_leaves AS " +
         OrderLeavesSelect(extra, std::move(dimensions), "order_facts");
}

namespace {

// The leaves in `relation` (`order_leaves`) as LeafSums: the configured dimensions
// dictionary-coded (NULL reads as 'unknown', as in slice text), the cube's sums as doubles (counts
// stay exact below 2^53).
LeafSums ReadLeaves(storage::Connection& connection, const std::vector<std::string>& dimensions,
                    const std::string& relation = "order_leaves") {
  // Dimensions come back as ENUMs of the leaves' values (a code per row, not a string).
  std::string types;
  std::vector<std::string> select;
  for (const auto& dimension : dimensions) {
    const std::string name = storage::SqlIdentifier(dimension);
    const std::string type = storage::SqlIdentifier("cube_" + dimension);
    types += fmt::format(
        "DROP TYPE IF EXISTS {1}; CREATE TYPE {1} AS ENUM (SELECT DISTINCT {0} FROM {2} WHERE {0} "
        "IS NOT NULL ORDER BY 1); ",
        name, type, relation);
    select.push_back(fmt::format("{0}::{1} AS {0}", name, type));
  }
  connection.Execute(types);
  select.push_back("order_date::DATE AS order_date");
  for (const auto& column : CUBE_COLUMNS) {
    select.push_back(fmt::format("{0}::DOUBLE AS {0}", column.name));
  }
  const storage::Table table =
      connection.Query(fmt::format("SELECT {} FROM {}", fmt::join(select, ", "), relation));
  const size_t count = table.RowCount();
  // Leaves in date order (a counting sort), so that the rollup's cells of one day stay together.
  const auto& dates = table.Get("order_date").ints;
  std::vector<size_t> order(count);
  if (count > 0) {
    const auto [low, high] = std::minmax_element(dates.begin(), dates.end());
    std::vector<size_t> start(static_cast<size_t>(*high - *low) + 2, 0);
    for (const int64_t date : dates) ++start[static_cast<size_t>(date - *low) + 1];
    for (size_t day = 1; day < start.size(); ++day) start[day] += start[day - 1];
    for (size_t row = 0; row < count; ++row)
      order[start[static_cast<size_t>(dates[row] - *low)]++] = row;
  }
  LeafSums leaves;
  leaves.dimensions = dimensions;
  for (const auto& dimension : dimensions) {
    const storage::Column& column = table.Get(dimension);
    auto& values = leaves.values.emplace_back(column.dictionary);
    // NULL reads as 'unknown', as in slice text (one value even when the data has both).
    const auto unknown = std::find(values.begin(), values.end(), "unknown");
    const auto null_code = static_cast<uint32_t>(unknown - values.begin());
    if (unknown == values.end()) values.emplace_back("unknown");
    auto& codes = leaves.codes.emplace_back(count);
    for (size_t i = 0; i < count; ++i) {
      const size_t row = order[i];
      codes[i] = column.IsNull(row) ? null_code : static_cast<uint32_t>(column.ints[row]);
    }
  }
  leaves.dates.resize(count);
  for (size_t i = 0; i < count; ++i) leaves.dates[i] = static_cast<int32_t>(dates[order[i]]);
  std::vector<const std::vector<double>*> sums;
  for (const auto& column : CUBE_COLUMNS) {
    leaves.columns.emplace_back(column.name);
    leaves.integer.push_back(column.integer);
    const storage::Column& values = table.Get(column.name);
    if (!values.valid.empty()) {
      throw InternalError("order_leaves: column '{}' holds NULL sums", column.name);
    }
    sums.push_back(&values.doubles);
  }
  leaves.sums.resize(count * sums.size());
  for (size_t i = 0; i < count; ++i) {
    for (size_t column = 0; column < sums.size(); ++column) {
      leaves.sums[i * sums.size() + column] = (*sums[column])[order[i]];
    }
  }
  return leaves;
}

}  // namespace

namespace {

RollUpOptions OptionsOf(const CubeConfig& config) {
  RollUpOptions options;
  options.max_depth = config.max_depth;
  options.min_daily = config.min_daily_orders;
  options.volume_column = 0;  // CUBE_COLUMNS starts with orders
  options.threads = std::max(1u, std::thread::hardware_concurrency());
  return options;
}

}  // namespace

storage::Table RollUpLeaves(storage::Connection& connection, const CubeConfig& config,
                            CubeVolumes* volumes) {
  return RollUp(ReadLeaves(connection, CubeDimensions(config)), OptionsOf(config), volumes);
}

std::string CubeKey(const CubeConfig& config) {
  return fmt::format("dimensions: {}; max_depth: {}; min_daily_orders: {:.17g}",
                     fmt::join(CubeDimensions(config), ", "), config.max_depth,
                     config.min_daily_orders);
}

namespace {

// More slices reaching the volume floor with the added days than this are not summed from the
// leaves but every day is rolled up instead: they are summed in one scan of every day's leaves
// (about 20 ms at 1M orders), but each adds its condition to every leaf read and its sums to the
// grouping, and many of them would cost as much as that rollup.
constexpr size_t MAX_REACHING = 16;

// RollUp's rows of `slices` (slice text, ascending) over the leaves in `relation`: one query,
// one scan of the leaves, summing per slice and date the leaves whose values are the slice's
// (NULL reading as 'unknown', as in ReadLeaves); a leaf of several of the slices counts in each.
// Nullopt, with `why`, when a text is not a slice of `dimensions`.
std::optional<storage::Table> SliceRowsOf(storage::Connection& connection,
                                          const std::vector<std::string>& dimensions,
                                          const std::string& relation,
                                          const std::vector<std::string>& slices,
                                          std::string& why) {
  storage::Table rows;
  auto& slice_column = rows.AddColumn("slice", storage::ColumnType::VARCHAR);
  auto& depth = rows.AddColumn("depth", storage::ColumnType::INTEGER);
  auto& date = rows.AddColumn("date", storage::ColumnType::DATE);
  std::vector<std::string> sums;
  for (const auto& column : CUBE_COLUMNS) {
    rows.AddColumn(column.name,
                   column.integer ? storage::ColumnType::BIGINT : storage::ColumnType::DOUBLE);
    sums.push_back(fmt::format("sum({0})::DOUBLE AS {0}", column.name));
  }
  std::vector<Slice> parsed;
  std::vector<std::string> matches;  // per slice, the condition selecting its leaves
  for (const std::string& text : slices) {
    std::optional<Slice> slice;
    try {
      slice = Slice::Parse(text);
    } catch (const Error&) {
    }
    if (!slice || slice->ToText() != text) {
      why = fmt::format("slice '{}' cannot be read back from its text", text);
      return std::nullopt;
    }
    std::vector<std::string> conditions{"TRUE"};
    for (const auto& [dimension, value] : slice->Pairs()) {
      if (std::find(dimensions.begin(), dimensions.end(), dimension) == dimensions.end()) {
        why = fmt::format("slice '{}' is not of the cube's dimensions", text);
        return std::nullopt;
      }
      conditions.push_back(fmt::format("coalesce(CAST({} AS VARCHAR), 'unknown') = {}",
                                       storage::SqlIdentifier(dimension),
                                       storage::SqlLiteral(value)));
    }
    matches.push_back(fmt::format("({})", fmt::join(conditions, " AND ")));
    parsed.push_back(std::move(*slice));
  }
  if (slices.empty()) return rows;
  // Each leaf of any of the slices once per slice it is of (`k`: the slice's index).
  std::vector<std::string> tags;
  for (size_t k = 0; k < matches.size(); ++k) {
    tags.push_back(fmt::format("CASE WHEN {} THEN {} END", matches[k], k));
  }
  // Only the columns summed are read (the leaves hold the RCA's sums too).
  std::vector<std::string> read{"order_date"};
  for (const auto& column : CUBE_COLUMNS) read.emplace_back(column.name);
  const storage::Table days = connection.Query(fmt::format(
      "SELECT k, order_date::DATE AS date, {0} FROM (SELECT unnest([{1}]) AS k, {2} FROM {3} "
      "WHERE {4}) WHERE k IS NOT NULL GROUP BY k, order_date::DATE ORDER BY k, date",
      fmt::join(sums, ", "), fmt::join(tags, ", "), fmt::join(read, ", "), relation,
      fmt::join(matches, " OR ")));
  const auto& of = days.Get("k").ints;
  for (size_t row = 0; row < days.RowCount(); ++row) {
    const auto k = static_cast<size_t>(of[row]);
    slice_column.strings.push_back(slices[k]);
    depth.ints.push_back(static_cast<int64_t>(parsed[k].Depth()));
    date.ints.push_back(days.Get("date").ints[row]);
    for (size_t c = 0; c < std::size(CUBE_COLUMNS); ++c) {
      const double value = days.Get(CUBE_COLUMNS[c].name).doubles[row];
      storage::Column& target = rows.columns[3 + c];
      if (CUBE_COLUMNS[c].integer) {
        target.ints.push_back(std::llround(value));
      } else {
        target.doubles.push_back(value);
      }
    }
  }
  return rows;
}

}  // namespace

std::optional<storage::Table> ExtendStoredCube(
    storage::Connection& connection, const CubeConfig& config, const std::string& stored_cube,
    const std::string& added_leaves, const std::string& all_leaves, CubeVolumes& volumes,
    std::string& why, CubeExtension* extension, storage::Table* stored_rows) {
  const auto started = std::chrono::steady_clock::now();
  const auto since = [](std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  std::optional<storage::Table> read_here;
  if (stored_rows == nullptr) read_here = ReadStoredCube(connection, stored_cube);
  storage::Table& stored = stored_rows != nullptr ? *stored_rows : *read_here;
  const double read = since(started);
  // The extended cube takes over the stored one's buffers: what the extension reports is taken
  // first.
  const size_t stored_count = stored.RowCount();
  const std::vector<std::string> before = extension != nullptr && !stored.columns.empty()
                                              ? stored.columns[0].dictionary
                                              : std::vector<std::string>();
  auto stage = std::chrono::steady_clock::now();
  const std::vector<std::string> dimensions = CubeDimensions(config);
  RollUpOptions options = OptionsOf(config);
  RollUpOptions all = options;
  all.min_daily = 0;  // every combination present on the added days
  const storage::Table added = RollUp(ReadLeaves(connection, dimensions, added_leaves), all);
  const double rolled = since(stage);
  stage = std::chrono::steady_clock::now();
  // Slices left out before that reach the floor with the added days: their rows of every day,
  // summed while the cube is extended.
  std::vector<std::string> needed;
  double summed = 0;
  const ReachingRows reaching = [&](const std::vector<std::string>& slices,
                                    std::string& reason) -> std::optional<storage::Table> {
    if (slices.size() > MAX_REACHING) {
      reason = fmt::format("{} slices reach the volume floor with the added days (more than {})",
                           slices.size(), MAX_REACHING);
      return std::nullopt;
    }
    const auto summing = std::chrono::steady_clock::now();
    std::optional<storage::Table> rows =
        SliceRowsOf(connection, dimensions, all_leaves, slices, reason);
    summed = since(summing);
    return rows;
  };
  std::optional<storage::Table> cube =
      ExtendCubeInPlace(stored, added, options, volumes, why, &needed, reaching);
  spdlog::debug(
      "slice cube: {} stored rows read in {:.3f} s, {} rows of the added days rolled up in "
      "{:.3f} s, {} slices reaching the volume floor summed over every day in {:.3f} s, merged "
      "in {:.3f} s",
      stored_count, read, added.RowCount(), rolled, cube ? needed.size() : 0, summed,
      since(stage) - summed);
  if (cube && extension != nullptr) {
    // Both dictionaries list their slices in ascending order.
    const auto& after = cube->columns[0].dictionary;
    extension->dropped.clear();
    for (size_t b = 0, a = 0; b < before.size(); ++b) {
      while (a < after.size() && after[a] < before[b]) ++a;
      if (a == after.size() || after[a] != before[b]) extension->dropped.push_back(before[b]);
    }
    extension->fresh.clear();
    for (size_t a = 0, b = 0; a < after.size(); ++a) {
      while (b < before.size() && before[b] < after[a]) ++b;
      if (b == before.size() || before[b] != after[a]) extension->fresh.push_back(after[a]);
    }
    extension->reached = std::move(needed);
  }
  return cube;
}

storage::Table ReadStoredCube(storage::Connection& connection, const std::string& stored_cube) {
  // The stored slices come back as an ENUM: a code per row, not a string per row (at 10M orders,
  // 0.15 s against 0.23 s read as text).
  connection.Execute(fmt::format(
      "DROP TYPE IF EXISTS cube_stored_slices; CREATE TYPE cube_stored_slices AS ENUM (SELECT "
      "DISTINCT slice FROM {0} WHERE slice IS NOT NULL ORDER BY 1)",
      stored_cube));
  return connection.Query(
      fmt::format("SELECT * REPLACE (slice::cube_stored_slices AS slice) FROM {}", stored_cube));
}

storage::Table BuildSliceCube(storage::Connection& connection, const CubeConfig& config,
                              const std::vector<std::string>& extra,
                              const std::vector<std::string>& leaf_dimensions) {
  connection.Execute(OrderLeavesSql(extra, leaf_dimensions));
  return RollUpLeaves(connection, config);
}

}  // namespace cxagent::metrics
