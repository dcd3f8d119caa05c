// The explained-away test's sums (a slice without other slices' orders) from the slice cube
// equal those of the leaves, and the cube answers exactly when it holds the slices they need.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "common/date.hpp"
#include "common/error.hpp"
#include "detect/incidents.hpp"
#include "metrics/slice_cube.hpp"
#include "storage/duckdb.hpp"

namespace cxagent::detect {
namespace {

// Leaves over 40 days: region x merchant x platform, each merchant of one store type (so a
// merchant implies its store type), one platform NULL ('unknown' in slice text), noisy daily
// volumes and CX sums from a hash; the cube rolls them up to depth 3 with no volume floor, or to
// depth 2 where asked.
class ExplainedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string columns;
    for (const char* zero : {"cancelled", "lines", "missing_lines", "substituted_lines",
                             "accepted_subs", "contacts", "rated", "rating_sum", "low_ratings",
                             "dispatched", "batched", "feed_lag_n", "busy_n", "app_errors"}) {
      columns += fmt::format(", 0::BIGINT AS {}", zero);
    }
    for (const char* zero : {"assign_delay_sum", "prep_wait_sum", "travel_sum", "distance_sum",
                             "eta_error_sum", "feed_lag_sum", "busy_sum"}) {
      columns += fmt::format(", 0::DOUBLE AS {}", zero);
    }
    connection_.Execute(fmt::format(R"sql(
CREATE OR REPLACE TEMP TABLE order_leaves AS
SELECT region, merchant, store_type, platform, DATE '2026-03-02' + day::INTEGER AS order_date,
       orders, orders * (85 + (h % 1000) / 100.0
                         - CASE WHEN region = 'seattle' AND day >= 25 THEN 4 ELSE 0 END)
         AS cx_sum,
       orders AS delivered, (orders * 9) // 10 - (h % 3) AS on_time{}
FROM (SELECT *, 20 + hash(region, merchant, platform, day) % 30 AS orders,
             hash(region, merchant, platform, day, 'cx') AS h
      FROM (VALUES ('seattle'), ('boston'), ('austin')) r(region),
           (VALUES ('fresh', 'grocery'), ('corner', 'convenience'), ('pizza', 'restaurant'),
                   ('tacos', 'restaurant')) m(merchant, store_type),
           (VALUES ('android'), ('ios'), (NULL)) p(platform),
           range(0, 40) d(day)))sql",
                                    columns));
  }

  storage::Table Cube(int depth) {
    metrics::CubeConfig config;
    config.dimensions = {"merchant", "platform", "region", "store_type"};
    config.max_depth = depth;
    config.min_daily_orders = 0;
    return metrics::RollUpLeaves(connection_, config);
  }

  storage::Database database_;
  storage::Connection connection_{database_};
};

// The leaves' remainder over every day (a day without a row counts 0; no row at all: no day).
void ExpectSame(const SliceRemainder& cube, const SliceRemainder& leaves, const std::string& what) {
  const size_t days = cube.orders.size();
  const auto at = [](const std::vector<double>& sums, size_t day) {
    return sums.empty() ? 0.0 : sums[day];
  };
  if (!leaves.orders.empty()) {
    ASSERT_EQ(leaves.orders.size(), days) << what;
    EXPECT_EQ(cube.first, leaves.first) << what;
  }
  for (size_t day = 0; day < days; ++day) {
    EXPECT_EQ(cube.orders[day], at(leaves.orders, day)) << what << " day " << day;
    EXPECT_NEAR(cube.cx_sum[day], at(leaves.cx_sum, day), 1e-9 * std::abs(cube.cx_sum[day]))
        << what << " day " << day;
    ASSERT_EQ(cube.mechanism_num.size(), cube.mechanism_den.size());
    for (size_t i = 0; i < cube.mechanism_num.size(); ++i) {
      EXPECT_NEAR(cube.mechanism_num[day], at(leaves.mechanism_num, day), 1e-9) << what;
      EXPECT_NEAR(cube.mechanism_den[day], at(leaves.mechanism_den, day), 1e-9) << what;
    }
  }
}

