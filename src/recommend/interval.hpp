#pragma once

#include <optional>
#include <vector>

namespace cxagent::recommend {

//! The default model-error share of the CX interval: the conformal share of the tuning residuals
//! (docs/recommend.md says which and how).
double DefaultModelErrorShare();

//! The 90% half-width of a simulated effect with the model's error in it, not only sampling: the
//! bootstrap's half-width and a share of the estimate (the model-error share) combined in
//! quadrature, as two independent errors are. `model_error_share` 0 keeps the sampling interval.
double CalibratedHalfWidth(double sampling_half_width, double estimate, double model_error_share);

//! One simulated effect whose true value is known (a scenario generated without its incident):
//! what a conformal calibration of the model-error share learns from.
struct EffectResidual {
  double estimate = 0;             //!< the simulation's point estimate
  double sampling_half_width = 0;  //!< the bootstrap's 90% half-width
  double truth = 0;                //!< the true effect
};

//! Split-conformal model-error share: the smallest share with which CalibratedHalfWidth covers
//! at least `coverage` of the residuals, taken at the finite-sample rank ceil((n + 1) coverage)
//! so that a new residual exchangeable with these is covered with probability >= `coverage`.
//! Each residual needs the share sqrt(max(0, error^2 - sampling^2)) / |estimate| (0 when the
//! sampling interval covers it; infinite for an error at a zero estimate). nullopt when there
//! are too few residuals for the rank (fewer than coverage / (1 - coverage)) or the needed share
//! is infinite. Throws InvalidInput for a coverage outside (0, 1).
std::optional<double> ConformalModelErrorShare(const std::vector<EffectResidual>& residuals,
                                               double coverage);

//! Share of the residuals whose interval CalibratedHalfWidth(sampling, estimate, share) covers.
double Coverage(const std::vector<EffectResidual>& residuals, double model_error_share);

}  // namespace cxagent::recommend
