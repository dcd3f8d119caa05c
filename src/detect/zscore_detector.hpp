#pragma once

#include <span>
#include <vector>

#include "detect/config.hpp"
#include "detect/detector.hpp"

namespace cxagent::detect {

//! Settings of the robust z-score detector.
struct ZscoreConfig {
  //! Trailing points that form the baseline of each point.
  int window = 56;
  //! Season length in points (7 for daily series with a weekly cycle); 1 = no seasonality.
  int season = 7;
  //! |z| above which a point is abnormal.
  double threshold = 4.0;
  //! Consecutive abnormal points on the same side that make a change (fewer are outliers).
  int min_run = 3;

  //! The fields with their keys, descriptions and bounds.
  static std::span<const ConfigField<ZscoreConfig>> Fields();
};

//! Robust z-score against a trailing baseline: each point is compared with the median and MAD of
//! the same phase of the season (same weekday) in the trailing window; a run of abnormal points on
//! one side marks a change at its first point.
class ZscoreDetector : public Detector {
 public:
  //! A detector with a validated config.
  explicit ZscoreDetector(ZscoreConfig config);

  std::string_view Name() const override { return "zscore"; }
  //! Keeps `history` as the baseline in front of the series (its last point precedes series[0]).
  void Fit(std::span<const double> history) override;
  //! Scores are robust z-scores; expected is the baseline median, the band median +- threshold.
  Detection Detect(std::span<const double> series) const override;

 private:
  ZscoreConfig config_;
  std::vector<double> history_;
};

}  // namespace cxagent::detect
