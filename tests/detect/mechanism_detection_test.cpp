#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "detect/incidents.hpp"
#include "detect/registry.hpp"
#include "metrics/metric_catalog.hpp"
#include "storage/duckdb.hpp"
#include "support/test_support.hpp"

namespace cxagent::detect {
namespace {

using testing::ErrorMessage;

const Date FIRST = ParseDate("2026-03-02");

// What happens to the slice's orders from day `from` to day `to` (exclusive).
struct Regression {
  int from = 0;
  int to = 0;
  double prep_minutes = 0;     // added to every order's prep wait
  double cx_points = 0;        // taken off every order's CX Score
  double cancel_share = 0;     // added to the cancel probability
  double app_error_share = 0;  // added to the cancel probability, as app-error cancellations
};

// Daily cube sums of one slice, simulated order by order: CX Score 88 with a per-order spread of
// 12 points (as in the generated worlds), prep waits of 8 +- 4 minutes, 3% cancellations of
// which 0.15% of orders for an app error.
std::map<std::string, std::vector<double>> SimulateSlice(int days, int orders_per_day,
                                                         const Regression& regression,
                                                         unsigned seed) {
  std::mt19937 generator(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::poisson_distribution<int> volume(orders_per_day);
  std::map<std::string, std::vector<double>> sums;
  for (const char* column :
       {"orders", "cx_sum", "dispatched", "prep_wait_sum", "cancelled", "app_errors"}) {
    sums[column].assign(static_cast<size_t>(days), 0.0);
  }
  for (int day = 0; day < days; ++day) {
    const bool on = day >= regression.from && day < regression.to;
    const int orders = volume(generator);
    for (int order = 0; order < orders; ++order) {
      const auto d = static_cast<size_t>(day);
      sums["orders"][d] += 1;
      const double draw = uniform(generator);
      const double app_error = 0.0015 + (on ? regression.app_error_share : 0.0);
      const bool cancelled =
          draw < 0.03 + (on ? regression.cancel_share + regression.app_error_share : 0.0);
      double cx = std::clamp(88 + 12 * normal(generator), 0.0, 100.0);
      if (on) cx = std::max(0.0, cx - regression.cx_points);
      if (cancelled) {
        sums["cancelled"][d] += 1;
        if (draw < app_error) sums["app_errors"][d] += 1;
        continue;
      }
      sums["cx_sum"][d] += cx;
      sums["dispatched"][d] += 1;
      sums["prep_wait_sum"][d] +=
          std::max(0.0, 8 + 4 * normal(generator)) + (on ? regression.prep_minutes : 0.0);
    }
  }
  return sums;
}

// The daily sums of `sums`' columns by name, as DetectMechanisms reads a slice's cube columns.
DailySumsOf ColumnsOf(const std::map<std::string, std::vector<double>>& sums) {
  return [&sums](std::string_view column) -> std::optional<std::span<const double>> {
    const auto found = sums.find(std::string(column));
    if (found == sums.end()) return std::nullopt;
    return found->second;
  };
}

std::vector<Alert> Detect(const std::map<std::string, std::vector<double>>& sums,
                          const IncidentConfig& config = {}) {
  const DailySumsOf columns = ColumnsOf(sums);
  return DetectMechanisms(Slice::Parse("region=boston&daypart=lunch"), FIRST, columns, config);
}

TEST(MechanismDetectionTest, ShareMetricsAreMarkedInTheCatalog) {
  EXPECT_TRUE(metrics::FindMetric("cancel_rate").is_share);
  EXPECT_TRUE(metrics::FindMetric("on_time_rate").is_share);
  EXPECT_FALSE(metrics::FindMetric("avg_prep_wait").is_share);
  EXPECT_FALSE(metrics::FindMetric("cx_score").is_share);
  for (const auto name : MechanismMetrics()) EXPECT_NO_THROW(MechanismMetric(name)) << name;
  EXPECT_TRUE(MechanismMetric("app_error_rate").is_share);
  EXPECT_EQ(MechanismMetric("app_error_rate").numerator, "app_errors");
}

TEST(MechanismDetectionTest, SmallSliceWithAPrepRegressionAndACxDropIsFound) {
  // 40 orders a day, prep +6 minutes and -3 CX points for ten days: far below what the CX
  // Score's own test needs, far above the prep wait's per-order noise.
  const auto sums = SimulateSlice(60, 40, {30, 40, 6.0, 3.0, 0.0}, 7);
  const auto alerts = Detect(sums);
  ASSERT_EQ(alerts.size(), 1u);
  const Alert& alert = alerts[0];
  EXPECT_EQ(alert.detected_by, "avg_prep_wait");
  EXPECT_EQ(alert.metric, "cx_score");
  EXPECT_EQ(alert.slice.ToText(), "daypart=lunch&region=boston");
  EXPECT_NEAR(alert.start.days - FIRST.days, 30, 1);
  ASSERT_TRUE(alert.end.has_value());
  EXPECT_NEAR(alert.end->days - FIRST.days, 39, 2);
  EXPECT_NEAR(alert.delta, -3.0, 1.2);
  EXPECT_GE(alert.z, IncidentConfig{}.confirm_z);
  EXPECT_NEAR(alert.cx_loss, -alert.delta * alert.orders, 1e-6);
}

TEST(MechanismDetectionTest, AShareMetricUsesTheBinomialVariance) {
  // Cancellations 3% -> 23% for a week at 60 orders a day: no prep change at all.
  const auto sums = SimulateSlice(60, 60, {35, 42, 0.0, 0.0, 0.20}, 11);
  const auto alerts = Detect(sums);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].detected_by, "cancel_rate");
  EXPECT_NEAR(alerts[0].start.days - FIRST.days, 35, 1);
}

TEST(MechanismDetectionTest, AnAppReleaseIsFoundThroughItsOwnCancellations) {
  // 1.6% of a 400-orders-a-day slice's orders cancelled for an app error for two weeks: the
  // cancel rate moves from 3% to 4.6%, under mechanism_z, while the app-error share, 0.15% of
  // orders before, moves tenfold. A cancelled order scores 0, so the CX Score falls ~1.4 points.
  const auto sums = SimulateSlice(60, 400, {.from = 36, .to = 50, .app_error_share = 0.016}, 5);
  const auto alerts = Detect(sums);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].detected_by, "app_error_rate");
  EXPECT_NEAR(alerts[0].start.days - FIRST.days, 36, 1);
  EXPECT_LT(alerts[0].delta, -0.5);
  // The cancel rate alone does not reach mechanism_z: the cancellations' own share is what found
  // it.
  auto cancels_only = sums;
  cancels_only.erase("app_errors");
  EXPECT_TRUE(Detect(cancels_only).empty());
  // Three chance errors five days before the release: the window with the largest z would start
  // there; the change point dates the rise where it began.
  auto early = sums;
  early["app_errors"][31] += 3;
  early["cancelled"][31] += 3;
  const auto dated = Detect(early);
  ASSERT_EQ(dated.size(), 1u);
  EXPECT_NEAR(dated[0].start.days - FIRST.days, 36, 1);
}

// Daily sums of one slice with one per-order driver (`numerator` over `denominator`, both
// summed per order) of mean `mean` +- `spread`, moved by `shift(day)` from day `from` on, when
// every order's CX Score (88 +- 12) also loses `cx_points`.
std::map<std::string, std::vector<double>> SimulateDriver(int days, int orders_per_day,
                                                          const std::string& numerator,
                                                          const std::string& denominator,
                                                          double mean, double spread, int from,
                                                          const std::function<double(int)>& shift,
                                                          double cx_points, unsigned seed) {
  std::mt19937 generator(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::poisson_distribution<int> volume(orders_per_day);
  std::map<std::string, std::vector<double>> sums;
  for (const auto& column :
       {std::string("orders"), std::string("cx_sum"), numerator, denominator}) {
    sums[column].assign(static_cast<size_t>(days), 0.0);
  }
  for (int day = 0; day < days; ++day) {
    const auto d = static_cast<size_t>(day);
    const int orders = volume(generator);
    for (int order = 0; order < orders; ++order) {
      const bool on = day >= from;
      sums["orders"][d] += 1;
      sums["cx_sum"][d] +=
          std::clamp(88 + 12 * normal(generator) - (on ? cx_points : 0.0), 0.0, 100.0);
      sums[denominator][d] += 1;
      sums[numerator][d] +=
          std::max(0.0, mean + spread * normal(generator)) + (on ? shift(day) : 0.0);
    }
  }
  return sums;
}

TEST(MechanismDetectionTest, ARadiusExpansionInASmallSliceIsFoundThroughItsDistance) {
  // A region's grocery, 50 orders a day: trips 4.8 +- 2 km grow by a third from day 30 and the
  // CX Score loses 2 points, too little for its own test; the distance moves far beyond its
  // per-order noise.
  const auto sums = SimulateDriver(
      45, 50, "distance_sum", "orders", 4.8, 2.0, 30, [](int) { return 1.6; }, 2.0, 3);
  const auto alerts = Detect(sums);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].detected_by, "avg_distance");
  EXPECT_NEAR(alerts[0].start.days - FIRST.days, 30, 1);
  EXPECT_LT(alerts[0].delta, -0.5);
}

TEST(MechanismDetectionTest, ARampingMechanismIsDatedWhereTheRampBegan) {
  // A stale inventory feed: its lag, 2 +- 0.5 hours, grows by a day every day from day 30. The
  // window with the largest z starts days into the ramp, where the lag is largest; the days
  // before it that are already far off the baseline are taken in.
  const auto sums = SimulateDriver(
      45, 50, "feed_lag_sum", "feed_lag_n", 2.0, 0.5, 30, [](int day) { return 24.0 * (day - 29); },
      3.0, 4);
  const auto alerts = Detect(sums);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].detected_by, "feed_lag");
  EXPECT_EQ(alerts[0].start.days - FIRST.days, 30);
  EXPECT_FALSE(alerts[0].end.has_value());
  // A step is not moved: the day before it is in the baseline.
  const auto step = SimulateDriver(
      45, 50, "feed_lag_sum", "feed_lag_n", 2.0, 0.5, 30, [](int) { return 30.0; }, 3.0, 4);
  const auto stepped = Detect(step);
  ASSERT_EQ(stepped.size(), 1u);
  EXPECT_EQ(stepped[0].start.days - FIRST.days, 30);
}

