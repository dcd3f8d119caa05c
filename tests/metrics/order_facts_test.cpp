#include "metrics/order_facts.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "common/slice.hpp"
#include "metrics/metric_catalog.hpp"
#include "metrics/slice_cube.hpp"
#include "storage/dataset.hpp"
#include "storage/duckdb.hpp"
#include "support/test_support.hpp"

namespace cxagent::metrics {
namespace {

using testing::ErrorMessage;
using testing::TempDir;

// Five hand-made orders whose CX Scores are worked out in the comments below.
class OrderFactsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto copy = [&](const std::string& select, const std::string& table) {
      connection_.Execute(
          fmt::format("COPY ({}) TO '{}' (FORMAT parquet)", select, dir_.File(table + ".parquet")));
    };
    copy(R"(SELECT * FROM (VALUES
      (1, TIMESTAMP '2026-06-01 12:10', DATE '2026-06-01', 'seattle', 10, 'grocery', 'freshmart',
       100, 'new', 'ios', 'lunch', 'dasher_shop', 2, 30.0, 3.0, 35.0, 'delivered', NULL),
      (2, TIMESTAMP '2026-06-01 12:20', DATE '2026-06-01', 'seattle', 10, 'grocery', 'freshmart',
       101, 'member', 'ios', 'lunch', 'dasher_shop', 4, 50.0, 4.0, 35.0, 'delivered', NULL),
      (3, TIMESTAMP '2026-06-01 18:00', DATE '2026-06-01', 'boston', 20, 'restaurant', 'burgerco',
       102, 'new', 'web', 'dinner', 'merchant_pick', 1, 15.0, 2.0, 30.0, 'cancelled', 'no_dasher'),
      (4, TIMESTAMP '2026-06-02 18:30', DATE '2026-06-02', 'boston', 20, 'restaurant', 'burgerco',
       103, 'returning', 'android', 'dinner', 'merchant_pick', 5, 40.0, 5.0, 30.0, 'delivered', NULL),
      (5, TIMESTAMP '2026-06-02 12:30', DATE '2026-06-02', 'seattle', 10, 'grocery', 'freshmart',
       104, 'new', 'ios', 'lunch', 'dasher_shop', 8, 80.0, 6.0, 40.0, 'delivered', NULL))
      t(order_id, created_at, order_date, region, store_id, store_type, merchant, customer_id,
        customer_segment, platform, daypart, fulfillment_mode, n_items, subtotal, distance_km,
        quoted_eta_min, status, cancel_reason))",
         "orders");
    copy(R"(SELECT * FROM (VALUES
      (1, 7, 'car', FALSE, 1, 2.0, 5.0, 10.0, 15.0, 38.0, 3.0, TIMESTAMP '2026-06-01 12:48', 'clear'),
      (2, 8, 'car', TRUE, 2, 4.0, 6.0, 12.0, 35.0, 60.0, 25.0, TIMESTAMP '2026-06-01 13:20', 'rain'),
      (4, 9, 'bike', FALSE, 1, 3.0, 7.0, 0.0, 30.0, 40.0, 10.0, TIMESTAMP '2026-06-02 19:10', 'clear'),
      (5, 7, 'car', FALSE, 1, 1.0, 4.0, 20.0, 36.0, 61.0, 21.0, TIMESTAMP '2026-06-02 13:31', 'clear'))
      t(order_id, dasher_id, vehicle, is_batched, batch_size, assign_delay_min, prep_wait_min,
        shop_min, travel_min, actual_eta_min, late_min, delivered_at, weather))",
         "deliveries");
    copy(R"(SELECT * FROM (VALUES
      (1, 1, 'found', NULL), (1, 2, 'found', NULL),
      (2, 1, 'found', NULL), (2, 2, 'missing', NULL), (2, 3, 'substituted', FALSE),
      (2, 4, 'substituted', TRUE),
      (4, 1, 'missing', NULL), (4, 2, 'missing', NULL), (4, 3, 'missing', NULL),
      (4, 4, 'missing', NULL), (4, 5, 'missing', NULL),
      (5, 1, 'missing', NULL), (5, 2, 'missing', NULL), (5, 3, 'missing', NULL),
      (5, 4, 'missing', NULL), (5, 5, 'substituted', FALSE), (5, 6, 'substituted', FALSE),
      (5, 7, 'substituted', FALSE), (5, 8, 'substituted', FALSE))
      t(order_id, line_no, status, substitution_accepted))",
         "items_raw");
    connection_.Execute(fmt::format(
        "COPY (SELECT order_id, line_no, 1000 + line_no AS sku, 'pantry' AS category, 1 AS "
        "quantity,"
        " 2.5 AS unit_price, status, substitution_accepted, 0.0 AS refund_amount FROM '{}') TO '{}'"
        " (FORMAT parquet)",
        dir_.File("items_raw.parquet"), dir_.File("items.parquet")));
    std::filesystem::remove(dir_.File("items_raw.parquet"));
    copy(R"(SELECT * FROM (VALUES
      (1, 2, TIMESTAMP '2026-06-01 14:00', 'late', 5.0),
      (2, 3, TIMESTAMP '2026-06-01 19:00', 'other', 0.0),
      (3, 5, TIMESTAMP '2026-06-02 14:00', 'missing_item', 10.0))
      t(ticket_id, order_id, created_at, reason, refund_amount))",
         "support");
    copy(R"(SELECT * FROM (VALUES (1, TIMESTAMP '2026-06-01 14:00', 5),
      (2, TIMESTAMP '2026-06-01 14:00', 1), (4, TIMESTAMP '2026-06-02 21:00', 3),
      (5, TIMESTAMP '2026-06-02 15:00', 2)) t(order_id, rated_at, rating))",
         "ratings");
    copy(R"(SELECT * FROM (VALUES (DATE '2026-06-01', 10, 'pantry', 0.95, 0.9, 2.0),
      (DATE '2026-06-01', 10, 'dairy', 0.95, 0.9, 4.0))
      t(date, store_id, category, listed_in_stock_rate, actual_in_stock_rate, feed_lag_hours))",
         "inventory");
    copy(R"(SELECT * FROM (VALUES ('seattle', TIMESTAMP '2026-06-01 12:00', 40, 80, 0.8, 'clear'))
      t(region, hour, active_dashers, orders_created, busy_ratio, weather))",
         "supply_hourly");
    BuildOrderFacts(connection_,
                    storage::Dataset::Open(connection_, {.folder = dir_.Path().string()}),
                    CxScoreConfig{});
  }

  // Rows of `left` that `right` does not have (both table names or parenthesised queries).
  int64_t RowsOnlyIn(const std::string& left, const std::string& right) {
    return connection_
        .Query(fmt::format("SELECT count(*) AS n FROM (SELECT * FROM {} EXCEPT SELECT * FROM {})",
                           left, right))
        .Get("n")
        .ints[0];
  }

  static double Number(const storage::Column& column, size_t row) {
    return column.type == storage::ColumnType::DOUBLE ? column.doubles[row]
                                                      : static_cast<double>(column.ints[row]);
  }

  // Puts `cube` in TEMP table `slice_cube`, for SQL checks.
  void Stage(const storage::Table& cube) {
    std::vector<std::string> columns;
    for (const auto& column : cube.columns) {
      columns.push_back(column.name + " " + std::string(storage::SqlTypeName(column.type)));
    }
    connection_.Execute(
        fmt::format("CREATE OR REPLACE TEMP TABLE slice_cube ({})", fmt::join(columns, ", ")));
    storage::Appender appender(connection_, "slice_cube");
    appender.Append(cube);
    appender.Flush();
  }

  // The cube from DuckDB alone: PlainGroupingSetsSql, then slice text, depth and the volume rule
  // in SQL (the fixture has no NULL dimension, so a NULL there means rolled up).
  storage::Table ReferenceCube(const CubeConfig& config) {
    connection_.Execute(PlainGroupingSetsSql(config));
    std::vector<std::string> dimensions(std::begin(DIMENSIONS), std::end(DIMENSIONS));
    std::sort(dimensions.begin(), dimensions.end());  // slice text orders pairs by dimension
    std::vector<std::string> pairs;
    std::vector<std::string> depth;
    for (const auto& dimension : dimensions) {
      pairs.push_back(fmt::format("CASE WHEN {0} IS NOT NULL THEN '{0}=' || {0} END", dimension));
      depth.push_back(fmt::format("({} IS NOT NULL)::INTEGER", dimension));
    }
    return connection_.Query(fmt::format(
        "WITH named AS (SELECT coalesce(nullif(concat_ws('&', {0}), ''), 'all') AS slice, "
        "{1} AS depth, * EXCLUDE ({2}) FROM plain_cube) "
        "SELECT slice, depth, order_date AS date, * EXCLUDE (slice, depth, order_date) FROM named "
        "QUALIFY sum(orders) OVER (PARTITION BY slice) >= {3} * "
        "(SELECT count(DISTINCT order_date) FROM order_facts)",
        fmt::join(pairs, ", "), fmt::join(depth, " + "), fmt::join(dimensions, ", "),
        config.min_daily_orders));
  }

  std::vector<double> Scores() {
    return connection_.Query("SELECT cx_score FROM order_facts ORDER BY order_id")
        .Get("cx_score")
        .doubles;
  }

  TempDir dir_;
  storage::Database database_;
  storage::Connection connection_{database_};
};

