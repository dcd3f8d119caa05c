// Bad data end to end (issue 15): `cxagent check` reports it, and `analyze` stops on the first
// blocking problem with one line naming table, column and row, within seconds, with bounded
// memory, writing nothing.

#include <gtest/gtest.h>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "common/file.hpp"
#include "storage/duckdb.hpp"
#include "support/test_support.hpp"

namespace cxagent {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::RunCxagent;
using testing::TempDir;

// A run of the binary with its wall time and peak resident memory (its own, from wait4).
struct Measured {
  CommandResult result;
  double seconds = 0;
  long max_rss_mib = 0;
};

Measured RunMeasured(const std::vector<std::string>& arguments) {
  TempDir capture;
  const std::string out = capture.File("stdout");
  const std::string err = capture.File("stderr");
  const auto started = std::chrono::steady_clock::now();
  const pid_t child = fork();
  if (child == 0) {
    const int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    alarm(120);  // a run that does not stop (serve on data that passed) ends the test, not hangs
    std::vector<char*> argv = {const_cast<char*>(CXAGENT_BINARY)};
    for (const auto& argument : arguments) argv.push_back(const_cast<char*>(argument.c_str()));
    argv.push_back(nullptr);
    execv(CXAGENT_BINARY, argv.data());
    _exit(127);
  }
  Measured measured;
  int status = 0;
  rusage usage{};
  wait4(child, &status, 0, &usage);
  measured.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  measured.max_rss_mib = usage.ru_maxrss / 1024;
  measured.result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  measured.result.out = ReadFile(out);
  measured.result.err = ReadFile(err);
  return measured;
}

// One small generated world shared by the suite; each test changes a copy.
class DataCheckTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    world_ = new TempDir();
    const auto generated = RunCxagent(
        fmt::format("generate --scenario {}/scenarios/clean.yaml --days 28 --orders-per-day 200 "
                    "--out {}",
                    CXAGENT_SOURCE_DIR, world_->File("world")));
    ASSERT_EQ(generated.exit_code, 0) << generated.err;
  }
  static void TearDownTestSuite() {
    delete world_;
    world_ = nullptr;
  }

  fs::path World() {
    const fs::path copy = dir_.Path() / "world";
    fs::remove_all(copy);
    fs::copy(world_->File("world"), copy, fs::copy_options::recursive);
    fs::remove(copy / "truth.json");
    return copy;
  }

  // The `offset`-th smallest order id of a table of the world.
  int64_t OrderId(const std::string& table, int offset) {
    storage::Database database;
    storage::Connection connection(database);
    return connection
        .Query(
            fmt::format("SELECT order_id FROM read_parquet({}) ORDER BY order_id LIMIT 1 OFFSET {}",
                        storage::SqlLiteral(world_->File("world/" + table + ".parquet")), offset))
        .Get("order_id")
        .ints.at(0);
  }

  // `analyze` is rejected quickly with one line holding every needle; nothing is written.
  void ExpectAnalyzeRejected(const std::vector<std::string>& data_arguments,
                             const std::string& folder, const std::vector<std::string>& needles) {
    std::vector<std::string> arguments = {"analyze"};
    arguments.insert(arguments.end(), data_arguments.begin(), data_arguments.end());
    arguments.insert(arguments.end(), {"--out", dir_.File("a.json"), "--log-level", "warn"});
    const Measured run = RunMeasured(arguments);
    const CommandResult& result = run.result;
    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_TRUE(result.out.empty());
    EXPECT_TRUE(result.err.starts_with("cxagent: error: ")) << result.err;
    EXPECT_EQ(result.err.find('\n'), result.err.size() - 1) << result.err;
    for (const auto& needle : needles) {
      EXPECT_NE(result.err.find(needle), std::string::npos)
          << "'" << needle << "' in " << result.err;
    }
    EXPECT_FALSE(fs::exists(dir_.File("a.json")));
    EXPECT_FALSE(fs::exists(fs::path(folder) / ".cxagent" / "results.duckdb"));
    // Within seconds and bounded memory (a 1000-01-01 order used to grow without limit).
    EXPECT_LT(run.seconds, 30.0);
    EXPECT_LT(run.max_rss_mib, 1024) << "MiB";
  }

  // `check` reports the same problem: exit 2, the report on stdout (as JSON with --json), the
  // first blocking finding as the one line on stderr.
  nlohmann::json ExpectCheckBlocks(const std::vector<std::string>& data_arguments,
                                   const std::vector<std::string>& needles) {
    std::vector<std::string> arguments = {"check"};
    arguments.insert(arguments.end(), data_arguments.begin(), data_arguments.end());
    const Measured text = RunMeasured(arguments);
    EXPECT_EQ(text.result.exit_code, 2) << text.result.err;
    EXPECT_NE(text.result.out.find("BLOCKING"), std::string::npos) << text.result.out;
    EXPECT_EQ(text.result.err.find('\n'), text.result.err.size() - 1) << text.result.err;
    for (const auto& needle : needles) {
      EXPECT_NE(text.result.err.find(needle), std::string::npos)
          << "'" << needle << "' in " << text.result.err;
    }
    arguments.push_back("--json");
    const Measured json = RunMeasured(arguments);
    EXPECT_EQ(json.result.exit_code, 2) << json.result.err;
    EXPECT_EQ(json.result.err, text.result.err);
    const auto report = nlohmann::json::parse(json.result.out, nullptr, false);
    EXPECT_FALSE(report.is_discarded()) << json.result.out.substr(0, 300);
    if (!report.is_discarded()) {
      EXPECT_GE(report["blocking"].get<int>(), 1);
    }
    return report;
  }

  void ExpectBlocked(const fs::path& data, const std::vector<std::string>& needles) {
    ExpectAnalyzeRejected({"--data", data.string()}, data.string(), needles);
    ExpectCheckBlocks({"--data", data.string()}, needles);
  }

  static TempDir* world_;
  TempDir dir_;
};

