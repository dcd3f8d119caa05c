#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

namespace cxagent::detect {

//! What a detector says about a series: one score and expected band per point, and change points.
struct Detection {
  //! How unusual each point is (a z-like score or a change probability); NaN where missing.
  std::vector<double> scores;
  //! The value each point was expected to have (segment mean, baseline or forecast).
  std::vector<double> expected;
  //! Lower edge of the expected band per point.
  std::vector<double> lower;
  //! Upper edge of the expected band per point.
  std::vector<double> upper;
  //! 0-based indices of the first point of each new segment, ascending, never 0.
  std::vector<size_t> change_points;
};

//! The interface every detector implements: fit on history, then score a series.
class Detector {
 public:
  virtual ~Detector() = default;

  //! The name the detector is registered under.
  virtual std::string_view Name() const = 0;
  //! Learns the baseline (level, noise scale, seasonality) from `history`; NaN means missing.
  //! Optional: without it, Detect estimates what it needs from the series itself.
  virtual void Fit(std::span<const double> history) = 0;
  //! Scores `series` (NaN means missing) and returns scores, expected band and change points.
  //! Throws InvalidInput when the series has too few observed points for the method.
  virtual Detection Detect(std::span<const double> series) const = 0;
};

}  // namespace cxagent::detect
