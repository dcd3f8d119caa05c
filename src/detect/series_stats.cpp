#include "detect/series_stats.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>

#include "common/error.hpp"

namespace cxagent::detect {

ObservedSeries DropMissing(std::span<const double> series) {
  ObservedSeries observed;
  observed.values.reserve(series.size());
  observed.positions.reserve(series.size());
  for (size_t i = 0; i < series.size(); ++i) {
    if (std::isnan(series[i])) continue;
    observed.values.push_back(series[i]);
    observed.positions.push_back(i);
  }
  return observed;
}

void RequireObserved(std::string_view detector, size_t observed, size_t minimum) {
  if (observed < minimum) {
    throw InvalidInput("detector '{}' needs at least {} observed points, the series has {}",
                       detector, minimum, observed);
  }
}

namespace {

// The comparators of Batcher's odd-even merge sort for 16 values (63 of them).
constexpr size_t NETWORK = 16;
constexpr auto NETWORK_PAIRS = [] {
  std::array<std::pair<uint8_t, uint8_t>, 63> pairs{};
  size_t k = 0;
  for (size_t p = 1; p < NETWORK; p *= 2) {
    for (size_t step = p; step >= 1; step /= 2) {
      for (size_t j = step % p; j + step < NETWORK; j += 2 * step) {
        for (size_t i = 0; i < step && i + j + step < NETWORK; ++i) {
          if ((i + j) / (p * 2) == (i + j + step) / (p * 2)) {
            pairs[k++] = {static_cast<uint8_t>(i + j), static_cast<uint8_t>(i + j + step)};
          }
        }
      }
    }
  }
  // Every comparator found (the array is the network's size): else not a constant expression.
  if (k != pairs.size()) throw InternalError("the sorting network has {} comparators", k);
  return pairs;
}();

// Sorts a few values in place. From 10 values on (the weekday effects' medians take 12 or 13
// values, about 200,000 times at 1M orders) a sorting network padded with infinities: its
// comparisons are min and max, without the branches an insertion sort mispredicts, about 2.5
// times faster at 13 values. A network moves equal values as one, which keeps every value's
// bits but for a zero (-0.0 and 0.0 compare equal): values holding a zero are sorted by
// insertion, as are NaN-free inputs only (MedianInPlace's caller sees to that).
void SortFew(double* values, size_t n) {
  if (n >= 10 && n <= NETWORK &&
      std::none_of(values, values + n, [](double v) { return v == 0; })) {
    std::array<double, NETWORK> padded;
    padded.fill(std::numeric_limits<double>::infinity());
    std::copy(values, values + n, padded.begin());
    for (const auto& [a, b] : NETWORK_PAIRS) {
      const double low = std::min(padded[a], padded[b]);
      const double high = std::max(padded[a], padded[b]);
      padded[a] = low;
      padded[b] = high;
    }
    std::copy(padded.begin(), padded.begin() + static_cast<std::ptrdiff_t>(n), values);
    return;
  }
  for (size_t i = 1; i < n; ++i) {
    const double value = values[i];
    size_t j = i;
    for (; j > 0 && values[j - 1] > value; --j) values[j] = values[j - 1];
    values[j] = value;
  }
}

// The k-th smallest of `values` (0-based), leaving every value before position k no larger and
// every one after it no smaller. A quickselect whose partitions move each value without a branch
// on its side of the pivot: detection takes medians of about 90 values tens of thousands of
// times, where std::nth_element's mispredicted branches cost about twice as much. Equal values
// are gathered beside the pivot, so repeated values end the search at once; after
// 2 log2(n) + 8 rounds (a pathological input) std::nth_element finishes the range.
double SelectKth(double* values, size_t n, size_t k) {
  constexpr size_t FEW = 16;
  int rounds = 8;
  for (size_t m = n; m > 1; m /= 2) rounds += 2;
  while (n > FEW) {
    if (rounds-- == 0) {
      std::nth_element(values, values + k, values + n);
      return values[k];
    }
    const double a = values[0];
    const double b = values[n / 2];
    const double c = values[n - 1];
    const double pivot = std::max(std::min(a, b), std::min(std::max(a, b), c));
    // [0, below) < pivot, then [below, equal) == pivot, then the larger ones.
    size_t below = 0;
    for (size_t i = 0; i < n; ++i) {
      const double value = values[i];
      const bool smaller = value < pivot;
      values[i] = values[below];
      values[below] = value;
      below += smaller ? 1 : 0;
    }
    if (k < below) {
      n = below;
      continue;
    }
    size_t equal = below;
    for (size_t i = below; i < n; ++i) {
      const double value = values[i];
      const bool same = !(pivot < value);
      values[i] = values[equal];
      values[equal] = value;
      equal += same ? 1 : 0;
    }
    if (k < equal) return pivot;
    values += equal;
    n -= equal;
    k -= equal;
  }
  SortFew(values, n);
  return values[k];
}

}  // namespace

double MedianInPlace(std::span<double> values) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  const size_t mid = values.size() / 2;
  // NaN has no place in an order: such input keeps std::nth_element's answer, whatever it is.
  const bool ordered =
      std::none_of(values.begin(), values.end(), [](double value) { return std::isnan(value); });
  if (!ordered) {
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid),
                     values.end());
  } else {
    SelectKth(values.data(), values.size(), mid);
  }
  // Either way values[mid] is the median's upper value and no value before it is larger: the
  // lower one of an even count is the largest of those (the same two operands, so the same sum).
  const double upper = values[mid];
  if (values.size() % 2 == 1) return upper;
  const double lower =
      *std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid));
  return 0.5 * (lower + upper);
}