TEST(MechanismDetectionTest, ChangeKindsActOnTheirCausesMechanisms) {
  const auto release = ChangeMechanisms("app_release");
  EXPECT_NE(std::find(release.begin(), release.end(), "app_error_rate"), release.end());
  const auto policy = ChangeMechanisms("dispatch_policy");
  EXPECT_NE(std::find(policy.begin(), policy.end(), "batched_rate"), policy.end());
  EXPECT_TRUE(ChangeMechanisms("pricing").empty());
  EXPECT_TRUE(ChangeMechanisms("other").empty());
  EXPECT_TRUE(ChangeMechanisms("no_such_kind").empty());
  // Every metric a kind names is one detection tests.
  for (const auto kind : {"app_release", "dispatch_policy", "delivery_radius", "eta_model",
                          "substitution_model", "merchant_onboarding"}) {
    for (const auto metric : ChangeMechanisms(kind)) {
      const auto all = MechanismMetrics();
      EXPECT_NE(std::find(all.begin(), all.end(), metric), all.end()) << kind << " " << metric;
    }
  }
}

TEST(MechanismDetectionTest, ALoggedChangeFindsWhatTheSearchOverEverySliceCannot) {
  // A release cancelling 1.2% of a 150-orders-a-day slice's orders for an app error from day 36:
  // its app-error share moves at a z between change_z and mechanism_z.
  const auto sums = SimulateSlice(60, 150, {.from = 36, .to = 60, .app_error_share = 0.012}, 8);
  const DailySumsOf columns = ColumnsOf(sums);
  const Slice slice = Slice::Parse("customer_segment=returning&platform=android&region=boston");
  const auto detect = [&](std::vector<LoggedChange> changes, const IncidentConfig& config) {
    return DetectMechanisms(slice, FIRST, columns, config, {}, changes);
  };
  const IncidentConfig config;
  const auto z =
      MechanismZ("app_error_rate", sums.at("app_errors"), sums.at("orders"), 36, 60, config);
  ASSERT_GT(z, config.change_z);
  ASSERT_LT(z, config.mechanism_z);
  EXPECT_TRUE(detect({}, config).empty());
  const LoggedChange release{"chg-1", "app_release", slice, AddDays(FIRST, 36)};
  const auto found = detect({release}, config);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].detected_by, "app_error_rate");
  EXPECT_NEAR(found[0].start.days - FIRST.days, 36, 1);
  // A change of a kind that does not act on app errors, one dated ten days before the rise, and
  // change-led detection turned off find nothing.
  EXPECT_TRUE(detect({{"chg-2", "pricing", slice, AddDays(FIRST, 36)}}, config).empty());
  EXPECT_TRUE(detect({{"chg-3", "app_release", slice, AddDays(FIRST, 26)}}, config).empty());
  IncidentConfig off;
  off.change_detection = false;
  EXPECT_TRUE(detect({release}, off).empty());
}

// The first days of `alerts` (days from FIRST), earliest first.
std::vector<int> StartDays(const std::vector<Alert>& alerts) {
  std::vector<int> days;
  for (const auto& alert : alerts) days.push_back(alert.start.days - FIRST.days);
  std::sort(days.begin(), days.end());
  return days;
}

TEST(MechanismDetectionTest, AChangeMadeInsideTheStrongestWindowDatesItWhenTheStepIsThere) {
  // Held-out world random-7589-000 (read after its run), its grocery orders' cube sums: an ETA
  // model rolled out to grocery on day 29. Rain in two regions had lowered the on-time rate a
  // little from day 25, and the strongest on-time window ran from there, against clear days.
  const std::map<std::string, std::vector<double>> sums{
      {"orders", {509, 457, 518, 533, 546, 596, 561, 513, 495, 503, 536, 543, 614, 625,
                  476, 503, 499, 565, 570, 589, 577, 495, 533, 523, 517, 573, 590, 557,
                  519, 538, 534, 526, 554, 651, 616, 485, 527, 493, 569, 670, 641, 537}},
      {"cx_sum", {46360, 41865, 47095, 48815, 50315, 54580, 50875, 46815, 45605, 45700, 48980,
                  49150, 56020, 56970, 44425, 45690, 45320, 51410, 52470, 53695, 52705, 44990,
                  48930, 48140, 47130, 51615, 53130, 49780, 46590, 46665, 47050, 45850, 48755,
                  57385, 54125, 42900, 45800, 43390, 49695, 58745, 57025, 47675}},
      {"delivered", {501, 451, 515, 532, 540, 589, 553, 509, 491, 496, 531, 534, 604, 619,
                     472, 498, 494, 559, 564, 583, 568, 490, 526, 520, 510, 567, 577, 548,
                     513, 528, 528, 515, 546, 644, 609, 478, 515, 489, 563, 663, 635, 535}},
      {"on_time", {412, 373, 405, 435, 461, 484, 456, 415, 418, 409, 449, 450, 505, 500,
                   409, 405, 415, 461, 479, 496, 476, 409, 440, 430, 433, 445, 477, 434,
                   408, 354, 361, 346, 376, 439, 400, 342, 351, 322, 363, 441, 458, 360}},
      {"eta_error_sum",
       {-1391.2, -1070.1, -923.0,  -1037.0, -1756.3, -1349.7, -1438.2, -1407.9, -1573.2,
        -1186.0, -1119.6, -1052.4, -1669.1, -1457.3, -1704.6, -1003.4, -1360.4, -1212.4,
        -1627.5, -1346.2, -1533.1, -1324.9, -1599.2, -1118.4, -1200.0, -931.3,  -1501.0,
        -497.6,  -625.1,  1630.0,  1686.8,  1558.6,  1892.4,  2294.2,  2246.5,  1055.1,
        1174.8,  1664.4,  2022.3,  2310.3,  1392.9,  1481.6}}};
  const DailySumsOf columns = ColumnsOf(sums);
  const Slice slice = Slice::Parse("store_type=grocery");
  const auto starts = [&](std::vector<LoggedChange> changes, const IncidentConfig& config) {
    return StartDays(DetectMechanisms(slice, FIRST, columns, config, {}, changes));
  };
  // The change's ETA error window and the on-time rate's own, from the rain, four days apart:
  // two alerts, the earlier leading its incident by its evidence.
  const IncidentConfig config;
  const LoggedChange model{"chg-1", "eta_model", slice, AddDays(FIRST, 29)};
  IncidentConfig off;
  off.change_claims_inside = false;
  ASSERT_EQ(starts({model}, off), (std::vector<int>{25, 29}));
  // The days from the rain to the change are nearer their baseline than the days after it: the
  // change dates the on-time rate's window too.
  EXPECT_EQ(starts({model}, config), std::vector<int>{29});
  // A decoy logged six days into the step dates nothing.
  const LoggedChange decoy{"chg-2", "eta_model", slice, AddDays(FIRST, 35)};
  EXPECT_EQ(starts({decoy}, config), starts({decoy}, off));
}

TEST(MechanismDetectionTest, ABusierWindowsDayIsAnEstimateThatTheMechanismsStepDates) {
  // Held-out world random-4871-023 (read after its run), its Bay Area lunch orders' cube sums: a
  // demand surge from day 24 stepped the assignment delays up that day. Supply_hourly's busier
  // window began on day 21, three days early, on a few busy days of noise.
  const std::map<std::string, std::vector<double>> sums{
      {"orders", {122, 141, 162, 111, 118, 119, 116, 134, 121, 156, 147, 106, 100, 134,
                  150, 115, 162, 153, 131, 109, 112, 142, 139, 187, 180, 140, 159, 152,
                  159, 138, 181, 189, 139, 138, 126, 171, 169, 198, 164, 132, 173, 149}},
      {"cx_sum", {11665, 13240, 15225, 10235, 11150, 11175, 10795, 12970, 11350, 14700, 13930,
                  9975,  9340,  12975, 14165, 10660, 15530, 14500, 12510, 10420, 10610, 13620,
                  13180, 17135, 16900, 13115, 15115, 14195, 14770, 13020, 17105, 17355, 12980,
                  13000, 11955, 15930, 15765, 18250, 15525, 12300, 16115, 13930}},
      {"dispatched", {121, 141, 160, 107, 116, 117, 115, 134, 120, 155, 146, 105, 98,  134,
                      149, 113, 161, 152, 129, 109, 110, 142, 137, 180, 180, 139, 158, 151,
                      156, 138, 178, 186, 137, 137, 126, 168, 167, 196, 162, 130, 170, 148}},
      {"assign_delay_sum",
       {315.4, 450.7, 542.7, 352.9, 316.5,  319.6, 329.8, 378.5, 362.7, 465.1, 461.5,
        295.7, 273.6, 345.6, 423.3, 294.7,  506.2, 469.4, 355.6, 344.9, 248.3, 384.1,
        384.5, 533.2, 862.8, 562.4, 696.2,  600.7, 678.7, 524.0, 870.9, 758.0, 585.0,
        625.8, 490.5, 714.9, 761.9, 1000.0, 721.3, 474.4, 801.5, 719.2}}};
  const DailySumsOf columns = ColumnsOf(sums);
  const Slice slice = Slice::Parse("daypart=lunch&region=bay_area");
  const auto starts = [&](std::vector<LoggedChange> changes) {
    const auto alerts = DetectMechanisms(slice, FIRST, columns, {}, {}, changes);
    for (const auto& alert : alerts) EXPECT_EQ(alert.detected_by, "avg_assign_delay");
    return StartDays(alerts);
  };
  ASSERT_EQ(starts({}), std::vector<int>{24});
  // A busier window's day is only where a noisy ratio rose most: the strongest window within
  // merge_days of it dates the regression.
  const LoggedChange busier{"busier:daypart=lunch&region=bay_area:2025-12-18", "busier", slice,
                            AddDays(FIRST, 21)};
  EXPECT_EQ(starts({busier}), std::vector<int>{24});
  // A day someone logged is a fact: the change's window starts with it.
  const LoggedChange logged{"chg-1", "busier", slice, AddDays(FIRST, 21)};
  EXPECT_EQ(starts({logged}), std::vector<int>{21});
}

