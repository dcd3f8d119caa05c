// `cxagent generate` end to end: eight Parquet (or CSV) files and truth.json, readable with the
// contract's types, written atomically; bad input exits 2 and writes nothing.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "generate/generator.hpp"
#include "generate/scenario.hpp"
#include "generate/writer.hpp"
#include "storage/duckdb.hpp"
#include "support/test_support.hpp"

namespace cxagent::generate {
namespace {

namespace fs = std::filesystem;
using cxagent::testing::RunCxagent;
using cxagent::testing::TempDir;

const std::string SCENARIO =
    "name: out\nseed: 3\nstart_date: 2026-06-01\ndays: 28\norders_per_day: 300\ndecoy_changes: 1\n"
    "incidents:\n"
    "  - id: open-ended\n    cause: eta_underestimation\n    slice: {region: seattle}\n    "
    "start_day: 20\n"
    "  - id: closed\n    cause: severe_weather\n    slice: {region: boston}\n    start_day: 10\n"
    "    end_day: 12\n    magnitude: 0.8\n";

std::string Slurp(const fs::path& path) {
  std::ifstream file(path);
  std::stringstream buffer;
  buffer << file.rdbuf();
  return buffer.str();
}

std::vector<std::string> Listing(const fs::path& dir) {
  std::vector<std::string> names;
  if (!fs::exists(dir)) return names;
  for (const auto& entry : fs::directory_iterator(dir))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(GenerateOutput, WritesEightParquetTablesAndTruth) {
  TempDir dir;
  std::string scenario = dir.Write("s.yaml", SCENARIO);
  fs::path out = dir.Path() / "world";
  auto result = RunCxagent("generate --scenario " + scenario + " --out " + out.string());
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("generated "), std::string::npos);
  EXPECT_NE(result.err.find("orders/s"), std::string::npos);
  EXPECT_EQ(Listing(out), (std::vector<std::string>{
                              "change_log.parquet", "deliveries.parquet", "inventory.parquet",
                              "items.parquet", "orders.parquet", "ratings.parquet",
                              "supply_hourly.parquet", "support.parquet", "truth.json"}));

  WorldTables expected = GenerateWorldTables(ParseScenario(SCENARIO, "s.yaml"));
  storage::Database db;
  storage::Connection con(db);
  for (size_t t = 0; t < WorldTables::TableNames().size(); ++t) {
    const std::string& name = WorldTables::TableNames()[t];
    storage::Table read = storage::ReadTableFile(con, (out / (name + ".parquet")).string());
    const storage::Table& want = expected.At(t);
    ASSERT_EQ(read.RowCount(), want.RowCount()) << name;
    ASSERT_EQ(read.columns.size(), want.columns.size()) << name;
    for (size_t c = 0; c < want.columns.size(); ++c) {
      EXPECT_EQ(read.columns[c].name, want.columns[c].name);
      EXPECT_EQ(static_cast<int>(read.columns[c].type), static_cast<int>(want.columns[c].type))
          << name << "." << want.columns[c].name;
    }
  }
  storage::Table orders = con.Query(
      "SELECT region, status, count(*) FILTER (WHERE cancel_reason IS NULL) AS ok "
      "FROM read_parquet(" +
      storage::SqlLiteral((out / "orders.parquet").string()) +
      ") GROUP BY ALL ORDER BY ALL LIMIT 1");
  EXPECT_EQ(orders.Get("region").StringAt(0), "atlanta");

  auto truth = nlohmann::json::parse(Slurp(out / "truth.json"));
  EXPECT_EQ(truth["scenario"], "out");
  EXPECT_EQ(truth["seed"], 3);
  EXPECT_EQ(truth["start_date"], "2026-06-01");
  EXPECT_EQ(truth["days"], 28);
  ASSERT_EQ(truth["incidents"].size(), 2u);
  const auto& open = truth["incidents"][0];
  EXPECT_EQ(open["id"], "open-ended");
  EXPECT_EQ(open["cause"], "eta_underestimation");
  EXPECT_EQ(open["slice"], nlohmann::json({{"region", "seattle"}}));
  EXPECT_EQ(open["start_date"], "2026-06-21");
  EXPECT_TRUE(open["end_date"].is_null());
  EXPECT_DOUBLE_EQ(open["magnitude"].get<double>(), 0.2);
  EXPECT_EQ(open["log_change"], true);
  EXPECT_TRUE(open["change_id"].is_string());
  const auto& closed = truth["incidents"][1];
  EXPECT_EQ(closed["end_date"], "2026-06-13");
  EXPECT_EQ(closed["log_change"], false);
  EXPECT_TRUE(closed["change_id"].is_null());
}

TEST(GenerateOutput, WritesCsvOnRequestAndOverwrites) {
  TempDir dir;
  std::string scenario = dir.Write("s.yaml", SCENARIO);
  fs::path out = dir.Path() / "world";
  for (int run = 0; run < 2; ++run) {
    auto result = RunCxagent("generate --scenario " + scenario + " --out " + out.string() +
                             " --format csv --days 30 --orders-per-day 200 --seed 4");
    ASSERT_EQ(result.exit_code, 0) << result.err;
  }
  auto names = Listing(out);
  EXPECT_EQ(names.size(), 9u);
  EXPECT_TRUE(fs::exists(out / "orders.csv"));
  EXPECT_EQ(Slurp(out / "orders.csv").substr(0, 40), "order_id,created_at,order_date,region,st");
  auto truth = nlohmann::json::parse(Slurp(out / "truth.json"));
  EXPECT_EQ(truth["seed"], 4);
  EXPECT_EQ(truth["days"], 30);
}

TEST(GenerateOutput, WithoutWritesTheCounterfactualTruth) {
  TempDir dir;
  std::string scenario = dir.Write("s.yaml", SCENARIO);
  fs::path out = dir.Path() / "cf";
  auto result = RunCxagent("generate --scenario " + scenario + " --out " + out.string() +
                           " --without closed");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto truth = nlohmann::json::parse(Slurp(out / "truth.json"));
  ASSERT_EQ(truth["incidents"].size(), 1u);
  EXPECT_EQ(truth["incidents"][0]["id"], "open-ended");
  EXPECT_EQ(truth["without"], "closed");
}

TEST(GenerateOutput, BadInputExitsTwoAndWritesNothing) {
  TempDir dir;
  fs::path out = dir.Path() / "never";
  std::string bad = dir.Write("bad.yaml", "name: x\nseed: 1\nstart_date: 2026-06-01\ndays: 3\n");
  auto result = RunCxagent("generate --scenario " + bad + " --out " + out.string());
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("bad.yaml: days (line 4): 3 is out of range; allowed: 28..3660"),
            std::string::npos)
      << result.err;
  EXPECT_FALSE(fs::exists(out));

