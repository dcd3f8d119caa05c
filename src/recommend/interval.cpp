#include "recommend/interval.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/error.hpp"

namespace cxagent::recommend {

double DefaultModelErrorShare() {
  // The split-conformal share of the 15 revert estimates scored on the tuning worlds
  // (`evaluate --random 10 --seed 21` and `--seed 22 --whatif`): their largest need, 0.122 (the
  // rank ceil(16 x 0.9) of 15), rounded up. The suites were left out of the calibration set:
  // the simulation was built on them, so their residuals understate the error on worlds nobody
  // has seen (they needed 0.099). docs/recommend.md has the figures.
  return 0.125;
}

double CalibratedHalfWidth(double sampling_half_width, double estimate, double model_error_share) {
  const double model = model_error_share * std::abs(estimate);
  return std::sqrt(sampling_half_width * sampling_half_width + model * model);
}

std::optional<double> ConformalModelErrorShare(const std::vector<EffectResidual>& residuals,
                                               double coverage) {
  if (!(coverage > 0 && coverage < 1)) {
    throw InvalidInput("coverage must be in (0, 1), not {}", coverage);
  }
  const size_t n = residuals.size();
  const double rank = std::ceil(static_cast<double>(n + 1) * coverage);
  if (n == 0 || rank > static_cast<double>(n)) return std::nullopt;
  std::vector<double> needed;
  needed.reserve(n);
  for (const auto& r : residuals) {
    const double error = std::abs(r.truth - r.estimate);
    const double excess = error * error - r.sampling_half_width * r.sampling_half_width;
    if (excess <= 0) {
      needed.push_back(0.0);
    } else if (std::abs(r.estimate) > 0) {
      needed.push_back(std::sqrt(excess) / std::abs(r.estimate));
    } else {
      needed.push_back(std::numeric_limits<double>::infinity());
    }
  }
  std::sort(needed.begin(), needed.end());
  const double share = needed[static_cast<size_t>(rank) - 1];
  if (!std::isfinite(share)) return std::nullopt;
  return share;
}

double Coverage(const std::vector<EffectResidual>& residuals, double model_error_share) {
  if (residuals.empty()) return 0.0;
  size_t covered = 0;
  for (const auto& r : residuals) {
    const double half = CalibratedHalfWidth(r.sampling_half_width, r.estimate, model_error_share);
    // A hair of tolerance: the share found for a residual covers it exactly at the edge.
    if (std::abs(r.truth - r.estimate) <= half * (1 + 1e-9) + 1e-12) ++covered;
  }
  return static_cast<double>(covered) / static_cast<double>(residuals.size());
}

}  // namespace cxagent::recommend
