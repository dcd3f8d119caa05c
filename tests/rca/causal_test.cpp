#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "rca/causal.hpp"
#include "rca/hypothesis.hpp"
#include "support/test_support.hpp"

namespace cxagent::rca {
namespace {

TEST(ShiftTestTest, WelchDifferenceWithAnInterval) {
  const std::vector<double> before = {1, 2, 3, 4, 5};
  const std::vector<double> after = {6, 7, 8, NAN, 9, 10};
  const ShiftResult r = ShiftTest(before, after);
  ASSERT_TRUE(r.valid);
  EXPECT_DOUBLE_EQ(r.before, 3.0);
  EXPECT_DOUBLE_EQ(r.after, 8.0);
  EXPECT_DOUBLE_EQ(r.delta, 5.0);
  EXPECT_EQ(r.n_after, 5U);  // NaN days are skipped
  // Both variances 2.5 over 5 days: se = sqrt(0.5 + 0.5) = 1, Welch df = 8, t_0.95(8) = 1.8595.
  EXPECT_NEAR(r.se, 1.0, 1e-12);
  EXPECT_NEAR(r.z, 5.0, 1e-12);
  EXPECT_NEAR(r.low, 5.0 - 1.859548, 1e-5);
  EXPECT_NEAR(r.high, 5.0 + 1.859548, 1e-5);
  EXPECT_FALSE(ShiftTest(std::vector<double>{1}, after).valid);
}

TEST(BaselineVarianceZTest, ScalesByTheBaselinesDaysAlone) {
  // Baseline variance 2.5 over 5 days; a window of a step two days late: 3 3 8 8 8 8 8.
  const std::vector<double> before = {1, 2, 3, 4, 5};
  const std::vector<double> after = {3, 3, 8, 8, 8, 8, 8};
  const ShiftResult welch = ShiftTest(before, after);
  ASSERT_TRUE(welch.valid);
  const double z = BaselineVarianceZ(before, welch);
  EXPECT_NEAR(z, welch.delta / std::sqrt(2.5 * (1.0 / 5 + 1.0 / 7)), 1e-12);
  // The window's own spread (the late step) widened Welch's z, not this one.
  EXPECT_GT(z, welch.z);
  // Equal spreads and sizes: the same z.
  const std::vector<double> same = {6, 7, 8, 9, 10};
  EXPECT_NEAR(BaselineVarianceZ(before, ShiftTest(before, same)), ShiftTest(before, same).z, 1e-12);
}

TEST(BaselineVarianceZTest, AShareIsAtLeastBinomialAndNoVarianceFallsBackToWelch) {
  // A rare event in a small slice: no event in 20 baseline days of 40 orders, then 3 in 300.
  const std::vector<double> before(20, 0.0);
  const std::vector<double> after = {0, 1.0 / 40, 0, 1.0 / 40, 0, 1.0 / 40, 0};
  const ShiftResult shift = ShiftTest(before, after);
  ASSERT_TRUE(shift.valid);
  // Without units the baseline has no variance: Welch's z.
  EXPECT_DOUBLE_EQ(BaselineVarianceZ(before, shift), shift.z);
  // With 40 orders a day, the binomial at the mean share p over both windows' days.
  const double p = shift.after * 7 / 27;
  const double z = BaselineVarianceZ(before, shift, 40);
  EXPECT_NEAR(z, shift.delta / std::sqrt(p * (1 - p) / 40 * (1.0 / 20 + 1.0 / 7)), 1e-12);
  EXPECT_TRUE(std::isfinite(z));
  EXPECT_LT(z, 5.0);  // three events are not a certainty
  // Too few days: the shift's own z.
  const ShiftResult invalid = ShiftTest(std::vector<double>{1}, after);
  EXPECT_DOUBLE_EQ(BaselineVarianceZ(std::vector<double>{1}, invalid), invalid.z);
}

TEST(ClusteredOlsTest, MatchesTheSandwichByHand) {
  // y = 1 + 2x with residuals that are equal within clusters: the clustered SE of the slope is
  // computable by hand. Clusters {0,1}, {2,3}, {4,5}.
  Eigen::MatrixXd x(6, 2);
  Eigen::VectorXd y(6);
  const double xs[] = {0, 1, 2, 3, 4, 5};
  const double e[] = {1, 1, -2, -2, 1, 1};
  for (int i = 0; i < 6; ++i) {
    x(i, 0) = 1;
    x(i, 1) = xs[i];
    y(i) = 1 + 2 * xs[i] + e[i];
  }
  const OlsResult r = ClusteredOls(x, y, {0, 0, 1, 1, 2, 2});
  EXPECT_EQ(r.clusters, 3U);
  // The residuals are orthogonal to x by construction? Check against a direct computation.
  const Eigen::MatrixXd bread = (x.transpose() * x).inverse();
  const Eigen::VectorXd residual = y - x * r.beta;
  Eigen::MatrixXd meat = Eigen::MatrixXd::Zero(2, 2);
  for (int g = 0; g < 3; ++g) {
    Eigen::Vector2d score = Eigen::Vector2d::Zero();
    for (int i = 2 * g; i < 2 * g + 2; ++i) score += x.row(i).transpose() * residual(i);
    meat += score * score.transpose();
  }
  const double factor = 3.0 / 2.0 * 5.0 / 4.0;
  const Eigen::MatrixXd expected = factor * bread * meat * bread;
  EXPECT_NEAR(r.covariance(1, 1), expected(1, 1), 1e-12);
  EXPECT_NEAR(r.covariance(0, 1), expected(0, 1), 1e-12);
  // OLS slope of this design: 2 + cov(x, e) / var(x).
  EXPECT_NEAR(r.beta(1), 2.0 + (0.0 * 1 + 1 - 4 - 6 + 4 + 5 - 0.0) / 17.5, 1e-12);
}

TEST(ClusteredOlsTest, RejectsARankDeficientDesign) {
  Eigen::MatrixXd x(4, 2);
  x << 1, 2, 1, 2, 1, 2, 1, 2;
  Eigen::VectorXd y(4);
  y << 1, 2, 3, 4;
  EXPECT_NE(testing::ErrorMessage([&] {
              ClusteredOls(x, y, {0, 1, 2, 3});
            }).find("rank deficient"),
            std::string::npos);
}

TEST(DiffInDiffTest, RecoversAKnownEffectAndAFlatPlacebo) {
  std::mt19937 rng(5);
  std::normal_distribution<double> noise(0.0, 0.3);
  const size_t days = 40;
  std::vector<double> treated(days);
  std::vector<double> control(days);
  std::vector<bool> post(days);
  for (size_t d = 0; d < days; ++d) {
    const double common = 80 + 2 * std::sin(static_cast<double>(d));  // shared shocks
    post[d] = d >= 28;
    control[d] = common + noise(rng);
    treated[d] = common + 5 + noise(rng) - (post[d] ? 3.0 : 0.0);
  }
  const DidResult r = DiffInDiff(treated, control, post, {});
  ASSERT_TRUE(r.valid);
  EXPECT_EQ(r.pre_days, 28U);
  EXPECT_EQ(r.post_days, 12U);
  EXPECT_NEAR(r.estimate, -3.0, 0.3);
  EXPECT_LT(r.low, -3.0);
  EXPECT_GT(r.high, -3.0);
  EXPECT_LT(r.p_value, 1e-6);
  // With one observation per unit and day the clustered SE is the SE of the difference series'
  // change: check against it.
  double pre = 0, postm = 0;
  std::vector<double> dpre, dpost;
  for (size_t d = 0; d < days; ++d) (post[d] ? dpost : dpre).push_back(treated[d] - control[d]);
  for (double v : dpre) pre += v / static_cast<double>(dpre.size());
  for (double v : dpost) postm += v / static_cast<double>(dpost.size());
  EXPECT_NEAR(r.estimate, postm - pre, 1e-9);

  std::vector<bool> placebo_post(days, false);
  std::vector<bool> placebo_use(days, false);
  for (size_t d = 0; d < 28; ++d) {
    placebo_use[d] = true;
    placebo_post[d] = d >= 14;
  }
  const DidResult placebo = DiffInDiff(treated, control, placebo_post, placebo_use);
  ASSERT_TRUE(placebo.valid);
  EXPECT_LT(std::fabs(placebo.estimate), 0.4);
  EXPECT_GT(placebo.p_value, 0.01);
}

TEST(DiffInDiffTest, APreTrendShowsInThePlacebo) {
  const size_t days = 40;
  std::vector<double> treated(days), control(days);
  std::vector<bool> post(days, false), use(days, false);
  for (size_t d = 0; d < days; ++d) {
    control[d] = 80 + 0.1 * static_cast<double>(d % 3);
    treated[d] = 80 - 0.2 * static_cast<double>(d);  // drifting down all along
    use[d] = d < 28;
    post[d] = d >= 14;
  }
  const DidResult placebo = DiffInDiff(treated, control, post, use);
  ASSERT_TRUE(placebo.valid);
  EXPECT_LT(placebo.estimate, -2.0);
  EXPECT_LT(placebo.p_value, 0.05);
}

TEST(DiffInDiffTest, TooFewDaysIsNotAnEstimate) {
  const std::vector<double> t = {1, 2, 3, 4};
  EXPECT_FALSE(DiffInDiff(t, t, {false, false, true, true}, {}).valid);
}

TEST(TDistributionTest, KnownQuantilesAndPValues) {
  EXPECT_NEAR(TwoSidedP(1.959964, 1e7), 0.05, 1e-5);
  EXPECT_NEAR(TQuantile(0.90, 8), 1.859548, 1e-5);
  EXPECT_NEAR(TwoSidedP(0, 10), 1.0, 1e-12);
}

Change MakeChange(std::string kind, std::string scope, Date date) {
  Change change;
  change.id = "chg-1";
  change.kind = std::move(kind);
  change.scope = std::move(scope);
  change.scope_slice = Slice::Parse(change.scope);
  change.date = date;
  change.description = "test";
  return change;
}

TEST(ChangeLogTest, ConsistencyNeedsKindTimingAndScope) {
  HypothesisRegistry registry;
  RegisterBuiltinHypotheses(registry);
  const Hypothesis& batching = registry.Find("batching_expansion");
  const Slice seattle = Slice::Parse("region=seattle");
  const Date start = ParseDate("2026-07-31");

  ChangeCheck check = CheckChange(MakeChange("dispatch_policy", "region=seattle", start), batching,
                                  seattle, start, 3);
  EXPECT_TRUE(check.consistent) << check.reason;
  EXPECT_NE(check.reason.find("on the start day"), std::string::npos) << check.reason;

  check = CheckChange(MakeChange("dispatch_policy", "all", AddDays(start, -2)), batching, seattle,
                      start, 3);
  EXPECT_TRUE(check.consistent) << check.reason;  // `all` covers every slice

  check = CheckChange(MakeChange("pricing", "region=seattle", start), batching, seattle, start, 3);
  EXPECT_FALSE(check.consistent);
  EXPECT_FALSE(check.kind);
  EXPECT_NE(check.reason.find("does not act through"), std::string::npos) << check.reason;

  check = CheckChange(MakeChange("dispatch_policy", "region=seattle", AddDays(start, 9)), batching,
                      seattle, start, 3);
  EXPECT_FALSE(check.timing);
  EXPECT_NE(check.reason.find("9 days after"), std::string::npos) << check.reason;

  check = CheckChange(MakeChange("dispatch_policy", "region=boston", start), batching, seattle,
                      start, 3);
  EXPECT_FALSE(check.scope);
  EXPECT_NE(check.reason.find("does not include"), std::string::npos) << check.reason;

  // A narrower scope inside the slice still overlaps it.
  check = CheckChange(MakeChange("dispatch_policy", "region=seattle&store_type=grocery", start),
                      batching, seattle, start, 3);
  EXPECT_TRUE(check.scope);

  // An external cause is never supported by a change.
  check = CheckChange(MakeChange("other", "all", start), registry.Find("severe_weather"), seattle,
                      start, 3);
  EXPECT_FALSE(check.consistent);
}

TEST(ChangeLogTest, SlicesOverlapUnlessADimensionDisagrees) {
  EXPECT_TRUE(SlicesOverlap(Slice::Parse("all"), Slice::Parse("region=seattle")));
  EXPECT_TRUE(SlicesOverlap(Slice::Parse("platform=ios"), Slice::Parse("region=seattle")));
  EXPECT_FALSE(SlicesOverlap(Slice::Parse("region=boston"), Slice::Parse("region=seattle")));
  EXPECT_FALSE(SlicesOverlap(Slice::Parse("region=seattle&store_type=grocery"),
                             Slice::Parse("region=seattle&store_type=restaurant")));
}

}  // namespace
}  // namespace cxagent::rca
