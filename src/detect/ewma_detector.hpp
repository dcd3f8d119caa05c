#pragma once

#include <span>

#include "detect/config.hpp"
#include "detect/detector.hpp"

namespace cxagent::detect {

//! Settings of the EWMA control chart.
struct EwmaConfig {
  //! Weight of the newest point in the moving average (0 < lambda <= 1).
  double lambda = 0.2;
  //! Width of the control limits in standard deviations of the average.
  double limit = 3.5;
  //! Points that set the in-control level at the start and after each change.
  int warmup = 20;

  //! The fields with their keys, descriptions and bounds.
  static std::span<const ConfigField<EwmaConfig>> Fields();
};

//! EWMA control chart (Roberts 1959): an exponentially weighted average of the series against
//! limits around the in-control level; an alarm marks a change, dated at the last time the average
//! crossed the level, and the chart restarts on the new level.
class EwmaDetector : public Detector {
 public:
  //! A detector with a validated config.
  explicit EwmaDetector(EwmaConfig config);

  std::string_view Name() const override { return "ewma"; }
  //! Learns the in-control level (median) and noise scale from history.
  void Fit(std::span<const double> history) override;
  //! Scores are the average's distance from the level in units of its standard deviation.
  Detection Detect(std::span<const double> series) const override;

 private:
  EwmaConfig config_;
  double fitted_level_ = 0;
  double fitted_scale_ = 0;
};

}  // namespace cxagent::detect
