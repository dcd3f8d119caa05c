#include "storage/clickhouse_client.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "support/local_cluster.hpp"
#include "support/test_support.hpp"

namespace cxagent::storage {
namespace {

using testing::ErrorMessage;

// The local two-shard cluster (tests/support/local_cluster.hpp), started for the tests of one
// suite and stopped after them. Skips the tests when clickhouse-server is not installed.
class ClickHouseClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!testing::LocalCluster::ServerInstalled()) return;
    cluster_ = std::make_unique<testing::LocalCluster>("cxagent-clickhouse");
    if (!cluster_->Started()) return;
    shard1_ = cluster_->Shard(1, "default");
    shard2_ = cluster_->Shard(2, "default");
    password_ = cluster_->Password();
  }

  static void TearDownTestSuite() {
    if (cluster_) EXPECT_TRUE(cluster_->Stop());
    cluster_.reset();
    shard1_.reset();
  }

  void SetUp() override {
    if (!testing::LocalCluster::ServerInstalled()) {
      GTEST_SKIP() << "clickhouse-server is not installed (scripts/setup.sh installs it)";
    }
    ASSERT_TRUE(shard1_) << "the local ClickHouse cluster did not start";
  }

  static inline std::unique_ptr<testing::LocalCluster> cluster_;
  static inline std::optional<ClickHouseLocation> shard1_;
  static inline std::optional<ClickHouseLocation> shard2_;
  static inline std::string password_;
};

TEST_F(ClickHouseClientTest, CreatesInsertsAndQueriesThroughADistributedTable) {
  for (const auto* shard : {&*shard1_, &*shard2_}) {
    const ClickHouseClient client(*shard);
    client.Execute("CREATE DATABASE IF NOT EXISTS client_test");
    client.Execute(
        "CREATE TABLE client_test.orders_local (order_id Int64, order_date Date, region String, "
        "subtotal Float64, cancel_reason Nullable(String)) ENGINE = MergeTree() "
        "ORDER BY order_id");
    client.Execute(
        "CREATE TABLE client_test.orders AS client_test.orders_local "
        "ENGINE = Distributed(cxagent, client_test, orders_local, cityHash64(order_id))");
  }
  ClickHouseLocation location = *shard1_;
  location.database = "client_test";
  const ClickHouseClient client(location);
  std::string rows = "order_id,order_date,region,subtotal,cancel_reason\n";
  for (int id = 1; id <= 200; ++id) {
    rows += std::to_string(id) + ",2026-06-0" + std::to_string(1 + id % 3) + "," +
            (id % 2 ? "seattle" : "\"it's \"\"quoted\"\", here\"") + "," + std::to_string(id) +
            ".5," + (id % 10 ? "\\N" : "customer") + "\n";
  }
  client.Insert(
      "INSERT INTO orders (order_id, order_date, region, subtotal, cancel_reason) "
      "FORMAT CSVWithNames",
      rows, "insert_distributed_sync=1&format_csv_allow_single_quotes=0");

  const Table totals = client.Query(
      "SELECT count() AS n, sum(subtotal) AS subtotal, countIf(isNull(cancel_reason)) AS no_reason,"
      " min(order_date) AS first_day, uniqExact(region) AS regions FROM orders");
  ASSERT_EQ(totals.RowCount(), 1u);
  EXPECT_EQ(totals.Get("n").ints[0], 200);
  EXPECT_EQ(totals.Get("subtotal").doubles[0], 200 * 201 / 2 + 100.0);
  EXPECT_EQ(totals.Get("no_reason").ints[0], 180);
  EXPECT_EQ(totals.Get("first_day").type, ColumnType::DATE);
  EXPECT_EQ(totals.Get("first_day").ints[0], 20605);  // 2026-06-01
  EXPECT_EQ(totals.Get("regions").ints[0], 2);

  const Table by_region =
      client.Query("SELECT region, count() AS n FROM orders GROUP BY region ORDER BY region");
  ASSERT_EQ(by_region.RowCount(), 2u);
  EXPECT_EQ(by_region.Get("region").StringAt(0), "it's \"quoted\", here");
  EXPECT_EQ(by_region.Get("n").ints[0], 100);

  // Each shard holds part of the rows.
  const Table local1 = ClickHouseClient(location).Query("SELECT count() AS n FROM orders_local");
  location.port = shard2_->port;
  const Table local2 = ClickHouseClient(location).Query("SELECT count() AS n FROM orders_local");
  EXPECT_GT(local1.Get("n").ints[0], 0);
  EXPECT_GT(local2.Get("n").ints[0], 0);
  EXPECT_EQ(local1.Get("n").ints[0] + local2.Get("n").ints[0], 200);
}

