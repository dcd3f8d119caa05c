#include <gtest/gtest.h>

#include <cmath>

#include "common/error.hpp"
#include "detect/zscore_detector.hpp"
#include "synthetic.hpp"

namespace cxagent::detect {
namespace {

using testing::Near;
using testing::Noise;

// A daily series with a strong weekly cycle (weekends 10 lower) and unit noise.
std::vector<double> Weekly(size_t days, unsigned seed) {
  auto series = Noise(days, 80.0, 1.0, seed);
  for (size_t day = 0; day < days; ++day) {
    if (day % 7 >= 5) series[day] -= 10.0;
  }
  return series;
}

TEST(ZscoreDetector, IgnoresTheWeeklyCycle) {
  EXPECT_TRUE(ZscoreDetector({}).Detect(Weekly(120, 61)).change_points.empty());
}

TEST(ZscoreDetector, FindsALevelDropInAWeeklySeries) {
  auto series = Weekly(120, 62);
  for (size_t day = 90; day < 120; ++day) series[day] -= 6.0;
  const auto changes = ZscoreDetector({}).Detect(series).change_points;
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_TRUE(Near(changes, 90, 1));
}

TEST(ZscoreDetector, TreatsAShortSpikeAsAnOutlierNotAChange) {
  auto series = Weekly(120, 63);
  series[100] += 20.0;
  const auto detection = ZscoreDetector({}).Detect(series);
  EXPECT_TRUE(detection.change_points.empty());
  EXPECT_GT(detection.scores[100], 4.0);
}

TEST(ZscoreDetector, ExpectsTheSameWeekdayValue) {
  const auto detection = ZscoreDetector({}).Detect(Weekly(120, 64));
  EXPECT_NEAR(detection.expected[108], 80.0, 1.5);  // day 108 is a weekday (108 % 7 = 3)
  EXPECT_NEAR(detection.expected[110], 70.0, 1.5);  // day 110 is a weekend day (110 % 7 = 5)
}

TEST(ZscoreDetector, UsesFittedHistoryAsTheBaseline) {
  // History and series continue one weekly cycle: the series starts on day 60.
  const auto days = Weekly(90, 65);
  ZscoreDetector detector({});
  detector.Fit(std::vector<double>(days.begin(), days.begin() + 60));
  std::vector<double> series(days.begin() + 60, days.end());
  for (size_t day = 10; day < 30; ++day) series[day] += 8.0;
  const auto changes = detector.Detect(series).change_points;
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_TRUE(Near(changes, 10, 1));
}

TEST(ZscoreDetector, SkipsMissingValues) {
  auto series = Weekly(120, 67);
  series[100] = NAN;
  const auto detection = ZscoreDetector({}).Detect(series);
  EXPECT_TRUE(std::isnan(detection.scores[100]));
  EXPECT_TRUE(detection.change_points.empty());
}

TEST(ZscoreDetector, RejectsATooShortSeriesNamingTheCounts) {
  try {
    ZscoreDetector({}).Detect(Weekly(10, 68));
    FAIL() << "expected InvalidInput";
  } catch (const Error& error) {
    EXPECT_EQ(error.Type(), ErrorType::INVALID_INPUT);
    EXPECT_STREQ(error.what(),
                 "detector 'zscore' needs at least 22 observed points, the series has 10");
  }
}

}  // namespace
}  // namespace cxagent::detect
