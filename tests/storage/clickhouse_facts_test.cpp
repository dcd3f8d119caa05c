#include "storage/clickhouse_facts.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "metrics/cx_config.hpp"
#include "metrics/order_facts.hpp"
#include "metrics/slice_cube.hpp"
#include "rca/panel.hpp"
#include "recommend/efficiency.hpp"
#include "storage/clickhouse_client.hpp"
#include "storage/clickhouse_reads.hpp"
#include "storage/dataset.hpp"
#include "storage/duckdb.hpp"
#include "support/local_cluster.hpp"
#include "support/test_support.hpp"

namespace cxagent::storage {
namespace {

namespace fs = std::filesystem;
using testing::RunCxagent;

// A ClickHouse dataset opened by `--data clickhouse://...` and its leaves pass, on the local
// two-shard cluster (scripts/clickhouse_cluster.sh) in a folder of the suite's own, against the
// DuckDB leaves of the same generated world. Skipped without clickhouse-server.
class ClickHouseFactsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!testing::LocalCluster::ServerInstalled()) return;
    cluster_ = std::make_unique<testing::LocalCluster>("cxagent-ch-facts");
    if (!cluster_->Started()) return;
    folder_ = cluster_->Folder().string();
    world_ = *folder_ + "/world";
    const auto generated =
        RunCxagent("generate --scenario " + std::string(CXAGENT_SOURCE_DIR) +
                   "/scenarios/clean.yaml --days 28 --orders-per-day 300 --out " + world_);
    if (generated.exit_code != 0) setup_error_ = "generate failed: " + generated.err;
  }

  static void TearDownTestSuite() {
    if (cluster_) {
      EXPECT_TRUE(cluster_->Stop());
    }
    cluster_.reset();
    folder_.reset();
  }

  void SetUp() override {
    if (!testing::LocalCluster::ServerInstalled()) {
      GTEST_SKIP() << "clickhouse-server is not installed (scripts/setup.sh installs it)";
    }
    ASSERT_TRUE(folder_) << "the local ClickHouse cluster did not start";
    ASSERT_TRUE(setup_error_.empty()) << setup_error_;
    database_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (int shard = 1; shard <= 2; ++shard) {
      Shard(shard, "default").Execute("DROP DATABASE IF EXISTS " + database_);
      Shard(shard, "default").Execute("CREATE DATABASE " + database_);
    }
  }

  ClickHouseClient Shard(int number, const std::string& database = {}) const {
    return ClickHouseClient(cluster_->Shard(number, database.empty() ? database_ : database));
  }

  std::string Url() const { return cluster_->Url(database_); }

  void Load(const std::string& world) const {
    const auto loaded = RunCxagent("load --data " + world + " --into '" + Url() + "'");
    ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
  }

  // order_leaves on `connection`, in a fixed order.
  static Table SortedLeaves(Connection& connection, const std::vector<std::string>& dimensions) {
    std::string order;
    for (const auto& dimension : dimensions) order += dimension + ", ";
    return connection.Query("SELECT * FROM order_leaves ORDER BY " + order + "order_date");
  }

  // Expects ClickHouse's leaves of the loaded data to equal DuckDB's leaves of `world`.
  void ExpectLeavesEqual(const std::string& world) const {
    const metrics::CxScoreConfig config;
    Database duck_database;
    Connection duck(duck_database);
    const Dataset files = Dataset::Open(duck, {.folder = world});
    metrics::BuildOrderFacts(duck, files, config);
    duck.Execute(metrics::OrderLeavesSql({}, files.Dimensions()));
    const Table expected = SortedLeaves(duck, files.Dimensions());

    Database database;
    Connection connection(database);
    const Dataset clickhouse = Dataset::Open(connection, {.folder = Url()});
    ASSERT_EQ(clickhouse.Dimensions(), files.Dimensions());
    metrics::BuildClickHouseLeaves(connection, clickhouse, config);
    const Table actual = SortedLeaves(connection, clickhouse.Dimensions());

    ASSERT_GT(expected.RowCount(), 1000U);
    ASSERT_EQ(actual.RowCount(), expected.RowCount());
    ASSERT_EQ(actual.columns.size(), expected.columns.size());
    for (size_t c = 0; c < expected.columns.size(); ++c) {
      const Column& want = expected.columns[c];
      const Column& got = actual.columns[c];
      ASSERT_EQ(got.name, want.name);
      ASSERT_EQ(got.type, want.type) << want.name;
      for (size_t row = 0; row < expected.RowCount(); ++row) {
        ASSERT_EQ(got.IsNull(row), want.IsNull(row)) << want.name << " row " << row;
        if (want.IsNull(row)) continue;
        if (want.type == ColumnType::VARCHAR) {
          ASSERT_EQ(got.StringAt(row), want.StringAt(row)) << want.name << " row " << row;
        } else if (want.type == ColumnType::DOUBLE) {
          ASSERT_NEAR(got.doubles[row], want.doubles[row],
                      1e-6 * std::max(1.0, std::abs(want.doubles[row])))
              << want.name << " row " << row;
        } else {
          ASSERT_EQ(got.ints[row], want.ints[row]) << want.name << " row " << row;
        }
      }
    }
  }

  static inline std::unique_ptr<testing::LocalCluster> cluster_;
  static inline std::optional<std::string> folder_;
  static inline std::string world_;
  static inline std::string setup_error_;
  std::string database_;
};

