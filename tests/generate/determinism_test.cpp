// Same scenario and seed -> identical tables, whatever the thread count; another seed -> another
// world; --without changes only what the incident touched (the per-cause tests check each cause's
// slice; this checks overlapping incidents and surge order ids).

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "generate/generator.hpp"
#include "generate/world_metrics.hpp"

namespace cxagent::generate::testing {
namespace {

bool SameTable(const storage::Table& a, const storage::Table& b) {
  if (a.columns.size() != b.columns.size()) return false;
  for (size_t c = 0; c < a.columns.size(); ++c) {
    const auto& x = a.columns[c];
    const auto& y = b.columns[c];
    if (x.ints != y.ints || x.doubles != y.doubles || x.strings != y.strings ||
        x.dictionary != y.dictionary) {
      return false;
    }
    // Validity masks may be absent or all ones; compare what they mean.
    for (size_t i = 0; i < x.Size(); ++i) {
      if (x.IsNull(i) != y.IsNull(i)) return false;
    }
  }
  return true;
}

const char* INCIDENTS =
    "  - id: a\n    cause: batching_expansion\n    slice: {region: seattle}\n    start_day: 14\n"
    "  - id: b\n    cause: demand_surge\n    slice: {region: seattle, store_type: restaurant}\n"
    "    start_day: 10\n    end_day: 20\n    magnitude: 1.5\n"
    "  - id: c\n    cause: app_release_regression\n    slice: {platform: ios}\n    start_day: 20\n";

TEST(GenerateDeterminism, SameSeedGivesIdenticalTablesForAnyThreadCount) {
  Scenario scenario =
      ParseScenario(SmallScenario(INCIDENTS, 800, 28, "decoy_changes: 2\n"), "d.yaml");
  GenerateOptions one, two, four;
  one.threads = 1;
  two.threads = 2;
  four.threads = 4;
  WorldTables a = GenerateWorldTables(scenario, one);
  WorldTables b = GenerateWorldTables(scenario, two);
  WorldTables c = GenerateWorldTables(scenario, four);
  for (size_t t = 0; t < WorldTables::TableNames().size(); ++t) {
    EXPECT_GT(a.At(t).RowCount(), 0u) << WorldTables::TableNames()[t];
    EXPECT_TRUE(SameTable(a.At(t), b.At(t))) << WorldTables::TableNames()[t];
    EXPECT_TRUE(SameTable(a.At(t), c.At(t))) << WorldTables::TableNames()[t];
  }
}

TEST(GenerateDeterminism, AnotherSeedGivesAnotherWorld) {
  Scenario scenario = ParseScenario(SmallScenario("", 500), "d.yaml");
  WorldTables a = GenerateWorldTables(scenario);
  scenario.seed += 1;
  WorldTables b = GenerateWorldTables(scenario);
  EXPECT_FALSE(SameTable(a.orders, b.orders));
  EXPECT_FALSE(SameTable(a.deliveries, b.deliveries));
}

TEST(GenerateDeterminism, WithoutAnIncidentChangesOnlyItsSliceAndWindow) {
  Scenario scenario = ParseScenario(SmallScenario(INCIDENTS, 800), "d.yaml");
  GenerateOptions without;
  without.without = "b";
  auto full = JoinOrders(GenerateWorldTables(scenario), scenario.start_date);
  auto counterfactual = JoinOrders(GenerateWorldTables(scenario, without), scenario.start_date);
  const Slice& slice = scenario.incidents[1].slice;
  size_t added = 0;
  for (const auto& [id, v] : full) {
    bool inside = v.day >= 10 && v.day < 20 && InSlice(v, slice);
    auto other = counterfactual.find(id);
    if (other == counterfactual.end()) {
      ++added;
      EXPECT_TRUE(inside) << "surge order " << id << " outside the surge";
      continue;
    }
    if (!inside) {
      EXPECT_EQ(v.assign, other->second.assign) << id;
      EXPECT_EQ(v.late, other->second.late) << id;
      EXPECT_EQ(v.cancelled, other->second.cancelled) << id;
      EXPECT_EQ(v.rating, other->second.rating) << id;
    }
  }
  for (const auto& [id, v] : counterfactual)
    EXPECT_TRUE(full.count(id)) << "order " << id << " lost";
  // Magnitude 1.5: one extra order per in-slice order, plus one for half of them.
  size_t in_slice = 0;
  for (const auto& [id, v] : counterfactual)
    in_slice += v.day >= 10 && v.day < 20 && InSlice(v, slice);
  EXPECT_NEAR(static_cast<double>(added) / static_cast<double>(in_slice), 1.5, 0.1);
}

TEST(GenerateDeterminism, WithoutAnUnknownIncidentListsTheIds) {
  Scenario scenario = ParseScenario(SmallScenario(INCIDENTS, 100), "d.yaml");
  GenerateOptions options;
  options.without = "nope";
  try {
    GenerateWorldTables(scenario, options);
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.Type(), ErrorType::INVALID_INPUT);
    EXPECT_STREQ(error.what(),
                 "--without: no incident 'nope' in scenario 'test'; incidents: a, b, c");
  }
}

}  // namespace
}  // namespace cxagent::generate::testing