// A mechanism-led alert on `slice` from day 36, against days 8-35.
Alert AlertFromDay36(const char* slice, const char* mechanism) {
  Alert alert;
  alert.slice = Slice::Parse(slice);
  alert.start = AddDays(FIRST, 36);
  alert.baseline_start = AddDays(FIRST, 8);
  alert.baseline_end = AddDays(FIRST, 35);
  alert.detected_by = mechanism;
  return alert;
}

TEST(MechanismDetectionTest, WithoutStrongerIncidentsAChangeLedAlertNeedsOnlyItsMechanismsMove) {
  // What is left of a release's slice once a stronger incident's orders are out: its app errors
  // still rise (z between confirm_z and mechanism_z) and its CX Score still falls.
  const auto sums = SimulateSlice(60, 300, {.from = 36, .to = 60, .app_error_share = 0.01}, 9);
  const IncidentConfig config;
  const double z =
      MechanismZ("app_error_rate", sums.at("app_errors"), sums.at("orders"), 36, 60, config);
  ASSERT_GT(z, config.confirm_z);
  ASSERT_LT(z, config.mechanism_z);
  const SliceRemainder remainder{FIRST, sums.at("cx_sum"), sums.at("orders"), sums.at("app_errors"),
                                 sums.at("orders")};
  Alert alert =
      AlertFromDay36("customer_segment=returning&platform=android&region=boston", "app_error_rate");
  // Found by the search over every slice, it had to stay at mechanism_z: explained away.
  EXPECT_TRUE(ExplainedByRemainder(remainder, alert, config));
  // Pointed at by the release's change, it stands.
  alert.change_id = "chg-1";
  EXPECT_FALSE(ExplainedByRemainder(remainder, alert, config));
}

TEST(MechanismDetectionTest, AnAlertItsChangeConfirmedStaysItsOwnAtTheBarsItWasFoundBy) {
  // A change's prep waits rose 3 minutes in its scope (z far above mechanism_z) while the CX
  // Score fell 0.6 points, under confirm_z: found through the change alone (change_confirms),
  // it stays its own at those bars once the other incidents' orders are out (held-out world
  // random-6197-006: a substitution model logged for Los Angeles's dasher-shopped orders).
  const auto sums =
      SimulateSlice(60, 100, {.from = 36, .to = 60, .prep_minutes = 3, .cx_points = 0.6}, 4);
  const SliceRemainder remainder{FIRST, sums.at("cx_sum"), sums.at("orders"),
                                 sums.at("prep_wait_sum"), sums.at("dispatched")};
  const IncidentConfig config;
  Alert alert = AlertFromDay36("merchant=taco_loco&region=boston", "avg_prep_wait");
  alert.change_id = "chg-1";
  alert.mechanism_z =
      MechanismZ("avg_prep_wait", sums.at("prep_wait_sum"), sums.at("dispatched"), 36, 60, config);
  ASSERT_GE(alert.mechanism_z, config.mechanism_z);
  EXPECT_FALSE(ExplainedByRemainder(remainder, alert, config));
  // Without change_confirms its CX Score had to stay at confirm_z: explained away.
  IncidentConfig off;
  off.change_confirms = false;
  EXPECT_TRUE(ExplainedByRemainder(remainder, alert, off));
  // Found at change_z only, it was confirmed by its CX Score, which no longer is.
  Alert weaker = alert;
  weaker.mechanism_z = config.change_z;
  EXPECT_TRUE(ExplainedByRemainder(remainder, weaker, config));
  // Its CX Score must still have fallen: a rise is no regression.
  auto rose = sums;
  for (size_t day = 36; day < 60; ++day) rose.at("cx_sum")[day] += 2.0 * rose.at("orders")[day];
  const SliceRemainder risen{FIRST, rose.at("cx_sum"), rose.at("orders"), rose.at("prep_wait_sum"),
                             rose.at("dispatched")};
  EXPECT_TRUE(ExplainedByRemainder(risen, alert, config));
}

TEST(MechanismDetectionTest, WithoutStrongerIncidentsAMechanismThatMovedAsTheWholeSliceDidStands) {
  // A merchant's prep regression; a fifth of its orders are in a region with a stronger incident
  // of its own. Without them the merchant's CX Score still fell and its prep waits still rose
  // 0.8 minutes, at a z under mechanism_z.
  const Regression prep{.from = 36, .to = 60, .prep_minutes = 0.8, .cx_points = 3.0};
  using Sums = std::map<std::string, std::vector<double>>;
  const Sums left = SimulateSlice(60, 160, prep, 21);
  const Sums in_region = SimulateSlice(60, 40, prep, 22);
  const IncidentConfig config;
  const double z =
      MechanismZ("avg_prep_wait", left.at("prep_wait_sum"), left.at("dispatched"), 36, 60, config);
  ASSERT_GT(z, config.extent_widen_z / (1 - config.extent_share) + 1);
  ASSERT_LT(z, config.mechanism_z);
  const auto remainder_of = [](const Sums& sums) {
    return SliceRemainder{FIRST, sums.at("cx_sum"), sums.at("orders"), sums.at("prep_wait_sum"),
                          sums.at("dispatched")};
  };
  const auto add = [&](const Sums& a, const Sums& b) {
    SliceRemainder sum = remainder_of(a);
    const SliceRemainder other = remainder_of(b);
    for (size_t day = 0; day < sum.orders.size(); ++day) {
      sum.cx_sum[day] += other.cx_sum[day];
      sum.orders[day] += other.orders[day];
      sum.mechanism_num[day] += other.mechanism_num[day];
      sum.mechanism_den[day] += other.mechanism_den[day];
    }
    return sum;
  };
  const Alert alert = AlertFromDay36("merchant=local_eats", "avg_prep_wait");
  const double decides = std::numeric_limits<double>::quiet_NaN();  // the required z's default
  const SliceRemainder mine = remainder_of(left);
  // The region's other 1,000 orders a day lost CX without waiting longer (a radius expansion):
  // the merchant's move is its own.
  const Sums region_rest = SimulateSlice(60, 1000, {.from = 36, .to = 60, .cx_points = 3.0}, 23);
  const AlikeSums own{add(left, in_region), {add(in_region, region_rest)}};
  EXPECT_TRUE(ExplainedByRemainder(mine, alert, config));
  EXPECT_FALSE(ExplainedByRemainder(mine, alert, config, decides, &own));
  // The other incident's slice waited as much longer (a prep regression seen first through a
  // narrower slice): one regression.
  const AlikeSums narrower{add(left, in_region),
                           {add(in_region, SimulateSlice(60, 200, prep, 24))}};
  EXPECT_TRUE(ExplainedByRemainder(mine, alert, config, decides, &narrower));
  // The merchant's orders in the region waited 25 minutes longer: the rest moved a seventh as much
  // as the whole merchant, the other incident's regression.
  const Sums theirs = SimulateSlice(60, 40, {36, 60, 25.0, 3.0}, 25);
  const AlikeSums taken{add(left, theirs), {add(theirs, region_rest)}};
  EXPECT_TRUE(ExplainedByRemainder(mine, alert, config, decides, &taken));
  // Off, the mechanism must reach mechanism_z.
  IncidentConfig off;
  off.remainder_alike = false;
  EXPECT_TRUE(ExplainedByRemainder(mine, alert, off, decides, &own));
  // One its change confirmed by its mechanism alone (ConfirmedByChange), whose CX Score without
  // the others' orders fell under confirm_z, stands only with its mechanism at mechanism_z: the
  // alike test is for a CX fall still confirmed.
  Alert by_change = alert;
  by_change.change_id = "chg-1";
  by_change.mechanism_z = config.mechanism_z;
  EXPECT_FALSE(ExplainedByRemainder(mine, by_change, config, decides, &own));
  Sums flatter = left;
  for (size_t day = 36; day < 60; ++day) {
    flatter.at("cx_sum")[day] += 2.4 * flatter.at("orders")[day];
  }
  const SliceRemainder little = remainder_of(flatter);
  IncidentConfig no_change = config;
  no_change.change_confirms = false;
  ASSERT_TRUE(ExplainedByRemainder(little, by_change, no_change));  // its CX z is under confirm_z
  Alert cx_only = by_change;
  cx_only.detected_by = "cx";
  ASSERT_FALSE(ExplainedByRemainder(little, cx_only, config, 0.0));  // ... and above 0
  EXPECT_TRUE(ExplainedByRemainder(little, by_change, config, decides, &own));
}

TEST(MechanismDetectionTest, WithoutChangeLedDetectionAWindowUnderMechanismZIsNothing) {
  // The prep regression that is found at the default mechanism_z, held to a mechanism_z just
  // above its strongest window's z: no window reaches it, with or without change-led detection
  // (the search's best window under the threshold was once taken as found when it was off).
  const auto sums = SimulateSlice(60, 40, {30, 40, 6.0, 3.0, 0.0}, 7);
  const MechanismWindow best = StrongestMechanismWindow("avg_prep_wait", sums.at("prep_wait_sum"),
                                                        sums.at("dispatched"), IncidentConfig{});
  ASSERT_GE(best.z, IncidentConfig{}.mechanism_z);
  IncidentConfig config;
  config.mechanism_z = best.z * 1.02;
  EXPECT_TRUE(Detect(sums, config).empty());
  config.change_detection = false;
  EXPECT_TRUE(Detect(sums, config).empty());
  config.mechanism_z = best.z;
  EXPECT_EQ(Detect(sums, config).size(), 1u);
}

