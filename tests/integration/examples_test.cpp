#include <gtest/gtest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/date.hpp"
#include "common/file.hpp"
#include "common/slice.hpp"
#include "support/shared_folder.hpp"
#include "support/test_support.hpp"

// The exports of examples/ (examples/README.md), made from the world of examples/world.yaml with
// the recipes scripts/make_examples.sh runs, analysed through their dataset files and compared
// with the analysis of the contract-shaped world they come from.

namespace cxagent {
namespace {

using nlohmann::json;
using testing::RunCxagent;
using testing::TempDir;

const std::string EXAMPLES = std::string(CXAGENT_SOURCE_DIR) + "/examples";

// The ops-csv team's dimension names for the contract's; its order_channel (app or web) has no
// contract counterpart.
const std::map<std::string, std::string> OPS_NAMES = {{"market", "region"},
                                                      {"store_category", "store_type"}};

json Analyze(const std::string& arguments, const std::string& out) {
  const auto analyzed =
      RunCxagent(fmt::format("analyze {} --out {} --log-level warn", arguments, out));
  EXPECT_EQ(analyzed.exit_code, 0) << arguments << ": " << analyzed.err;
  return analyzed.exit_code == 0 ? json::parse(ReadFile(out)) : json::object();
}

// Makes example `name` from `world` as scripts/make_examples.sh does (its recipe into
// `folder`/data, its dataset file beside it) and analyses it through the dataset file.
json MakeAndAnalyze(const TempDir& dir, const std::string& name) {
  const std::string folder = dir.File(name);
  std::filesystem::create_directories(folder + "/data");
  std::filesystem::copy_file(EXAMPLES + "/" + name + "/dataset.yaml", folder + "/dataset.yaml");
  const auto made = RunCxagent(fmt::format("sql {}/{}/make.sql --set world={} --set out={}/data",
                                           EXAMPLES, name, dir.File("world"), folder));
  EXPECT_EQ(made.exit_code, 0) << name << ": " << made.err;
  return Analyze(fmt::format("--data {0} --dataset {0}/dataset.yaml", folder),
                 dir.File(name + ".json"));
}

// `slice` in the contract's dimension names: renamed by `names`, without the dimensions the
// contract does not have.
json ContractSlice(const json& slice, const std::map<std::string, std::string>& names = {}) {
  static const std::set<std::string> contract = {"region",          "store_type",       "merchant",
                                                 "platform",        "customer_segment", "daypart",
                                                 "fulfillment_mode"};
  json out = json::object();
  for (const auto& [dimension, value] : slice.items()) {
    const auto renamed = names.find(dimension);
    const std::string name = renamed == names.end() ? dimension : renamed->second;
    if (contract.contains(name)) out[name] = value;
  }
  return out;
}

std::string TopCause(const json& incident) {
  const json& causes = incident["rca"]["causes"];
  return causes.empty() ? "" : causes[0]["cause"].get<std::string>();
}

// The example incident whose first localized slice is `slice` (contract names), or nullptr.
const json* FindBySlice(const json& analysis, const json& slice,
                        const std::map<std::string, std::string>& names = {}) {
  for (const auto& incident : analysis["incidents"]) {
    if (!incident["slices"].empty() &&
        ContractSlice(incident["slices"][0]["slice"], names) == slice) {
      return &incident;
    }
  }
  return nullptr;
}

bool Lists(const json& analysis, const std::string& kind, const std::string& name) {
  for (const auto& entry : analysis["data"]["unavailable"]) {
    if (entry["kind"] == kind && entry["name"] == name) return !entry["needs"].empty();
  }
  return false;
}

std::set<std::string> NotTestable(const json& incident) {
  std::set<std::string> causes;
  for (const auto& entry : incident["rca"].value("not_testable", json::array())) {
    causes.insert(entry["cause"].get<std::string>());
  }
  return causes;
}

class ExamplesTest : public ::testing::Test {
 protected:
  // The analyses are made once per build and shared by the suite's test processes.
  static void SetUpTestSuite() {
    std::vector<std::string> inputs = {EXAMPLES + "/world.yaml"};
    for (const char* name : {"wide-orders", "ops-csv", "daily-parquet"}) {
      inputs.push_back(fmt::format("{}/{}/dataset.yaml", EXAMPLES, name));
      inputs.push_back(fmt::format("{}/{}/make.sql", EXAMPLES, name));
    }
    const auto shared =
        testing::SharedFolder("examples", inputs, [](const std::filesystem::path& made) {
          const TempDir dir;
          const auto generated = RunCxagent(fmt::format(
              "generate --scenario {}/world.yaml --out {}", EXAMPLES, dir.File("world")));
          EXPECT_EQ(generated.exit_code, 0) << generated.err;
          WriteFileAtomic((made / "world.json").string(),
                          Analyze("--data " + dir.File("world"), dir.File("world.json")).dump());
          for (const char* name : {"wide-orders", "ops-csv", "daily-parquet"}) {
            WriteFileAtomic((made / (std::string(name) + ".json")).string(),
                            MakeAndAnalyze(dir, name).dump());
          }
          return !::testing::Test::HasFailure();
        });
    const auto read = [&shared](const char* name) {
      return json::parse(ReadFile((shared / name).string()));
    };
    world_ = read("world.json");
    wide_ = read("wide-orders.json");
    ops_ = read("ops-csv.json");
    daily_ = read("daily-parquet.json");
  }
  // The contract-shaped world's incident of `cause` (its top cause); fails the test when absent.
  static const json& WorldIncident(const std::string& cause) {
    for (const auto& incident : world_["incidents"]) {
      if (TopCause(incident) == cause) return incident;
    }
    ADD_FAILURE() << "the contract-shaped world has no incident caused by " << cause;
    static const json none = {{"slices", json::array({{{"slice", json::object()}}})}};
    return none;
  }

