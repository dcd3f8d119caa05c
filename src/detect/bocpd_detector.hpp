#pragma once

#include <span>
#include <string>

#include "detect/config.hpp"
#include "detect/detector.hpp"

namespace cxagent::detect {

//! Settings of Bayesian online change-point detection.
struct BocpdConfig {
  //! Expected segment length (1 / hazard rate), in points.
  double expected_run_length = 100.0;
  //! Run lengths kept per step; longer runs are dropped, so the cost is O(n x this).
  int max_run_length = 500;
  //! Normal-gamma prior: pseudo-observations behind the prior mean.
  double prior_kappa = 1.0;
  //! Normal-gamma prior: shape of the precision prior.
  double prior_alpha = 1.0;
  //! Normal-gamma prior: rate of the precision prior (in squared noise units).
  double prior_beta = 1.0;
  //! Shortest segment reported, in observed points.
  int min_size = 5;
  //! Points further than this many noise sigmas from both neighbourhoods are clipped; 0 = off.
  double outlier_threshold = 5.0;

  //! The fields with their keys, descriptions and bounds.
  static std::span<const ConfigField<BocpdConfig>> Fields();
};

//! Bayesian online change-point detection (Adams & MacKay 2007) with a Gaussian model of unknown
//! mean and variance, a constant hazard and a truncated run-length distribution. Change points
//! come from backtracking the most probable run length from the end of the series.
class BocpdDetector : public Detector {
 public:
  //! A detector with a validated config.
  explicit BocpdDetector(BocpdConfig config);

  std::string_view Name() const override { return "bocpd"; }
  //! Learns the centre and noise scale used to standardise series.
  void Fit(std::span<const double> history) override;
  //! Scores are the posterior probability that the current run is shorter than min_size.
  Detection Detect(std::span<const double> series) const override;

 private:
  BocpdConfig config_;
  double fitted_center_ = 0;
  double fitted_scale_ = 0;
};

}  // namespace cxagent::detect