TEST_F(OrderFactsTest, CxScoreMatchesHandComputedOrders) {
  // 1: on time, all found, rating 5                                  -> 100
  // 2: very late -30, 1 missing -10, 1 rejected -5, contact -15, 1 star -20 -> 20
  // 3: cancelled (a contact does not matter)                         -> 0
  // 4: late -15, 5 missing capped at -30, rating 3 -5                -> 50
  // 5: very late -30, missing cap -30, rejected cap -15, contact -15, 2 stars -20 -> floor 0
  EXPECT_EQ(Scores(), (std::vector<double>{100, 20, 0, 50, 0}));
}

TEST_F(OrderFactsTest, WeightsComeFromTheConfiguration) {
  CxScoreConfig config;
  config.contact_penalty = 0;
  config.missing_cap = 50;
  BuildOrderFacts(connection_,
                  storage::Dataset::Open(connection_, {.folder = dir_.Path().string()}), config);
  EXPECT_EQ(Scores(), (std::vector<double>{100, 35, 0, 30, 0}));
}

TEST_F(OrderFactsTest, AComponentWhoseColumnsAreMissingTakesNoPoints) {
  // Without deliveries there is no lateness: nobody loses points for it (the NULLs of the missing
  // table compare as unknown).
  std::filesystem::remove(dir_.File("deliveries.parquet"));
  BuildOrderFacts(connection_,
                  storage::Dataset::Open(connection_, {.folder = dir_.Path().string()}),
                  CxScoreConfig{});
  // 2: missing -10, rejected -5, contact -15, 1 star -20; 4: missing cap -30, 3 stars -5;
  // 5: missing cap -30, rejected cap -15, contact -15, 2 stars -20.
  EXPECT_EQ(Scores(), (std::vector<double>{100, 50, 0, 65, 20}));
}