  std::string good = dir.Write("s.yaml", SCENARIO);
  result =
      RunCxagent("generate --scenario " + good + " --out " + out.string() + " --without ghost");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find(
                "--without: no incident 'ghost' in scenario 'out'; incidents: open-ended, closed"),
            std::string::npos)
      << result.err;
  EXPECT_FALSE(fs::exists(out));

  result = RunCxagent("generate --scenario " + good + " --out " + out.string() + " --format xlsx");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("--format: 'xlsx' is not a format; allowed: parquet, csv"),
            std::string::npos)
      << result.err;
  EXPECT_FALSE(fs::exists(out));
}

TEST(GenerateOutput, AFailedWriteLeavesNoFiles) {
  TempDir dir;
  std::string scenario = dir.Write("s.yaml", SCENARIO);
  // A folder where a table file should go makes the final rename fail after the temporary files
  // were written; none of them may remain, and no table may be half-replaced.
  fs::path out = dir.Path() / "world";
  fs::create_directories(out / "support.parquet" / "blocker");
  auto result = RunCxagent("generate --scenario " + scenario + " --out " + out.string());
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("support.parquet: a folder is in the way"), std::string::npos)
      << result.err;
  auto names = Listing(out);
  EXPECT_EQ(names, std::vector<std::string>{"support.parquet"});
  for (const auto& name : names) EXPECT_EQ(name.find(".tmp-"), std::string::npos) << name;
}

}  // namespace
}  // namespace cxagent::generate

namespace cxagent::generate {
namespace {

TEST(GenerateOutput, AnUncommittedWriterRemovesTheFoldersItCreated) {
  TempDir dir;
  fs::path fresh = dir.Path() / "new" / "world";
  { WorldWriter writer(fresh.string() + "/", storage::FileFormat::PARQUET, {"seattle"}); }
  EXPECT_FALSE(fs::exists(dir.Path() / "new"));
  // A folder that was there before stays, even when the run that used it failed.
  fs::path existing = dir.Path() / "kept";
  fs::create_directories(existing);
  { WorldWriter writer(existing.string(), storage::FileFormat::PARQUET, {"seattle"}); }
  EXPECT_TRUE(fs::is_directory(existing));
  EXPECT_TRUE(Listing(existing).empty());
}

}  // namespace
}  // namespace cxagent::generate
