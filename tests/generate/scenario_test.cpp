// Scenario parsing: defaults for everything optional, and every validation rule of domain.md §6
// rejected with a message that names the file, the key and what is allowed.

#include <gtest/gtest.h>

#include <filesystem>

#include "common/error.hpp"
#include "generate/scenario.hpp"
#include "support/test_support.hpp"

namespace cxagent::generate {
namespace {

using cxagent::testing::ErrorMessage;

const std::string BASE = "name: t\nseed: 1\nstart_date: 2026-06-01\ndays: 30\n";

std::string Error(const std::string& yaml) {
  return ErrorMessage([&] { ParseScenario(yaml, "s.yaml"); });
}

std::string WithIncident(const std::string& fields) {
  return BASE + "incidents:\n  - id: x\n    cause: batching_expansion\n" + fields;
}

TEST(GenerateScenario, ParsesTheDocumentedExampleWithDefaults) {
  Scenario s =
      ParseScenario(BASE +
                        "incidents:\n  - id: seattle-batching\n    cause: batching_expansion\n"
                        "    slice: {region: seattle}\n    start_day: 20\n",
                    "s.yaml");
  EXPECT_EQ(s.name, "t");
  EXPECT_EQ(s.seed, 1u);
  EXPECT_EQ(FormatDate(s.start_date), "2026-06-01");
  EXPECT_EQ(s.days, 30);
  EXPECT_EQ(s.orders_per_day, 20000);
  EXPECT_EQ(s.regions, DefaultRegions());
  EXPECT_EQ(s.decoy_changes, 0);
  EXPECT_DOUBLE_EQ(s.noise, 1.0);
  ASSERT_EQ(s.incidents.size(), 1u);
  const Incident& i = s.incidents[0];
  EXPECT_EQ(SliceText(i.slice), "region=seattle");
  EXPECT_FALSE(i.end_day.has_value());
  EXPECT_DOUBLE_EQ(i.magnitude, DefaultMagnitude(Cause::BATCHING_EXPANSION));
  EXPECT_TRUE(i.log_change) << "internal causes log by default";
}

TEST(GenerateScenario, ShippedScenariosAreValid) {
  const std::filesystem::path root = std::filesystem::path(CXAGENT_SOURCE_DIR) / "scenarios";
  Scenario demo = LoadScenario((root / "demo.yaml").string());
  EXPECT_EQ(demo.days, 90);
  EXPECT_GE(demo.incidents.size(), 2u);
  EXPECT_TRUE(LoadScenario((root / "clean.yaml").string()).incidents.empty());
  for (Cause cause : AllCauses()) {
    Scenario s =
        LoadScenario((root / "causes" / (std::string(CauseName(cause)) + ".yaml")).string());
    ASSERT_EQ(s.incidents.size(), 1u);
    EXPECT_EQ(s.incidents[0].cause, cause);
  }
}

TEST(GenerateScenario, OverridesReplaceScenarioValues) {
  ScenarioOverrides overrides;
  overrides.seed = 9;
  overrides.days = 40;
  overrides.orders_per_day = 500;
  Scenario s = ParseScenario(BASE, "s.yaml", overrides);
  EXPECT_EQ(s.seed, 9u);
  EXPECT_EQ(s.days, 40);
  EXPECT_EQ(s.orders_per_day, 500);
  overrides.days = 10;
  EXPECT_EQ(ErrorMessage([&] { ParseScenario(BASE, "s.yaml", overrides); }),
            "--days: 10 is out of range; allowed: 28..3660");
}

TEST(GenerateScenario, RejectsAMissingFile) {
  EXPECT_EQ(ErrorMessage([] { LoadScenario("/nonexistent/x.yaml"); }),
            "/nonexistent/x.yaml: cannot open the scenario file");
}

TEST(GenerateScenario, RejectsInvalidYaml) {
  EXPECT_NE(Error("name: [unclosed\n").find("s.yaml: line"), std::string::npos);
  EXPECT_EQ(Error("- a\n- b\n"),
            "s.yaml: the scenario must be a YAML mapping with name, seed, start_date, days");
}

TEST(GenerateScenario, RejectsUnknownKeys) {
  EXPECT_EQ(Error(BASE + "colour: red\n"),
            "s.yaml: colour (line 5): unknown key; allowed: name, seed, start_date, days, "
            "orders_per_day, regions, decoy_changes, noise, incidents");
  EXPECT_NE(Error(WithIncident("    start_day: 1\n    severity: 3\n"))
                .find("s.yaml: incidents[0].severity (line 9): unknown key; allowed: id, cause"),
            std::string::npos);
}

TEST(GenerateScenario, RejectsDuplicateKeysNamingTheKeyAndBothLines) {
  // yaml-cpp keeps both entries and a lookup takes the first: the second seed would be ignored.
  EXPECT_EQ(Error(BASE + "seed: 2\n"),
            "s.yaml: line 5: key 'seed' appears twice (first on line 2)");
  EXPECT_EQ(
      Error(WithIncident("    slice: {region: seattle, region: boston}\n    start_day: 20\n")),
      "s.yaml: line 8: key 'region' appears twice (first on line 8)");
}

TEST(GenerateScenario, RejectsTextThatIsNotUtf8NamingTheKey) {
  const std::string message =
      Error("name: demo \xFF\xFE\nseed: 1\nstart_date: 2026-06-01\ndays: 30\n");
  EXPECT_EQ(message, "s.yaml: name (line 1): is not valid UTF-8 text");
}

TEST(GenerateScenario, RejectsMissingRequiredKeys) {
  EXPECT_EQ(Error("seed: 1\nstart_date: 2026-06-01\ndays: 30\n"),
            "s.yaml: name (line 1): is required");
  EXPECT_EQ(Error("name: t\nstart_date: 2026-06-01\ndays: 30\n"),
            "s.yaml: seed (line 1): is required");
  EXPECT_NE(Error(BASE + "incidents:\n  - cause: demand_surge\n    start_day: 1\n")
                .find("incidents[0].id"),
            std::string::npos);
  EXPECT_NE(Error(WithIncident("")).find("incidents[0].start_day (line 6): is required"),
            std::string::npos);
}

TEST(GenerateScenario, RejectsBadDates) {
  EXPECT_EQ(Error("name: t\nseed: 1\nstart_date: 2026-02-30\ndays: 30\n"),
            "s.yaml: start_date (line 3): '2026-02-30' is not a date; allowed: a real date as "
            "YYYY-MM-DD");
  EXPECT_NE(
      Error("name: t\nseed: 1\nstart_date: June 1\ndays: 30\n").find("'June 1' is not a date"),
      std::string::npos);
}

TEST(GenerateScenario, RejectsOutOfRangeNumbers) {
  EXPECT_EQ(Error("name: t\nseed: 1\nstart_date: 2026-06-01\ndays: 10\n"),
            "s.yaml: days (line 4): 10 is out of range; allowed: 28..3660");
  EXPECT_EQ(Error("name: t\nseed: -1\nstart_date: 2026-06-01\ndays: 30\n"),
            "s.yaml: seed (line 2): -1 is out of range; allowed: 0..9223372036854775807");
  EXPECT_EQ(
      Error("name: t\nseed: x\nstart_date: 2026-06-01\ndays: 30\n"),
      "s.yaml: seed (line 2): 'x' is not an integer; allowed: integers 0..9223372036854775807");
  EXPECT_EQ(Error(BASE + "orders_per_day: 5\n"),
            "s.yaml: orders_per_day (line 5): 5 is out of range; allowed: 100..5000000");
  EXPECT_EQ(Error(BASE + "noise: 0\n"),
            "s.yaml: noise (line 5): 0 is out of range; allowed: 0 < noise <= 5");
  EXPECT_EQ(Error(BASE + "decoy_changes: 500\n"),
            "s.yaml: decoy_changes (line 5): 500 is out of range; allowed: 0..100");
}

TEST(GenerateScenario, RejectsBadRegions) {
  EXPECT_EQ(Error(BASE + "regions: [Seattle]\n"),
            "s.yaml: regions[0] (line 5): 'Seattle' is not allowed; allowed: lower-case letters, "
            "digits and '_'");
  EXPECT_EQ(Error(BASE + "regions: [a, a]\n"), "s.yaml: regions[1] (line 5): 'a' is listed twice");
  EXPECT_EQ(Error(BASE + "regions: []\n"),
            "s.yaml: regions (line 5): must be a list of 1 to 64 region ids");
}

TEST(GenerateScenario, RejectsUnknownCauses) {
  EXPECT_NE(Error(BASE + "incidents:\n  - id: x\n    cause: gremlins\n    start_day: 1\n")
                .find("s.yaml: incidents[0].cause (line 7): unknown cause 'gremlins'; allowed: "
                      "batching_expansion, dasher_supply_shortage"),
            std::string::npos);
}

TEST(GenerateScenario, RejectsUnknownDimensionsAndValues) {
  EXPECT_NE(Error(WithIncident("    slice: {city: seattle}\n    start_day: 1\n"))
                .find("incidents[0].slice.city (line 8): unknown dimension 'city'; allowed: "
                      "customer_segment, daypart"),
            std::string::npos);
  EXPECT_EQ(Error(WithIncident("    slice: {platform: windows}\n    start_day: 1\n")),
            "s.yaml: incidents[0].slice.platform (line 8): unknown value 'windows'; allowed: ios, "
            "android, web");
  EXPECT_NE(Error(BASE + "regions: [north]\nincidents:\n  - id: x\n    cause: demand_surge\n"
                         "    slice: {region: seattle}\n    start_day: 1\n")
                .find("unknown value 'seattle'; allowed: north"),
            std::string::npos);
  EXPECT_NE(Error(WithIncident("    slice: {merchant: acme}\n    start_day: 1\n"))
                .find("allowed: burger_barn"),
            std::string::npos);
}

TEST(GenerateScenario, RejectsBadWindows) {
  EXPECT_EQ(Error(WithIncident("    start_day: 30\n")),
            "s.yaml: incidents[0].start_day (line 8): 30 is out of range; allowed: 0..29");
  EXPECT_EQ(Error(WithIncident("    start_day: 5\n    end_day: 5\n")),
            "s.yaml: incidents[0].end_day (line 9): 5 is out of range; allowed: 6..30");
  EXPECT_EQ(Error(WithIncident("    start_day: 5\n    end_day: 31\n")),
            "s.yaml: incidents[0].end_day (line 9): 31 is out of range; allowed: 6..30");
}

TEST(GenerateScenario, RejectsOutOfRangeMagnitudes) {
  EXPECT_EQ(Error(WithIncident("    start_day: 1\n    magnitude: 1.5\n")),
            "s.yaml: incidents[0].magnitude (line 9): 1.5 is out of range for batching_expansion; "
            "allowed: 0 < magnitude <= 1");
  EXPECT_EQ(
      Error(BASE + "incidents:\n  - id: x\n    cause: dasher_supply_shortage\n    start_day: 1\n"
                   "    magnitude: 1\n"),
      "s.yaml: incidents[0].magnitude (line 9): 1 is out of range for dasher_supply_shortage; "
      "allowed: 0 < magnitude < 1");
  EXPECT_EQ(Error(WithIncident("    start_day: 1\n    magnitude: -0.1\n")).substr(0, 45),
            "s.yaml: incidents[0].magnitude (line 9): -0.1");
  EXPECT_EQ(Error(WithIncident("    start_day: 1\n    magnitude: big\n")),
            "s.yaml: incidents[0].magnitude (line 9): 'big' is not a number");
}

TEST(GenerateScenario, RejectsDuplicateIdsAndBadIds) {
  EXPECT_EQ(Error(BASE + "incidents:\n  - id: x\n    cause: demand_surge\n    start_day: 1\n"
                         "  - id: x\n    cause: demand_surge\n    start_day: 2\n"),
            "s.yaml: incidents[1].id (line 9): 'x' is used twice; ids must be unique");
  EXPECT_NE(Error(BASE + "incidents:\n  - id: a b\n    cause: demand_surge\n    start_day: 1\n")
                .find("'a b' is not allowed"),
            std::string::npos);
}

TEST(GenerateScenario, RejectsLogChangeOnExternalCausesAndNonBooleans) {
  EXPECT_EQ(
      Error(BASE + "incidents:\n  - id: x\n    cause: severe_weather\n    start_day: 1\n"
                   "    log_change: true\n"),
      "s.yaml: incidents[0].log_change (line 9): severe_weather is an external cause and writes "
      "no change_log row; allowed: false");
  EXPECT_EQ(
      Error(WithIncident("    start_day: 1\n    log_change: maybe\n")),
      "s.yaml: incidents[0].log_change (line 9): 'maybe' is not a boolean; allowed: true, false");
}

TEST(GenerateScenario, RejectsTooManyIncidents) {
  std::string yaml = BASE + "incidents:\n";
  for (int i = 0; i < 101; ++i) {
    yaml += "  - id: i" + std::to_string(i) + "\n    cause: demand_surge\n    start_day: 1\n";
  }
  EXPECT_EQ(Error(yaml), "s.yaml: incidents (line 6): 101 incidents; allowed: at most 100");
}

TEST(GenerateScenario, SliceTextIsCanonical) {
  Scenario s = ParseScenario(
      WithIncident("    slice: {store_type: grocery, region: seattle}\n    start_day: 1\n"),
      "s.yaml");
  EXPECT_EQ(SliceText(s.incidents[0].slice), "region=seattle&store_type=grocery");
  EXPECT_EQ(SliceText({}), "all");
}

}  // namespace
}  // namespace cxagent::generate