// The leaves of the loaded data from ClickHouse (with the RCA's sums), run in ranges of days
// as `clickhouse` sets, in a fixed order; `ranges` receives how many ranges ran.
Table ClickHouseLeaves(const std::string& url, const ClickHouseConfig& clickhouse, size_t& ranges) {
  Database database;
  Connection connection(database);
  const Dataset dataset = Dataset::Open(connection, {.folder = url});
  ranges = metrics::BuildClickHouseLeaves(connection, dataset, metrics::CxScoreConfig{},
                                          rca::PanelLeafSums(), clickhouse)
               .size();
  std::string order;
  for (const auto& dimension : dataset.Dimensions()) order += dimension + ", ";
  return connection.Query("SELECT * FROM order_leaves ORDER BY " + order + "order_date");
}

TEST(LeavesRangesTest, ConsecutiveDaysArePackedUpToTheBound) {
  const Date first = ParseDate("2026-06-01");
  std::vector<DayOrders> days;
  const int64_t orders[] = {300, 300, 300, 900, 2500, 100, 100};
  for (int i = 0; i < 7; ++i) {
    days.push_back({AddDays(first, i), orders[i], 1000 * (i + 1), 1000 * (i + 1) + orders[i] - 1});
  }
  const std::vector<LeavesRange> ranges = PlanLeavesRanges(days, 1000);
  ASSERT_EQ(ranges.size(), 4U);
  // Three days of 300 fit in 1000; the fourth (900) starts a range; a day above the bound is a
  // range of its own; the last two share one.
  EXPECT_EQ(ranges[0].first, first);
  EXPECT_EQ(ranges[0].last, AddDays(first, 2));
  EXPECT_EQ(ranges[0].orders, 900);
  EXPECT_EQ(ranges[0].min_order_id, 1000);
  EXPECT_EQ(ranges[0].max_order_id, 3299);
  EXPECT_EQ(ranges[1].first, AddDays(first, 3));
  EXPECT_EQ(ranges[1].last, AddDays(first, 3));
  EXPECT_EQ(ranges[2].first, AddDays(first, 4));
  EXPECT_EQ(ranges[2].orders, 2500);
  EXPECT_EQ(ranges[3].first, AddDays(first, 5));
  EXPECT_EQ(ranges[3].last, AddDays(first, 6));
  EXPECT_EQ(ranges[3].orders, 200);
  EXPECT_EQ(PlanLeavesRanges(days, 1).size(), 7U);
  EXPECT_EQ(PlanLeavesRanges(days, 1'000'000).size(), 1U);
  EXPECT_TRUE(PlanLeavesRanges({}, 1000).empty());
}

TEST(LeavesRangesTest, ABoundBelowOneIsRefused) {
  const std::string message = testing::ErrorMessage([] { PlanLeavesRanges({}, 0); });
  EXPECT_EQ(message, "orders per query must be at least 1, not 0");
}