TempDir* DataCheckTest::world_ = nullptr;

TEST_F(DataCheckTest, TheGeneratedWorldChecksCleanAsJson) {
  const fs::path data = World();
  const auto result = RunCxagent("check --data " + data.string() + " --json");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const auto report = nlohmann::json::parse(result.out);
  EXPECT_EQ(report["blocking"], 0);
  EXPECT_EQ(report["warnings"], 0) << report["findings"].dump(2);
  ASSERT_EQ(report["tables"].size(), 8u);
  for (const auto& table : report["tables"]) {
    SCOPED_TRACE(table["table"].get<std::string>());
    EXPECT_TRUE(table["present"].get<bool>());
    EXPECT_GT(table["rows"].get<int64_t>(), 0);
  }
  const auto text = RunCxagent("check --data " + data.string());
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("findings: 0 blocking, 0 warnings"), std::string::npos) << text.out;
  // Nothing is written into the data folder.
  EXPECT_FALSE(fs::exists(data / ".cxagent"));
}

TEST_F(DataCheckTest, OneOrderDatedTheYear1000StopsTheAnalysisAtOnce) {
  const fs::path data = World();
  const int64_t id = OrderId("orders", 100);
  testing::RewriteParquet(
      data / "orders.parquet",
      fmt::format("* REPLACE (CASE WHEN order_id = {0} THEN DATE '1000-01-01' ELSE order_date END "
                  "AS order_date, CASE WHEN order_id = {0} THEN TIMESTAMP '1000-01-01 12:00:00' "
                  "ELSE created_at END AS created_at)",
                  id));
  ExpectBlocked(data, {"orders.order_date", "date far outside the data's range",
                       fmt::format("order_id={}: '1000-01-01'", id)});
  // serve analyses first when the folder has no results: it stops on the same line.
  const Measured serve =
      RunMeasured({"serve", "--data", data.string(), "--port", "0", "--log-level", "warn"});
  EXPECT_EQ(serve.result.exit_code, 2) << serve.result.err;
  EXPECT_NE(serve.result.err.find(fmt::format("order_id={}: '1000-01-01'", id)), std::string::npos)
      << serve.result.err;
  EXPECT_FALSE(fs::exists(data / ".cxagent" / "results.duckdb"));
}