TEST_F(OrderFactsTest, ItemsWithoutSubstitutionOutcomesCostNoRejectedSubstitutionPoints) {
  // Without substitution_accepted every substitution would read as rejected; the component is
  // left out instead: order 2 keeps the 5 points of its one rejection (it would lose 10 for two),
  // order 5 the 15 of its capped rejections (100 - 30 - 30 - 15 - 20 = 5).
  connection_.Execute(fmt::format(
      "COPY (SELECT * EXCLUDE (substitution_accepted) FROM '{0}') TO '{1}' (FORMAT parquet)",
      dir_.File("items.parquet"), dir_.File("items_cut.parquet")));
  std::filesystem::rename(dir_.File("items_cut.parquet"), dir_.File("items.parquet"));
  const storage::Dataset dataset =
      storage::Dataset::Open(connection_, {.folder = dir_.Path().string()});
  EXPECT_EQ(ConfigForData(CxScoreConfig{}, dataset).rejected_sub_penalty, 0);
  EXPECT_EQ(ConfigForData(CxScoreConfig{}, dataset).missing_line_penalty, 10);
  BuildOrderFacts(connection_, dataset, CxScoreConfig{});
  EXPECT_EQ(Scores(), (std::vector<double>{100, 25, 0, 50, 5}));
}

