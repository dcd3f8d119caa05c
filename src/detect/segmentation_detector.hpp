#pragma once

#include <span>
#include <string>

#include "detect/config.hpp"
#include "detect/detector.hpp"
#include "detect/segmentation.hpp"

namespace cxagent::detect {

//! Settings of the offline segmentation detectors (pelt, binseg).
struct SegmentationConfig {
  //! Penalty per change point, in multiples of log(n) times the noise variance.
  double penalty = 7.0;
  //! Shortest segment, in observed points.
  int min_size = 5;
  //! Segment model: 0 constant mean, 1 straight line, 2 mean and variance.
  int model = 0;
  //! Points further than this many noise sigmas from both neighbourhoods are clipped; 0 = off.
  double outlier_threshold = 5.0;
  //! Neighbours on each side that define a point's neighbourhood for outlier clipping.
  int outlier_window = 3;
  //! Lag of the differences whose spread estimates the noise scale.
  int noise_lag = 1;
  //! Re-segmentations with the noise re-estimated from residuals, inflated for autocorrelation.
  int autocorrelation_passes = 10;
  //! Points times segmentations the passes may spend: a series of n points is segmented at most
  //! max(2, pass_budget / n) times, so the work stays bounded on very long series; 0 = no bound.
  double pass_budget = 7e6;
  //! Largest residual lag-1 autocorrelation the noise inflation believes.
  double max_autocorrelation = 0.95;

  //! The fields with their keys, descriptions and bounds.
  static std::span<const ConfigField<SegmentationConfig>> Fields();
};

//! Which search the segmentation detector runs.
enum class SegmentationSearch { PELT, BINSEG };

//! Offline change-point detection: robustly standardised series, outliers clipped, then the
//! penalised optimal (PELT) or greedy (binary segmentation) partition.
class SegmentationDetector : public Detector {
 public:
  //! A detector with a validated config.
  SegmentationDetector(std::string name, SegmentationSearch search, SegmentationConfig config);

  std::string_view Name() const override { return name_; }
  //! Learns the noise scale from `history`; without it the series' own scale is used.
  void Fit(std::span<const double> history) override;
  Detection Detect(std::span<const double> series) const override;

 private:
  std::string name_;
  SegmentationSearch search_;
  SegmentationConfig config_;
  double fitted_scale_ = 0;
};

}  // namespace cxagent::detect
