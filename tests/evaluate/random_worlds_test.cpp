// Unseen worlds for `cxagent evaluate --random`: drawn deterministically, valid by the scenario
// validation, with slices the generator can inject each cause in and draws inside their ranges.

#include "evaluate/random_worlds.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "common/error.hpp"
#include "generate/catalog.hpp"
#include "generate/generator.hpp"
#include "support/test_support.hpp"

namespace cxagent::evaluate {
namespace {

using generate::Cause;
using generate::Scenario;
using generate::Slice;
using testing::ErrorMessage;

// Enough draws that every branch of the drawing shows up many times.
constexpr int DRAWS = 300;

std::vector<Scenario> Draw(uint64_t seed, int count = DRAWS, int days = 42,
                           int64_t orders_per_day = 3000) {
  return DrawScenarios(
      {.count = count, .seed = seed, .days = days, .orders_per_day = orders_per_day});
}

bool IsChainOf(const std::string& merchant, int type) {
  const auto& merchants = generate::catalog::Merchants();
  const auto it = std::find(merchants.begin(), merchants.end(), merchant);
  return it != merchants.end() &&
         generate::catalog::MerchantStoreType()[static_cast<size_t>(it - merchants.begin())] ==
             type;
}

TEST(RandomWorlds, TheSameSeedDrawsTheSameWorlds) {
  const auto a = Draw(1001, 20);
  const auto b = Draw(1001, 20);
  ASSERT_EQ(a.size(), 20u);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(ScenarioYaml(a[i]), ScenarioYaml(b[i]));
  const auto c = Draw(1002, 20);
  int same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += ScenarioYaml(a[i]) == ScenarioYaml(c[i]);
  EXPECT_EQ(same, 0);
}

TEST(RandomWorlds, AWorldDependsOnItsIndexNotOnHowManyAreDrawn) {
  const auto few = Draw(7, 3);
  const auto many = Draw(7, 12);
  for (size_t i = 0; i < few.size(); ++i) {
    EXPECT_EQ(ScenarioYaml(few[i]), ScenarioYaml(many[i]));
    EXPECT_EQ(ScenarioYaml(few[i]), ScenarioYaml(DrawScenario(7, static_cast<int>(i), 42, 3000)));
  }
  std::set<uint64_t> seeds;
  for (const auto& s : many) seeds.insert(s.seed);
  EXPECT_EQ(seeds.size(), many.size()) << "each world has its own generator seed";
}

TEST(RandomWorlds, EveryDrawnScenarioPassesTheScenarioValidationAndReadsBackTheSame) {
  for (const Scenario& drawn : Draw(11)) {
    SCOPED_TRACE(ScenarioYaml(drawn));
    const Scenario read = generate::ParseScenario(ScenarioYaml(drawn), drawn.name + ".yaml");
    EXPECT_EQ(read.name, drawn.name);
    EXPECT_EQ(read.seed, drawn.seed);
    EXPECT_EQ(read.start_date, drawn.start_date);
    EXPECT_EQ(read.days, drawn.days);
    EXPECT_EQ(read.orders_per_day, drawn.orders_per_day);
    EXPECT_EQ(read.regions, drawn.regions);
    EXPECT_EQ(read.decoy_changes, drawn.decoy_changes);
    EXPECT_EQ(read.noise, drawn.noise);
    ASSERT_EQ(read.incidents.size(), drawn.incidents.size());
    for (size_t k = 0; k < read.incidents.size(); ++k) {
      const auto& r = read.incidents[k];
      const auto& d = drawn.incidents[k];
      EXPECT_EQ(r.id, d.id);
      EXPECT_EQ(r.cause, d.cause);
      EXPECT_EQ(r.slice, d.slice);
      EXPECT_EQ(r.start_day, d.start_day);
      EXPECT_EQ(r.end_day, d.end_day);
      EXPECT_EQ(r.magnitude, d.magnitude);
      EXPECT_EQ(r.log_change, d.log_change);
    }
  }
}

// The checks below restate, from the generator's mechanisms, where each cause can act; they do
// not read the drawing's own table of slice shapes.
TEST(RandomWorlds, EverySliceIsOneTheGeneratorCanInjectItsCauseIn) {
  const std::set<std::string> store_dimensions{"region", "store_type", "merchant",
                                               "fulfillment_mode"};
  for (const Scenario& s : Draw(12)) {
    for (const auto& incident : s.incidents) {
      const Slice& slice = incident.slice;
      SCOPED_TRACE(std::string(generate::CauseName(incident.cause)) + " " +
                   generate::SliceText(slice));
      EXPECT_TRUE(SliceFitsCause(incident.cause, slice));
      EXPECT_GE(slice.size(), 1u);
      EXPECT_LE(slice.size(), 3u);
      const auto value = [&](const char* dimension) {
        return slice.contains(dimension) ? slice.at(dimension) : std::string();
      };
      switch (incident.cause) {
        case Cause::MERCHANT_PREP_DELAY:
          // Prep acts on merchant_pick orders; restaurants are always merchant_pick.
          EXPECT_TRUE(value("store_type") == "restaurant" || IsChainOf(value("merchant"), 0));
          EXPECT_FALSE(slice.contains("fulfillment_mode"));
          break;
        case Cause::SUBSTITUTION_MODEL_REGRESSION:
          // Restaurants never substitute.
          EXPECT_TRUE(value("store_type") == "grocery" ||
                      value("fulfillment_mode") == "dasher_shop" ||
                      IsChainOf(value("merchant"), 1));
          break;
        case Cause::INVENTORY_FEED_OUTAGE:
          // The feed belongs to a store: only store dimensions, and a store that stocks items.
          for (const auto& [dimension, v] : slice)
            EXPECT_TRUE(store_dimensions.contains(dimension));
          EXPECT_NE(value("store_type"), "restaurant");
          EXPECT_FALSE(IsChainOf(value("merchant"), 0));
          EXPECT_TRUE(slice.contains("store_type") || slice.contains("merchant"));
          break;
        case Cause::SEVERE_WEATHER:
          // Weather (and supply_hourly's weather column) turns a whole region.
          EXPECT_EQ(slice.size(), 1u);
          EXPECT_TRUE(slice.contains("region"));
          break;
        case Cause::APP_RELEASE_REGRESSION:
          EXPECT_TRUE(slice.contains("platform"));
          break;
        case Cause::DASHER_SUPPLY_SHORTAGE:
          EXPECT_TRUE(slice.contains("region"));
          for (const auto& [dimension, v] : slice) {
            EXPECT_TRUE(dimension == "region" || dimension == "daypart");
          }
          break;
        default:
          EXPECT_FALSE(slice.contains("platform"));
          EXPECT_FALSE(slice.contains("customer_segment"));
      }
      if (slice.contains("region")) {
        EXPECT_NE(std::find(s.regions.begin(), s.regions.end(), slice.at("region")),
                  s.regions.end());
      }
    }
  }
}

TEST(RandomWorlds, SlicesFitOnlyTheirOwnKindOfCause) {
  EXPECT_TRUE(SliceFitsCause(Cause::SEVERE_WEATHER, {{"region", "boston"}}));
  EXPECT_FALSE(SliceFitsCause(Cause::SEVERE_WEATHER, {{"region", "boston"}, {"daypart", "lunch"}}));
  EXPECT_FALSE(SliceFitsCause(Cause::MERCHANT_PREP_DELAY, {{"merchant", "freshmart"}}));
  EXPECT_TRUE(SliceFitsCause(Cause::MERCHANT_PREP_DELAY, {{"merchant", "taco_loco"}}));
  EXPECT_FALSE(
      SliceFitsCause(Cause::SUBSTITUTION_MODEL_REGRESSION, {{"store_type", "restaurant"}}));
  EXPECT_FALSE(SliceFitsCause(Cause::INVENTORY_FEED_OUTAGE,
                              {{"store_type", "grocery"}, {"platform", "ios"}}));
  EXPECT_FALSE(SliceFitsCause(Cause::APP_RELEASE_REGRESSION, {{"region", "boston"}}));
}

TEST(RandomWorlds, DrawsStayInsideTheirRanges) {
  std::set<Cause> causes;
  std::map<size_t, int> incident_counts;
  int ended = 0, unlogged = 0, overlapping = 0, external = 0;
  double noise_lo = 9, noise_hi = 0;
  std::set<int> decoys;
  for (const Scenario& s : Draw(13)) {
    SCOPED_TRACE(ScenarioYaml(s));
    EXPECT_GE(s.noise, 0.8);
    EXPECT_LE(s.noise, 1.6);
    EXPECT_LE(fmt::format("{}", s.noise).size(), 4u) << "two decimals, as written";
    noise_lo = std::min(noise_lo, s.noise);
    noise_hi = std::max(noise_hi, s.noise);
    EXPECT_GE(s.decoy_changes, 0);
    EXPECT_LE(s.decoy_changes, 6);
    decoys.insert(s.decoy_changes);
    EXPECT_GE(s.regions.size(), 5u);
    EXPECT_LE(s.regions.size(), 8u);
    ++incident_counts[s.incidents.size()];
    const generate::World world = generate::BuildWorld(s);
    for (const auto& incident : s.incidents) {
      causes.insert(incident.cause);
      EXPECT_GE(incident.magnitude, MinRandomMagnitude(incident.cause));
      EXPECT_LE(incident.magnitude, generate::DefaultMagnitude(incident.cause));
      EXPECT_LE(fmt::format("{}", incident.magnitude).size(), 5u) << "three decimals, as written";
      EXPECT_GE(incident.start_day, s.days / 2);
      EXPECT_LE(incident.start_day, s.days - 7);
      if (incident.end_day) {
        ++ended;
        EXPECT_GE(*incident.end_day, incident.start_day + 7);
        EXPECT_LE(*incident.end_day, s.days - 2);
      }
      if (generate::IsInternalCause(incident.cause)) {
        unlogged += incident.log_change ? 0 : 1;
      } else {
        ++external;
        EXPECT_FALSE(incident.log_change);
      }
      EXPECT_GE(ExpectedSliceOrders(world, incident.slice), MIN_SLICE_ORDERS_PER_DAY);
    }
    if (s.incidents.size() == 2) {
      const auto& a = s.incidents[0];
      const auto& b = s.incidents[1];
      EXPECT_NE(a.cause, b.cause);
      EXPECT_NE(a.slice, b.slice);
      EXPECT_NE(a.id, b.id);
      const bool same_region = a.slice.contains("region") && b.slice.contains("region") &&
                               a.slice.at("region") == b.slice.at("region");
      overlapping += same_region && std::abs(a.start_day - b.start_day) <= 5;
    }
  }
  EXPECT_EQ(causes.size(), generate::AllCauses().size());
  EXPECT_EQ(incident_counts.size(), 2u);
  EXPECT_GT(incident_counts[1], DRAWS / 4);
  EXPECT_GT(incident_counts[2], DRAWS / 4);
  EXPECT_GT(ended, DRAWS / 10);
  EXPECT_GT(unlogged, DRAWS / 20);
  EXPECT_GT(overlapping, DRAWS / 20);
  EXPECT_GT(external, DRAWS / 5);
  EXPECT_LT(noise_lo, 0.9);
  EXPECT_GT(noise_hi, 1.5);
  EXPECT_EQ(decoys.size(), 7u);
}

TEST(RandomWorlds, MagnitudesRangeFromSmallToTheDefault) {
  for (Cause cause : generate::AllCauses()) {
    SCOPED_TRACE(generate::CauseName(cause));
    EXPECT_GT(MinRandomMagnitude(cause), 0);
    EXPECT_LE(MinRandomMagnitude(cause), 0.7 * generate::DefaultMagnitude(cause));
  }
}

// The volume floor relies on ExpectedSliceOrders knowing the world as the generator makes it.
TEST(RandomWorlds, ExpectedSliceOrdersMatchAGeneratedWorld) {
  Scenario scenario = DrawScenario(5, 0, 28, 4000);
  scenario.incidents.clear();
  const generate::WorldTables tables = generate::GenerateWorldTables(scenario);
  const storage::Table& orders = tables.orders;
  const std::vector<Slice> slices{
      {{"region", scenario.regions[0]}},
      {{"store_type", "grocery"}, {"fulfillment_mode", "dasher_shop"}},
      {{"merchant", "taco_loco"}, {"daypart", "dinner"}},
      // Platform and segment belong to customers, and a few frequent customers place many
      // orders: one world's shares wander a few percent around the generator's, so these two
      // are checked over all regions.
      {{"platform", "android"}},
      {{"customer_segment", "member"}},
      {{"region", scenario.regions[1]}, {"store_type", "restaurant"}, {"daypart", "lunch"}},
  };
  const generate::World world = generate::BuildWorld(scenario);
  for (const Slice& slice : slices) {
    SCOPED_TRACE(generate::SliceText(slice));
    int64_t count = 0;
    for (size_t row = 0; row < orders.RowCount(); ++row) {
      bool in = true;
      for (const auto& [dimension, value] : slice) {
        const storage::Column& column = orders.Get(dimension);
        in = in && column.dictionary[static_cast<size_t>(column.ints[row])] == value;
      }
      count += in;
    }
    const double observed = static_cast<double>(count) / scenario.days;
    const double expected = ExpectedSliceOrders(world, slice);
    EXPECT_NEAR(observed / expected, 1.0, 0.12) << observed << " vs " << expected;
  }
}

TEST(RandomWorlds, RequestsOutOfRangeNameTheOption) {
  EXPECT_EQ(ErrorMessage([] { Draw(1, 0); }, ErrorType::INVALID_INPUT),
            "--random: 0 is out of range; allowed: 1..1000");
  EXPECT_EQ(ErrorMessage([] { Draw(1, 1, 27); }, ErrorType::INVALID_INPUT),
            "--days: 27 is out of range for --random; allowed: 28..3660");
  EXPECT_EQ(ErrorMessage([] { Draw(1, 1, 42, 999); }, ErrorType::INVALID_INPUT),
            "--orders-per-day: 999 is out of range for --random; allowed: 1000..5000000 (each "
            "incident's slice keeps at least 40 orders a day)");
}

TEST(RandomWorlds, TheSmallestWorldStillPlacesEveryIncident) {
  for (const Scenario& s : Draw(14, 100, 28, MIN_RANDOM_ORDERS_PER_DAY)) {
    EXPECT_FALSE(s.incidents.empty());
    const generate::World world = generate::BuildWorld(s);
    for (const auto& incident : s.incidents) {
      EXPECT_GE(ExpectedSliceOrders(world, incident.slice), MIN_SLICE_ORDERS_PER_DAY);
    }
  }
}

}  // namespace
}  // namespace cxagent::evaluate