// A change whose scope names no slice of the data is reported, by `check` and by `analyze`,
// which goes on without it.
TEST_F(DataCheckTest, AChangeScopeThatIsNotASliceIsReportedAndLeftOut) {
  const fs::path data = World();
  storage::Database database;
  storage::Connection connection(database);
  connection.Execute(fmt::format(
      "COPY (SELECT 'c9' AS change_id, TIMESTAMP '2026-06-10 10:00:00' AS changed_at, "
      "'app_release' AS kind, 'city=boston' AS scope, 'a release' AS description) TO {} "
      "(FORMAT parquet)",
      storage::SqlLiteral((data / "change_log.parquet").string())));
  const Measured check = RunMeasured({"check", "--data", data.string(), "--json"});
  ASSERT_EQ(check.result.exit_code, 0) << check.result.err;
  const auto report = nlohmann::json::parse(check.result.out);
  bool found = false;
  for (const auto& finding : report["findings"]) {
    if (finding["kind"] != "scope_not_a_slice") continue;
    found = true;
    EXPECT_EQ(finding["severity"], "warning");
    EXPECT_EQ(finding["example"]["key"], "change_id=c9");
    EXPECT_NE(finding["message"].get<std::string>().find("no dimension 'city'"), std::string::npos)
        << finding.dump();
  }
  EXPECT_TRUE(found) << report["findings"].dump(2);
  const Measured analyze = RunMeasured(
      {"analyze", "--data", data.string(), "--out", dir_.File("a.json"), "--log-level", "warn"});
  EXPECT_EQ(analyze.result.exit_code, 0) << analyze.result.err;
  EXPECT_NE(analyze.result.err.find("change c9 is left out: its scope 'city=boston' is not a "
                                    "slice of the data's dimensions (the data has no dimension "
                                    "'city')"),
            std::string::npos)
      << analyze.result.err;
  EXPECT_TRUE(fs::exists(dir_.File("a.json")));
}

TEST_F(DataCheckTest, DuplicatedOrdersAreNotCountedTwice) {
  const fs::path data = World();
  const int64_t id = OrderId("orders", 7);
  testing::RewriteParquet(
      data / "orders.parquet", "*",
      fmt::format("UNION ALL SELECT * FROM read_parquet({}) WHERE order_id = {}",
                  storage::SqlLiteral((data / "orders.parquet").string()), id));
  ExpectBlocked(data, {"orders.order_id", fmt::format("order_id={}: 2 rows", id)});
}

TEST_F(DataCheckTest, ValuesOutsideTheContractNameTheirRow) {
  struct Case {
    std::string table, column, value;
  };
  for (const Case& c : std::vector<Case>{{"ratings", "rating", "99"},
                                         {"orders", "store_type", "'spaceship'"},
                                         {"orders", "status", "'lost'"}}) {
    SCOPED_TRACE(c.column);
    const fs::path data = World();
    const int64_t id = OrderId(c.table, 11);
    testing::RewriteParquet(data / (c.table + ".parquet"),
                            fmt::format("* REPLACE (CASE WHEN order_id = {} THEN {} ELSE {} END "
                                        "AS {})",
                                        id, c.value, c.column, c.column));
    std::string shown = c.value;
    if (shown.front() != '\'') shown = "'" + shown + "'";
    ExpectBlocked(data, {c.table + "." + c.column, fmt::format("order_id={}: {}", id, shown)});
  }
}

TEST_F(DataCheckTest, OrdersWithoutDatesOrRowsAreBlocking) {
  fs::path data = World();
  storage::Database database;
  storage::Connection connection(database);
  const int64_t orders = connection
                             .Query("SELECT count(*) AS n FROM read_parquet(" +
                                    storage::SqlLiteral((data / "orders.parquet").string()) + ")")
                             .Get("n")
                             .ints.at(0);
  testing::RewriteParquet(data / "orders.parquet", "* REPLACE (CAST(NULL AS DATE) AS order_date)");
  ExpectBlocked(data, {"orders.order_date",
                       fmt::format("NULL (every order needs a date) in {} rows", orders)});
  // An orders table with no rows: analyze's folder check and `check` both say so.
  data = World();
  testing::RewriteParquet(data / "orders.parquet", "*", "LIMIT 0");
  ExpectAnalyzeRejected({"--data", data.string()}, data.string(),
                        {"orders.parquet", "orders table has no rows"});
  ExpectCheckBlocks({"--data", data.string()}, {"orders", "the orders table has no rows"});
}

