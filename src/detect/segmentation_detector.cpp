#include "detect/segmentation_detector.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "detect/series_stats.hpp"

namespace cxagent::detect {

std::span<const ConfigField<SegmentationConfig>> SegmentationConfig::Fields() {
  static const std::array<ConfigField<SegmentationConfig>, 9> FIELDS{{
      {"penalty", "penalty per change point in multiples of log(n) x noise variance", 0.01, 1000,
       &SegmentationConfig::penalty},
      {"min_size", "shortest segment in observed points", 1, 100000, &SegmentationConfig::min_size},
      {"model", "segment model: 0 constant mean, 1 straight line, 2 mean and variance", 0, 2,
       &SegmentationConfig::model},
      {"outlier_threshold", "clip points this many noise sigmas from both neighbourhoods (0 = off)",
       0, 1000, &SegmentationConfig::outlier_threshold},
      {"outlier_window", "neighbours on each side used to judge an outlier", 1, 1000,
       &SegmentationConfig::outlier_window},
      {"noise_lag", "lag of the differences whose spread estimates the noise scale", 1, 1000,
       &SegmentationConfig::noise_lag},
      {"autocorrelation_passes",
       "re-segmentations with the noise re-estimated from residuals and inflated for "
       "autocorrelation",
       0, 20, &SegmentationConfig::autocorrelation_passes},
      {"max_autocorrelation", "largest residual lag-1 autocorrelation the inflation believes", 0,
       0.99, &SegmentationConfig::max_autocorrelation},
      {"pass_budget",
       "points x segmentations the autocorrelation passes may spend (a series of n points is "
       "segmented at most max(2, pass_budget / n) times); 0 = no bound",
       0, 1e12, &SegmentationConfig::pass_budget},
  }};
  return FIELDS;
}

namespace {

// The variance of the residuals of a segmentation, robustly estimated and inflated by the AR(1)
// long-run factor, relative to the current unit scale.
double ResidualLongRunVariance(const SegmentCost& cost, std::span<const double> values,
                               std::span<const size_t> changes, double max_rho) {
  std::vector<size_t> bounds{0};
  bounds.insert(bounds.end(), changes.begin(), changes.end());
  bounds.push_back(values.size());
  std::vector<double> residuals;
  residuals.reserve(values.size());
  for (size_t s = 0; s + 1 < bounds.size(); ++s) {
    for (size_t i = bounds[s]; i < bounds[s + 1]; ++i) {
      residuals.push_back(values[i] - cost.Fit(bounds[s], bounds[s + 1], i));
    }
  }
  const double spread = Mad(residuals);
  if (!(spread > 0)) return 1.0;
  const double diff_spread = DifferenceNoiseScale(residuals);
  // For AR(1) noise var(r_t - r_{t-1}) = 2 var(r) (1 - rho).
  const double rho = std::clamp(1.0 - diff_spread * diff_spread / (spread * spread), 0.0, max_rho);
  // Only ever inflate: residuals of a near-perfect fit (flat runs of repeated values) have a
  // spread of rounding noise, which must not shrink the penalty to nothing.
  return std::max(1.0, spread * spread * (1 + rho) / (1 - rho));
}

}  // namespace

SegmentationDetector::SegmentationDetector(std::string name, SegmentationSearch search,
                                           SegmentationConfig config)
    : name_(std::move(name)), search_(search), config_(config) {
  ValidateConfig(config_, name_, SegmentationConfig::Fields());
}

void SegmentationDetector::Fit(std::span<const double> history) {
  const auto observed = DropMissing(history);
  RequireObserved(name_, observed.values.size(), 3);
  std::vector<double> values = observed.values;
  const double scale = OverflowSafeScale(values);
  for (double& value : values) value *= scale;
  fitted_scale_ =
      std::min(DifferenceNoiseScale(values, static_cast<size_t>(config_.noise_lag)) / scale,
               std::numeric_limits<double>::max());
}

Detection SegmentationDetector::Detect(std::span<const double> series) const {
  const auto observed = DropMissing(series);
  const size_t min_size = static_cast<size_t>(config_.min_size);
  RequireObserved(name_, observed.values.size(), std::max<size_t>(2 * min_size, 3));
  // Values near the limits of double (up to +-1.8e308) would overflow differences and sums, so
  // the series is first scaled by a power of two (exact; a no-op for ordinary magnitudes) and the
  // fitted figures are scaled back at the end.
  std::vector<double> raw = observed.values;
  const double scale = OverflowSafeScale(raw);
  if (scale != 1.0) {
    for (double& value : raw) value *= scale;
  }
  double sigma = fitted_scale_ > 0
                     ? fitted_scale_ * scale
                     : DifferenceNoiseScale(raw, static_cast<size_t>(config_.noise_lag));
  const double center = Median(raw);
  // The segment costs come from prefix sums of squared standardised values; keeping those sums
  // below 2^50 (a noise sigma at least sqrt(n) 2^-25 of the largest distance from the median)
  // bounds their rounding by a quarter of a noise variance, far below any penalty, and rules out
  // overflow. Ordinary series sit orders of magnitude inside this (the TCPD series reach a
  // spread of 2,700 noise sigmas, the floor starts near 10^6 for them); it matters for a step
  // against noise too small for double precision to hold beside the step.
  double spread = 0;
  for (double value : raw) spread = std::max(spread, std::abs(value - center));
  sigma =
      std::max(sigma, spread * std::sqrt(static_cast<double>(raw.size())) * std::ldexp(1.0, -25));
  std::vector<double> cleaned =
      config_.outlier_threshold > 0
          ? ClipOutliers(raw, sigma, static_cast<size_t>(config_.outlier_window),
                         config_.outlier_threshold)
          : raw;
  for (double& value : cleaned) value = (value - center) / sigma;

  const SegmentCost cost(cleaned, static_cast<SegmentModel>(config_.model));
  const double n = static_cast<double>(cleaned.size());
  // The penalty assumes independent noise. Economic and population series wander (their noise
  // is autocorrelated), which makes a segment mean far less certain than independent noise of
  // the same spread would; each pass re-estimates the noise from the residuals of the previous
  // segmentation, inflates it by the AR(1) long-run variance factor (1 + rho) / (1 - rho) and
  // segments again, so wandering series keep only the changes that stand out from the wander.
  // On very long series the passes are bounded by their work (points x segmentations), so a
  // wandering series of a million points costs about as much as 7 segmentations; a series of up
  // to pass_budget / (autocorrelation_passes + 1) points (636,000 by default) is not affected.
  int passes = config_.autocorrelation_passes;
  if (config_.pass_budget > 0) {
    const double affordable = std::max(2.0, std::floor(config_.pass_budget / n)) - 1;
    passes = static_cast<int>(std::min(static_cast<double>(passes), affordable));
  }
  double variance = 1.0;
  std::vector<size_t> local;
  for (int pass = 0; pass <= passes; ++pass) {
    const double penalty = config_.penalty * std::log(n) * variance;
    local = search_ == SegmentationSearch::PELT ? Pelt(cost, penalty, min_size)
                                                : BinarySegmentation(cost, penalty, min_size);
    if (pass == passes) break;
    const double next = ResidualLongRunVariance(cost, cleaned, local, config_.max_autocorrelation);
    if (std::abs(next - variance) < 1e-3 * variance) break;
    variance = next;
  }
  const double band_sigma = sigma * std::sqrt(variance);

  Detection detection;
  const size_t size = series.size();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  detection.scores.assign(size, nan);
  detection.expected.assign(size, nan);
  detection.lower.assign(size, nan);
  detection.upper.assign(size, nan);
  std::vector<size_t> bounds{0};
  bounds.insert(bounds.end(), local.begin(), local.end());
  bounds.push_back(cleaned.size());
  for (size_t s = 0; s + 1 < bounds.size(); ++s) {
    for (size_t i = bounds[s]; i < bounds[s + 1]; ++i) {
      const double fit = cost.Fit(bounds[s], bounds[s + 1], i) * sigma + center;
      const size_t at = observed.positions[i];
      detection.expected[at] = fit / scale;
      detection.lower[at] = (fit - 3 * band_sigma) / scale;
      detection.upper[at] = (fit + 3 * band_sigma) / scale;
      detection.scores[at] = (raw[i] - fit) / band_sigma;
    }
  }
  for (size_t change : local) detection.change_points.push_back(observed.positions[change]);
  return detection;
}

}  // namespace cxagent::detect
