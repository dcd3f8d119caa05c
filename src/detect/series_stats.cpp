#include "detect/series_stats.hpp"

#include <algorithm>
#include <cmath>
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

double Median(std::vector<double> values) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  const size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid), values.end());
  const double upper = values[mid];
  if (values.size() % 2 == 1) return upper;
  const double lower =
      *std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid));
  return 0.5 * (lower + upper);
}

double Mad(std::span<const double> values) {
  const double center = Median({values.begin(), values.end()});
  std::vector<double> deviations;
  deviations.reserve(values.size());
  for (double v : values) deviations.push_back(std::abs(v - center));
  return 1.4826 * Median(std::move(deviations));
}

double DifferenceNoiseScale(std::span<const double> values, size_t lag) {
  lag = std::max<size_t>(lag, 1);
  if (values.size() < lag + 2) lag = 1;
  if (values.size() < 3) return 1.0;
  std::vector<double> diffs;
  diffs.reserve(values.size() - lag);
  for (size_t i = lag; i < values.size(); ++i) diffs.push_back(values[i] - values[i - lag]);
  double scale = Mad(diffs) / std::sqrt(2.0);
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

std::vector<double> ClipOutliers(std::span<const double> values, double sigma, size_t half_window,
                                 double threshold) {
  std::vector<double> clipped(values.begin(), values.end());
  if (half_window == 0 || values.size() < 3) return clipped;
  const size_t n = values.size();
  for (size_t i = 0; i < n; ++i) {
    // An outlier disagrees with both its left and its right neighbours in the same direction;
    // the first point after a level shift agrees with its right neighbours and is kept.
    const size_t begin = i >= half_window ? i - half_window : 0;
    const size_t end = std::min(n, i + half_window + 1);
    std::vector<double> left(values.begin() + static_cast<std::ptrdiff_t>(begin),
                             values.begin() + static_cast<std::ptrdiff_t>(i));
    std::vector<double> right(values.begin() + static_cast<std::ptrdiff_t>(i + 1),
                              values.begin() + static_cast<std::ptrdiff_t>(end));
    const double limit = threshold * sigma;
    const double left_gap = left.empty() ? 0.0 : values[i] - Median(left);
    const double right_gap = right.empty() ? 0.0 : values[i] - Median(right);
    const double gap = left.empty() ? right_gap : right.empty() ? left_gap : 0.0;
    const bool both = !left.empty() && !right.empty() && left_gap * right_gap > 0 &&
                      std::abs(left_gap) > limit && std::abs(right_gap) > limit;
    const bool edge = (left.empty() || right.empty()) && std::abs(gap) > limit;
    if (both || edge) {
      const double nearest = std::abs(left_gap) < std::abs(right_gap) || right.empty()
                                 ? values[i] - left_gap
                                 : values[i] - right_gap;
      clipped[i] = both ? nearest : values[i] - gap;
    }
  }
  return clipped;
}

}  // namespace cxagent::detect
