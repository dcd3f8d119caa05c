#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <thread>

#include "common/file.hpp"
#include "server/api_fixture.hpp"
#include "storage/clickhouse_client.hpp"
#include "support/local_cluster.hpp"
#include "support/test_support.hpp"

namespace cxagent::storage {
namespace {

namespace fs = std::filesystem;
using testing::RunCxagent;

// `cxagent analyze --data clickhouse://...` end to end, on the local two-shard cluster
// (tests/support/local_cluster.hpp) of the suite: a generated world with
// incidents, loaded into the cluster, analysed from the cluster and from its Parquet files.
// Skipped without clickhouse-server.
class ClickHouseAnalysisTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!testing::LocalCluster::ServerInstalled()) return;
    cluster_ = std::make_unique<testing::LocalCluster>("cxagent-ch-analysis");
    if (!cluster_->Started()) return;
    folder_ = cluster_->Folder().string();
    world_ = *folder_ + "/world";
    // The demo's three incidents (a region, a store type in a region, a platform; one open at
    // the end), on a smaller world.
    const auto generated =
        RunCxagent("generate --scenario " + std::string(CXAGENT_SOURCE_DIR) +
                   "/scenarios/demo.yaml --days 90 --orders-per-day 1000 --out " + world_);
    if (generated.exit_code != 0) {
      setup_error_ = "generate failed: " + generated.err;
      return;
    }
    for (int shard = 1; shard <= 2; ++shard) {
      Shard(shard, "default").Execute("CREATE DATABASE IF NOT EXISTS cx");
    }
    const auto loaded = RunCxagent("load --data " + world_ + " --into '" + Url() + "'");
    if (loaded.exit_code != 0) setup_error_ = "load failed: " + loaded.err;
  }

  static void TearDownTestSuite() {
    cluster_.reset();
    folder_.reset();
  }

  void SetUp() override {
    if (!testing::LocalCluster::ServerInstalled()) {
      GTEST_SKIP() << "clickhouse-server is not installed (scripts/setup.sh installs it)";
    }
    ASSERT_TRUE(folder_) << "the local ClickHouse cluster did not start";
    ASSERT_TRUE(setup_error_.empty()) << setup_error_;
  }

  static ClickHouseClient Shard(int number, const std::string& database = "cx") {
    return ClickHouseClient(cluster_->Shard(number, database));
  }

  static std::string Url(const std::string& database = "cx") { return cluster_->Url(database); }

  static std::string Port(int shard) { return std::to_string(cluster_->Shard(shard, "").port); }

  static inline std::unique_ptr<testing::LocalCluster> cluster_;
  static inline std::optional<std::string> folder_;
  static inline std::string world_;
  static inline std::string setup_error_;
};

// Expects `actual` to equal `expected`: the same keys, strings and booleans, and numbers within
// 1e-6 (relative to the larger of 1 and the value), naming the path of the first difference.
void ExpectSameJson(const nlohmann::json& expected, const nlohmann::json& actual,
                    const std::string& path) {
  if (expected.is_number() && actual.is_number()) {
    const double want = expected.get<double>();
    const double got = actual.get<double>();
    EXPECT_NEAR(got, want, 1e-6 * std::max(1.0, std::abs(want))) << path;
    return;
  }
  ASSERT_EQ(expected.type(), actual.type()) << path << ": " << expected << " vs " << actual;
  if (expected.is_object()) {
    std::set<std::string> keys;
    for (const auto& [key, value] : expected.items()) keys.insert(key);
    for (const auto& [key, value] : actual.items()) keys.insert(key);
    for (const auto& key : keys) {
      ASSERT_TRUE(expected.contains(key)) << path << "." << key << " only in the cluster's";
      ASSERT_TRUE(actual.contains(key)) << path << "." << key << " only in the files'";
      ExpectSameJson(expected[key], actual[key], path + "." + key);
    }
  } else if (expected.is_array()) {
    ASSERT_EQ(expected.size(), actual.size()) << path;
    for (size_t i = 0; i < expected.size(); ++i) {
      ExpectSameJson(expected[i], actual[i], path + "[" + std::to_string(i) + "]");
    }
  } else {
    EXPECT_EQ(expected, actual) << path;
  }
}

