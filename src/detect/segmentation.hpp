#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

namespace cxagent::detect {

//! The likelihood model of a segment used by the offline segmentation methods.
enum class SegmentModel {
  MEAN,      //!< constant mean, noise of known scale (level shifts)
  LINEAR,    //!< straight line, noise of known scale (level and trend changes)
  MEAN_VAR,  //!< constant mean and its own variance (level and variance changes)
};

//! The cost of segments of one series under a model, from prefix sums so each cost is O(1).
class SegmentCost {
 public:
  //! Prepares the prefix sums of `values` (already standardised to unit noise).
  SegmentCost(std::span<const double> values, SegmentModel model);
  //! Twice the negative log-likelihood of points [begin, end) up to a constant.
  double Cost(size_t begin, size_t end) const;
  //! The fitted value of point `index` when it lies in segment [begin, end).
  double Fit(size_t begin, size_t end, size_t index) const;
  //! Number of points.
  size_t Size() const { return size_; }

 private:
  SegmentModel model_;
  size_t size_;
  std::vector<double> sum_x_, sum_xx_, sum_t_, sum_tt_, sum_tx_;
};

//! Optimal partition with the PELT algorithm (Killick et al. 2012): minimises the total cost
//! plus `penalty` per change, segments at least `min_size` long. Returns first indices of new
//! segments, ascending.
std::vector<size_t> Pelt(const SegmentCost& cost, double penalty, size_t min_size);

//! Binary segmentation: splits recursively at the best point while the cost falls by more than
//! `penalty`, segments at least `min_size` long. Returns first indices of new segments.
std::vector<size_t> BinarySegmentation(const SegmentCost& cost, double penalty, size_t min_size);

}  // namespace cxagent::detect