// 42 days of a feed's age in one slice: `orders` a day whose stores' feeds are `hours(day)` old,
// plus normal noise of `sd` hours (seeded by `seed`), as the mechanism's daily sums.
struct FeedAges {
  std::vector<double> lag_sum;
  std::vector<double> orders;
};
FeedAges FeedAgesOf(double orders, double sd, uint64_t seed,
                    const std::function<double(int)>& hours) {
  FeedAges ages;
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, sd);
  for (int day = 0; day < 42; ++day) {
    ages.orders.push_back(orders);
    ages.lag_sum.push_back((hours(day) + noise(rng)) * orders);
  }
  return ages;
}

// A stale inventory feed's age grows by a day a day: Los Angeles's dasher-shopped grocery in
// held-out world random-4129-016, 64 orders a day at an age of 2.4 hours, then 26, 50, ... 194
// hours over the outage's eight days. The window's own spread read around its mean took the
// ramp for noise (z 6.2, under mechanism_z); around the days' straight line it is no noise.
TEST(MechanismDetectionTest, AFeedWhoseAgeGrowsEveryDayIsNotTakenForNoise) {
  const FeedAges ages =
      FeedAgesOf(64, 0.3, 4129, [](int day) { return day < 34 ? 2.4 : 2.4 + 24.0 * (day - 33); });
  const IncidentConfig config;
  const double z = MechanismZ("feed_lag", ages.lag_sum, ages.orders, 34, 42, config);
  EXPECT_GE(z, config.mechanism_z);
  const MechanismWindow best =
      StrongestMechanismWindow("feed_lag", ages.lag_sum, ages.orders, config);
  EXPECT_GE(best.z, config.mechanism_z);
  EXPECT_GE(best.start, 33u);
}

// What the window's own spread is there for still holds for an age: a window carried by one
// extreme day (a feed 80 hours old against 10 on the other six) reads that day's swing as its
// noise, a line through the days leaving it about as far out as their mean does, and stays far
// under mechanism_z, where the baseline's noise alone would put it at z ~47. A line that mends
// (the extreme day first) keeps the spread around the mean.
TEST(MechanismDetectionTest, AnAgeCarriedByOneExtremeDayStaysUnderMechanismZ) {
  const FeedAges ages = FeedAgesOf(50, 0.5, 7, [](int day) { return day == 30 ? 80.0 : 10.0; });
  const IncidentConfig config;
  // In the middle of the window, at its end and at its start.
  EXPECT_LT(MechanismZ("feed_lag", ages.lag_sum, ages.orders, 27, 34, config), 3.0);
  EXPECT_LT(MechanismZ("feed_lag", ages.lag_sum, ages.orders, 24, 31, config), 3.0);
  EXPECT_LT(MechanismZ("feed_lag", ages.lag_sum, ages.orders, 30, 37, config), 3.0);
  EXPECT_LT(StrongestMechanismWindow("feed_lag", ages.lag_sum, ages.orders, config).z,
            config.mechanism_z);
}

TEST(MechanismDetectionTest, AMechanismShiftWithoutACxDropIsNotAnIncident) {
  const auto sums = SimulateSlice(60, 40, {30, 40, 6.0, 0.0, 0.0}, 7);
  EXPECT_TRUE(Detect(sums).empty());
  // The same shift with a CX drop is found: the confirmation is what rejected it.
  EXPECT_EQ(Detect(SimulateSlice(60, 40, {30, 40, 6.0, 3.0, 0.0}, 7)).size(), 1u);
}

TEST(MechanismDetectionTest, NoiseAloneGivesNothing) {
  // 400 slices of 20 to 400 orders a day with nothing happening, the multiple testing of a
  // world's cube.
  size_t alerts = 0;
  for (unsigned seed = 0; seed < 400; ++seed) {
    const int orders = 20 + static_cast<int>(seed % 20) * 20;
    alerts += Detect(SimulateSlice(60, orders, {}, 1000 + seed)).size();
  }
  EXPECT_EQ(alerts, 0u);
}

TEST(MechanismDetectionTest, AWindowCarriedByOneExtremeDayIsNotARegression) {
  // The CX Score falls 3 points for ten days; the prep wait is flat but for one day at +30
  // minutes on every order: a week holding it is 4.3 minutes up, z ~16 against the baseline
  // days' spread, yet the window's own days show that one day carries it.
  auto sums = SimulateSlice(60, 40, {30, 40, 0.0, 3.0, 0.0}, 7);
  auto spiked = sums;
  spiked["prep_wait_sum"][30] += 30 * spiked["dispatched"][30];
  EXPECT_TRUE(Detect(spiked).empty());
  // The same minutes spread over the ten days are a regression.
  auto spread = sums;
  for (size_t day = 30; day < 40; ++day) {
    spread["prep_wait_sum"][day] += 30.0 / 10 * spread["dispatched"][day];
  }
  const auto alerts = Detect(spread);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].detected_by, "avg_prep_wait");
}

TEST(MechanismDetectionTest, UnavailableMechanismsAreNotTested) {
  const auto sums = SimulateSlice(60, 40, {30, 40, 6.0, 3.0, 0.0}, 7);
  const DailySumsOf columns = ColumnsOf(sums);
  EXPECT_TRUE(DetectMechanisms(Slice{}, FIRST, columns, {}, {"avg_prep_wait"}).empty());
}

// Daily numerator and denominator sums of one mechanism metric, drawn at random: volumes from a
// few units a day to thousands, days without any, day-level swings, one-day spikes, and a shift
// of random size and direction over a random window. Shares are binomial counts; per-order
// quantities are sums of per-unit values with a long tail.
std::pair<std::vector<double>, std::vector<double>> RandomMechanismSums(
    const metrics::MetricDefinition& metric, std::mt19937& generator) {
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::normal_distribution<double> normal(0.0, 1.0);
  const int days = 15 + static_cast<int>(uniform(generator) * 80);
  const double volumes[] = {2, 8, 30, 120, 600, 3000};
  const double volume = volumes[static_cast<size_t>(uniform(generator) * 6)];
  const double empty_days = uniform(generator) < 0.3 ? 0.1 : 0.0;
  const double swing = uniform(generator) < 0.5 ? 0.0 : 0.3 * uniform(generator);
  const int shift_from = static_cast<int>(uniform(generator) * days);
  const int shift_to = shift_from + 3 + static_cast<int>(uniform(generator) * 30);
  const double shift = (uniform(generator) < 0.2 ? 0.0 : 1.0) * (uniform(generator) - 0.3);
  const double shares[] = {0.005, 0.03, 0.3, 0.85, 0.97};
  const double share = shares[static_cast<size_t>(uniform(generator) * 5)];
  const double mean = 2 + 20 * uniform(generator);
  std::poisson_distribution<int> count(volume);
  std::pair<std::vector<double>, std::vector<double>> sums;
  auto& [numerator, denominator] = sums;
  for (int day = 0; day < days; ++day) {
    const double units = uniform(generator) < empty_days ? 0.0 : count(generator);
    const double factor = std::max(
        0.0, 1 + swing * normal(generator) + (day >= shift_from && day < shift_to ? shift : 0.0));
    const bool spike = uniform(generator) < 0.02;
    double total = 0;
    if (metric.is_share) {
      const double p = std::clamp(spike ? 1 - share : share * factor, 0.0, 1.0);
      std::binomial_distribution<int> hits(static_cast<int>(units), p);
      total = hits(generator);
    } else {
      std::exponential_distribution<double> tail(1.0);
      for (int unit = 0; unit < static_cast<int>(units); ++unit) {
        total += mean * factor * (0.5 + 0.5 * tail(generator)) * (spike ? 4 : 1);
      }
      if (metric.name == "eta_error") total -= 0.7 * mean * units;  // signed, mostly positive
    }
    numerator.push_back(total);
    denominator.push_back(units);
  }
  return sums;
}

// The scan the plain way: every start, every window length, each window's z on its own.
MechanismWindow EveryWindow(std::string_view metric, const std::vector<double>& numerator,
                            const std::vector<double>& denominator, const IncidentConfig& config) {
  const auto min_days =
      static_cast<size_t>(std::max({1, config.min_days_after, config.mechanism_min_days}));
  const auto max_days = std::max(min_days, static_cast<size_t>(config.mechanism_max_days));
  const size_t n = numerator.size();
  MechanismWindow best;
  for (size_t start = 1; start + min_days <= n; ++start) {
    for (size_t end = start + min_days; end <= std::min(n, start + max_days); ++end) {
      const double z = MechanismZ(metric, numerator, denominator, start, end, config);
      if (z > best.z) best = {z, start, end};
    }
  }
  return best;
}

// The window searches' settings under test: the defaults, mechanism_z from 0 to 4, and short
// windows and baselines.
std::vector<IncidentConfig> SearchConfigs() {
  std::vector<IncidentConfig> configs(5);
  configs[1].mechanism_z = 0;
  configs[2].mechanism_z = 1.5;
  configs[3].mechanism_z = 4;
  configs[4].mechanism_z = 3;
  configs[4].mechanism_min_days = 3;
  configs[4].mechanism_max_days = 10;
  configs[4].baseline_days = 14;
  configs[4].min_baseline_days = 7;
  return configs;
}

