#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace cxagent::detect {

//! The observed (non-NaN) points of a series and where each sits in the original series.
struct ObservedSeries {
  //! The observed values, in order.
  std::vector<double> values;
  //! For each observed value, its 0-based index in the original series.
  std::vector<size_t> positions;
};

//! Drops missing (NaN) points, remembering their original positions.
ObservedSeries DropMissing(std::span<const double> series);

//! Throws InvalidInput naming `detector` when fewer than `minimum` points are observed.
void RequireObserved(std::string_view detector, size_t observed, size_t minimum);

//! The mean of the observed (non-NaN) points of `values` in [begin, end) and how many there
//! are (NaN and 0 when none).
std::pair<double, size_t> MeanOf(std::span<const double> values, size_t begin, size_t end);

//! The median of `values` (NaN when empty).
double Median(std::vector<double> values);

//! Median without a copy: the same value, leaving `values` reordered.
double MedianInPlace(std::span<double> values);

//! The median absolute deviation from the median, scaled by 1.4826 to estimate a normal sigma.
double Mad(std::span<const double> values);

//! A robust estimate of the noise sigma of a piecewise-constant series: the MAD of differences
//! `lag` points apart divided by sqrt(2), falling back to the mean absolute difference and then to
//! 1 when the series is mostly flat. Level shifts barely move it (they touch few differences), but
//! noise that wanders (autocorrelated, random-walk-like) grows with the lag, so a lag near the
//! shortest segment measures the variability that a segment mean has to stand out from.
double DifferenceNoiseScale(std::span<const double> values, size_t lag = 1);

//! A power of two that brings the largest magnitude in `values` down to at most 2^500 (1 when it
//! already is), so differences and sums of the scaled values cannot overflow. Scaling by a power
//! of two is exact (for values not pushed below 2^-1022), so scale-free results do not change.
double OverflowSafeScale(std::span<const double> values);

//! What is left of the sum `whole` after taking away `part`, a sum of some of the same terms:
//! `whole - part`, but exactly 0 when that is within REMAINDER_TOLERANCE of the larger of the
//! two in magnitude (and when either is NaN). Sums of the same values in another order differ
//! in their last bits (DuckDB's parallel aggregation adds them in whatever order its threads
//! finish), so a part holding every term would otherwise leave a remainder of either 0 or a few
//! 1e-16 of the whole, of either sign, run to run, and a remainder's rate (a ratio of two such
//! remainders) would flip between missing and noise. A true remainder of a sum of orders' values
//! is far above this tolerance; of terms of one sign it has their sign, of signed terms either.
double SumRemainder(double whole, double part);
inline constexpr double REMAINDER_TOLERANCE = 1e-9;

//! Replaces isolated outliers (points further than `threshold` sigmas from the median of their
//! `half_window` neighbours on each side) by that median, so single spikes do not open segments.
std::vector<double> ClipOutliers(std::span<const double> values, double sigma, size_t half_window,
                                 double threshold);

}  // namespace cxagent::detect
