#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "common/config.hpp"
#include "common/error.hpp"
#include "recommend/interval.hpp"
#include "recommend/recommend.hpp"
#include "support/test_support.hpp"

namespace cxagent::recommend {
namespace {

// Effects whose model errs by a normal share of the effect (sd `model_sd`) on top of a sampling
// error the bootstrap knows (sd `sampling_sd`, reported as its 90% half-width).
std::vector<EffectResidual> Synthetic(size_t n, double model_sd, double sampling_sd,
                                      uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> size(1.0, 10.0);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<EffectResidual> out;
  for (size_t i = 0; i < n; ++i) {
    const double truth = size(rng);
    EffectResidual r;
    r.estimate = truth * (1 + model_sd * normal(rng)) + sampling_sd * normal(rng);
    r.sampling_half_width = 1.645 * sampling_sd;
    r.truth = truth;
    out.push_back(r);
  }
  return out;
}

TEST(RecommendInterval, HalfWidthAddsTheModelErrorInQuadrature) {
  EXPECT_DOUBLE_EQ(CalibratedHalfWidth(0.3, 5.0, 0.0), 0.3);
  EXPECT_DOUBLE_EQ(CalibratedHalfWidth(0.3, -4.0, 0.1), 0.5);
  EXPECT_DOUBLE_EQ(CalibratedHalfWidth(0.0, 2.0, 0.25), 0.5);
}

// With a model that errs by 15% of the effect, the sampling interval alone covers far below
// 90%; the conformal share is about 1.645 x 15% and covers about 90% of fresh effects.
TEST(RecommendInterval, ConformalShareCoversFreshEffectsWithKnownModelError) {
  const auto calibration = Synthetic(400, 0.15, 0.05, 1);
  const auto fresh = Synthetic(4000, 0.15, 0.05, 2);
  EXPECT_LT(Coverage(fresh, 0.0), 0.5);
  const auto share = ConformalModelErrorShare(calibration, 0.9);
  ASSERT_TRUE(share.has_value());
  EXPECT_NEAR(*share, 1.645 * 0.15, 0.06);
  const double covered = Coverage(fresh, *share);
  EXPECT_GT(covered, 0.86);
  EXPECT_LT(covered, 0.94);
}

// When the bootstrap already covers (no model error), no widening is learnt.
TEST(RecommendInterval, NoModelErrorNeedsNoWidening) {
  const auto calibration = Synthetic(200, 0.0, 0.2, 3);
  const auto share = ConformalModelErrorShare(calibration, 0.9);
  ASSERT_TRUE(share.has_value());
  EXPECT_LT(*share, 0.02);
}

// Larger out-of-sample residuals widen the interval more.
TEST(RecommendInterval, LargerResidualsWidenMore) {
  const auto small = ConformalModelErrorShare(Synthetic(200, 0.05, 0.05, 4), 0.9);
  const auto large = ConformalModelErrorShare(Synthetic(200, 0.3, 0.05, 4), 0.9);
  ASSERT_TRUE(small && large);
  EXPECT_GT(*large, 3 * *small);
}

// The finite-sample rank: each residual below needs its own share, and 90% of 19 residuals
// takes the 18th smallest of them (ceil(20 x 0.9)), not the 17th.
TEST(RecommendInterval, ConformalShareTakesTheFiniteSampleRank) {
  std::vector<EffectResidual> residuals;
  for (int i = 1; i <= 19; ++i) residuals.push_back({10.0, 0.0, 10.0 + i * 0.1});
  const auto share = ConformalModelErrorShare(residuals, 0.9);
  ASSERT_TRUE(share.has_value());
  EXPECT_NEAR(*share, 0.18, 1e-12);
  EXPECT_NEAR(Coverage(residuals, *share), 18.0 / 19.0, 1e-12);
}

TEST(RecommendInterval, TooFewResidualsOrAnErrorAtAZeroEstimateGiveNoShare) {
  std::vector<EffectResidual> few(5, {1.0, 0.1, 1.2});
  EXPECT_FALSE(ConformalModelErrorShare(few, 0.9).has_value());
  std::vector<EffectResidual> zero(20, {0.0, 0.1, 1.0});
  EXPECT_FALSE(ConformalModelErrorShare(zero, 0.9).has_value());
}

TEST(RecommendInterval, CoverageOutsideTheUnitIntervalIsRejected) {
  const std::vector<EffectResidual> residuals(20, {1.0, 0.1, 1.0});
  try {
    ConformalModelErrorShare(residuals, 1.0);
    FAIL() << "expected InvalidInput";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("coverage must be in (0, 1)"), std::string::npos);
  }
}

TEST(RecommendInterval, ConfigReadsTheShareAndRejectsOneOutOfRange) {
  EXPECT_DOUBLE_EQ(RecommendConfig{}.simulation.model_error_share, DefaultModelErrorShare());
  ConfigReader given(YAML::Load("model_error_share: 0.3"), "cx.yaml", "recommend");
  EXPECT_DOUBLE_EQ(RecommendConfig::Read(given).simulation.model_error_share, 0.3);
  const std::string message = testing::ErrorMessage([] {
    ConfigReader reader(YAML::Load("model_error_share: -0.1"), "cx.yaml", "recommend");
    RecommendConfig::Read(reader);
  });
  EXPECT_NE(message.find("model_error_share"), std::string::npos) << message;
  EXPECT_NE(message.find("out of range"), std::string::npos) << message;
}

}  // namespace
}  // namespace cxagent::recommend