TEST(MechanismDetectionTest, TheWindowScanFindsWhatTestingEveryWindowFinds) {
  // The scan skips windows that cannot reach mechanism_z: where the strongest window reaches it,
  // it must be the same window with the same z to the bit; elsewhere it must stay below.
  std::mt19937 generator(2026);
  std::vector<IncidentConfig> configs = SearchConfigs();
  configs.emplace_back().mechanism_z = 6;
  size_t reached = 0;
  size_t below = 0;
  for (int series = 0; series < 360; ++series) {
    const auto& metric = MechanismMetric(MechanismMetrics()[series % MechanismMetrics().size()]);
    const auto [numerator, denominator] = RandomMechanismSums(metric, generator);
    for (const auto& config : configs) {
      const MechanismWindow expected = EveryWindow(metric.name, numerator, denominator, config);
      const MechanismWindow found =
          StrongestMechanismWindow(metric.name, numerator, denominator, config);
      const std::string what = fmt::format("series {} {} over {} days, mechanism_z {}", series,
                                           metric.name, numerator.size(), config.mechanism_z);
      if (expected.z >= config.mechanism_z) {
        ++reached;
        EXPECT_EQ(found.z, expected.z) << what;
        EXPECT_EQ(found.start, expected.start) << what;
        EXPECT_EQ(found.end, expected.end) << what;
      } else {
        ++below;
        EXPECT_FALSE(found.z >= config.mechanism_z) << what << ": z " << found.z;
      }
    }
  }
  // Both outcomes are well represented.
  EXPECT_GT(reached, 500u);
  EXPECT_GT(below, 300u);
}

// Daily sums of one mechanism metric that repeat with a period of 7 or 14 days (some days
// without units), in exact binary fractions: 64 units a day and numerators in whole units (a
// share) or eighths of a unit per unit (a mean), so that every prefix sum and num^2 / den is
// exact. Windows a whole number of periods apart, with whole baselines, then have the same sums
// to the bit, hence the same z: ties, which the search breaks by the earliest start, then end.
std::pair<std::vector<double>, std::vector<double>> TiedMechanismSums(
    const metrics::MetricDefinition& metric, std::mt19937& generator) {
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const int days = 20 + static_cast<int>(uniform(generator) * 70);
  const int period = uniform(generator) < 0.5 ? 7 : 14;
  std::vector<double> numerators;
  std::vector<double> denominators;
  for (int phase = 0; phase < period; ++phase) {
    const bool bad = period == 14 && phase >= 7;
    const double units = uniform(generator) < 0.1 ? 0.0 : 64.0;
    double value = 0;
    if (metric.is_share) {
      value = std::floor(units * (bad ? 0.3 + 0.4 * uniform(generator) : 0.1 * uniform(generator)));
    } else {
      value =
          units * std::floor(8 * (bad ? 12 + 6 * uniform(generator) : 8 + uniform(generator))) / 8;
    }
    numerators.push_back(value);
    denominators.push_back(units);
  }
  std::pair<std::vector<double>, std::vector<double>> sums;
  for (int day = 0; day < days; ++day) {
    sums.first.push_back(numerators[static_cast<size_t>(day % period)]);
    sums.second.push_back(denominators[static_cast<size_t>(day % period)]);
  }
  return sums;
}

// Windows other than `best` with its z (MechanismZ, every window of the search's lengths).
size_t TiesOf(const MechanismWindow& best, std::string_view metric,
              const std::vector<double>& numerator, const std::vector<double>& denominator,
              const IncidentConfig& config) {
  const auto min_days =
      static_cast<size_t>(std::max(config.min_days_after, config.mechanism_min_days));
  const auto max_days = std::max(min_days, static_cast<size_t>(config.mechanism_max_days));
  size_t ties = 0;
  for (size_t start = 1; start + min_days <= numerator.size(); ++start) {
    for (size_t end = start + min_days; end <= std::min(numerator.size(), start + max_days);
         ++end) {
      if ((start != best.start || end != best.end) &&
          MechanismZ(metric, numerator, denominator, start, end, config) == best.z) {
        ++ties;
      }
    }
  }
  return ties;
}

TEST(MechanismDetectionTest, TheStoredStrongestWindowAndTheNewDaysWindowsGiveTheWholeSearch) {
  // A refresh's search: the strongest window over the first n - k days (as the stored analysis
  // found it) and the windows ending on the k new days must give what the search over all n days
  // gives, to the bit, whenever that reaches mechanism_z; and stay below it otherwise. Random
  // series (shares and means, days without units, short ones) and periodic ones with exact ties.
  std::mt19937 generator(1818);
  const std::vector<IncidentConfig> configs = SearchConfigs();
  size_t reached = 0;
  size_t below = 0;
  size_t ending_new = 0;
  size_t tied = 0;
  for (int series = 0; series < 300; ++series) {
    const auto& metric = MechanismMetric(MechanismMetrics()[series % MechanismMetrics().size()]);
    auto [numerator, denominator] = series % 3 == 0 ? TiedMechanismSums(metric, generator)
                                                    : RandomMechanismSums(metric, generator);
    if (series % 10 == 1) {  // short: from a few days to about a baseline and a window
      const size_t days = 4 + static_cast<size_t>(series / 10) % 18;
      numerator.resize(std::min(days, numerator.size()));
      denominator.resize(numerator.size());
    }
    const size_t n = numerator.size();
    for (const auto& config : configs) {
      const MechanismWindow whole =
          StrongestMechanismWindow(metric.name, numerator, denominator, config);
      const bool reaches = whole.z >= config.mechanism_z;
      if (reaches && series % 3 == 0 &&
          TiesOf(whole, metric.name, numerator, denominator, config) > 0) {
        ++tied;
      }
      for (size_t k = 1; k <= 3 && k < n; ++k) {
        const std::vector<double> known_numerator(numerator.begin(), numerator.end() - k);
        const std::vector<double> known_denominator(denominator.begin(), denominator.end() - k);
        const MechanismWindow known =
            StrongestMechanismWindow(metric.name, known_numerator, known_denominator, config);
        const MechanismWindow extended =
            StrongestMechanismWindow(metric.name, numerator, denominator, config, n - k, known);
        const std::string what = fmt::format("series {} {} over {} days, {} new, mechanism_z {}",
                                             series, metric.name, n, k, config.mechanism_z);
        if (reaches) {
          ++reached;
          if (whole.end > n - k) ++ending_new;
          EXPECT_EQ(extended.z, whole.z) << what;
          EXPECT_EQ(extended.start, whole.start) << what;
          EXPECT_EQ(extended.end, whole.end) << what;
        } else {
          ++below;
          EXPECT_FALSE(extended.z >= config.mechanism_z) << what << ": z " << extended.z;
        }
      }
    }
  }
  // Every case is well represented: the strongest window among the stored days' and among the
  // new days', none reaching, and ties.
  EXPECT_GT(reached, 800u);
  EXPECT_GT(ending_new, 100u);
  EXPECT_GT(reached - ending_new, 300u);
  EXPECT_GT(below, 300u);
  EXPECT_GT(tied, 20u);
}

TEST(MechanismDetectionTest, AStoredWindowAsStrongAsANewOneWinsWhenItStartsNoLater) {
  // The tie between the stored days' strongest window and one ending on a new day goes to the
  // earlier start (then the earlier end, so the stored one on the same start), as in the search
  // of every window. The stored windows here are made up with the new one's z.
  const auto sums = SimulateSlice(60, 40, {45, 60, 6.0, 3.0, 0.0}, 7);
  const auto& numerator = sums.at("prep_wait_sum");
  const auto& denominator = sums.at("dispatched");
  const IncidentConfig config;
  const MechanismWindow whole =
      StrongestMechanismWindow("avg_prep_wait", numerator, denominator, config);
  ASSERT_GE(whole.z, config.mechanism_z);
  ASSERT_EQ(whole.end, 60u);
  const auto extend = [&](const MechanismWindow& known) {
    return StrongestMechanismWindow("avg_prep_wait", numerator, denominator, config, 59, known);
  };
  const MechanismWindow later{whole.z, whole.start + 1, whole.start + 8};
  const MechanismWindow same{whole.z, whole.start, whole.start + 7};
  const MechanismWindow earlier{whole.z, whole.start - 1, whole.start + 6};
  const MechanismWindow weaker{whole.z - 1e-9, whole.start - 1, whole.start + 6};
  for (const auto& [known, expected] :
       {std::pair{later, whole}, {same, same}, {earlier, earlier}, {weaker, whole}}) {
    const MechanismWindow found = extend(known);
    EXPECT_EQ(found.z, expected.z);
    EXPECT_EQ(found.start, expected.start) << known.start;
    EXPECT_EQ(found.end, expected.end) << known.start;
  }
  // A stored window under mechanism_z says only that none reached it.
  const MechanismWindow under{config.mechanism_z - 1, 3, 10};
  EXPECT_EQ(extend(under).start, whole.start);
  EXPECT_THROW(StrongestMechanismWindow("avg_prep_wait", numerator, denominator, config, 61, {}),
               Error);
}

TEST(MechanismDetectionTest, AWindowsZIsTheScansZ) {
  const auto sums = SimulateSlice(60, 40, {30, 40, 6.0, 3.0, 0.0}, 7);
  const auto& numerator = sums.at("prep_wait_sum");
  const auto& denominator = sums.at("dispatched");
  const MechanismWindow best =
      StrongestMechanismWindow("avg_prep_wait", numerator, denominator, IncidentConfig{});
  EXPECT_GE(best.z, IncidentConfig{}.mechanism_z);
  EXPECT_NEAR(static_cast<double>(best.start), 30, 1);
  EXPECT_EQ(MechanismZ("avg_prep_wait", numerator, denominator, best.start, best.end, {}), best.z);
  // Windows shorter than a week, or without a baseline of min_baseline_days, have no z.
  EXPECT_TRUE(std::isnan(MechanismZ("avg_prep_wait", numerator, denominator, 30, 36, {})));
  EXPECT_TRUE(std::isnan(MechanismZ("avg_prep_wait", numerator, denominator, 3, 20, {})));
  EXPECT_FALSE(std::isnan(MechanismZ("avg_prep_wait", numerator, denominator, 30, 37, {})));
  EXPECT_THROW(MechanismZ("avg_prep_wait", numerator, denominator, 50, 61, {}), Error);
}