TEST_F(ExplainedTest, TheCubesRemainderEqualsTheLeavesOrIsNotGiven) {
  const storage::Table cube = Cube(3);
  struct Case {
    const char* slice;
    std::vector<const char*> others;
    bool in_cube;  // the cube holds every slice the sums need
    bool empty;    // no order is left
  };
  const std::vector<Case> cases{
      // One other: the intersection within depth 3.
      {"region=seattle", {"platform=android"}, true, false},
      {"platform=unknown&region=seattle", {"merchant=pizza"}, true, false},
      // Two others, their intersection too (and two that disagree: no intersection).
      {"region=seattle", {"platform=android", "merchant=fresh"}, true, false},
      {"region=seattle", {"platform=android", "platform=ios"}, true, false},
      // A store type implied by the merchant: the other contains the slice.
      {"merchant=pizza&region=boston", {"store_type=restaurant"}, true, true},
      {"merchant=fresh&platform=ios&region=austin",
       {"region=austin&store_type=grocery"},
       true,
       true},
      // Depth 4 as written, depth 3 once the implied store type is left out.
      {"platform=android&region=seattle&store_type=restaurant",
       {"merchant=pizza&region=seattle"},
       true,
       false},
      {"merchant=tacos&region=seattle&store_type=restaurant", {"platform=ios"}, true, false},
      // An other that disagrees with the slice takes nothing out.
      {"region=seattle", {"region=boston"}, true, false},
      // Depth 4 as written, the store type implied by the other's merchant.
      {"platform=android&region=seattle&store_type=restaurant", {"merchant=tacos"}, true, false},
      {"merchant=fresh&platform=ios", {"region=boston", "region=seattle"}, true, false},
      {"merchant=corner&platform=ios", {"region=boston&store_type=convenience"}, true, false},
  };
  for (const Case& test : cases) {
    std::vector<Slice> others;
    std::string what = test.slice;
    for (const char* other : test.others) {
      others.push_back(Slice::Parse(other));
      what += fmt::format(" without {}", other);
    }
    for (const std::string_view mechanism :
         {std::string_view(), std::string_view("on_time_rate")}) {
      const std::optional<SliceRemainder> from_cube =
          RemainderInCube(cube, Slice::Parse(test.slice), others, mechanism);
      const SliceRemainder from_leaves =
          RemainderInLeaves(connection_, Slice::Parse(test.slice), others, mechanism);
      ASSERT_EQ(from_cube.has_value(), test.in_cube) << what;
      EXPECT_EQ(from_leaves.orders.empty(), test.empty) << what;
      if (!from_cube) continue;
      ExpectSame(*from_cube, from_leaves, what);
      // The test on either gives the same answer (an alert over the regression's days).
      Alert alert;
      alert.slice = Slice::Parse(test.slice);
      alert.start = ParseDate("2026-03-27");
      alert.baseline_start = ParseDate("2026-02-27");
      alert.baseline_end = ParseDate("2026-03-26");
      if (!mechanism.empty()) alert.detected_by = std::string(mechanism);
      IncidentConfig config;
      config.min_z = 3;
      EXPECT_EQ(ExplainedByRemainder(*from_cube, alert, config),
                ExplainedByRemainder(from_leaves, alert, config))
          << what;
    }
  }
  // A cube of depth 2 lacks a three-pair intersection with nothing implied: the leaves answer.
  EXPECT_FALSE(RemainderInCube(Cube(2), Slice::Parse("merchant=fresh&platform=ios"),
                               {Slice::Parse("region=boston")})
                   .has_value());
}

TEST_F(ExplainedTest, TheSeattleDropStandsWithoutAnotherSliceAndGoesWithItsOwn) {
  const storage::Table cube = Cube(3);
  Alert alert;
  alert.slice = Slice::Parse("merchant=pizza");
  alert.start = ParseDate("2026-03-27");
  alert.baseline_start = ParseDate("2026-02-27");
  alert.baseline_end = ParseDate("2026-03-26");
  IncidentConfig config;
  config.min_z = 3;
  config.min_cx_delta = 0.5;
  for (const auto& [other, explained] : std::vector<std::pair<const char*, bool>>{
           {"region=seattle", true}, {"platform=ios", false}}) {
    const std::vector<Slice> others{Slice::Parse(other)};
    const std::optional<SliceRemainder> remainder = RemainderInCube(cube, alert.slice, others, {});
    ASSERT_TRUE(remainder.has_value()) << other;
    EXPECT_EQ(ExplainedByRemainder(*remainder, alert, config), explained) << other;
    EXPECT_EQ(ExplainedByOthers(connection_, alert, others, config), explained) << other;
  }
}