TEST_F(ClickHouseAnalysisTest, AnalysisFromTheClusterEqualsTheAnalysisOfTheFiles) {
  testing::TempDir dir;
  const auto files = RunCxagent("analyze --data " + world_ + " --out " + dir.File("files.json"));
  ASSERT_EQ(files.exit_code, 0) << files.err;
  const auto cluster = RunCxagent("analyze --data '" + Url() + "' --results " +
                                  dir.File("results") + " --out " + dir.File("cluster.json"));
  ASSERT_EQ(cluster.exit_code, 0) << cluster.err;
  const nlohmann::json expected = nlohmann::json::parse(ReadFile(dir.File("files.json")));
  const nlohmann::json actual = nlohmann::json::parse(ReadFile(dir.File("cluster.json")));
  // Not a test that cannot fail: the world has incidents, with causes and recommendations.
  ASSERT_GE(expected["incidents"].size(), 2U) << expected.dump();
  size_t with_causes = 0;
  size_t with_actions = 0;
  for (const auto& incident : expected["incidents"]) {
    if (incident.contains("rca") && !incident["rca"]["causes"].empty()) ++with_causes;
    if (incident.contains("recommendations") && !incident["recommendations"].empty()) {
      ++with_actions;
    }
  }
  EXPECT_GE(with_causes, 2U);
  EXPECT_GE(with_actions, 2U);
  // Every field: the analysis JSON holds no data location or time stamp.
  ExpectSameJson(expected, actual, "analysis");
  // The results are stored in --results, as in the data folder for files.
  EXPECT_TRUE(fs::exists(dir.File("results/.cxagent/results.duckdb")));
}

// The leaves pass in ranges of about a week (1 000 orders a day) gives the analysis of one query
// over every day. One-day ranges are checked on the leaves themselves
// (ClickHouseFactsTest.LeavesInRangesOfDaysEqualOneQueryOverEveryDay): a whole analysis over 90
// one-day queries ran past ctest's 300 s on the loaded 2-core machine.
TEST_F(ClickHouseAnalysisTest, AnalysisInRangesOfDaysEqualsTheAnalysisOfOneQuery) {
  testing::TempDir dir;
  const auto analyze = [&](const std::string& name, const std::string& yaml) {
    const std::string config = dir.Write(name + ".yaml", yaml);
    const auto result =
        RunCxagent("analyze --data '" + Url() + "' --config " + config + " --results " +
                   dir.File(name) + " --out " + dir.File(name + ".json"));
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return std::make_pair(nlohmann::json::parse(ReadFile(dir.File(name + ".json"))), result.err);
  };
  const auto [whole, whole_log] = analyze("whole", "clickhouse:\n  orders_per_query: 1000000000\n");
  const std::regex leaves_pass("leaves pass in [0-9.]+ s \\((\\d+) queries");
  const auto queries = [&](const std::string& log) {
    std::smatch match;
    return std::regex_search(log, match, leaves_pass) ? std::stoi(match[1]) : -1;
  };
  EXPECT_EQ(queries(whole_log), 1) << whole_log;
  ASSERT_GE(whole["incidents"].size(), 2U) << whole.dump();
  const auto [weeks, weeks_log] = analyze("weeks", "clickhouse:\n  orders_per_query: 7000\n");
  EXPECT_GE(queries(weeks_log), 11) << weeks_log;
  EXPECT_LE(queries(weeks_log), 16) << weeks_log;
  ExpectSameJson(whole, weeks, "analysis");
}