TEST_F(OrderFactsTest, JoinsDriverMetrics) {
  const auto facts = connection_.Query(
      "SELECT order_id, feed_lag_hours, busy_ratio, is_batched, on_time FROM order_facts "
      "ORDER BY order_id");
  EXPECT_DOUBLE_EQ(facts.Get("feed_lag_hours").doubles[0], 3.0);  // mean over categories
  EXPECT_DOUBLE_EQ(facts.Get("busy_ratio").doubles[0], 0.8);      // region and hour matched
  EXPECT_TRUE(facts.Get("busy_ratio").IsNull(2));
  EXPECT_EQ(facts.Get("is_batched").ints[1], 1);
  EXPECT_EQ(facts.Get("on_time").ints, (std::vector<int64_t>{1, 0, 0, 0, 0}));
}

TEST_F(OrderFactsTest, KeepTheContractDimensionsBesideTheTeamsOwn) {
  // A team slices by its own names; its store_category is also mapped onto store_type, which the
  // CX model reads as a feature whatever the data is sliced by.
  const std::string file = dir_.Write("dataset.yaml", R"(tables:
  orders:
    sql: SELECT *, store_type AS store_category, region AS market FROM read_parquet('orders.parquet')
    columns: {store_type: store_category}
  deliveries:
    source: deliveries.parquet
dimensions: [market, platform]
)");
  const storage::Dataset dataset =
      storage::Dataset::Open(connection_, {.folder = dir_.Path().string(), .dataset_file = file});
  ASSERT_EQ(dataset.Dimensions(), (std::vector<std::string>{"market", "platform"}));
  BuildOrderFacts(connection_, dataset, CxScoreConfig{});
  const auto facts = connection_.Query(
      "SELECT market, platform, store_type, fulfillment_mode, region FROM order_facts "
      "ORDER BY order_id");
  EXPECT_EQ(facts.Get("market").StringAt(2), "boston");
  EXPECT_EQ(facts.Get("store_type").StringAt(2), "restaurant");
  EXPECT_EQ(facts.Get("fulfillment_mode").StringAt(2), "merchant_pick");
  EXPECT_EQ(facts.Get("region").StringAt(2), "boston");
}

TEST_F(OrderFactsTest, SelectedFactsEqualTheFullViewsRowsForTheSelectedOrders) {
  EXPECT_EQ(connection_.Query("SELECT count(*) AS n FROM selected_order_facts").Get("n").ints[0],
            0);  // nothing selected yet
  connection_.Execute(
      "CREATE OR REPLACE TEMP TABLE selected_orders AS SELECT order_id FROM order_rows "
      "WHERE order_id IN (2, 4, 5)");
  const char* full = "(SELECT * FROM order_facts WHERE order_id IN (2, 4, 5))";
  EXPECT_EQ(RowsOnlyIn(full, "selected_order_facts"), 0);
  EXPECT_EQ(RowsOnlyIn("selected_order_facts", full), 0);
  EXPECT_EQ(connection_.Query("SELECT count(*) AS n FROM selected_order_facts").Get("n").ints[0],
            3);
}

TEST_F(OrderFactsTest, CubeKeepsNumeratorsAndDenominatorsPerSlice) {
  CubeConfig config;
  config.min_daily_orders = 0;
  Stage(BuildSliceCube(connection_, config));
  const auto all = connection_.Query(
      "SELECT sum(orders) AS orders, sum(cx_sum) AS cx_sum, sum(lines) AS lines, "
      "sum(missing_lines) AS missing FROM slice_cube WHERE slice = 'all'");
  EXPECT_EQ(all.Get("orders").ints[0], 5);
  EXPECT_DOUBLE_EQ(all.Get("cx_sum").doubles[0], 170);
  EXPECT_EQ(all.Get("lines").ints[0], 19);
  EXPECT_EQ(all.Get("missing").ints[0], 10);
  const auto deep = connection_.Query(
      "SELECT depth, orders, cx_sum FROM slice_cube "
      "WHERE slice = 'platform=ios&region=seattle&store_type=grocery' AND date = '2026-06-01'");
  ASSERT_EQ(deep.RowCount(), 1u);
  EXPECT_EQ(deep.Get("depth").ints[0], 3);
  EXPECT_EQ(deep.Get("orders").ints[0], 2);
  EXPECT_DOUBLE_EQ(deep.Get("cx_sum").doubles[0], 120);
  const auto depths = connection_.Query("SELECT max(depth) AS d FROM slice_cube");
  EXPECT_EQ(depths.Get("d").ints[0], 3);
}