std::pair<double, size_t> MeanOf(std::span<const double> values, size_t begin, size_t end) {
  double sum = 0;
  size_t count = 0;
  for (size_t i = begin; i < end; ++i) {
    if (std::isnan(values[i])) continue;
    sum += values[i];
    ++count;
  }
  return {count == 0 ? std::numeric_limits<double>::quiet_NaN() : sum / static_cast<double>(count),
          count};
}

double Median(std::vector<double> values) {
  return MedianInPlace(values);
}

namespace {

// Mad with `scratch` as its work space: the values are copied into it once and the deviations
// overwrite them, in the values' own order, so the medians see the same sequences as Mad's.
double MadWith(std::span<const double> values, std::vector<double>& scratch) {
  scratch.assign(values.begin(), values.end());
  const double center = MedianInPlace(scratch);
  for (size_t i = 0; i < values.size(); ++i) scratch[i] = std::abs(values[i] - center);
  return 1.4826 * MedianInPlace(scratch);
}

// Work space of the statistics below, one per thread: series are short and analysed by the
// thousand, so their allocations would cost more than the arithmetic.
std::vector<double>& Scratch(size_t which) {
  thread_local std::vector<double> buffers[2];
  return buffers[which];
}

}  // namespace

double Mad(std::span<const double> values) {
  return MadWith(values, Scratch(0));
}

double DifferenceNoiseScale(std::span<const double> values, size_t lag) {
  lag = std::max<size_t>(lag, 1);
  if (values.size() < lag + 2) lag = 1;
  if (values.size() < 3) return 1.0;
  std::vector<double>& diffs = Scratch(1);
  diffs.clear();
  for (size_t i = lag; i < values.size(); ++i) diffs.push_back(values[i] - values[i - lag]);
  double scale = MadWith(diffs, Scratch(0)) / std::sqrt(2.0);
  if (scale > 0 && std::isfinite(scale)) return scale;
  // Mostly flat series (repeated values): the MAD is zero, so use the mean absolute difference,
  // which still sees the few moves there are.
  double total = 0;
  for (double d : diffs) total += std::abs(d);
  scale = total / static_cast<double>(diffs.size()) * std::sqrt(M_PI) / 2.0;
  if (scale > 0 && std::isfinite(scale)) return scale;
  return 1.0;
}

double OverflowSafeScale(std::span<const double> values) {
  constexpr int MAX_EXPONENT = 500;
  double largest = 0;
  for (double v : values) largest = std::max(largest, std::abs(v));
  if (!(largest > std::ldexp(1.0, MAX_EXPONENT)) || !std::isfinite(largest)) return 1.0;
  return std::ldexp(1.0, MAX_EXPONENT - std::ilogb(largest) - 1);
}

double SumRemainder(double whole, double part) {
  const double rest = whole - part;
  if (!(std::abs(rest) > REMAINDER_TOLERANCE * std::max(std::abs(whole), std::abs(part)))) {
    return 0.0;
  }
  return rest;
}

std::vector<double> ClipOutliers(std::span<const double> values, double sigma, size_t half_window,
                                 double threshold) {
  std::vector<double> clipped(values.begin(), values.end());
  if (half_window == 0 || values.size() < 3) return clipped;
  const size_t n = values.size();
  // The neighbourhoods' medians work on copies in `side` (no allocation per point).
  std::vector<double> side(half_window);
  const auto median_of = [&](size_t begin, size_t end) {
    const std::span<double> copy = std::span<double>(side).first(end - begin);
    std::copy(values.begin() + static_cast<std::ptrdiff_t>(begin),
              values.begin() + static_cast<std::ptrdiff_t>(end), copy.begin());
    return MedianInPlace(copy);
  };
  for (size_t i = 0; i < n; ++i) {
    // An outlier disagrees with both its left and its right neighbours in the same direction;
    // the first point after a level shift agrees with its right neighbours and is kept.
    const size_t begin = i >= half_window ? i - half_window : 0;
    const size_t end = std::min(n, i + half_window + 1);
    const bool left_empty = begin == i;
    const bool right_empty = i + 1 == end;
    const double limit = threshold * sigma;
    const double left_gap = left_empty ? 0.0 : values[i] - median_of(begin, i);
    // A point with neighbours on both sides within the limit of its left ones is kept whatever
    // its right ones: their median is not needed (most points of a series).
    if (!left_empty && !right_empty && !(std::abs(left_gap) > limit)) continue;
    const double right_gap = right_empty ? 0.0 : values[i] - median_of(i + 1, end);
    const double gap = left_empty ? right_gap : right_empty ? left_gap : 0.0;
    const bool both = !left_empty && !right_empty && left_gap * right_gap > 0 &&
                      std::abs(left_gap) > limit && std::abs(right_gap) > limit;
    const bool edge = (left_empty || right_empty) && std::abs(gap) > limit;
    if (both || edge) {
      const double nearest = std::abs(left_gap) < std::abs(right_gap) || right_empty
                                 ? values[i] - left_gap
                                 : values[i] - right_gap;
      clipped[i] = both ? nearest : values[i] - gap;
    }
  }
  return clipped;
}

}  // namespace cxagent::detect