// Windows larger than the RCA keeps (facts_per_window) are drawn in ClickHouse by DuckDB's hash
// of the order id, so only the draws come back, and the efficiency's reads run in ClickHouse in
// ranges of days: the analysis still equals the files'.
TEST_F(ClickHouseAnalysisTest, DrawnFactsAndRangesGiveTheAnalysisOfTheFiles) {
  testing::TempDir dir;
  const std::string config =
      dir.Write("drawn.yaml",
                "rca:\n  facts_per_window: 600\n  sample_per_window: 600\n  shap_per_window: 300\n"
                "clickhouse:\n  orders_per_query: 5000\n");
  const auto files = RunCxagent("analyze --data " + world_ + " --config " + config + " --out " +
                                dir.File("files.json"));
  ASSERT_EQ(files.exit_code, 0) << files.err;
  const auto cluster =
      RunCxagent("analyze --data '" + Url() + "' --config " + config + " --results " +
                 dir.File("results") + " --out " + dir.File("cluster.json"));
  ASSERT_EQ(cluster.exit_code, 0) << cluster.err;
  const nlohmann::json expected = nlohmann::json::parse(ReadFile(dir.File("files.json")));
  ASSERT_GE(expected["incidents"].size(), 2U) << expected.dump();
  ExpectSameJson(expected, nlohmann::json::parse(ReadFile(dir.File("cluster.json"))), "analysis");
  // A window is drawn down to about 600 orders (the hash's draw is not exact), so at most about
  // 600 orders a window come back, not every order of the incidents' windows.
  std::smatch fetched;
  ASSERT_TRUE(std::regex_search(cluster.err, fetched,
                                std::regex("(\\d+) orders of the incidents' samples fetched")))
      << cluster.err;
  EXPECT_LT(std::stoul(fetched[1]), 800 * 2 * expected["incidents"].size()) << cluster.err;
}

TEST_F(ClickHouseAnalysisTest, ABadOrdersPerQueryIsOneLineWithExit2) {
  testing::TempDir dir;
  const std::map<std::string, std::string> cases = {
      {"clickhouse:\n  orders_per_query: 0\n",
       "clickhouse.orders_per_query: 0 is out of range (the most orders one query of the leaves "
       "pass reads, all shards together); allowed: 1 to 1000000000"},
      {"clickhouse:\n  orders_per_query: many\n",
       "clickhouse.orders_per_query: 'many' is not a whole number"},
      {"clickhouse:\n  days_per_query: 7\n", "clickhouse.days_per_query: unknown key"},
  };
  for (const auto& [yaml, message] : cases) {
    const std::string config = dir.Write("bad.yaml", yaml);
    const auto result = RunCxagent("analyze --data '" + Url() + "' --config " + config +
                                   " --results " + dir.File("results"));
    EXPECT_EQ(result.exit_code, 2) << yaml;
    EXPECT_NE(result.err.find(message), std::string::npos) << result.err;
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  }
}

TEST_F(ClickHouseAnalysisTest, AnalyzeWithoutResultsFolderIsABadUsage) {
  const auto result = RunCxagent("analyze --data '" + Url() + "'");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(
      result.err.find(
          "cxagent: error: --data clickhouse://default@127.0.0.1:" + Port(1) +
          "/cx?cluster=cxagent: a ClickHouse database has no folder for the analysis results; "
          "name one with --results DIR"),
      std::string::npos)
      << result.err;
  const auto incremental = RunCxagent("analyze --incremental --data '" + Url() + "' --results " +
                                      *folder_ + "/results-incremental");
  EXPECT_EQ(incremental.exit_code, 2);
  EXPECT_NE(incremental.err.find("--incremental: a refresh reuses per-file sums"),
            std::string::npos)
      << incremental.err;
}

