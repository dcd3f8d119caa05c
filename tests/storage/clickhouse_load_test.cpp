#include "storage/clickhouse_load.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "storage/clickhouse_client.hpp"
#include "storage/clickhouse_layout.hpp"
#include "storage/data_folder.hpp"
#include "storage/dataset.hpp"
#include "storage/duckdb.hpp"
#include "support/local_cluster.hpp"
#include "support/test_support.hpp"

namespace cxagent::storage {
namespace {

namespace fs = std::filesystem;
using testing::ErrorMessage;
using testing::RunCxagent;

// An aggregate over one table, written for DuckDB (over the generated Parquet files) and for
// ClickHouse (over the loaded tables).
struct Aggregate {
  std::string duckdb;
  std::string clickhouse;
};

// Per table: aggregates that cover every column kind (counts, sums of doubles and integers,
// NULLs, booleans, dates and times).
const std::map<std::string, std::vector<Aggregate>>& Aggregates() {
  static const std::map<std::string, std::vector<Aggregate>> aggregates = {
      {"orders",
       {{"count(*)", "count()"},
        {"sum(subtotal)", "sum(subtotal)"},
        {"sum(quoted_eta_min)", "sum(quoted_eta_min)"},
        {"sum(store_id)", "sum(store_id)"},
        {"count(cancel_reason)", "count(cancel_reason)"},
        {"sum(epoch(date_trunc('second', created_at)))", "sum(toUnixTimestamp(created_at))"},
        {"sum(order_date - DATE '2026-01-01')", "sum(order_date - toDate('2026-01-01'))"},
        {"count(DISTINCT region || platform)", "uniqExact(concat(region, platform))"}}},
      {"deliveries",
       {{"count(*)", "count()"},
        {"sum(late_min)", "sum(late_min)"},
        {"sum(CASE WHEN is_batched THEN 1 ELSE 0 END)", "sum(is_batched)"},
        {"count(delivered_at)", "count(delivered_at)"},
        {"sum(epoch(date_trunc('second', delivered_at)))", "sum(toUnixTimestamp(delivered_at))"}}},
      {"items",
       {{"count(*)", "count()"},
        {"sum(quantity)", "sum(quantity)"},
        {"sum(refund_amount)", "sum(refund_amount)"},
        {"count(substitution_accepted)", "count(substitution_accepted)"},
        {"sum(CASE WHEN substitution_accepted THEN 1 ELSE 0 END)",
         "sum(if(substitution_accepted = 1, 1, 0))"}}},
      {"support", {{"count(*)", "count()"}, {"sum(refund_amount)", "sum(refund_amount)"}}},
      {"ratings", {{"count(*)", "count()"}, {"sum(rating)", "sum(rating)"}}},
      {"inventory",
       {{"count(*)", "count()"},
        {"sum(feed_lag_hours)", "sum(feed_lag_hours)"},
        {"sum(actual_in_stock_rate)", "sum(actual_in_stock_rate)"}}},
      {"supply_hourly",
       {{"count(*)", "count()"},
        {"sum(active_dashers)", "sum(active_dashers)"},
        {"sum(busy_ratio)", "sum(busy_ratio)"}}},
      {"change_log",
       {{"count(*)", "count()"}, {"sum(length(description))", "sum(length(description))"}}},
  };
  return aggregates;
}

// The last line of `text`, without its line break.
std::string LastLine(std::string text) {
  if (text.ends_with('\n')) text.pop_back();
  const size_t start = text.rfind('\n');
  return start == std::string::npos ? text : text.substr(start + 1);
}

double NumberAt(const Table& table, size_t column) {
  const Column& values = table.columns.at(column);
  if (values.IsNull(0)) return std::nan("");
  return values.type == ColumnType::DOUBLE ? values.doubles.at(0)
                                           : static_cast<double>(values.ints.at(0));
}

std::vector<double> Numbers(const Table& table) {
  std::vector<double> numbers;
  for (size_t i = 0; i < table.columns.size(); ++i) numbers.push_back(NumberAt(table, i));
  return numbers;
}

std::string Joined(const std::vector<Aggregate>& aggregates, bool clickhouse) {
  std::string text;
  for (const auto& aggregate : aggregates) {
    text += (text.empty() ? "" : ", ") + (clickhouse ? aggregate.clickhouse : aggregate.duckdb);
  }
  return text;
}

// The local two-shard cluster (tests/support/local_cluster.hpp) and a small generated world in its
// folder, made once for the tests of the suite. Skips the tests when clickhouse-server is not
// installed (scripts/setup.sh installs it).
class ClickHouseLoadTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!testing::LocalCluster::ServerInstalled()) return;
    cluster_ = std::make_unique<testing::LocalCluster>("cxagent-ch-load");
    if (!cluster_->Started()) return;
    folder_ = cluster_->Folder().string();
    // A clean 28-day world of about 8 400 orders, and change_log rows whose text needs quoting.
    world_ = *folder_ + "/world";
    const auto generated =
        RunCxagent("generate --scenario " + std::string(CXAGENT_SOURCE_DIR) +
                   "/scenarios/clean.yaml --days 28 --orders-per-day 300 --out " + world_);
    if (generated.exit_code != 0) {
      setup_error_ = "generate failed: " + generated.err;
      return;
    }
    testing::RewriteParquet(
        world_ + "/change_log.parquet", "*",
        "UNION ALL SELECT * FROM (VALUES "
        "('odd-1', TIMESTAMP '2026-06-03 10:00:00.5', 'other', 'all', 'a,b \"q\" \\N x\\y'), "
        "('odd-2', TIMESTAMP '2026-06-04 11:00:00', 'other', 'region=seattle', ''), "
        "('odd-3', TIMESTAMP '2026-06-05 12:00:00', 'other', 'all', '''leading quote'), "
        "('odd-4', TIMESTAMP '2026-06-06 13:00:00', 'other', 'all', ' two\nlines '), "
        "('odd-5', TIMESTAMP '2026-06-07 14:00:00', 'other', 'all', NULL)) v");
  }

  static void TearDownTestSuite() {
    if (cluster_) EXPECT_TRUE(cluster_->Stop());
    cluster_.reset();
    folder_.reset();
  }

  void SetUp() override {
    if (!testing::LocalCluster::ServerInstalled()) {
      GTEST_SKIP() << "clickhouse-server is not installed (scripts/setup.sh installs it)";
    }
    ASSERT_TRUE(folder_) << "the local ClickHouse cluster did not start";
    ASSERT_TRUE(setup_error_.empty()) << setup_error_;
    // A database of the test's own on both shards.
    database_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (int shard = 1; shard <= 2; ++shard) {
      const ClickHouseClient server(cluster_->Shard(shard, "default"));
      server.Execute("DROP DATABASE IF EXISTS " + database_);
      server.Execute("CREATE DATABASE " + database_);
    }
  }

  static std::string Port(int shard) { return std::to_string(cluster_->Shard(shard, "").port); }

  // The --into URL of this test's database.
  std::string Url(const std::string& extra = "") const { return cluster_->Url(database_, extra); }

  ClickHouseLocation Location() const { return ParseClickHouseUrl(Url()); }

  ClickHouseClient Shard(int number) const {
    return ClickHouseClient(cluster_->Shard(number, database_));
  }

  std::vector<std::string> TablesOn(int number) const {
    const Table names = Shard(number).Query(
        "SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name");
    std::vector<std::string> result;
    for (size_t i = 0; i < names.RowCount(); ++i) {
      result.emplace_back(names.columns.at(0).StringAt(i));
    }
    return result;
  }

  // The tables a complete load leaves on every shard.
  static std::vector<std::string> AllFinalNames() {
    return {"change_log",    "deliveries", "deliveries_local", "inventory", "items",
            "items_local",   "orders",     "orders_local",     "ratings",   "ratings_local",
            "supply_hourly", "support",    "support_local"};
  }

  // Expects the loaded tables to hold `world`'s rows: each aggregate equal to DuckDB's over the
  // Parquet files, through the Distributed tables and, for replicated ones, on each shard.
  void ExpectTablesEqual(const std::string& world) const {
    Database database;
    Connection connection(database);
    for (const auto& [table, aggregates] : Aggregates()) {
      const std::vector<double> expected =
          Numbers(connection.Query("SELECT " + Joined(aggregates, false) + " FROM read_parquet(" +
                                   SqlLiteral(world + "/" + table + ".parquet") + ")"));
      const bool replicated = ShardingOf(table) == ClickHouseSharding::REPLICATED;
      for (int shard = 1; shard <= (replicated ? 2 : 1); ++shard) {
        const std::vector<double> actual =
            Numbers(Shard(shard).Query("SELECT " + Joined(aggregates, true) + " FROM " + table));
        ASSERT_EQ(actual.size(), expected.size());
        for (size_t i = 0; i < expected.size(); ++i) {
          EXPECT_NEAR(actual[i], expected[i], 1e-9 * std::max(1.0, std::abs(expected[i])))
              << table << " shard " << shard << ": " << aggregates[i].clickhouse;
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

TEST_F(ClickHouseLoadTest, LoadsEveryTableShardedByOrderOrReplicated) {
  // 1 MB chunks: items and inventory take several INSERTs each.
  const auto result = RunCxagent("load --data " + world_ + " --into '" + Url() + "' --chunk-mb 1");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("load: orders: 8363 rows in"), std::string::npos) << result.err;
  EXPECT_NE(result.out.find("loaded 88327 rows into clickhouse://default@127.0.0.1:"),
            std::string::npos)
      << result.out;
  EXPECT_EQ(TablesOn(1), AllFinalNames());
  EXPECT_EQ(TablesOn(2), AllFinalNames());
  ExpectTablesEqual(world_);

  // Each shard holds part of the orders, and every delivery, item, contact and rating beside
  // its order.
  int64_t orders = 0;
  for (int shard = 1; shard <= 2; ++shard) {
    const int64_t here =
        Shard(shard).Query("SELECT count() FROM orders_local").columns.at(0).ints.at(0);
    EXPECT_GT(here, 2000) << "shard " << shard;
    orders += here;
    for (const char* table : {"deliveries", "items", "support", "ratings"}) {
      const Table away = Shard(shard).Query(
          std::string("SELECT count() AS n, countIf(order_id NOT IN (SELECT order_id FROM "
                      "orders_local)) AS away FROM ") +
          table + "_local");
      EXPECT_GT(away.Get("n").ints.at(0), 0) << table << " shard " << shard;
      EXPECT_EQ(away.Get("away").ints.at(0), 0) << table << " shard " << shard;
    }
  }
  EXPECT_EQ(orders, 8363);

  // Text that needs quoting, NULL and times with a fraction come back as written (to the second).
  const Table log = Shard(2).Query(
      "SELECT change_id, toString(changed_at) AS at, description, isNull(description) AS null "
      "FROM change_log WHERE change_id LIKE 'odd-%' ORDER BY change_id");
  ASSERT_EQ(log.RowCount(), 5U);
  EXPECT_EQ(log.Get("at").StringAt(0), "2026-06-03 10:00:00");
  EXPECT_EQ(log.Get("description").StringAt(0), "a,b \"q\" \\N x\\y");
  EXPECT_EQ(log.Get("description").StringAt(1), "");
  EXPECT_EQ(log.Get("description").StringAt(2), "'leading quote");
  EXPECT_EQ(log.Get("description").StringAt(3), " two\nlines ");
  EXPECT_EQ(log.Get("null").ints.at(3), 0);
  EXPECT_EQ(log.Get("null").ints.at(4), 1);
}

TEST_F(ClickHouseLoadTest, RefusesExistingTablesUnlessReplaceWhichSwapsTheDataset) {
  ASSERT_EQ(RunCxagent("load --data " + world_ + " --into '" + Url() + "'").exit_code, 0);
  const auto again = RunCxagent("load --data " + world_ + " --into '" + Url() + "'");
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_EQ(again.err,
            "cxagent: error: clickhouse://default@127.0.0.1:" + Port(1) + "/" + database_ +
                "?cluster=cxagent: database " + database_ +
                " already has orders_local, orders, deliveries_local, deliveries, items_local, "
                "items, inventory, support_local, support, ratings_local, ratings, "
                "supply_hourly, change_log (shard 1); pass --replace to replace the dataset\n");
  EXPECT_EQ(TablesOn(1), AllFinalNames());

  const auto replaced = RunCxagent("load --data " + world_ + " --into '" + Url() + "' --replace");
  ASSERT_EQ(replaced.exit_code, 0) << replaced.err;
  EXPECT_EQ(TablesOn(1), AllFinalNames());
  EXPECT_EQ(TablesOn(2), AllFinalNames());
  ExpectTablesEqual(world_);

  // Replacing with data that lacks some tables drops theirs: no table of the earlier dataset is
  // left beside the new one.
  const std::string smaller = *folder_ + "/smaller-" + database_;
  fs::create_directories(smaller);
  for (const char* table : {"orders", "deliveries", "items", "inventory"}) {
    fs::copy_file(world_ + "/" + table + ".parquet", smaller + "/" + table + ".parquet");
  }
  const auto result = RunCxagent("load --data " + smaller + " --into '" + Url() + "' --replace");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::vector<std::string> expected = {"deliveries",  "deliveries_local", "inventory",
                                             "items",       "items_local",      "orders",
                                             "orders_local"};
  EXPECT_EQ(TablesOn(1), expected);
  EXPECT_EQ(TablesOn(2), expected);
}

// A copy of the world whose items.parquet has a quantity too large for the contract's INTEGER on
// the last order's lines: the files open and count fine, and the load fails while it streams the
// items, after orders and deliveries are loaded.
std::string WorldWithABadItem(const std::string& world, const std::string& folder) {
  fs::create_directories(folder);
  for (const auto& entry : fs::directory_iterator(world)) {
    fs::copy_file(entry.path(), folder + "/" + entry.path().filename().string());
  }
  testing::RewriteParquet(folder + "/items.parquet",
                          "* REPLACE (CAST(CASE WHEN order_id = max(order_id) OVER () THEN "
                          "5000000000 ELSE quantity END AS BIGINT) AS quantity)");
  return folder;
}

TEST_F(ClickHouseLoadTest, AFailedLoadLeavesTheFinalTablesAsTheyWere) {
  ASSERT_EQ(RunCxagent("load --data " + world_ + " --into '" + Url() + "'").exit_code, 0);
  const std::string bad = WorldWithABadItem(world_, *folder_ + "/bad-" + database_);
  const auto result = RunCxagent("load --data " + bad + " --into '" + Url() + "' --replace");
  EXPECT_EQ(result.exit_code, 2);
  // The progress lines of orders and deliveries, then the error in one line.
  const std::string error = LastLine(result.err);
  EXPECT_TRUE(error.starts_with("cxagent: error: loading the items table (from " + bad +
                                "/items.parquet): Conversion Error: Type INT64 with value "
                                "5000000000 can't be cast"))
      << result.err;
  EXPECT_NE(result.err.find("load: deliveries: 8282 rows in"), std::string::npos) << result.err;
  // The earlier load is intact and nothing of the failed one is left.
  EXPECT_EQ(TablesOn(1), AllFinalNames());
  EXPECT_EQ(TablesOn(2), AllFinalNames());
  ExpectTablesEqual(world_);
}

TEST_F(ClickHouseLoadTest, AFailedFirstLoadLeavesNoTable) {
  const std::string bad = WorldWithABadItem(world_, *folder_ + "/bad-" + database_);
  const auto result = RunCxagent("load --data " + bad + " --into '" + Url() + "'");
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_EQ(TablesOn(1), std::vector<std::string>{});
  EXPECT_EQ(TablesOn(2), std::vector<std::string>{});
}

TEST_F(ClickHouseLoadTest, AServerStoppedMidLoadLeavesNoFinalTable) {
  // In process, so that shard 2 is stopped at a known point: when the first rows of items
  // (after orders and deliveries) have been sent.
  Database database;
  Connection connection(database);
  const Dataset dataset = Dataset::Open(connection, {.folder = world_});
  std::ifstream pid_file(cluster_->ClusterFolder() / "shard2" / "server.pid");
  pid_t pid = 0;
  pid_file >> pid;
  ASSERT_GT(pid, 0);
  bool stopped = false;
  const std::string message = ErrorMessage(
      [&] {
        LoadIntoClickHouse(connection, dataset, Location(), {.chunk_bytes = 64 << 10},
                           [&](const ClickHouseLoadProgress& step) {
                             if (step.table == "items" && !stopped) {
                               ASSERT_EQ(kill(pid, SIGKILL), 0);
                               stopped = true;
                             }
                           });
      },
      ErrorType::INVALID_INPUT);
  EXPECT_TRUE(stopped);
  EXPECT_TRUE(message.starts_with("loading the items table (from " + world_ +
                                  "/items.parquet): clickhouse://default@127.0.0.1:"))
      << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_EQ(TablesOn(1), std::vector<std::string>{});

  // Restarted, shard 2 still has the staging tables it held when it stopped; the next load
  // drops them and completes.
  ASSERT_TRUE(cluster_->Start());
  EXPECT_FALSE(TablesOn(2).empty());
  const auto result = RunCxagent("load --data " + world_ + " --into '" + Url() + "'");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(TablesOn(1), AllFinalNames());
  EXPECT_EQ(TablesOn(2), AllFinalNames());
  ExpectTablesEqual(world_);
}

TEST_F(ClickHouseLoadTest, ADatasetFileLoadsItsMappedTablesAndOwnDimensions) {
  // A team's export: only orders, other column names, recoded values, a dimension of its own
  // and no subtotal (NULL, hence Nullable in ClickHouse).
  const std::string folder = *folder_ + "/team-" + database_;
  fs::create_directories(folder);
  std::ofstream(folder + "/orders.csv") << "id;placed;state;market;channel\n"
                                           "7;01/06/2026 12:30;D;sea;app\n"
                                           "8;02/06/2026 19:05;C;bos;web\n";
  std::ofstream(folder + "/dataset.yaml")
      << "tables:\n  orders:\n    source: orders.csv\n    csv: {delimiter: \";\"}\n"
         "    columns: {order_id: id, created_at: placed, status: state, region: market}\n"
         "    recode:\n      status: {D: delivered, C: cancelled}\n"
         "    time_format: {created_at: \"%d/%m/%Y %H:%M\"}\n"
         "dimensions: [region, channel]\n";
  const auto result = RunCxagent("load --data " + folder + " --dataset " + folder +
                                 "/dataset.yaml --into '" + Url() + "'");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(TablesOn(1), (std::vector<std::string>{"orders", "orders_local"}));
  EXPECT_EQ(TablesOn(2), (std::vector<std::string>{"orders", "orders_local"}));
  const Table rows = Shard(1).Query(
      "SELECT order_id, toString(created_at) AS at, toString(order_date) AS day, status, "
      "region, channel, isNull(subtotal) AS no_subtotal FROM orders ORDER BY order_id");
  ASSERT_EQ(rows.RowCount(), 2U);
  EXPECT_EQ(rows.Get("at").StringAt(0), "2026-06-01 12:30:00");
  EXPECT_EQ(rows.Get("day").StringAt(1), "2026-06-02");
  EXPECT_EQ(rows.Get("status").StringAt(0), "delivered");
  EXPECT_EQ(rows.Get("status").StringAt(1), "cancelled");
  EXPECT_EQ(rows.Get("region").StringAt(1), "bos");
  EXPECT_EQ(rows.Get("channel").StringAt(0), "app");
  EXPECT_EQ(rows.Get("no_subtotal").ints.at(1), 1);
  const Table types = Shard(2).Query(
      "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = "
      "'orders_local' AND name IN ('channel', 'subtotal', 'order_id') ORDER BY name");
  ASSERT_EQ(types.RowCount(), 3U);
  EXPECT_EQ(types.Get("type").StringAt(0), "String");             // channel
  EXPECT_EQ(types.Get("type").StringAt(1), "Int64");              // order_id
  EXPECT_EQ(types.Get("type").StringAt(2), "Nullable(Float64)");  // subtotal
}

TEST_F(ClickHouseLoadTest, ServerAndUrlErrorsAreOneLineWithExit2) {
  const std::string data = "load --data " + world_ + " --into ";
  const std::string port1 = Port(1);
  const std::string port2 = Port(2);
  const std::map<std::string, std::string> cases = {
      // Nothing listens on port 1.
      {"'clickhouse://127.0.0.1:1/" + database_ + "?cluster=cxagent'",
       "cxagent: error: clickhouse://default@127.0.0.1:1/" + database_ +
           "?cluster=cxagent: no ClickHouse server answers (Connection)"},
      {"'clickhouse://127.0.0.1:" + port1 + "/nope?cluster=cxagent&shards=127.0.0.1:" + port2 + "'",
       "cxagent: error: clickhouse://default@127.0.0.1:" + port1 +
           "/nope?cluster=cxagent: ClickHouse error 81: Database nope doesn't exist"},
      {"'clickhouse://cxagent:wrong@127.0.0.1:" + port1 + "/" + database_ + "?cluster=cxagent'",
       "cxagent: error: clickhouse://cxagent:***@127.0.0.1:" + port1 + "/" + database_ +
           "?cluster=cxagent: ClickHouse error 193: Wrong password for user cxagent"},
      {"'clickhouse://127.0.0.1:" + port1 + "/" + database_ + "'",
       "cxagent: error: clickhouse://default@127.0.0.1:" + port1 + "/" + database_ +
           ": no cluster; name the cluster of the shards with ?cluster=NAME (its entry in the "
           "servers' remote_servers)"},
      {"'clickhouse://127.0.0.1:" + port1 + "/" + database_ + "?cluster=nope'",
       "cxagent: error: clickhouse://default@127.0.0.1:" + port1 + "/" + database_ +
           "?cluster=nope: the server has no cluster 'nope' in its remote_servers (it has: "
           "cxagent)"},
      // Without shards=, shard 2's address is 127.0.0.1 at the URL's port: shard 1 again.
      {"'clickhouse://127.0.0.1:" + port1 + "/" + database_ + "?cluster=cxagent'",
       "cxagent: error: clickhouse://default@127.0.0.1:" + port1 + "/" + database_ +
           "?cluster=cxagent and clickhouse://default@127.0.0.1:" + port1 + "/" + database_ +
           "?cluster=cxagent are both shard 1 of cluster 'cxagent'; name each shard's HTTP "
           "address once with ?shards=HOST:PORT,..."},
      {"'clickhouse://127.0.0.1:" + port1 + "/" + database_ +
           "?cluster=cxagent&shards=127.0.0.1:" + port1 + "'",
       "cxagent: error: clickhouse://default@127.0.0.1:" + port1 + "/" + database_ +
           "?cluster=cxagent and clickhouse://default@127.0.0.1:" + port1 + "/" + database_ +
           "?cluster=cxagent are both shard 1 of cluster 'cxagent'; name each shard's HTTP "
           "address once with ?shards=HOST:PORT,..."},
      {"'clickhouse://127.0.0.1:" + port1 + "/" + database_ + "?cluster=cxagent&shards=h2'",
       "cxagent: error: clickhouse://127.0.0.1:" + port1 + "/" + database_ +
           "?cluster=cxagent&shards=h2: no port in shards 'h2' (expected HOST:PORT, the server's "
           "HTTP port)"},
  };
  for (const auto& [into, expected] : cases) {
    const auto result = RunCxagent(data + into);
    EXPECT_EQ(result.exit_code, 2) << into;
    EXPECT_EQ(result.err, expected + "\n") << into;
  }
  const auto no_data = RunCxagent("load --data " + *folder_ + "/nope --into '" + Url() + "'");
  EXPECT_EQ(no_data.exit_code, 2);
  EXPECT_EQ(no_data.err, "cxagent: error: data folder not found: " + *folder_ + "/nope\n");
  EXPECT_EQ(TablesOn(1), std::vector<std::string>{});
}

}  // namespace
}  // namespace cxagent::storage