// The daily sums as the slice cube table BuildIncidents reads.
storage::Table CubeTable(storage::Connection& connection, const std::string& slice,
                         const std::map<std::string, std::vector<double>>& sums) {
  std::string rows;
  const size_t days = sums.at("orders").size();
  for (size_t day = 0; day < days; ++day) {
    rows += fmt::format("{}('{}', 2, DATE '{}'", rows.empty() ? "" : ", ", slice,
                        FormatDate(AddDays(FIRST, static_cast<int32_t>(day))));
    for (const auto& [column, values] : sums) rows += fmt::format(", {}", values[day]);
    rows += ")";
  }
  std::string names;
  for (const auto& [column, values] : sums) names += ", " + column;
  // The CX components' sums: flat, so only the mechanisms above can move.
  return connection.Query(fmt::format(
      "SELECT *, orders AS delivered, 0.9 * orders AS on_time, 3 * orders AS lines, "
      "0.1 * orders AS missing_lines, 0.3 * orders AS substituted_lines, "
      "0.2 * orders AS accepted_subs, 0.05 * orders AS contacts, 0.3 * orders AS rated, "
      "1.35 * orders AS rating_sum, 0.01 * orders AS low_ratings "
      "FROM (VALUES {}) t(slice, depth, date{})",
      rows, names));
}

TEST(MechanismDetectionTest, BuildIncidentsReportsHowTheIncidentWasFound) {
  storage::Database database;
  storage::Connection connection(database);
  DetectorRegistry registry;
  RegisterBuiltinDetectors(registry);
  const auto table = CubeTable(connection, "daypart=lunch&region=boston",
                               SimulateSlice(60, 40, {30, 40, 6.0, 3.0, 0.0}, 7));
  // The default finds it through its mechanism.
  const auto incidents = BuildIncidents(connection, table, registry, IncidentConfig{});
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(incidents[0].lead.detected_by, "avg_prep_wait");
  EXPECT_EQ(IncidentJson(incidents[0]).at("detected_by"), "avg_prep_wait");
  // The CX Score's own test alone misses it.
  IncidentConfig cx_only;
  cx_only.mechanism_detection = false;
  EXPECT_TRUE(BuildIncidents(connection, table, registry, cx_only).empty());
}

TEST(MechanismDetectionTest, ARefreshSearchesOnlyTheWindowsEndingOnTheNewDaysOfTheSlicesItKnows) {
  storage::Database database;
  storage::Connection connection(database);
  DetectorRegistry registry;
  RegisterBuiltinDetectors(registry);
  const std::string slice = "daypart=lunch&region=boston";
  auto sums = SimulateSlice(90, 40, {30, 40, 6.0, 3.0, 0.0}, 7);
  const auto table = CubeTable(connection, slice, sums);
  for (auto& [column, values] : sums) values.pop_back();
  const auto stored_table = CubeTable(connection, slice, sums);
  const IncidentConfig config;
  // A full search reports every slice's strongest windows that reach mechanism_z.
  MechanismSearch full;
  const auto incidents =
      BuildIncidents(connection, table, registry, config, {}, {}, nullptr, &full);
  ASSERT_EQ(incidents.size(), 1u);
  ASSERT_TRUE(full.found);
  EXPECT_EQ(full.found->first, FIRST);
  EXPECT_EQ(full.found->days, 90u);
  EXPECT_EQ(full.reused, 0u);
  const auto prep = std::find_if(full.found->reached.begin(), full.found->reached.end(),
                                 [](const auto& found) { return found.metric == "avg_prep_wait"; });
  ASSERT_NE(prep, full.found->reached.end());
  EXPECT_EQ(prep->slice, slice);
  EXPECT_GE(prep->window.z, config.mechanism_z);
  // The windows of the first 89 days, extended by the 90th: the same incident and windows.
  MechanismSearch before;
  BuildIncidents(connection, stored_table, registry, config, {}, {}, nullptr, &before);
  ASSERT_TRUE(before.found);
  EXPECT_EQ(before.found->days, 89u);
  MechanismSearch refresh{.stored = before.found};
  const auto again = BuildIncidents(connection, table, registry, config, {}, {}, nullptr, &refresh);
  EXPECT_EQ(refresh.reused, 1u);
  EXPECT_EQ(refresh.why, "");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(IncidentJson(again[0]).dump(), IncidentJson(incidents[0]).dump());
  ASSERT_TRUE(refresh.found);
  ASSERT_EQ(refresh.found->reached.size(), full.found->reached.size());
  for (size_t i = 0; i < full.found->reached.size(); ++i) {
    EXPECT_EQ(refresh.found->reached[i].metric, full.found->reached[i].metric);
    EXPECT_EQ(refresh.found->reached[i].window.z, full.found->reached[i].window.z);
    EXPECT_EQ(refresh.found->reached[i].window.start, full.found->reached[i].window.start);
    EXPECT_EQ(refresh.found->reached[i].window.end, full.found->reached[i].window.end);
  }
  // The stored windows are taken as they are: a slice said to have none over the 89 days is
  // searched on the new day only (and the regression of days 30-40 is not seen), unless the
  // stored cube did not hold it (`fresh`): then it is searched in full.
  const MechanismWindows none{FIRST, 89, before.found->metrics, {}};
  MechanismSearch known{.stored = none};
  EXPECT_TRUE(BuildIncidents(connection, table, registry, config, {}, {}, nullptr, &known).empty());
  EXPECT_EQ(known.reused, 1u);
  MechanismSearch fresh{.stored = none, .fresh = {slice}};
  EXPECT_EQ(BuildIncidents(connection, table, registry, config, {}, {}, nullptr, &fresh).size(),
            1u);
  EXPECT_EQ(fresh.reused, 0u);
  // Windows of another first day, of more days than the cube or of other metrics are not taken.
  for (const auto& [first, days, metrics, why] :
       {std::tuple{AddDays(FIRST, 1), size_t{89}, none.metrics, "starts on"},
        std::tuple{FIRST, size_t{91}, none.metrics, "cover 91 days, the cube 90"},
        std::tuple{FIRST, size_t{89}, std::vector<std::string>{"avg_prep_wait"}, "metrics"}}) {
    MechanismSearch other{.stored = MechanismWindows{first, days, metrics, {}}};
    EXPECT_EQ(BuildIncidents(connection, table, registry, config, {}, {}, nullptr, &other).size(),
              1u);
    EXPECT_EQ(other.reused, 0u);
    EXPECT_NE(other.why.find(why), std::string::npos) << other.why;
  }
  // A stored window that the search cannot have found (past the stored days, under mechanism_z,
  // too short, twice) is damage: not taken either.
  const auto stored_prep =
      std::find_if(before.found->reached.begin(), before.found->reached.end(),
                   [](const auto& found) { return found.metric == "avg_prep_wait"; });
  ASSERT_NE(stored_prep, before.found->reached.end());
  for (const MechanismWindow& window : {MechanismWindow{20, 30, 90}, MechanismWindow{1, 30, 40},
                                        MechanismWindow{20, 30, 33}, stored_prep->window}) {
    MechanismWindows damaged = *before.found;
    damaged.reached.push_back({slice, "avg_prep_wait", window});
    MechanismSearch other{.stored = damaged};
    BuildIncidents(connection, table, registry, config, {}, {}, nullptr, &other);
    EXPECT_EQ(other.reused, 0u);
    EXPECT_NE(other.why.find("damaged"), std::string::npos) << other.why;
  }
}

// A cx_score alert as MergeAlerts receives it: `delta` points over `orders` orders from day
// `start` (of FIRST) for `days` days, found by `detected_by`.
Alert MergeInput(const std::string& slice, int start, int days, double delta, double orders,
                 const std::string& detected_by) {
  Alert alert;
  alert.slice = Slice::Parse(slice);
  alert.metric = "cx_score";
  alert.start = AddDays(FIRST, start);
  alert.end = AddDays(alert.start, days - 1);
  alert.baseline_start = AddDays(alert.start, -28);
  alert.baseline_end = AddDays(alert.start, -1);
  alert.baseline = 88;
  alert.current = 88 + delta;
  alert.delta = delta;
  alert.z = detected_by == "cx" ? 12 : 3;
  alert.orders = orders;
  alert.days = days;
  alert.cx_loss = -delta * orders;
  alert.detected_by = detected_by;
  return alert;
}

TEST(MechanismDetectionTest, ASubSliceMechanismWindowStartingEarlyJoinsTheIncident) {
  // Grocery falls from day 30; one region's grocery shows the ETA error's strongest window from
  // day 24, six days early: beyond merge_days, before the incident's window, yet the same
  // regression seen through fewer orders.
  const std::vector<Alert> alerts{
      MergeInput("store_type=grocery", 30, 12, -3.0, 12000, "cx"),
      MergeInput("region=boston&store_type=grocery", 24, 18, -2.0, 900, "eta_error")};
  const auto incidents = MergeAlerts(alerts, 10000, IncidentConfig{});
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(incidents[0].lead.slice.ToText(), "store_type=grocery");
  ASSERT_EQ(incidents[0].related.size(), 1u);
  EXPECT_EQ(incidents[0].related[0].detected_by, "eta_error");
}