// A refresh's remainder: the stored sums of the unchanged days and the changed days' leaves give
// what every day's leaves give, and what it read is recorded for the next refresh.
TEST_F(ExplainedTest, ARemainderFromStoredDaysAndTheChangedDaysLeavesEqualsEveryDays) {
  const Date first = ParseDate("2026-03-02");
  const Slice slice = Slice::Parse("region=seattle");
  const std::vector<Slice> others{Slice::Parse("platform=android"), Slice::Parse("merchant=fresh")};
  for (const std::string_view mechanism : {std::string_view(), std::string_view("on_time_rate")}) {
    const SliceRemainder whole = RemainderInLeaves(connection_, slice, others, mechanism);
    // A first run: nothing stored, every day read.
    RemainderDays full;
    const SliceRemainder read =
        RemainderOfDays(connection_, slice, others, mechanism, first, 40, full);
    EXPECT_EQ(full.reused, 0u);
    ExpectSame(read, whole, "every day");
    const std::string key = RemainderKey(slice, others, mechanism);
    ASSERT_EQ(full.read.size(), 1u);
    ASSERT_EQ(full.read.at(key).size(), 40u);
    // A refresh in which the last two days changed: their leaves alone are read.
    RemainderDays refresh;
    refresh.stored[key] = full.read.at(key);
    refresh.stored[key].resize(38);
    connection_.Execute(
        "CREATE OR REPLACE TEMP TABLE changed_leaves AS SELECT * FROM order_leaves WHERE "
        "order_date >= DATE '2026-04-09'");
    refresh.changed_leaves = "changed_leaves";
    const SliceRemainder refreshed =
        RemainderOfDays(connection_, slice, others, mechanism, first, 40, refresh);
    EXPECT_EQ(refresh.reused, 1u);
    ExpectSame(refreshed, whole, "stored days and changed leaves");
    ASSERT_EQ(refresh.read.at(key).size(), 40u);
    // A remainder not stored is read from every day's leaves.
    const std::vector<Slice> other{Slice::Parse("platform=ios")};
    ExpectSame(RemainderOfDays(connection_, slice, other, mechanism, first, 40, refresh),
               RemainderInLeaves(connection_, slice, other, mechanism), "not stored");
    EXPECT_EQ(refresh.reused, 1u);
    // A stored day that the changed days' leaves also hold is a fault, not a sum.
    refresh.stored[key] = full.read.at(key);
    EXPECT_THROW(RemainderOfDays(connection_, slice, others, mechanism, first, 40, refresh), Error);
  }
}

// The changed days' leaves are read once, by the first remainder taking stored sums: the later
// ones sum them in memory (the relation may be gone by then), to the bit as the query sums them,
// a NULL dimension read as 'unknown'.
TEST_F(ExplainedTest, TheChangedDaysLeavesAreReadOnceAndSummedAsTheQuerySumsThem) {
  const Date first = ParseDate("2026-03-02");
  const std::vector<std::pair<Slice, std::vector<Slice>>> tests{
      {Slice::Parse("region=seattle"), {Slice::Parse("platform=android")}},
      {Slice::Parse("platform=unknown"), {}},
      {Slice::Parse("merchant=fresh&region=boston"),
       {Slice::Parse("platform=unknown"), Slice::Parse("platform=ios")}}};
  for (const std::string_view mechanism : {std::string_view(), std::string_view("on_time_rate")}) {
    connection_.Execute(
        "CREATE OR REPLACE TEMP TABLE changed_leaves AS SELECT * FROM order_leaves WHERE "
        "order_date >= DATE '2026-04-09'");
    RemainderDays refresh;
    refresh.changed_leaves = "changed_leaves";
    // Every day's sums as the query reads them.
    std::vector<SliceRemainder> expected;
    for (const auto& [slice, others] : tests) {
      RemainderDays full;
      expected.push_back(RemainderOfDays(connection_, slice, others, mechanism, first, 40, full));
      std::vector<RemainderDay>& stored = refresh.stored[RemainderKey(slice, others, mechanism)];
      stored = full.read.begin()->second;
      stored.resize(38);
    }
    for (size_t i = 0; i < tests.size(); ++i) {
      const SliceRemainder got = RemainderOfDays(connection_, tests[i].first, tests[i].second,
                                                 mechanism, first, 40, refresh);
      EXPECT_EQ(got.cx_sum, expected[i].cx_sum) << i;
      EXPECT_EQ(got.orders, expected[i].orders) << i;
      EXPECT_EQ(got.mechanism_num, expected[i].mechanism_num) << i;
      EXPECT_EQ(got.mechanism_den, expected[i].mechanism_den) << i;
      if (i == 0) connection_.Execute("DROP TABLE changed_leaves");
    }
    EXPECT_EQ(refresh.reused, tests.size());
  }
}

}  // namespace
}  // namespace cxagent::detect