// A team's export of the same orders as CSV with its own names, numeric platform codes and local
// time strings, mapped by a dataset file.
class DataCheckDatasetTest : public DataCheckTest {
 protected:
  // Writes the export with `last_time` as the created_at text of the order with the largest id,
  // and the dataset file with `platform_codes` as the platform recode.
  std::string Export(const std::string& last_time, const std::string& platform_codes) {
    const fs::path exports = dir_.Path() / "exports";
    fs::create_directories(exports);
    storage::Database database;
    storage::Connection connection(database);
    connection.Execute(fmt::format(
        "COPY (WITH o AS (SELECT * FROM read_parquet({1})) SELECT order_id AS id, CASE WHEN "
        "order_id = (SELECT max(order_id) FROM o) THEN {0} ELSE strftime(created_at, "
        "'%d/%m/%Y %H:%M') END AS placed, region AS market, store_type, CASE platform WHEN 'ios' "
        "THEN 1 WHEN 'android' THEN 2 ELSE 3 END AS device, status, cancel_reason FROM o ORDER BY "
        "order_id) TO {2} (HEADER, DELIMITER ';')",
        storage::SqlLiteral(last_time), storage::SqlLiteral(world_->File("world/orders.parquet")),
        storage::SqlLiteral((exports / "orders.csv").string())));
    return dir_.Write("dataset.yaml", fmt::format(R"(tables:
  orders:
    source: exports/orders.csv
    csv: {{delimiter: ";"}}
    columns: {{order_id: id, created_at: placed, region: market, platform: device}}
    recode:
      platform: {}
    time_format: {{created_at: "%d/%m/%Y %H:%M"}}
)",
                                                  platform_codes));
  }

  void ExpectDatasetBlocked(const std::string& dataset, const std::vector<std::string>& needles) {
    const std::string folder = dir_.File("results");
    fs::create_directories(folder);
    ExpectAnalyzeRejected({"--data", folder, "--dataset", dataset}, folder, needles);
    ExpectCheckBlocks({"--data", folder, "--dataset", dataset}, needles);
  }

  int64_t LastOrder() {
    storage::Database database;
    storage::Connection connection(database);
    return connection
        .Query(fmt::format("SELECT max(order_id) AS id FROM read_parquet({})",
                           storage::SqlLiteral(world_->File("world/orders.parquet"))))
        .Get("id")
        .ints.at(0);
  }
};

TEST_F(DataCheckDatasetTest, TheMappedExportChecksClean) {
  const std::string dataset = Export("01/06/2026 10:00", "{1: ios, 2: android, 3: web}");
  const auto result = RunCxagent("check --data " + dir_.Path().string() + " --dataset " + dataset);
  EXPECT_EQ(result.exit_code, 0) << result.err << result.out;
  EXPECT_NE(result.out.find("findings: 0 blocking"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("created_at: from placed"), std::string::npos) << result.out;
}

TEST_F(DataCheckDatasetTest, ACodeTheRecodeLeavesOutIsBlocking) {
  const std::string dataset = Export("01/06/2026 10:00", "{1: ios, 2: android}");
  ExpectDatasetBlocked(
      dataset, {"orders.platform", "not in tables.orders.recode.platform", "e.g. id=", ": '3'"});
}

TEST_F(DataCheckDatasetTest, ATimeThatDoesNotParseIsBlocking) {
  const std::string dataset = Export("2026-06-28T10:00", "{1: ios, 2: android, 3: web}");
  ExpectDatasetBlocked(dataset, {"orders.created_at", "does not convert to TIMESTAMP",
                                 fmt::format("id={}: '2026-06-28T10:00'", LastOrder())});
}

}  // namespace
}  // namespace cxagent