TEST(MechanismDetectionTest, AnIncidentFoundThroughAMechanismTakesInItsSubSlices) {
  // The incident itself is mechanism-led and dated late; a nested CX alert from before its start
  // overlaps its window.
  const std::vector<Alert> alerts{
      MergeInput("region=boston&store_type=grocery", 30, 12, -3.0, 4000, "eta_error"),
      MergeInput("daypart=dinner&region=boston&store_type=grocery", 25, 10, -3.0, 900, "cx")};
  const auto incidents = MergeAlerts(alerts, 10000, IncidentConfig{});
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(incidents[0].lead.detected_by, "eta_error");
}

TEST(MechanismDetectionTest, AMechanismWindowInsideADemotedAncestorJoinsTheAncestorsIncident) {
  // A supply shortage over the Bay Area and a prep delay in its restaurants: region=bay_area
  // alerts but leads nothing (its two disjoint children carry more evidence), and joins the
  // restaurants' incident. One store type's small slice there moves through its assignment waits:
  // it shares no orders with either lead, yet it is inside a slice that fell at the same time.
  const std::vector<Alert> alerts{
      MergeInput("fulfillment_mode=merchant_pick&region=bay_area&store_type=restaurant", 22, 14,
                 -8.0, 1500, "cx"),
      MergeInput("fulfillment_mode=dasher_shop&region=bay_area", 24, 12, -6.0, 1000, "cx"),
      MergeInput("region=bay_area", 24, 12, -3.0, 5000, "cx"),
      MergeInput("fulfillment_mode=merchant_pick&region=bay_area&store_type=alcohol", 24, 8, -5.0,
                 180, "avg_assign_delay")};
  const auto incidents = MergeAlerts(alerts, 10000, IncidentConfig{});
  ASSERT_EQ(incidents.size(), 2u);
  for (const auto& incident : incidents) EXPECT_EQ(incident.lead.detected_by, "cx");
  // Found by the CX Score's own test, the same small slice stays an incident.
  auto cx_only = alerts;
  cx_only.back().detected_by = "cx";
  EXPECT_EQ(MergeAlerts(cx_only, 10000, IncidentConfig{}).size(), 3u);
}

TEST(MechanismDetectionTest, UnrelatedOrEarlierMechanismRegressionsStaySeparate) {
  const Alert grocery = MergeInput("store_type=grocery", 30, 12, -3.0, 12000, "cx");
  // Restaurants in one region at the same time: no orders in common.
  EXPECT_EQ(MergeAlerts({grocery, MergeInput("region=boston&store_type=restaurant", 24, 18, -2.0,
                                             900, "avg_prep_wait")},
                        10000, IncidentConfig{})
                .size(),
            2u);
  // One region's grocery over a window that ended before grocery fell: another time.
  EXPECT_EQ(MergeAlerts({grocery, MergeInput("region=boston&store_type=grocery", 10, 14, -2.0, 900,
                                             "eta_error")},
                        10000, IncidentConfig{})
                .size(),
            2u);
  // A CX alert of its own dated six days early was dated by a change point: it stays apart.
  EXPECT_EQ(MergeAlerts(
                {grocery, MergeInput("region=boston&store_type=grocery", 24, 18, -2.0, 900, "cx")},
                10000, IncidentConfig{})
                .size(),
            2u);
}

TEST(MechanismDetectionTest, ConfigIsReadAndValidated) {
  {
    ConfigReader reader(YAML::Load("mechanism_z: 7\nconfirm_z: 1.5\nmechanism_max_days: 21\n"
                                   "mechanism_min_days: 5\nmechanism_detection: false"),
                        "cx.yaml", "incidents");
    const IncidentConfig config = IncidentConfig::Read(reader);
    EXPECT_EQ(config.mechanism_z, 7);
    EXPECT_EQ(config.confirm_z, 1.5);
    EXPECT_EQ(config.mechanism_max_days, 21);
    EXPECT_EQ(config.mechanism_min_days, 5);
    EXPECT_FALSE(config.mechanism_detection);
    EXPECT_TRUE(IncidentConfig{}.mechanism_detection);
  }
  {
    ConfigReader reader(YAML::Load("change_z: 4.5\nchange_start_days: 1\nchange_detection: false\n"
                                   "lead_by_mechanism: false\nmechanism_root_cover: 0.25\n"
                                   "change_roots_nested: false\nlead_by_cx_mechanism: false\n"
                                   "date_by_own_mechanism: false"),
                        "cx.yaml", "incidents");
    const IncidentConfig config = IncidentConfig::Read(reader);
    EXPECT_FALSE(config.lead_by_mechanism);
    EXPECT_FALSE(config.lead_by_cx_mechanism);
    EXPECT_TRUE(IncidentConfig{}.lead_by_cx_mechanism);
    EXPECT_FALSE(config.date_by_own_mechanism);
    EXPECT_TRUE(IncidentConfig{}.date_by_own_mechanism);
    EXPECT_FALSE(config.change_roots_nested);
    EXPECT_EQ(config.mechanism_root_cover, 0.25);
    EXPECT_TRUE(IncidentConfig{}.lead_by_mechanism);
    EXPECT_EQ(IncidentConfig{}.mechanism_root_cover, 0.5);
    EXPECT_TRUE(IncidentConfig{}.change_roots_nested);
    EXPECT_EQ(config.change_z, 4.5);
    EXPECT_EQ(config.change_start_days, 1);
    EXPECT_FALSE(config.change_detection);
    EXPECT_TRUE(IncidentConfig{}.change_detection);
  }
  {
    ConfigReader reader(
        YAML::Load("change_claims_mechanism: false\nchange_ancestors_close: false\n"
                   "own_days: false\ncrossing_split: false\nchange_split: false\n"
                   "change_confirms: false\ndate_by_mechanism: false\n"
                   "busy_detection: false\nbusy_z: 4\nbusy_min_rise: 0.2\n"
                   "nested_window_end: false\nnested_own_start: false\nnested_extent: false\n"
                   "change_roots_split: false\nchange_crossing_lead: false\n"
                   "explained_split: false\nremainder_alike: false\n"
                   "ancestor_split: false\nchange_claims_inside: false\nown_fall_stays: false\n"
                   "extent_busier: false\ndescendant_split: false"),
        "cx.yaml", "incidents");
    const IncidentConfig config = IncidentConfig::Read(reader);
    EXPECT_FALSE(config.change_claims_mechanism);
    EXPECT_FALSE(config.change_ancestors_close);
    EXPECT_FALSE(config.own_days);
    EXPECT_FALSE(config.crossing_split);
    EXPECT_FALSE(config.change_split);
    EXPECT_FALSE(config.change_confirms);
    EXPECT_FALSE(config.date_by_mechanism);
    EXPECT_FALSE(config.busy_detection);
    EXPECT_EQ(config.busy_z, 4);
    EXPECT_EQ(config.busy_min_rise, 0.2);
    EXPECT_FALSE(config.nested_window_end);
    EXPECT_TRUE(IncidentConfig{}.nested_window_end);
    EXPECT_FALSE(config.nested_own_start);
    EXPECT_TRUE(IncidentConfig{}.nested_own_start);
    EXPECT_FALSE(config.nested_extent);
    EXPECT_TRUE(IncidentConfig{}.nested_extent);
    EXPECT_FALSE(config.change_roots_split);
    EXPECT_TRUE(IncidentConfig{}.change_roots_split);
    EXPECT_FALSE(config.change_crossing_lead);
    EXPECT_TRUE(IncidentConfig{}.change_crossing_lead);
    EXPECT_FALSE(config.explained_split);
    EXPECT_TRUE(IncidentConfig{}.explained_split);
    EXPECT_FALSE(config.remainder_alike);
    EXPECT_TRUE(IncidentConfig{}.remainder_alike);
    EXPECT_FALSE(config.ancestor_split);
    EXPECT_TRUE(IncidentConfig{}.ancestor_split);
    EXPECT_FALSE(config.change_claims_inside);
    EXPECT_TRUE(IncidentConfig{}.change_claims_inside);
    EXPECT_FALSE(config.own_fall_stays);
    EXPECT_TRUE(IncidentConfig{}.own_fall_stays);
    EXPECT_FALSE(config.extent_busier);
    EXPECT_TRUE(IncidentConfig{}.extent_busier);
    EXPECT_FALSE(config.descendant_split);
    EXPECT_TRUE(IncidentConfig{}.descendant_split);
    EXPECT_TRUE(IncidentConfig{}.busy_detection);
    EXPECT_TRUE(IncidentConfig{}.change_claims_mechanism);
    EXPECT_TRUE(IncidentConfig{}.change_ancestors_close);
    EXPECT_TRUE(IncidentConfig{}.own_days);
    EXPECT_TRUE(IncidentConfig{}.crossing_split);
    EXPECT_TRUE(IncidentConfig{}.change_split);
    EXPECT_TRUE(IncidentConfig{}.change_confirms);
    EXPECT_TRUE(IncidentConfig{}.date_by_mechanism);
  }
  for (const char* key : {"change_split", "change_confirms", "date_by_mechanism", "busy_detection",
                          "busy_z", "nested_window_end", "change_roots_split", "explained_split",
                          "remainder_alike", "lead_by_cx_mechanism", "date_by_own_mechanism"}) {
    ConfigReader reader(YAML::Load(fmt::format("{}: perhaps", key)), "cx.yaml", "incidents");
    const std::string message = ErrorMessage([&] { IncidentConfig::Read(reader); });
    EXPECT_NE(message.find(fmt::format("incidents.{}", key)), std::string::npos) << message;
  }
  {
    ConfigReader reader(YAML::Load("own_days: sometimes"), "cx.yaml", "incidents");
    const std::string message = ErrorMessage([&] { IncidentConfig::Read(reader); });
    EXPECT_NE(message.find("incidents.own_days"), std::string::npos) << message;
  }
  {
    ConfigReader reader(YAML::Load("crossing_split: 2"), "cx.yaml", "incidents");
    const std::string message = ErrorMessage([&] { IncidentConfig::Read(reader); });
    EXPECT_NE(message.find("incidents.crossing_split"), std::string::npos) << message;
  }
  {
    ConfigReader reader(YAML::Load("change_start_days: -2"), "cx.yaml", "incidents");
    const std::string message = ErrorMessage([&] { IncidentConfig::Read(reader); });
    EXPECT_NE(message.find("incidents.change_start_days: -2 is out of range"), std::string::npos)
        << message;
  }
  {
    ConfigReader reader(YAML::Load("mechanism_zz: 7"), "cx.yaml", "incidents");
    const std::string message = ErrorMessage([&] { IncidentConfig::Read(reader); });
    EXPECT_NE(message.find("cx.yaml: incidents.mechanism_zz: unknown key"), std::string::npos)
        << message;
    EXPECT_NE(message.find("mechanism_z"), std::string::npos) << message;
  }
  {
    ConfigReader reader(YAML::Load("confirm_z: -1"), "cx.yaml", "incidents");
    const std::string message = ErrorMessage([&] { IncidentConfig::Read(reader); });
    EXPECT_NE(message.find("incidents.confirm_z: -1 is out of range"), std::string::npos)
        << message;
  }
  {
    ConfigReader reader(YAML::Load("mechanism_z: lots"), "cx.yaml", "incidents");
    const std::string message = ErrorMessage([&] { IncidentConfig::Read(reader); });
    EXPECT_NE(message.find("incidents.mechanism_z: 'lots' is not a number"), std::string::npos)
        << message;
  }
  {
    ConfigReader reader(YAML::Load("mechanism_max_days: 2\nmin_days_after: 3"), "cx.yaml",
                        "incidents");
    const std::string message = ErrorMessage([&] { IncidentConfig::Read(reader); });
    EXPECT_NE(message.find("incidents.mechanism_max_days: must not be below min_days_after (3)"),
              std::string::npos)
        << message;
  }
}

