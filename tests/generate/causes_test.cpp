// Each cause of domain.md §5 moves its driver and outcome metrics inside its slice and window and
// nowhere else. Every test compares a world with the incident to its counterfactual (the same
// scenario generated without it): orders outside the slice x window must be byte-identical, and
// inside it the driver and the CX Score must move, tested with a z statistic at a fixed seed.

#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "generate/generator.hpp"
#include "generate/world_metrics.hpp"

namespace cxagent::generate::testing {
namespace {

struct CauseCase {
  std::string cause;
  std::string slice;
  double magnitude;
  std::function<std::optional<double>(const OrderView&)> driver;
  double driver_sign;  // +1 when the driver must rise, -1 when it must fall
  double min_cx_drop;  // points of CX Score the slice must lose at least
};

std::vector<CauseCase> Cases() {
  return {
      {"batching_expansion", "{region: seattle}", 0.4,
       [](const OrderView& v) { return Delivered(v, v.batched ? 1.0 : 0.0); }, 1, 3},
      {"dasher_supply_shortage", "{region: chicago}", 0.35,
       [](const OrderView& v) { return Delivered(v, v.assign); }, 1, 3},
      {"merchant_prep_delay", "{store_type: restaurant, region: bay_area}", 0.6,
       [](const OrderView& v) { return Delivered(v, v.prep_wait); }, 1, 3},
      {"inventory_feed_outage", "{store_type: grocery}", 0.25,
       [](const OrderView& v) -> std::optional<double> {
         if (!v.dispatched || v.lines == 0) return std::nullopt;
         return static_cast<double>(v.missing + v.substituted) / v.lines;
       },
       1, 3},
      {"substitution_model_regression", "{store_type: grocery}", 0.7,
       [](const OrderView& v) -> std::optional<double> {
         if (v.substituted == 0) return std::nullopt;
         return static_cast<double>(v.rejected) / v.substituted;
       },
       1, 2},
      {"eta_underestimation", "{region: los_angeles}", 0.2,
       [](const OrderView& v) -> std::optional<double> {
         if (v.cancelled) return std::nullopt;
         return v.quoted;
       },
       -1, 3},
      {"app_release_regression", "{platform: android}", 0.05,
       [](const OrderView& v) { return v.cancel_reason == "app_error" ? 1.0 : 0.0; }, 1, 3},
      {"severe_weather", "{region: boston}", 0.5,
       [](const OrderView& v) { return Delivered(v, v.travel); }, 1, 3},
      {"demand_surge", "{region: austin}", 0.4,
       [](const OrderView& v) { return Delivered(v, v.assign); }, 1, 3},
      {"delivery_radius_expansion", "{region: atlanta}", 0.6,
       [](const OrderView& v) { return Delivered(v, v.travel); }, 1, 3},
  };
}

// One string per order with every value it has in every table, to compare worlds exactly.
std::map<int64_t, std::string> OrderFingerprints(const WorldTables& w) {
  std::map<int64_t, std::string> out;
  for (size_t t = 0; t < 6; ++t) {
    if (t == 3) continue;  // inventory is per store and day, not per order
    const auto& table = w.At(t);
    const auto& ids = table.Get("order_id").ints;
    for (size_t i = 0; i < table.RowCount(); ++i) {
      std::string& s = out[ids[i]];
      s += std::to_string(t) + ":";
      for (const auto& c : table.columns) {
        if (c.IsNull(i)) {
          s += "null,";
        } else if (c.type == storage::ColumnType::DOUBLE) {
          s += std::to_string(c.doubles[i]) + ",";
        } else if (c.type == storage::ColumnType::VARCHAR) {
          s += std::string(c.StringAt(i)) + ",";
        } else {
          s += std::to_string(c.ints[i]) + ",";
        }
      }
    }
  }
  return out;
}

class GenerateCause : public ::testing::TestWithParam<CauseCase> {};

TEST_P(GenerateCause, MovesDriverAndCxInSliceAndWindowOnly) {
  const CauseCase& c = GetParam();
  const int start_day = 21;
  std::string incident = "  - id: inc\n    cause: " + c.cause + "\n    slice: " + c.slice +
                         "\n    start_day: " + std::to_string(start_day) +
                         "\n    magnitude: " + std::to_string(c.magnitude) + "\n";
  Scenario scenario = ParseScenario(SmallScenario(incident, 2500), "test.yaml");
  WorldTables treated = GenerateWorldTables(scenario);
  GenerateOptions without;
  without.without = "inc";
  WorldTables base = GenerateWorldTables(scenario, without);

  const Slice& slice = scenario.incidents[0].slice;
  auto treated_orders = JoinOrders(treated, scenario.start_date);
  auto base_orders = JoinOrders(base, scenario.start_date);
  auto inside = [&](const OrderView& v) { return v.day >= start_day && InSlice(v, slice); };

  // Not elsewhere: outside the slice x window every order is identical in every table.
  auto treated_rows = OrderFingerprints(treated);
  auto base_rows = OrderFingerprints(base);
  size_t compared = 0, changed_inside = 0;
  for (const auto& [id, row] : base_rows) {
    const OrderView& v = base_orders.at(id);
    auto other = treated_rows.find(id);
    ASSERT_NE(other, treated_rows.end()) << "order " << id << " vanished";
    if (inside(v)) {
      changed_inside += other->second != row;
    } else {
      ++compared;
      ASSERT_EQ(other->second, row) << c.cause << " changed order " << id << " outside its slice";
    }
  }
  for (const auto& [id, v] : treated_orders) {
    if (!base_orders.count(id)) {
      ASSERT_TRUE(inside(v)) << "an added order lies outside the slice";
    }
  }
  EXPECT_GT(compared, 10000u);
  EXPECT_GT(changed_inside, 0u);

  // In the slice and window, the driver moves in its direction and the CX Score drops.
  Sample driver_base = Measure(base_orders, inside, c.driver);
  Sample driver_treated = Measure(treated_orders, inside, c.driver);
  double z = ZScore(driver_base, driver_treated) * c.driver_sign;
  EXPECT_GT(z, 4.0) << c.cause << " driver " << driver_base.mean << " -> " << driver_treated.mean;
  auto cx = [](const OrderView& v) -> std::optional<double> { return v.Cx(); };
  Sample cx_base = Measure(base_orders, inside, cx);
  Sample cx_treated = Measure(treated_orders, inside, cx);
  EXPECT_LT(ZScore(cx_base, cx_treated), -4.0) << c.cause;
  EXPECT_GT(cx_base.mean - cx_treated.mean, c.min_cx_drop)
      << c.cause << " CX " << cx_base.mean << " -> " << cx_treated.mean;
  // Before the window the slice's CX is the same in both worlds (identical orders, checked above).
  RecordProperty("cx_drop", std::to_string(cx_base.mean - cx_treated.mean));
}

INSTANTIATE_TEST_SUITE_P(AllCauses, GenerateCause, ::testing::ValuesIn(Cases()),
                         [](const auto& test_case) { return test_case.param.cause; });

TEST(GenerateCauseDetail, EtaUnderestimationLeavesActualTimesUnchanged) {
  std::string incident =
      "  - id: inc\n    cause: eta_underestimation\n    slice: {region: seattle}\n"
      "    start_day: 21\n    magnitude: 0.2\n";
  Scenario scenario = ParseScenario(SmallScenario(incident, 1500), "test.yaml");
  GenerateOptions without;
  without.without = "inc";
  auto treated = JoinOrders(GenerateWorldTables(scenario), scenario.start_date);
  auto base = JoinOrders(GenerateWorldTables(scenario, without), scenario.start_date);
  for (const auto& [id, v] : base) {
    const OrderView& t = treated.at(id);
    if (!v.dispatched || !t.dispatched) continue;
    ASSERT_DOUBLE_EQ(v.actual, t.actual) << "actual delivery time moved for order " << id;
  }
}

TEST(GenerateCauseDetail, FeedOutageStalesTheFeedAndEmptiesShelvesButNotListings) {
  std::string incident =
      "  - id: inc\n    cause: inventory_feed_outage\n    slice: {store_type: grocery, region: "
      "seattle}\n    start_day: 21\n    magnitude: 0.3\n";
  Scenario scenario = ParseScenario(SmallScenario(incident, 500), "test.yaml");
  GenerateOptions without;
  without.without = "inc";
  WorldTables treated = GenerateWorldTables(scenario);
  WorldTables base = GenerateWorldTables(scenario, without);
  // Store ids encode the region (seattle is the third default region) and grocery stores are
  // the ones that list produce.
  const auto& ti = treated.inventory;
  const auto& bi = base.inventory;
  ASSERT_EQ(ti.RowCount(), bi.RowCount());
  size_t stale = 0;
  for (size_t i = 0; i < ti.RowCount(); ++i) {
    bool seattle = ti.Get("store_id").ints[i] / 10000 == 3;
    int day = static_cast<int>(ti.Get("date").ints[i] - scenario.start_date);
    EXPECT_DOUBLE_EQ(ti.Get("listed_in_stock_rate").doubles[i],
                     bi.Get("listed_in_stock_rate").doubles[i]);
    double lag_change = ti.Get("feed_lag_hours").doubles[i] - bi.Get("feed_lag_hours").doubles[i];
    double stock_change =
        ti.Get("actual_in_stock_rate").doubles[i] - bi.Get("actual_in_stock_rate").doubles[i];
    if (lag_change != 0) {
      ++stale;
      EXPECT_TRUE(seattle && day >= 21);
      EXPECT_GE(lag_change, 24.0);
      EXPECT_NEAR(stock_change, -0.3, 0.011);
    } else {
      EXPECT_DOUBLE_EQ(stock_change, 0.0);
    }
  }
  EXPECT_GT(stale, 0u);
}

TEST(GenerateCauseDetail, InternalCausesLogAChangeAndExternalOnesDoNot) {
  std::string incidents =
      "  - id: logged\n    cause: batching_expansion\n    slice: {region: seattle}\n    start_day: "
      "21\n"
      "  - id: silent\n    cause: batching_expansion\n    slice: {region: boston}\n    start_day: "
      "22\n"
      "    log_change: false\n"
      "  - id: storm\n    cause: severe_weather\n    slice: {region: chicago}\n    start_day: 23\n";
  Scenario scenario =
      ParseScenario(SmallScenario(incidents, 300, 28, "decoy_changes: 2\n"), "t.yaml");
  GenerateSummary summary;
  WorldTables w = GenerateWorldTables(scenario, {}, &summary);
  ASSERT_EQ(w.change_log.RowCount(), 3u);
  ASSERT_EQ(summary.changes.size(), 1u);
  EXPECT_EQ(summary.changes[0].incident_id, "logged");
  bool found = false;
  for (size_t i = 0; i < w.change_log.RowCount(); ++i) {
    if (w.change_log.Get("change_id").StringAt(i) != summary.changes[0].change_id) continue;
    found = true;
    EXPECT_EQ(w.change_log.Get("kind").StringAt(i), "dispatch_policy");
    EXPECT_EQ(w.change_log.Get("scope").StringAt(i), "region=seattle");
    EXPECT_EQ((w.change_log.Get("changed_at").ints[i] / 86'400'000'000LL) - scenario.start_date,
              21);
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace cxagent::generate::testing