TEST_F(ClickHouseAnalysisTest, ServerErrorsAreOneLineWithExit2) {
  testing::TempDir dir;
  const std::string results = " --results " + dir.File("results");
  const std::string port1 = Port(1);
  const std::map<std::string, std::string> cases = {
      {"clickhouse://127.0.0.1:1/cx",
       "cxagent: error: clickhouse://default@127.0.0.1:1/cx: no ClickHouse server answers "
       "(Connection)"},
      {"clickhouse://127.0.0.1:" + port1 + "/nope",
       "cxagent: error: clickhouse://default@127.0.0.1:" + port1 +
           "/nope: ClickHouse error 81: Database nope doesn't exist"},
  };
  // A query the server refuses after the database opened: a Distributed orders table over a
  // table that is not there.
  for (int shard = 1; shard <= 2; ++shard) {
    Shard(shard, "default").Execute("DROP DATABASE IF EXISTS broken");
    Shard(shard, "default").Execute("CREATE DATABASE broken");
    Shard(shard, "broken")
        .Execute(
            "CREATE TABLE orders_local (order_id Int64, status String, order_date Date, region "
            "String) ENGINE = MergeTree() ORDER BY order_id");
    Shard(shard, "broken")
        .Execute(
            "CREATE TABLE orders AS orders_local ENGINE = Distributed(cxagent, broken, gone, "
            "cityHash64(order_id))");
  }
  const auto refused =
      RunCxagent("analyze --data 'clickhouse://127.0.0.1:" + port1 + "/broken'" + results);
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("cxagent: error: clickhouse://default@127.0.0.1:" + port1 +
                             "/broken: ClickHouse error 60: "),
            std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("Table broken.gone doesn't exist"), std::string::npos) << refused.err;
  for (const auto& [data, message] : cases) {
    const auto result = RunCxagent("analyze --data '" + data + "'" + results);
    EXPECT_EQ(result.exit_code, 2) << data;
    EXPECT_NE(result.err.find(message), std::string::npos) << result.err;
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  }
}

// Last of the suite: it stops the cluster. `serve` analyses the cluster when it has no results,
// answers from them, and keeps answering when the server goes away; the failed refresh is
// reported by /api/health as the server's one-line message.
TEST_F(ClickHouseAnalysisTest, ServeKeepsAnsweringFromItsResultsWhenTheServerGoesAway) {
  testing::TempDir dir;
  server::ServerOptions options;
  options.data_dir = Url();
  options.results_dir = dir.File("results");
  options.web_root = dir.File("no-dashboard");
  server::testing::RunningServer running(options);
  httplib::Client client = running.Client();
  const auto health = client.Get("/api/health");
  ASSERT_TRUE(health);
  ASSERT_EQ(health->status, 200) << health->body;
  const nlohmann::json before = nlohmann::json::parse(health->body);
  ASSERT_GE(before["incidents"].get<int>(), 2) << before.dump();
  EXPECT_TRUE(fs::exists(dir.File("results/.cxagent/results.duckdb")));

  ASSERT_TRUE(cluster_->Stop());
  const auto started = client.Post("/api/analyze", "", "application/json");
  ASSERT_TRUE(started);
  EXPECT_EQ(started->status, 202) << started->body;
  nlohmann::json after;
  for (int wait = 0; wait < 300; ++wait) {
    const auto polled = client.Get("/api/health");
    ASSERT_TRUE(polled);
    ASSERT_EQ(polled->status, 200);
    after = nlohmann::json::parse(polled->body);
    if (after["analysis"]["state"] == "idle" && !after["analysis"]["finished_at"].is_null()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(after["analysis"]["last_error"].is_null()) << after.dump();
  const std::string message = after["analysis"]["last_error"]["error"]["message"];
  EXPECT_NE(message.find("no ClickHouse server answers"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_EQ(after["incidents"], before["incidents"]);
  EXPECT_EQ(after["analyzed_at"], before["analyzed_at"]);
  const auto incidents = client.Get("/api/incidents");
  ASSERT_TRUE(incidents);
  EXPECT_EQ(incidents->status, 200);
}

}  // namespace
}  // namespace cxagent::storage
