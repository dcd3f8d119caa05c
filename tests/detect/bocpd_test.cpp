#include <gtest/gtest.h>

#include <cmath>

#include "common/error.hpp"
#include "detect/bocpd_detector.hpp"
#include "synthetic.hpp"

namespace cxagent::detect {
namespace {

using testing::Concat;
using testing::Near;
using testing::Noise;

TEST(BocpdDetector, FindsALevelShiftNearItsIndex) {
  const auto series = Concat(Noise(120, 0.0, 1.0, 31), Noise(120, 5.0, 1.0, 32));
  const auto changes = BocpdDetector({}).Detect(series).change_points;
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_TRUE(Near(changes, 120, 2));
}

TEST(BocpdDetector, FindsAVarianceChange) {
  const auto series = Concat(Noise(200, 0.0, 1.0, 33), Noise(200, 0.0, 6.0, 34));
  BocpdConfig config;
  config.outlier_threshold = 0;
  const auto changes = BocpdDetector(config).Detect(series).change_points;
  ASSERT_FALSE(changes.empty());
  EXPECT_TRUE(Near(changes, 200, 10));
}

TEST(BocpdDetector, ReportsNoChangeOnPureNoise) {
  EXPECT_TRUE(BocpdDetector({}).Detect(Noise(300, 3.0, 1.0, 35)).change_points.empty());
}

TEST(BocpdDetector, KeepsALongSegmentWholeBeyondTheRunLengthCap) {
  // Runs longer than the cap are truncated; that must not cut a long quiet series.
  BocpdConfig config;
  config.max_run_length = 50;
  EXPECT_TRUE(BocpdDetector(config).Detect(Noise(400, 0.0, 1.0, 36)).change_points.empty());
}

TEST(BocpdDetector, FindsAShiftAfterTheRunLengthCap) {
  BocpdConfig config;
  config.max_run_length = 50;
  const auto series = Concat(Noise(200, 0.0, 1.0, 37), Noise(200, 6.0, 1.0, 38));
  const auto changes = BocpdDetector(config).Detect(series).change_points;
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_TRUE(Near(changes, 200, 2));
}

TEST(BocpdDetector, SkipsMissingValuesAndReportsOriginalIndices) {
  auto series = Concat(Noise(100, 0.0, 1.0, 39), Noise(100, 6.0, 1.0, 40));
  for (size_t i = 0; i < 200; i += 7) series[i] = NAN;
  const auto detection = BocpdDetector({}).Detect(series);
  ASSERT_EQ(detection.change_points.size(), 1u);
  EXPECT_TRUE(Near(detection.change_points, 100, 2));
  EXPECT_TRUE(std::isnan(detection.scores[7]));
  EXPECT_FALSE(std::isnan(detection.scores[8]));
}

TEST(BocpdDetector, ScoresTheChangeHigherThanQuietPoints) {
  const auto series = Concat(Noise(100, 0.0, 1.0, 41), Noise(100, 8.0, 1.0, 42));
  const auto detection = BocpdDetector({}).Detect(series);
  EXPECT_GT(detection.scores[103], 0.5);
  EXPECT_LT(detection.scores[60], 0.2);
}

TEST(BocpdDetector, RejectsATooShortSeriesNamingTheCounts) {
  try {
    BocpdDetector({}).Detect(std::vector<double>{1.0, 2.0});
    FAIL() << "expected InvalidInput";
  } catch (const Error& error) {
    EXPECT_EQ(error.Type(), ErrorType::INVALID_INPUT);
    EXPECT_STREQ(error.what(),
                 "detector 'bocpd' needs at least 10 observed points, the series has 2");
  }
}

}  // namespace
}  // namespace cxagent::detect