TEST_F(ClickHouseFactsTest, LeavesInRangesOfDaysEqualOneQueryOverEveryDay) {
  Load(world_);
  size_t ranges = 0;
  const Table whole = ClickHouseLeaves(Url(), {.orders_per_query = 1'000'000'000}, ranges);
  ASSERT_EQ(ranges, 1U);
  ASSERT_GT(whole.RowCount(), 1000U);
  // One day per query (28 queries), and about a week per query (300 orders a day).
  for (const int64_t orders_per_query : {int64_t{1}, int64_t{2000}}) {
    const Table parts = ClickHouseLeaves(Url(), {.orders_per_query = orders_per_query}, ranges);
    if (orders_per_query == 1) {
      EXPECT_EQ(ranges, 28U);
    } else {
      EXPECT_GE(ranges, 4U);
      EXPECT_LE(ranges, 6U);
    }
    ASSERT_EQ(parts.RowCount(), whole.RowCount()) << orders_per_query;
    ASSERT_EQ(parts.columns.size(), whole.columns.size());
    for (size_t c = 0; c < whole.columns.size(); ++c) {
      const Column& want = whole.columns[c];
      const Column& got = parts.columns[c];
      ASSERT_EQ(got.name, want.name);
      ASSERT_EQ(got.type, want.type) << want.name;
      for (size_t row = 0; row < whole.RowCount(); ++row) {
        ASSERT_EQ(got.IsNull(row), want.IsNull(row)) << want.name << " row " << row;
        if (want.IsNull(row)) continue;
        if (want.type == ColumnType::VARCHAR) {
          ASSERT_EQ(got.StringAt(row), want.StringAt(row)) << want.name << " row " << row;
        } else if (want.type == ColumnType::DOUBLE) {
          // The same orders summed, in an order ClickHouse's threads choose.
          ASSERT_NEAR(got.doubles[row], want.doubles[row],
                      1e-9 * std::max(1.0, std::abs(want.doubles[row])))
              << want.name << " row " << row;
        } else {
          ASSERT_EQ(got.ints[row], want.ints[row]) << want.name << " row " << row;
        }
      }
    }
  }
}

// The RCA's draws of orders are DuckDB's `hash(order_id) % 1000000 < below`: ClickHouse must
// compute the same hash to fetch the same orders.
TEST_F(ClickHouseFactsTest, ClickHouseComputesDuckDbsHashOfAnOrderId) {
  const std::vector<int64_t> ids = {0,           1,
                                    2,           12345,
                                    -1,          -987654321,
                                    10000000000, 20000010507,
                                    90000011871, 4611686018427387904,
                                    INT64_MAX,   INT64_MIN + 1};
  std::string list;
  std::string typed;
  for (const int64_t id : ids) {
    list += (list.empty() ? "" : ", ") + std::to_string(id);
    typed += (typed.empty() ? "toInt64(" : ", toInt64(") + std::to_string(id) + ")";
  }
  Database database;
  Connection duck(database);
  const Table expected = duck.Query(
      "SELECT id, (hash(id) % 1000000)::BIGINT AS bucket, "
      "(hash(id) >> 32)::BIGINT AS high FROM (SELECT unnest([" +
      list + "]::BIGINT[]) AS id) ORDER BY id");
  const std::string hash = ClickHouseDuckDbHashSql("id");
  const Table actual = Shard(1).Query(
      "SELECT id, toInt64(" + hash + " % 1000000) AS bucket, toInt64(bitShiftRight(" + hash +
      ", 32)) AS high FROM (SELECT arrayJoin([" + typed + "]) AS id) ORDER BY id");
  ASSERT_EQ(actual.RowCount(), ids.size());
  ASSERT_EQ(expected.RowCount(), ids.size());
  for (size_t row = 0; row < ids.size(); ++row) {
    EXPECT_EQ(actual.Get("id").ints[row], expected.Get("id").ints[row]);
    EXPECT_EQ(actual.Get("bucket").ints[row], expected.Get("bucket").ints[row])
        << expected.Get("id").ints[row];
    EXPECT_EQ(actual.Get("high").ints[row], expected.Get("high").ints[row])
        << expected.Get("id").ints[row];
  }
}

// What the efficiency reads from a slice's orders, computed in ClickHouse in ranges of days,
// gives the efficiency DuckDB measures from the files, for a slice and for every order.
TEST_F(ClickHouseFactsTest, SliceEfficiencyFromTheClusterEqualsDuckDbs) {
  Load(world_);
  Database duck_database;
  Connection duck(duck_database);
  const Dataset files = Dataset::Open(duck, {.folder = world_});
  metrics::BuildOrderFacts(duck, files, metrics::CxScoreConfig{});
  const Table range = duck.Query(
      "SELECT min(order_date) AS first, max(order_date) AS last "
      "FROM orders");
  const Date first{static_cast<int32_t>(range.Get("first").ints[0])};
  const Date last{static_cast<int32_t>(range.Get("last").ints[0])};
  const Date start = AddDays(last, -6);

  Database database;
  Connection connection(database);
  const Dataset clickhouse = Dataset::Open(connection, {.folder = Url()});
  const std::vector<DayOrders> days = ClickHouseDayOrders(clickhouse);
  ASSERT_EQ(days.size(), 28U);
  const OrderScoreSql score =
      metrics::OrderScoreSql(metrics::ConfigForData(metrics::CxScoreConfig{}, clickhouse));
  for (const std::string text : {"platform=ios", "all"}) {
    const Slice slice = Slice::Parse(text);
    const recommend::EfficiencyModel expected = recommend::MeasureEfficiency(
        duck, files, slice, first, AddDays(start, -1), start, last, {});
    // About two days a query: several ranges for each window.
    const SliceEfficiencySums sums =
        ClickHouseSliceEfficiency(clickhouse, score, slice.Pairs(), first, AddDays(start, -1),
                                  start, last, days, {.orders_per_query = 700});
    const recommend::EfficiencyModel actual = recommend::MeasureEfficiency(
        duck, files, slice, first, AddDays(start, -1), start, last, {}, &sums);
    EXPECT_GT(expected.orders_per_day, 0) << text;
    EXPECT_GT(expected.cx_sd, 0) << text;
    EXPECT_GT(expected.engaged_per_km, 0) << text;
    const nlohmann::json want = expected.ToJson();
    const nlohmann::json got = actual.ToJson();
    for (const auto& [key, value] : want.items()) {
      EXPECT_NEAR(got.at(key).get<double>(), value.get<double>(),
                  1e-9 * (1 + std::abs(value.get<double>())))
          << text << " " << key;
    }
  }
}

TEST_F(ClickHouseFactsTest, LeavesFromTheClusterEqualDuckDbLeavesOfTheSameWorld) {
  Load(world_);
  ExpectLeavesEqual(world_);
}

TEST_F(ClickHouseFactsTest, TablesTheDataLacksReadAsInDuckDb) {
  // Without ratings and inventory: the rating sums are 0 and the feed lag NULL on both sides.
  const std::string world = *folder_ + "/world-without";
  fs::create_directories(world);
  for (const auto& entry : fs::directory_iterator(world_)) {
    const std::string name = entry.path().filename().string();
    if (name == "ratings.parquet" || name == "inventory.parquet") continue;
    fs::copy(entry.path(), world + "/" + name, fs::copy_options::recursive);
  }
  Load(world);
  Database database;
  Connection connection(database);
  const Dataset clickhouse = Dataset::Open(connection, {.folder = Url()});
  EXPECT_FALSE(clickhouse.HasTable("ratings"));
  EXPECT_TRUE(clickhouse.HasTable("items"));
  EXPECT_TRUE(clickhouse.HasColumn("deliveries", "late_min"));
  ExpectLeavesEqual(world);
}

TEST_F(ClickHouseFactsTest, CheckReportsTablesRowsAndWhatItDoesNotCheck) {
  Load(world_);
  const auto result = RunCxagent("check --data '" + Url() + "'");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("orders                 8363"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("findings: 0 blocking"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("not checked: in ClickHouse only rows, NULLs, values outside the "
                            "contract's domains and ranges, numbers that are not finite, dates "
                            "outside 2000-01-01 to 2099-12-31 and duplicate order ids of orders "
                            "and deliveries (within each shard) are checked; not orphans"),
            std::string::npos)
      << result.out;
  // The blocking checks run in ClickHouse: a rating outside 1-5 and an order twice, each with
  // its first row by key.
  Shard(1).Execute("INSERT INTO ratings_local (order_id, rating) VALUES (1, 9)");
  Shard(1).Execute("INSERT INTO orders_local SELECT * FROM orders_local ORDER BY order_id LIMIT 1");
  const auto bad = RunCxagent("check --data '" + Url() + "'");
  EXPECT_EQ(bad.exit_code, 2) << bad.out << bad.err;
  EXPECT_NE(bad.out.find("value outside 1 to 5"), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find("order_id=1"), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find("1 key appears more than once (2 rows)"), std::string::npos) << bad.out;
  // A change scoped to no slice of the data warns, as in DuckDB (change_log is on every shard).
  for (int shard : {1, 2}) {
    Shard(shard).Execute(
        "INSERT INTO change_log (change_id, changed_at, kind, scope, description) VALUES ('c9', "
        "'2026-06-10 10:00:00', 'app_release', 'city=boston', 'x')");
  }
  const auto scoped = RunCxagent("check --data '" + Url() + "'");
  EXPECT_NE(scoped.out.find("change_log.scope"), std::string::npos) << scoped.out;
  EXPECT_NE(scoped.out.find("the data has no dimension 'city'"), std::string::npos) << scoped.out;
  const auto analyzed =
      RunCxagent("analyze --data '" + Url() + "' --results " + *folder_ + "/results-bad");
  EXPECT_EQ(analyzed.exit_code, 2) << analyzed.err;
  EXPECT_NE(analyzed.err.find("more than once"), std::string::npos) << analyzed.err;
}

TEST_F(ClickHouseFactsTest, OpeningErrorsAreOneLineWithExit2) {
  // An orders table without status, and a deliveries table whose late_min is text.
  for (int shard = 1; shard <= 2; ++shard) {
    Shard(shard).Execute(
        "CREATE TABLE orders (order_id Int64, order_date Date, region String) "
        "ENGINE = MergeTree() ORDER BY order_id");
  }
  const std::string port1 = std::to_string(cluster_->Shard(1, "").port);
  const std::string url = "clickhouse://127.0.0.1:" + port1 + "/" + database_;
  const std::map<std::string, std::string> cases = {
      {"clickhouse://127.0.0.1:1/" + database_,
       "cxagent: error: clickhouse://default@127.0.0.1:1/" + database_ +
           ": no ClickHouse server answers (Connection)"},
      {"clickhouse://127.0.0.1:" + port1 + "/nope",
       "cxagent: error: clickhouse://default@127.0.0.1:" + port1 +
           "/nope: ClickHouse error 81: Database nope doesn't exist"},
      {url, "cxagent: error: " + database_ + ".orders at clickhouse://default@127.0.0.1:" + port1 +
                "/" + database_ + ": the orders table has no column status"},
  };
  for (const auto& [data, message] : cases) {
    for (const char* command : {"check", "analyze"}) {
      const std::string results =
          std::string(command) == "analyze" ? " --results " + *folder_ + "/results" : "";
      const auto result = RunCxagent(std::string(command) + " --data '" + data + "'" + results);
      EXPECT_EQ(result.exit_code, 2) << command << " " << data;
      EXPECT_NE(result.err.find(message), std::string::npos) << command << ": " << result.err;
    }
  }
  Shard(1).Execute("DROP TABLE orders");
  Shard(1).Execute(
      "CREATE TABLE orders (order_id Int64, status String, order_date Date, region String) "
      "ENGINE = MergeTree() ORDER BY order_id");
  Shard(1).Execute(
      "CREATE TABLE deliveries (order_id Int64, late_min String) ENGINE = MergeTree() "
      "ORDER BY order_id");
  const auto result = RunCxagent("check --data '" + url + "'");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(
      result.err.find("cxagent: error: clickhouse://default@127.0.0.1:" + port1 + "/" + database_ +
                      ": column late_min of the deliveries table is String in ClickHouse; "
                      "the contract needs DOUBLE"),
      std::string::npos)
      << result.err;
}

}  // namespace
}  // namespace cxagent::storage