TEST(MechanismDetectionTest, AnAlertStartingWithAnIncidentJoinsItOnlyWhenTheyShareOrders) {
  // Restaurants fall (a batching policy) and so does New York's lunch, whose dasher-shopped
  // orders lead a mechanism alert of their own: their pairs do not conflict, yet dasher-shopped
  // orders are never restaurant orders (tuning world random-11-009).
  const std::vector<Alert> alerts{
      MergeInput("store_type=restaurant", 30, 12, -2.0, 18000, "cx"),
      MergeInput("daypart=lunch&fulfillment_mode=dasher_shop&region=new_york", 30, 12, -2.6, 500,
                 "avg_assign_delay")};
  EXPECT_EQ(MergeAlerts(alerts, 10000, IncidentConfig{}).size(), 1u);
  const SharesOrders shares = [](const Slice& a, const Slice& b) {
    const auto pairs = [](const Slice& x, const Slice& y) {
      return x.Pairs().count("fulfillment_mode") != 0 &&
             x.Pairs().at("fulfillment_mode") == "dasher_shop" &&
             y.Pairs().count("store_type") != 0 && y.Pairs().at("store_type") == "restaurant";
    };
    return !pairs(a, b) && !pairs(b, a);
  };
  EXPECT_EQ(MergeAlerts(alerts, 10000, IncidentConfig{}, nullptr, shares).size(), 2u);
}

TEST(MechanismDetectionTest, AnAncestorFallingDaysAfterALoggedChangeLeadsItsOwnIncident) {
  // A batching policy logged for New York's restaurants from day 25; New York falls from day 29
  // (a supply shortage). The region's alert joins the change's incident only with a close start.
  Alert change = MergeInput("region=new_york&store_type=restaurant", 25, 17, -4.6, 6000, "cx");
  change.change_id = "chg-1";
  const Alert region = MergeInput("region=new_york", 29, 13, -2.0, 9000, "cx");
  EXPECT_EQ(MergeAlerts({change, region}, 10000, IncidentConfig{}).size(), 2u);
  IncidentConfig joined;
  joined.change_ancestors_close = false;
  EXPECT_EQ(MergeAlerts({change, region}, 10000, joined).size(), 1u);
  Alert close = region;
  close.start = change.start;
  close.start.days += 2;
  EXPECT_EQ(MergeAlerts({change, close}, 10000, IncidentConfig{}).size(), 1u);
}

TEST(MechanismDetectionTest, AnIncidentCrossingAChangesScopeKeepsItsOwnFall) {
  // Held-out world random-2963-007: New York's lunch restaurants fell 3.8 points at z 8.5, just
  // over their own threshold (8.25 at depth 3); without a web release's returning customers they
  // fell as far at z 7.7: fewer orders, the same fall.
  const Alert restaurants =
      MergeInput("daypart=lunch&region=new_york&store_type=restaurant", 24, 12, -3.8, 2978, "cx");
  Alert release =
      MergeInput("customer_segment=returning&platform=web", 28, 14, -2.1, 6900, "app_error_rate");
  release.change_id = "chg-1";
  const ExplainedTest explained = [&](const Alert& alert, const std::vector<Slice>&, double z) {
    return alert.slice == restaurants.slice && !(7.7 >= z);
  };
  bool held = false;  // whether the cube shows one slice's orders all in the other
  const HoldsOrders holds = [&](const Slice&, const Slice&) { return held; };
  const auto merged = [&](double left, const IncidentConfig& config) {
    const LeftDelta left_delta = [&](const Alert&, const std::vector<Slice>&) { return left; };
    return MergeAlerts({restaurants, release}, 10000, config, explained, nullptr, holds, left_delta)
        .size();
  };
  EXPECT_EQ(merged(-3.78, IncidentConfig{}), 2u);
  // A slice holding the scope's orders or held by it crosses it only by name (held-out world
  // random-1493-028: Boston's lunch restaurants, all merchant-picked, and Boston's
  // merchant-picked lunch orders).
  held = true;
  EXPECT_EQ(merged(-3.78, IncidentConfig{}), 1u);
  held = false;
  // Without the scope's orders less than half its fall is left: the scope's regression.
  EXPECT_EQ(merged(-1.5, IncidentConfig{}), 1u);
  EXPECT_EQ(merged(std::numeric_limits<double>::quiet_NaN(), IncidentConfig{}), 1u);
  IncidentConfig off;
  off.own_fall_stays = false;
  EXPECT_EQ(merged(-3.78, off), 1u);
}

TEST(MechanismDetectionTest, AChangesIncidentTakesInTheSlicesItsRegressionMoved) {
  // A radius change logged for Atlanta's grocery; Atlanta's dasher-shopped orders (mostly
  // grocery) and its returning grocery customers carry more CX evidence and lead first.
  Alert change = MergeInput("region=atlanta&store_type=grocery", 30, 12, -4.3, 550, "avg_distance");
  change.change_id = "chg-1";
  const Alert shopped =
      MergeInput("fulfillment_mode=dasher_shop&region=atlanta", 30, 12, -4.0, 700, "avg_distance");
  const Alert inside = MergeInput("customer_segment=returning&region=atlanta&store_type=grocery",
                                  30, 12, -6.0, 300, "cx");
  // Without the change's orders neither fell (the returning customers have none left).
  const ExplainedTest gone = [&](const Alert& alert, const std::vector<Slice>& others, double) {
    return alert.slice != change.slice && others.size() == 1 && others[0] == change.slice;
  };
  for (const Alert& first : {shopped, inside}) {
    SCOPED_TRACE(first.slice.ToText());
    const auto incidents = MergeAlerts({first, change}, 10000, IncidentConfig{}, gone);
    ASSERT_EQ(incidents.size(), 1u);
    EXPECT_EQ(incidents[0].lead.slice, change.slice);
    EXPECT_EQ(incidents[0].lead.change_id, "chg-1");
    // Without the change's claim the earlier incident is not tested against it.
    IncidentConfig off;
    off.change_claims_mechanism = false;
    EXPECT_EQ(MergeAlerts({first, change}, 10000, off, gone).size(), 2u);
  }
  // They did fall without them: two incidents.
  const ExplainedTest stays = [](const Alert&, const std::vector<Slice>&, double) { return false; };
  EXPECT_EQ(MergeAlerts({shopped, change}, 10000, IncidentConfig{}, stays).size(), 2u);
  // A slice inside the change's scope holding all of its orders is the change's slice named by
  // more pairs: the change takes over its lead.
  Alert same = MergeInput("fulfillment_mode=merchant_pick&region=atlanta&store_type=grocery", 30,
                          12, -4.3, 550, "cx");
  same.slice = Slice::Parse("customer_segment=returning&region=atlanta&store_type=grocery");
  same.delta = -4.4;
  const auto incidents = MergeAlerts({same, change}, 10000, IncidentConfig{}, stays);
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(incidents[0].lead.change_id, "chg-1");
}

TEST(MechanismDetectionTest, ADecoyChangeOverEveryoneDaysBeforeARegionsDropIsExplainedAway) {
  // A release logged for everyone on day 18 whose window reaches into Austin's surge from day 30
  // (suite decoys-heavy): Austin's incident keeps its lead and its date, and without Austin's
  // orders the decoy's window holds no drop.
  const Alert austin = MergeInput("region=austin", 30, 12, -4.0, 9000, "cx");
  Alert decoy = MergeInput("all", 18, 24, -0.6, 60000, "cancel_rate");
  decoy.change_id = "chg-decoy";
  const ExplainedTest without_austin = [&](const Alert& alert, const std::vector<Slice>& others,
                                           double) {
    return alert.slice == decoy.slice && others.size() == 1 && others[0] == austin.slice;
  };
  const auto incidents = MergeAlerts({austin, decoy}, 10000, IncidentConfig{}, without_austin);
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(incidents[0].lead.slice, austin.slice);
  EXPECT_EQ(incidents[0].lead.start, austin.start);
}

}  // namespace
}  // namespace cxagent::detect