TEST_F(OrderFactsTest, CubeDropsSlicesBelowTheMinimumVolume) {
  CubeConfig config;
  config.min_daily_orders = 1.5;  // two days: a slice needs 3 orders in all
  Stage(BuildSliceCube(connection_, config));
  const auto slices = connection_.Query("SELECT DISTINCT slice FROM slice_cube ORDER BY slice");
  std::vector<std::string> names;
  for (size_t i = 0; i < slices.RowCount(); ++i) {
    names.emplace_back(slices.Get("slice").StringAt(i));
  }
  EXPECT_NE(std::find(names.begin(), names.end(), "region=seattle"), names.end());
  EXPECT_EQ(std::find(names.begin(), names.end(), "region=boston"), names.end());
}

// The in-memory rollup gives what DuckDB's own GROUPING SETS over the order facts give, row for
// row, at every depth and volume floor.
TEST_F(OrderFactsTest, CubeEqualsDuckDbGroupingSets) {
  for (const int depth : {1, 2, 3, 4}) {
    for (const double floor : {0.0, 1.5}) {
      CubeConfig config;
      config.max_depth = depth;
      config.min_daily_orders = floor;
      const storage::Table cube = BuildSliceCube(connection_, config);
      const storage::Table reference = ReferenceCube(config);
      ASSERT_EQ(cube.RowCount(), reference.RowCount()) << "depth " << depth << " floor " << floor;
      ASSERT_GT(cube.RowCount(), 0u);
      std::map<std::string, size_t> row_of;
      for (size_t row = 0; row < reference.RowCount(); ++row) {
        row_of[fmt::format("{}@{}", reference.Get("slice").StringAt(row),
                           reference.Get("date").ints[row])] = row;
      }
      for (size_t row = 0; row < cube.RowCount(); ++row) {
        const std::string key =
            fmt::format("{}@{}", cube.Get("slice").StringAt(row), cube.Get("date").ints[row]);
        ASSERT_TRUE(row_of.count(key)) << key;
        const size_t other = row_of[key];
        EXPECT_EQ(cube.Get("depth").ints[row], reference.Get("depth").ints[other]) << key;
        for (size_t c = 3; c < cube.columns.size(); ++c) {
          const storage::Column& mine = cube.columns[c];
          const storage::Column& theirs = reference.Get(mine.name);
          EXPECT_NEAR(Number(mine, row), Number(theirs, other), 1e-9) << key << " " << mine.name;
        }
      }
    }
  }
}

// A NULL dimension value is the slice `dimension=unknown`, one slice with any 'unknown' values.
TEST_F(OrderFactsTest, CubeReadsANullDimensionAsUnknown) {
  CubeConfig config;
  config.min_daily_orders = 0;
  BuildSliceCube(connection_, config);
  connection_.Execute("UPDATE order_leaves SET platform = NULL WHERE platform = 'android'");
  connection_.Execute("UPDATE order_leaves SET platform = 'unknown' WHERE platform = 'web'");
  Stage(RollUpLeaves(connection_, config));
  const auto unknown = connection_.Query(
      "SELECT sum(orders) AS orders, count(*) AS days FROM slice_cube "
      "WHERE slice = 'platform=unknown'");
  EXPECT_EQ(unknown.Get("orders").ints[0], 2);  // order 3 (web) and order 4 (android)
  EXPECT_EQ(unknown.Get("days").ints[0], 2);
  const auto others = connection_.Query(
      "SELECT count(*) AS n FROM slice_cube WHERE slice LIKE '%platform=android%' OR "
      "slice LIKE '%platform=web%'");
  EXPECT_EQ(others.Get("n").ints[0], 0);
}

TEST(MetricCatalogTest, UnknownMetricListsTheKnownOnes) {
  EXPECT_EQ(FindMetric("cx_score").denominator, "orders");
  const std::string message = ErrorMessage([] { FindMetric("happiness"); });
  EXPECT_EQ(message.rfind("unknown metric 'happiness'; known metrics: cx_score, on_time_rate", 0),
            0u)
      << message;
}

TEST(OrderFactsErrorTest, AMissingTableIsNamed) {
  TempDir dir;
  storage::Database database;
  storage::Connection connection(database);
  const std::string message =
      ErrorMessage([&] { storage::Dataset::Open(connection, {.folder = dir.Path().string()}); });
  EXPECT_NE(message.find("has no orders table"), std::string::npos) << message;
}

}  // namespace
}  // namespace cxagent::metrics
