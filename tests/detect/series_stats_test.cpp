#include "detect/series_stats.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace cxagent::detect {
namespace {

// The median as its definition has it: the middle of the sorted values, or the mean of the two
// middle ones (as MedianInPlace adds them: the lower plus the upper).
double SortedMedian(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : 0.5 * (values[mid - 1] + values[mid]);
}

TEST(MedianInPlace, EqualsTheSortedMiddleToTheBit) {
  // Sizes around the quickselect's cut-over to sorting (16) and detection's ~90, with ties
  // (values rounded to a few levels) and without; every value stays in the span.
  std::mt19937_64 random(7);
  std::normal_distribution<double> normal(80, 3);
  for (const size_t size :
       {1, 2, 3, 4, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 33, 90, 91, 500, 4001}) {
    for (const int levels : {0, 1, 3, 20}) {
      for (int round = 0; round < 20; ++round) {
        std::vector<double> values(size);
        for (double& value : values) {
          value = normal(random);
          if (levels > 0) value = std::round(value * levels / 10.0);
        }
        std::vector<double> work = values;
        EXPECT_EQ(MedianInPlace(work), SortedMedian(values)) << size << " values, " << levels;
        std::sort(work.begin(), work.end());
        std::vector<double> sorted = values;
        std::sort(sorted.begin(), sorted.end());
        EXPECT_EQ(work, sorted);
      }
    }
  }
}

TEST(MedianInPlace, ZerosOfEitherSignKeepTheirBits) {
  // -0.0 and 0.0 compare equal: sorting must move each as itself (a sorting network's min and
  // max would write one of them twice).
  std::mt19937_64 random(11);
  const double choices[] = {-0.0, 0.0, 1.0, -1.0, 2.5};
  for (size_t size = 1; size <= 40; ++size) {
    for (int round = 0; round < 50; ++round) {
      std::vector<double> values(size);
      for (double& value : values) value = choices[random() % 5];
      std::vector<double> work = values;
      EXPECT_EQ(MedianInPlace(work), SortedMedian(values)) << size;
      const auto negative_zeros = [](const std::vector<double>& v) {
        return std::count_if(v.begin(), v.end(),
                             [](double x) { return x == 0 && std::signbit(x); });
      };
      EXPECT_EQ(negative_zeros(work), negative_zeros(values)) << size;
    }
  }
}

TEST(MedianInPlace, OrderedAndPathologicalInputs) {
  // Sorted, reversed and organ-pipe inputs (bad pivots for a median of three) still give the
  // middle value.
  for (const size_t size : {64, 65, 1000, 1001}) {
    std::vector<double> ascending(size);
    for (size_t i = 0; i < size; ++i) ascending[i] = static_cast<double>(i);
    std::vector<double> descending(ascending.rbegin(), ascending.rend());
    std::vector<double> pipe(size);
    for (size_t i = 0; i < size; ++i) pipe[i] = static_cast<double>(std::min(i, size - 1 - i));
    for (const auto& values : {ascending, descending, pipe}) {
      std::vector<double> work = values;
      EXPECT_EQ(MedianInPlace(work), SortedMedian(values)) << size;
    }
  }
  std::vector<double> empty;
  EXPECT_TRUE(std::isnan(MedianInPlace(empty)));
  std::vector<double> same(100, 2.5);
  EXPECT_EQ(MedianInPlace(same), 2.5);
}

TEST(SumRemainder, TheSameTermsAddedInAnotherOrderLeaveNothing) {
  // The part holds every term of the whole, summed in another order: the two differ in their
  // last bits, one way or the other, and the remainder is exactly 0 either way.
  std::vector<double> terms;
  for (int i = 0; i < 5000; ++i) terms.push_back(0.1 + 7.3 * std::sin(i) * std::sin(i));
  double forward = 0;
  for (double t : terms) forward += t;
  double backward = 0;
  for (auto t = terms.rbegin(); t != terms.rend(); ++t) backward += *t;
  double pairwise = 0;
  for (size_t i = 0; i < terms.size(); i += 2) pairwise += terms[i] + terms[i + 1];
  ASSERT_TRUE(forward != backward || forward != pairwise);  // else the test shows nothing
  for (double whole : {forward, backward, pairwise}) {
    for (double part : {forward, backward, pairwise}) {
      EXPECT_EQ(SumRemainder(whole, part), 0.0) << whole - part;
    }
  }
}

TEST(SumRemainder, ATrueRemainderIsKeptWithItsSign) {
  EXPECT_EQ(SumRemainder(10.0, 4.0), 6.0);
  // One order's 0.5 minutes out of a million orders' 30 minutes each.
  EXPECT_DOUBLE_EQ(SumRemainder(3e7 + 0.5, 3e7), 0.5);
  // Signed terms (minutes late beyond the delivery's stages): the rest is negative.
  EXPECT_EQ(SumRemainder(-25.0, -31.0), 6.0);
  EXPECT_EQ(SumRemainder(-31.0, -25.0), -6.0);
  EXPECT_DOUBLE_EQ(SumRemainder(-3e7 - 0.5, -3e7), -0.5);
  EXPECT_EQ(SumRemainder(-3e7 * (1 + 1e-15), -3e7), 0.0);
  EXPECT_EQ(SumRemainder(0.0, 0.0), 0.0);
  EXPECT_EQ(SumRemainder(std::nan(""), 1.0), 0.0);
  EXPECT_EQ(SumRemainder(2.0, std::nan("")), 0.0);
}

}  // namespace
}  // namespace cxagent::detect
