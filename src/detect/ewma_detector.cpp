#include "detect/ewma_detector.hpp"

#include <array>
#include <cmath>
#include <limits>

#include "detect/series_stats.hpp"

namespace cxagent::detect {

std::span<const ConfigField<EwmaConfig>> EwmaConfig::Fields() {
  static const std::array<ConfigField<EwmaConfig>, 3> FIELDS{{
      {"lambda", "weight of the newest point in the moving average", 0.001, 1, &EwmaConfig::lambda},
      {"limit", "control limit width in standard deviations of the average", 0.1, 100,
       &EwmaConfig::limit},
      {"warmup", "points that set the in-control level at the start and after each change", 2,
       100000, &EwmaConfig::warmup},
  }};
  return FIELDS;
}

EwmaDetector::EwmaDetector(EwmaConfig config) : config_(config) {
  ValidateConfig(config_, "ewma", EwmaConfig::Fields());
}

void EwmaDetector::Fit(std::span<const double> history) {
  const auto observed = DropMissing(history);
  RequireObserved("ewma", observed.values.size(), static_cast<size_t>(config_.warmup));
  fitted_level_ = Median(observed.values);
  fitted_scale_ = DifferenceNoiseScale(observed.values);
}

Detection EwmaDetector::Detect(std::span<const double> series) const {
  const auto observed = DropMissing(series);
  const size_t warmup = static_cast<size_t>(config_.warmup);
  RequireObserved("ewma", observed.values.size(), warmup + 1);
  const auto& x = observed.values;
  const size_t n = x.size();
  const double sigma = fitted_scale_ > 0 ? fitted_scale_ : DifferenceNoiseScale(x);
  const double lambda = config_.lambda;
  // The limits widen by the uncertainty of a level learned from `warmup` points; without it a
  // level that is off by chance raises false alarms right after every restart.
  // The level is a median, whose variance is pi/2 times that of a mean.
  const double level_variance =
      fitted_scale_ > 0 ? 0.0 : M_PI / 2 * sigma * sigma / static_cast<double>(warmup);
  const double average_sigma = std::sqrt(sigma * sigma * lambda / (2 - lambda) + level_variance);

  Detection detection;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (auto* column :
       {&detection.scores, &detection.expected, &detection.lower, &detection.upper}) {
    column->assign(series.size(), nan);
  }
  // The level is learned from `warmup` points (the fitted history, or the first points of the
  // series and of every new segment); during warmup nothing is scored.
  size_t segment_start = 0;
  bool fitted = fitted_scale_ > 0;
  double level = fitted_level_;
  double average = level;
  size_t last_crossing = 0;
  size_t next_scored = fitted ? 0 : warmup;
  if (!fitted)
    level = average = Median({x.begin(), x.begin() + static_cast<std::ptrdiff_t>(warmup)});
  for (size_t i = next_scored; i < n; ++i) {
    const double previous_side = average - level;
    average = lambda * x[i] + (1 - lambda) * average;
    const double side = average - level;
    if (previous_side * side <= 0) last_crossing = i;
    const size_t at = observed.positions[i];
    detection.scores[at] = side / average_sigma;
    detection.expected[at] = level;
    detection.lower[at] = level - config_.limit * average_sigma;
    detection.upper[at] = level + config_.limit * average_sigma;
    if (std::abs(side) <= config_.limit * average_sigma) continue;
    // Alarm: the change began when the average last left the level.
    const size_t change = std::max(last_crossing, segment_start + 1);
    detection.change_points.push_back(observed.positions[change]);
    segment_start = i + 1;
    if (segment_start + warmup > n) break;
    level = average = Median({x.begin() + static_cast<std::ptrdiff_t>(segment_start),
                              x.begin() + static_cast<std::ptrdiff_t>(segment_start + warmup)});
    last_crossing = segment_start;
    next_scored = segment_start + warmup;
    i = next_scored - 1;
  }
  return detection;
}

}  // namespace cxagent::detect
