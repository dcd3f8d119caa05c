#include <gtest/gtest.h>

#include <cmath>

#include "common/error.hpp"
#include "detect/segmentation.hpp"
#include "detect/segmentation_detector.hpp"
#include "synthetic.hpp"

namespace cxagent::detect {
namespace {

using testing::Concat;
using testing::Near;
using testing::Noise;

SegmentationDetector MakePelt(SegmentationConfig config = {}) {
  return SegmentationDetector("pelt", SegmentationSearch::PELT, config);
}

SegmentationDetector MakeBinseg(SegmentationConfig config = {}) {
  return SegmentationDetector("binseg", SegmentationSearch::BINSEG, config);
}

TEST(PeltDetector, FindsASingleLevelShiftAtItsIndex) {
  const auto series = Concat(Noise(100, 0.0, 1.0, 1), Noise(100, 4.0, 1.0, 2));
  EXPECT_EQ(MakePelt().Detect(series).change_points, std::vector<size_t>{100});
}

TEST(PeltDetector, FindsTwoLevelShifts) {
  const auto series =
      Concat(Concat(Noise(80, 0.0, 1.0, 3), Noise(80, 5.0, 1.0, 4)), Noise(80, 1.0, 1.0, 5));
  const auto changes = MakePelt().Detect(series).change_points;
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_TRUE(Near(changes, 80, 2));
  EXPECT_TRUE(Near(changes, 160, 2));
}

TEST(PeltDetector, ReportsNoChangeOnPureNoise) {
  EXPECT_TRUE(MakePelt().Detect(Noise(300, 10.0, 2.0, 6)).change_points.empty());
}

TEST(PeltDetector, ReportsNoChangeOnARandomWalk) {
  // A wandering series has no clear change; the autocorrelation inflation must keep it whole.
  auto steps = Noise(400, 0.0, 1.0, 7);
  for (size_t i = 1; i < steps.size(); ++i) steps[i] += steps[i - 1];
  EXPECT_TRUE(MakePelt().Detect(steps).change_points.empty());
}

TEST(PeltDetector, IgnoresAnIsolatedSpike) {
  auto series = Noise(200, 0.0, 1.0, 8);
  series[120] = 40.0;
  EXPECT_TRUE(MakePelt().Detect(series).change_points.empty());
}

TEST(PeltDetector, FindsOneChangeBetweenTwoFlatRuns) {
  // Residuals of a perfect fit are rounding noise; they must not shrink the penalty to nothing.
  std::vector<double> series(30, 5.0);
  series.resize(60, 7.0);
  EXPECT_EQ(MakePelt().Detect(series).change_points, std::vector<size_t>{30});
}

TEST(PeltDetector, FindsATrendChangeWithTheLinearModel) {
  auto series = Noise(200, 0.0, 1.0, 9);
  for (size_t i = 100; i < 200; ++i) series[i] += 0.3 * static_cast<double>(i - 100);
  SegmentationConfig config;
  config.model = static_cast<int>(SegmentModel::LINEAR);
  const auto changes = MakePelt(config).Detect(series).change_points;
  ASSERT_FALSE(changes.empty());
  EXPECT_TRUE(Near(changes, 100, 8));
}

TEST(PeltDetector, FindsAVarianceChangeWithTheMeanVarianceModel) {
  const auto series = Concat(Noise(150, 0.0, 1.0, 10), Noise(150, 0.0, 5.0, 11));
  SegmentationConfig config;
  config.model = static_cast<int>(SegmentModel::MEAN_VAR);
  config.autocorrelation_passes = 0;
  config.outlier_threshold = 0;
  const auto changes = MakePelt(config).Detect(series).change_points;
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_TRUE(Near(changes, 150, 5));
}

TEST(PeltDetector, MapsChangesBackAcrossMissingValues) {
  auto series = Concat(Noise(100, 0.0, 1.0, 12), Noise(100, 6.0, 1.0, 13));
  for (size_t i = 90; i < 100; ++i) series[i] = NAN;
  const auto detection = MakePelt().Detect(series);
  ASSERT_EQ(detection.change_points.size(), 1u);
  EXPECT_EQ(detection.change_points[0], 100u);
  EXPECT_TRUE(std::isnan(detection.expected[95]));
  EXPECT_NEAR(detection.expected[150], 6.0, 0.5);
}

TEST(PeltDetector, RejectsATooShortSeriesNamingTheCounts) {
  const std::vector<double> series{1.0, 2.0, NAN, 3.0};
  try {
    MakePelt().Detect(series);
    FAIL() << "expected InvalidInput";
  } catch (const Error& error) {
    EXPECT_EQ(error.Type(), ErrorType::INVALID_INPUT);
    EXPECT_STREQ(error.what(),
                 "detector 'pelt' needs at least 10 observed points, the series has 3");
  }
}

TEST(PeltDetector, ExpectedBandFollowsTheSegmentMeans) {
  const auto series = Concat(Noise(100, 0.0, 1.0, 14), Noise(100, 4.0, 1.0, 15));
  const auto detection = MakePelt().Detect(series);
  EXPECT_NEAR(detection.expected[10], 0.0, 0.3);
  EXPECT_NEAR(detection.expected[190], 4.0, 0.3);
  EXPECT_LT(detection.lower[10], detection.expected[10]);
  EXPECT_GT(detection.upper[10], detection.expected[10]);
}

TEST(PeltDetector, UsesTheNoiseScaleLearnedByFit) {
  // A shift of 3 is clear against unit noise, but not against history whose noise is 20.
  const auto series = Concat(Noise(100, 0.0, 1.0, 16), Noise(100, 3.0, 1.0, 17));
  auto detector = MakePelt();
  EXPECT_FALSE(detector.Detect(series).change_points.empty());
  detector.Fit(Noise(200, 0.0, 20.0, 18));
  EXPECT_TRUE(detector.Detect(series).change_points.empty());
}

TEST(BinsegDetector, FindsASingleLevelShiftAtItsIndex) {
  const auto series = Concat(Noise(100, 0.0, 1.0, 19), Noise(100, -4.0, 1.0, 20));
  EXPECT_EQ(MakeBinseg().Detect(series).change_points, std::vector<size_t>{100});
}

TEST(BinsegDetector, ReportsNoChangeOnPureNoise) {
  EXPECT_TRUE(MakeBinseg().Detect(Noise(300, 0.0, 1.0, 21)).change_points.empty());
}

TEST(PeltSearch, MatchesBinarySegmentationOnAClearTwoChangeSeries) {
  const auto series =
      Concat(Concat(Noise(50, 0.0, 1.0, 22), Noise(50, 8.0, 1.0, 23)), Noise(50, 0.0, 1.0, 24));
  const SegmentCost cost(series, SegmentModel::MEAN);
  const double penalty = 3 * std::log(150.0);
  EXPECT_EQ(Pelt(cost, penalty, 5), (std::vector<size_t>{50, 100}));
  EXPECT_EQ(BinarySegmentation(cost, penalty, 5), (std::vector<size_t>{50, 100}));
}

TEST(PeltSearch, RespectsTheMinimumSegmentLength) {
  auto series = Noise(60, 0.0, 0.1, 25);
  for (size_t i = 30; i < 32; ++i) series[i] = 10.0;
  const SegmentCost cost(series, SegmentModel::MEAN);
  for (size_t change : Pelt(cost, 1.0, 5)) {
    EXPECT_GE(change, 5u);
    EXPECT_LE(change, 55u);
  }
  const auto changes = Pelt(cost, 1.0, 5);
  for (size_t i = 1; i < changes.size(); ++i) EXPECT_GE(changes[i] - changes[i - 1], 5u);
}

}  // namespace
}  // namespace cxagent::detect
