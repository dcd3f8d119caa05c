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
  //! The segment model.
  SegmentModel Model() const { return model_; }
  //! Sum of the first `count` values.
  double PrefixSum(size_t count) const { return sum_x_[count]; }
  //! Sum of the squares of the first `count` values.
  double PrefixSquares(size_t count) const { return sum_xx_[count]; }
  //! Cost under the constant-mean model, inline (the same arithmetic as Cost).
  double MeanCost(size_t begin, size_t end) const {
    const double n = static_cast<double>(end - begin);
    if (n <= 0) return 0.0;
    const double sx = sum_x_[end] - sum_x_[begin];
    const double sxx = sum_xx_[end] - sum_xx_[begin];
    const double centred_xx = sxx - sx * sx / n;
    return centred_xx > 0.0 ? centred_xx : 0.0;
  }

 private:
  SegmentModel model_;
  size_t size_;
  std::vector<double> sum_x_, sum_xx_, sum_t_, sum_tt_, sum_tx_;
};

//! Work done by one Pelt call, for tests and benchmarks.
struct PeltStats {
  //! Segment costs evaluated (start, end pairs).
  size_t evaluations = 0;
  //! Largest number of candidate starts kept at any point.
  size_t max_candidates = 0;
};

//! Optimal partition with the PELT algorithm (Killick et al. 2012): minimises the total cost
//! plus `penalty` per change, segments at least `min_size` long. Returns first indices of new
//! segments, ascending. Under the constant-mean model, starts are also pruned functionally
//! (FPOP, Maidstone et al. 2017): a start whose cost, as a function of the segment mean, lies
//! above the other kept starts' for every mean can never win again, so long stretches without a
//! change keep a few candidates instead of all of them (see docs/detectors.md). `stats`, when
//! given, receives the work done.
std::vector<size_t> Pelt(const SegmentCost& cost, double penalty, size_t min_size,
                         PeltStats* stats = nullptr);

//! Binary segmentation: splits recursively at the best point while the cost falls by more than
//! `penalty`, segments at least `min_size` long. Returns first indices of new segments.
std::vector<size_t> BinarySegmentation(const SegmentCost& cost, double penalty, size_t min_size);

}  // namespace cxagent::detect
