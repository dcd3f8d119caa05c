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
  //! 1: the first segmentation already uses the inflated noise of the no-change fit; 0: white noise.
  int inflate_start = 0;
  //! Length, as a fraction of the observed points, of the segment mean whose AR(1) variance
  //! factor inflates the noise; 0 = the long-run factor (1 + rho) / (1 - rho) of an endless one.
  double inflation_span = 0;
  //! 1: the residual autocorrelation is corrected for the downward bias of fitting each segment
  //! (Kendall: (1 + 3 rho) / m for a mean over m points, (2 + 4 rho) / m for a line).
  int rho_bias_correction = 0;
  //! How the penalty grows with n: 0 log n (BIC), 1 not at all, 2 log log n (Hannan-Quinn), 3 sqrt n.
  int penalty_form = 0;
  //! Shortest segment as a fraction of the observed points (the larger of this and min_size).
  double min_size_fraction = 0;

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
