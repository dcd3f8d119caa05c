#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "common/error.hpp"
#include "detect/segmentation.hpp"
#include "detect/segmentation_detector.hpp"
#include "synthetic.hpp"

namespace cxagent::detect {
namespace {

using testing::Concat;
using testing::Near;
using testing::Noise;

// The optimal partition by dynamic programming over every admissible start (no pruning at all):
// what the pruned search must find.
std::vector<size_t> OptimalPartition(const SegmentCost& cost, double penalty, size_t min_size) {
  const size_t n = cost.Size();
  if (n < 2 * min_size) return {};
  std::vector<double> best(n + 1, 0.0);
  std::vector<size_t> previous(n + 1, 0);
  best[0] = -penalty;
  for (size_t end = min_size; end <= n; ++end) {
    best[end] = cost.Cost(0, end);
    for (size_t start = min_size; start + min_size <= end; ++start) {
      const double value = best[start] + cost.Cost(start, end) + penalty;
      if (value < best[end]) {
        best[end] = value;
        previous[end] = start;
      }
    }
  }
  std::vector<size_t> changes;
  for (size_t end = n; previous[end] > 0; end = previous[end]) changes.push_back(previous[end]);
  std::reverse(changes.begin(), changes.end());
  return changes;
}

// Piecewise-constant noise: random segment lengths and levels, some segments wandering.
std::vector<double> RandomSegments(size_t size, unsigned seed) {
  std::mt19937 generator(seed);
  std::uniform_int_distribution<size_t> length(3, 80);
  std::normal_distribution<double> level(0.0, 3.0), noise(0.0, 1.0);
  std::bernoulli_distribution wander(0.2), repeat(0.1);
  std::vector<double> values;
  while (values.size() < size) {
    const size_t n = length(generator);
    const double mean = level(generator);
    const bool walks = wander(generator), flat = repeat(generator);
    double drift = 0;
    for (size_t i = 0; i < n && values.size() < size; ++i) {
      drift += walks ? 0.3 * noise(generator) : 0.0;
      values.push_back(flat ? std::round(mean) : mean + drift + noise(generator));
    }
  }
  return values;
}

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

TEST(PeltDetector, BoundsTheAutocorrelationPassesByTheirWork) {
  // A walk whose variance takes several passes to settle: with a budget of three segmentations of
  // its length the result is that of two passes; with no budget, that of all ten.
  auto walk = Noise(2000, 0.0, 1.0, 11);
  for (size_t i = 1; i < walk.size(); ++i) walk[i] += walk[i - 1];
  auto changes = [&](int passes, double budget) {
    SegmentationConfig config;
    config.autocorrelation_passes = passes;
    config.pass_budget = budget;
    return MakePelt(config).Detect(walk).change_points;
  };
  EXPECT_EQ(changes(10, 3 * 2000.0), changes(2, 0));
  EXPECT_EQ(changes(10, 0), changes(10, 11 * 2000.0));
  EXPECT_NE(changes(1, 0), changes(10, 0)) << "the walk must need more than one pass";
  // The budget never takes away the first re-segmentation.
  EXPECT_EQ(changes(10, 1.0), changes(1, 0));
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

TEST(PeltSearch, FindsTheOptimalPartitionForEveryMinimumSegmentLength) {
  // Textbook PELT drops a start as soon as a change at the current end beats it, but that end
  // is no admissible start for min_size - 1 more ends, during which the dropped start may be the
  // best one; with min_size 12 and small penalties that missed the optimum on most of these.
  size_t compared = 0;
  for (unsigned seed = 1; seed <= 120; ++seed) {
    const auto series = RandomSegments(100 + 7 * seed, seed);
    const SegmentCost cost(series, SegmentModel::MEAN);
    const double log_n = std::log(static_cast<double>(series.size()));
    for (size_t min_size : {1, 2, 5, 12}) {
      for (double penalty : {0.5, 2.0, 7 * log_n, 40 * log_n}) {
        EXPECT_EQ(Pelt(cost, penalty, min_size), OptimalPartition(cost, penalty, min_size))
            << "seed " << seed << ", min_size " << min_size << ", penalty " << penalty;
        ++compared;
      }
    }
  }
  EXPECT_EQ(compared, 120u * 16u);
}

TEST(PeltSearch, FindsTheOptimalPartitionOfRandomWalksUnderTheInflatedPenalties) {
  // A random walk is the detector's slowest case: its autocorrelation passes raise the penalty
  // to thousands of log(n), so segments run long and many older starts lie below each new one
  // at some means. Those intervals are merged as they come and the ones inside the running union
  // skip their square root; the partition must still be the unpruned optimum.
  size_t compared = 0;
  for (unsigned seed = 1; seed <= 12; ++seed) {
    std::mt19937 generator(seed);
    std::normal_distribution<double> step(0.0, 1.0);
    std::vector<double> walk(1500 + 100 * seed);
    double level = 0;
    for (double& value : walk) value = level += step(generator);
    const SegmentCost cost(walk, SegmentModel::MEAN);
    const double log_n = std::log(static_cast<double>(walk.size()));
    for (size_t min_size : {1, 5}) {
      for (double penalty : {7 * log_n, 200 * log_n, 5000 * log_n, 50000 * log_n}) {
        EXPECT_EQ(Pelt(cost, penalty, min_size), OptimalPartition(cost, penalty, min_size))
            << "seed " << seed << ", min_size " << min_size << ", penalty " << penalty;
        ++compared;
      }
    }
  }
  EXPECT_EQ(compared, 12u * 8u);
}

TEST(PeltSearch, KeepsFewCandidatesThroughALongStretchWithoutChanges) {
  // Plain PELT keeps every start of a segment that has not changed yet, so 200,000 points of
  // noise cost about n^2 / 2 = 2e10 evaluations; functional pruning keeps a handful of starts.
  const auto series = Noise(200000, 0.0, 1.0, 26);
  const SegmentCost cost(series, SegmentModel::MEAN);
  PeltStats stats;
  const auto changes = Pelt(cost, 7 * std::log(200000.0), 5, &stats);
  EXPECT_TRUE(changes.empty());
  EXPECT_LT(stats.evaluations, 100u * series.size());
  EXPECT_LT(stats.max_candidates, 200u);
}

TEST(PeltDetector, FindsAStepBetweenTheLargestDoubles) {
  // Differences and squares of +-1e308 overflow; the step must still be found, and every
  // fitted figure must stay finite.
  std::vector<double> series(50, -1e308);
  series.resize(100, 1e308);
  const auto detection = MakePelt().Detect(series);
  EXPECT_EQ(detection.change_points, std::vector<size_t>{50});
  for (size_t i = 0; i < series.size(); ++i) {
    EXPECT_TRUE(std::isfinite(detection.expected[i])) << i;
    EXPECT_TRUE(std::isfinite(detection.scores[i])) << i;
  }
  EXPECT_DOUBLE_EQ(detection.expected[10], -1e308);
  EXPECT_DOUBLE_EQ(detection.expected[90], 1e308);
}

TEST(PeltDetector, FindsAStepTooLargeForTheNoiseToBeHeldBesideIt) {
  // Unit noise, then a level of 1e300: standardised by the noise, the squares would overflow.
  auto series = Concat(Noise(60, 0.0, 1.0, 27), std::vector<double>(60, 1e300));
  EXPECT_EQ(MakePelt().Detect(series).change_points, std::vector<size_t>{60});
  EXPECT_EQ(MakeBinseg().Detect(series).change_points, std::vector<size_t>{60});
}

}  // namespace
}  // namespace cxagent::detect
