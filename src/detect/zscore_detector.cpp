#include "detect/zscore_detector.hpp"

#include <array>
#include <cmath>
#include <limits>

#include "common/error.hpp"
#include "detect/series_stats.hpp"

namespace cxagent::detect {

std::span<const ConfigField<ZscoreConfig>> ZscoreConfig::Fields() {
  static const std::array<ConfigField<ZscoreConfig>, 4> FIELDS{{
      {"window", "trailing points that form each point's baseline", 3, 100000,
       &ZscoreConfig::window},
      {"season", "season length in points (7 = weekly cycle of a daily series; 1 = none)", 1, 10000,
       &ZscoreConfig::season},
      {"threshold", "|z| above which a point is abnormal", 0.1, 1000, &ZscoreConfig::threshold},
      {"min_run", "consecutive abnormal points on one side that make a change", 1, 100000,
       &ZscoreConfig::min_run},
  }};
  return FIELDS;
}

ZscoreDetector::ZscoreDetector(ZscoreConfig config) : config_(config) {
  ValidateConfig(config_, "zscore", ZscoreConfig::Fields());
  if (config_.window < 3 * config_.season) {
    throw InvalidInput("detector 'zscore': 'window' ({}) must hold at least 3 seasons of {} points",
                       config_.window, config_.season);
  }
}

void ZscoreDetector::Fit(std::span<const double> history) {
  history_.assign(history.begin(), history.end());
}

Detection ZscoreDetector::Detect(std::span<const double> series) const {
  const size_t window = static_cast<size_t>(config_.window);
  const size_t season = static_cast<size_t>(config_.season);
  const size_t offset = history_.size();
  std::vector<double> all(history_);
  all.insert(all.end(), series.begin(), series.end());
  // The baseline needs at least three same-phase points.
  const size_t minimum = 3 * season + 1;
  RequireObserved("zscore", DropMissing(all).values.size(), minimum);
  const double global_scale = DifferenceNoiseScale(DropMissing(all).values);

  Detection detection;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (auto* column :
       {&detection.scores, &detection.expected, &detection.lower, &detection.upper}) {
    column->assign(series.size(), nan);
  }
  int run = 0;
  int run_side = 0;
  size_t run_start = 0;
  bool in_change = false;
  size_t baseline_start = 0;
  std::vector<double> baseline;
  std::vector<double> phase;
  std::vector<double> residuals;
  for (size_t i = 0; i < series.size(); ++i) {
    const size_t at = offset + i;
    if (std::isnan(all[at])) continue;
    // After a change the baseline restarts at it, so the old level neither raises the same
    // change again nor hides the next one.
    const size_t earliest = std::max(baseline_start, at >= window ? at - window : 0);
    baseline.clear();
    for (size_t back = season; back + earliest <= at; back += season) {
      if (!std::isnan(all[at - back])) baseline.push_back(all[at - back]);
    }
    if (baseline.size() < 3) continue;
    const double median = Median(baseline);
    // The spread pools every phase of the window (each against its own phase median): eight
    // same-weekday points alone give too noisy a MAD.
    residuals.clear();
    for (size_t offset_in_season = 1; offset_in_season <= season; ++offset_in_season) {
      phase.clear();
      for (size_t back = offset_in_season; back + earliest <= at; back += season) {
        if (!std::isnan(all[at - back])) phase.push_back(all[at - back]);
      }
      if (phase.size() < 2) continue;
      const double phase_median = Median(phase);
      for (double value : phase) residuals.push_back(value - phase_median);
    }
    // A floor on the spread keeps flat baselines from turning tiny moves into huge scores.
    const double spread = std::max(Mad(residuals), 0.5 * global_scale);
    const double z = spread > 0 ? (all[at] - median) / spread : 0.0;
    detection.scores[i] = z;
    detection.expected[i] = median;
    detection.lower[i] = median - config_.threshold * spread;
    detection.upper[i] = median + config_.threshold * spread;
    const int side = z > config_.threshold ? 1 : z < -config_.threshold ? -1 : 0;
    if (side != 0 && side == run_side) {
      ++run;
    } else {
      run = side != 0 ? 1 : 0;
      run_side = side;
      run_start = i;
      if (side == 0) in_change = false;
    }
    if (!in_change && run >= config_.min_run) {
      // One change per run: the baseline catches up with the new level and the run ends.
      if (run_start > 0) detection.change_points.push_back(run_start);
      in_change = true;
      baseline_start = offset + run_start;
      run = 0;
      run_side = 0;
    }
  }
  return detection;
}

}  // namespace cxagent::detect
