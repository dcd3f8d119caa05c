#include <gtest/gtest.h>

#include <cmath>

#include "common/error.hpp"
#include "detect/ewma_detector.hpp"
#include "synthetic.hpp"

namespace cxagent::detect {
namespace {

using testing::Concat;
using testing::Near;
using testing::Noise;

TEST(EwmaDetector, FindsALevelShiftNearItsIndex) {
  const auto series = Concat(Noise(100, 0.0, 1.0, 51), Noise(100, 3.0, 1.0, 52));
  const auto changes = EwmaDetector({}).Detect(series).change_points;
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_TRUE(Near(changes, 100, 5));
}

TEST(EwmaDetector, ReportsNoChangeOnPureNoise) {
  EXPECT_TRUE(EwmaDetector({}).Detect(Noise(200, 5.0, 1.0, 53)).change_points.empty());
}

TEST(EwmaDetector, FindsASlowRampEventually) {
  auto series = Noise(200, 0.0, 1.0, 54);
  for (size_t i = 100; i < 200; ++i) series[i] += 0.05 * static_cast<double>(i - 100);
  const auto changes = EwmaDetector({}).Detect(series).change_points;
  ASSERT_FALSE(changes.empty());
  EXPECT_GE(changes[0], 95u);
}

TEST(EwmaDetector, UsesTheLevelLearnedByFit) {
  // The whole series sits 4 sigmas above the fitted history: a change right at the start.
  EwmaDetector detector({});
  detector.Fit(Noise(100, 0.0, 1.0, 55));
  const auto changes = detector.Detect(Noise(100, 4.0, 1.0, 56)).change_points;
  ASSERT_FALSE(changes.empty());
  EXPECT_LE(changes[0], 3u);
}

TEST(EwmaDetector, LeavesMissingPointsUnscored) {
  auto series = Noise(60, 0.0, 1.0, 57);
  series[30] = NAN;
  const auto detection = EwmaDetector({}).Detect(series);
  EXPECT_TRUE(std::isnan(detection.scores[30]));
  EXPECT_FALSE(std::isnan(detection.scores[31]));
}

TEST(EwmaDetector, RejectsATooShortSeriesNamingTheCounts) {
  try {
    EwmaDetector({}).Detect(Noise(5, 0.0, 1.0, 58));
    FAIL() << "expected InvalidInput";
  } catch (const Error& error) {
    EXPECT_EQ(error.Type(), ErrorType::INVALID_INPUT);
    EXPECT_STREQ(error.what(),
                 "detector 'ewma' needs at least 21 observed points, the series has 5");
  }
}

}  // namespace
}  // namespace cxagent::detect