  static json world_;
  static json wide_;
  static json ops_;
  static json daily_;
};

json ExamplesTest::world_;
json ExamplesTest::wide_;
json ExamplesTest::ops_;
json ExamplesTest::daily_;

TEST_F(ExamplesTest, TheContractShapedWorldFindsTheThreeIncidents) {
  ASSERT_EQ(world_["incidents"].size(), 3u) << world_["incidents"].dump();
  EXPECT_EQ(WorldIncident("batching_expansion")["slices"][0]["slice"],
            json({{"region", "seattle"}}));
  EXPECT_EQ(WorldIncident("inventory_feed_outage")["slices"][0]["slice"],
            json({{"store_type", "grocery"}}));
  EXPECT_EQ(WorldIncident("app_release_regression")["slices"][0]["slice"]["platform"], "android");
  EXPECT_EQ(world_["data"]["unavailable"], json::array());
}

TEST_F(ExamplesTest, OpsCsvFindsTheSameIncidentsInTheTeamsOwnWords) {
  // Every table but supply_hourly, under other names and codes: the same incidents, windows,
  // slices and causes, sliced by market and store_category.
  EXPECT_EQ(ops_["data"]["dimensions"],
            json({"customer_segment", "daypart", "fulfillment_mode", "market", "merchant",
                  "order_channel", "platform", "store_category"}));
  ASSERT_EQ(ops_["incidents"].size(), world_["incidents"].size()) << ops_["incidents"].dump();
  for (const auto& expected : world_["incidents"]) {
    const json* found = FindBySlice(ops_, expected["slices"][0]["slice"], OPS_NAMES);
    ASSERT_NE(found, nullptr) << "no incident at " << expected["slices"][0]["slice"];
    EXPECT_EQ((*found)["metric"], expected["metric"]);
    // The lead slice may add order_channel=app to platform=android: the same orders.
    EXPECT_EQ(ContractSlice((*found)["slice"], OPS_NAMES), expected["slice"]);
    EXPECT_EQ((*found)["start_date"], expected["start_date"]);
    EXPECT_EQ((*found)["end_date"], expected["end_date"]);
    EXPECT_EQ(TopCause(*found), TopCause(expected)) << (*found)["rca"].dump();
  }
  const json* seattle = FindBySlice(ops_, {{"region", "seattle"}}, OPS_NAMES);
  ASSERT_NE(seattle, nullptr);
  EXPECT_EQ((*seattle)["slices"][0]["slice"], json({{"market", "seattle"}}));
  // What the missing supply table would have supported is listed, nothing else.
  EXPECT_TRUE(Lists(ops_, "metric", "busy_ratio"));
  EXPECT_TRUE(Lists(ops_, "action", "dasher_incentive"));
  EXPECT_FALSE(Lists(ops_, "cause", "inventory_feed_outage"));
  EXPECT_EQ(ops_["data"]["cx_score"]["unavailable"], json::array());
  // Without active dasher-hours no change in deliveries per dasher-hour is claimed.
  for (const auto& incident : ops_["incidents"]) {
    for (const auto& recommendation : incident.value("recommendations", json::array())) {
      EXPECT_EQ(recommendation["efficiency_delta"]["deliveries_per_dasher_hour"]["mean"], 0)
          << recommendation.dump();
    }
  }
}

TEST_F(ExamplesTest, DailyParquetFindsTheSameIncidentsAndCannotTestTheFeed) {
  // Orders in daily partition folders, no inventory, supply or support tables.
  ASSERT_EQ(daily_["incidents"].size(), world_["incidents"].size()) << daily_["incidents"].dump();
  for (const auto& expected : world_["incidents"]) {
    const json* found = FindBySlice(daily_, expected["slices"][0]["slice"]);
    ASSERT_NE(found, nullptr) << "no incident at " << expected["slices"][0]["slice"];
    EXPECT_EQ((*found)["slice"], expected["slice"]);
    EXPECT_EQ((*found)["start_date"], expected["start_date"]);
    EXPECT_EQ((*found)["end_date"], expected["end_date"]);
    if (TopCause(expected) != "inventory_feed_outage") {
      EXPECT_EQ(TopCause(*found), TopCause(expected)) << (*found)["rca"].dump();
    }
  }
  // The grocery outage shows in the missing items, but its feed cause needs inventory: listed as
  // not testable, never ranked, and its action is not recommended.
  const json* grocery = FindBySlice(daily_, {{"store_type", "grocery"}});
  ASSERT_NE(grocery, nullptr);
  EXPECT_TRUE(NotTestable(*grocery).contains("inventory_feed_outage")) << (*grocery)["rca"].dump();
  for (const auto& cause : (*grocery)["rca"]["causes"]) {
    EXPECT_NE(cause["cause"], "inventory_feed_outage");
  }
  for (const auto& recommendation : (*grocery).value("recommendations", json::array())) {
    EXPECT_NE(recommendation["template"], "inventory_feed_refresh");
  }
  EXPECT_TRUE(Lists(daily_, "cause", "inventory_feed_outage"));
  EXPECT_TRUE(Lists(daily_, "action", "inventory_feed_refresh"));
  EXPECT_TRUE(Lists(daily_, "metric", "feed_lag"));
  EXPECT_TRUE(Lists(daily_, "cx_component", "contact"));
  EXPECT_EQ(daily_["data"]["cx_score"]["components"],
            json({"cancelled", "late", "missing_lines", "rejected_substitutions", "rating"}));
}

TEST_F(ExamplesTest, WideOrdersFindsTheLatenessAndCancellationIncidents) {
  // Orders, deliveries and ratings only. The score has no missing-item or contact component, so
  // it is another series: its windows may start a day or two apart and its localization settle
  // one level shallower, but the incidents it can see are there with the same causes.
  ASSERT_EQ(wide_["incidents"].size(), 2u) << wide_["incidents"].dump();
  EXPECT_EQ(wide_["data"]["cx_score"]["components"], json({"cancelled", "late", "rating"}));
  for (const char* cause : {"batching_expansion", "app_release_regression"}) {
    const json& expected = WorldIncident(cause);
    const json* found = nullptr;
    for (const auto& incident : wide_["incidents"]) {
      if (TopCause(incident) == cause) found = &incident;
    }
    ASSERT_NE(found, nullptr) << cause << " not found: " << wide_["incidents"].dump();
    // One slice holds the other (platform=android within fulfillment_mode=merchant_pick, say).
    const Slice ours = Slice::FromJson((*found)["slices"][0]["slice"]);
    const Slice theirs = Slice::FromJson(expected["slices"][0]["slice"]);
    EXPECT_TRUE(ours.Contains(theirs) || theirs.Contains(ours))
        << ours.ToText() << " vs " << theirs.ToText();
    const int apart = std::abs(ParseDate((*found)["start_date"].get<std::string>()).days -
                               ParseDate(expected["start_date"].get<std::string>()).days);
    EXPECT_LE(apart, 3) << (*found)["start_date"] << " vs " << expected["start_date"];
  }
  // Nothing is guessed about the grocery outage: no items, so no incident and no feed cause.
  EXPECT_EQ(FindBySlice(wide_, {{"store_type", "grocery"}}), nullptr);
  EXPECT_TRUE(Lists(wide_, "cause", "inventory_feed_outage"));
  EXPECT_TRUE(Lists(wide_, "cause", "substitution_model_regression"));
  EXPECT_TRUE(Lists(wide_, "metric", "missing_item_rate"));
  EXPECT_TRUE(Lists(wide_, "cx_component", "contact"));
  EXPECT_TRUE(Lists(wide_, "action", "inventory_feed_refresh"));
  for (const auto& incident : wide_["incidents"]) {
    EXPECT_EQ(NotTestable(incident),
              (std::set<std::string>{"inventory_feed_outage", "substitution_model_regression"}));
  }
}

}  // namespace
}  // namespace cxagent