// The traffic counters behind "what comes back over the network" (docs/scale.md): one request
// per query, its SQL sent and its TSV answer received, byte for byte; a refusal counts too.
TEST_F(ClickHouseClientTest, CountsRequestsAndTheBytesOfEveryAnswer) {
  const ClickHouseClient client(*shard1_);
  const ClickHouseTraffic before = ClickHouseTrafficSoFar();
  const std::string sql = "SELECT toUInt8(1) AS one";
  client.Query(sql);
  const ClickHouseTraffic after = ClickHouseTrafficSoFar();
  EXPECT_EQ(after.requests - before.requests, 1);
  EXPECT_EQ(after.bytes_sent - before.bytes_sent, static_cast<int64_t>(sql.size()));
  EXPECT_EQ(after.bytes_received - before.bytes_received,
            static_cast<int64_t>(std::string("one\nUInt8\n1\n").size()));
  EXPECT_THROW(client.Query("SELECT nope FROM system.one"), Error);
  const ClickHouseTraffic refused = ClickHouseTrafficSoFar();
  EXPECT_EQ(refused.requests - after.requests, 1);
  EXPECT_GT(refused.bytes_received - after.bytes_received, 0);
}

TEST_F(ClickHouseClientTest, RefusalsCarryTheServersMessageInOneLine) {
  const ClickHouseClient client(*shard1_);
  const std::string server =
      "clickhouse://default@127.0.0.1:" + std::to_string(shard1_->port) + "/default";
  EXPECT_EQ(ErrorMessage([&] { client.Query("SELECT * FROM default.nope"); }, ErrorType::NOT_FOUND),
            server + ": ClickHouse error 60: Table default.nope doesn't exist.");
  EXPECT_EQ(ErrorMessage([&] { client.Query("SELECT nope()"); }, ErrorType::NOT_FOUND),
            server + ": ClickHouse error 46: Unknown function nope");
  EXPECT_TRUE(ErrorMessage([&] { client.Query("SELEC 1"); })
                  .starts_with(server + ": ClickHouse error 62: Syntax error: failed at position "
                                        "1: SELEC 1. Expected one of: "));

  ClickHouseLocation no_database = *shard1_;
  no_database.database = "nodb";
  EXPECT_EQ(
      ErrorMessage([&] { ClickHouseClient(no_database).Query("SELECT 1"); }, ErrorType::NOT_FOUND),
      "clickhouse://default@127.0.0.1:" + std::to_string(shard1_->port) +
          "/nodb: ClickHouse error 81: Database nodb doesn't exist");

  ClickHouseLocation login = *shard1_;
  login.user = "cxagent";
  login.password = password_;
  EXPECT_EQ(ClickHouseClient(login).Query("SELECT 7 AS seven").Get("seven").ints[0], 7);
  login.password = "wrong";
  EXPECT_EQ(
      ErrorMessage([&] { ClickHouseClient(login).Query("SELECT 1"); }, ErrorType::UNAUTHORIZED),
      "clickhouse://cxagent:***@127.0.0.1:" + std::to_string(shard1_->port) +
          "/default: ClickHouse error 193: Wrong password for user cxagent");

  // An error met after a million rows were computed still fails the request.
  EXPECT_EQ(
      ErrorMessage([&] {
        client.Query("SELECT throwIf(number = 1000000) AS x FROM system.numbers LIMIT 2000000");
      }),
      server + ": ClickHouse error 395: Value passed to 'throwIf' function is non zero");

  // Rows ClickHouse cannot parse: a timestamp with a fraction of a second.
  client.Execute("CREATE TABLE IF NOT EXISTS default.stamps (t DateTime, n UInt8) ENGINE = Memory");
  const std::string message = ErrorMessage(
      [&] { client.Insert("INSERT INTO default.stamps FORMAT CSV", "2026-06-01 04:11:14.8,1\n"); });
  EXPECT_TRUE(message.starts_with(server +
                                  ": ClickHouse error 27: Cannot parse input: expected , before: "
                                  ".8,1\\n: (at row 1) |  | Row 1: | "))
      << message;
}

TEST(ClickHouseClientDownTest, NothingListeningIsNotFoundNamingTheServer) {
  // Port 1 on loopback: nothing listens there, so the connection is refused at once.
  const ClickHouseClient client(
      ClickHouseLocation{.host = "127.0.0.1", .port = 1, .database = "cx", .password = "s3cret"},
      5);
  const std::string message = ErrorMessage([&] { client.Query("SELECT 1"); }, ErrorType::NOT_FOUND);
  EXPECT_TRUE(message.starts_with(
      "clickhouse://default:***@127.0.0.1:1/cx: no ClickHouse server answers ("))
      << message;
}

}  // namespace
}  // namespace cxagent::storage
