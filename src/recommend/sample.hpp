#pragma once

#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

#include "rca/cx_model.hpp"

namespace cxagent::rca {
struct IncidentModel;
}

namespace cxagent::recommend {

//! The random stream of one simulation (deterministic given its seed).
using Rng = std::mt19937_64;

//! A uniform draw in [0, 1).
double Uniform(Rng& rng);

//! A driver's response to another feature, learnt from the incident's sample: the mean of `y` in
//! quantile bins of `x` (baseline and incident orders together), linearly interpolated. Used to
//! carry a change of one driver (the busy ratio, the distance) to the drivers it moves.
class ResponseCurve {
 public:
  ResponseCurve() = default;
  //! Bins the rows where `x` and `y` are known (and `rows_filter`, when given, is true).
  ResponseCurve(const rca::FeatureMatrix& sample, size_t x, size_t y,
                const std::vector<uint8_t>* rows_filter = nullptr, int bins = 12);
  //! Expected `y` at `x` (the end bins' means beyond the data).
  double At(double x) const;
  //! True when the curve has at least two bins.
  bool Valid() const { return xs_.size() >= 2; }
  //! True when `x` lies between the first and last bins' mean `x` (interpolated, not the end
  //! bins' means carried beyond the data).
  bool Covers(double x) const { return Valid() && x >= xs_.front() && x <= xs_.back(); }

 private:
  std::vector<double> xs_;
  std::vector<double> ys_;
};

//! The incident's orders as the what-if simulation sees them: the RCA sample (baseline and
//! incident orders of the slice) with the levels of each driver per window, so that a `revert`
//! knows the pre-incident level to restore.
class IncidentSample {
 public:
  //! Wraps a stored model and sample; throws InvalidInput when either window has no order.
  explicit IncidentSample(const rca::IncidentModel& model);

  //! The sample (every row, both windows).
  const rca::FeatureMatrix& Matrix() const { return *matrix_; }
  //! Rows of the incident window.
  const std::vector<size_t>& IncidentRows() const { return incident_; }
  //! Rows of the baseline window.
  const std::vector<size_t>& BaselineRows() const { return baseline_; }
  //! Column index of a feature (throws InvalidInput naming the features).
  size_t Column(std::string_view feature) const { return matrix_->Index(feature); }
  //! Value of a feature on a row.
  double At(size_t row, std::string_view feature) const;
  //! True when the row's order was cancelled (any cancellation flag set).
  bool Cancelled(size_t row) const;

  //! Mean of a feature over a window's rows where it is known (`delivered_only`: skip cancelled
  //! orders, whose delivery features are imputed); NaN without such rows.
  double Mean(std::string_view feature, bool incident, bool delivered_only) const;
  //! Sorted known values of a feature in the baseline window.
  std::vector<double> BaselineValues(std::string_view feature, bool delivered_only) const;
  //! Share of a window's orders with a cancellation flag set.
  double Rate(std::string_view flag, bool incident) const;
  //! Per-line rate of a line count (missing_lines, substituted_lines) among delivered orders.
  double LineRate(std::string_view count, bool incident) const;
  //! Share of substituted lines the customer accepted among delivered orders of a window.
  double AcceptRate(bool incident) const;

  //! Drivers the busy ratio moves (delivered orders for delays and batching, all for cancels).
  const ResponseCurve& BusyToAssign() const { return busy_assign_; }
  const ResponseCurve& BusyToBatched() const { return busy_batched_; }
  const ResponseCurve& BusyToNoDasher() const { return busy_no_dasher_; }
  const ResponseCurve& BusyToCustomerCancel() const { return busy_customer_; }
  //! The part of the incident's delivered batched share that load does not explain: the mean,
  //! over incident orders whose busy ratio the baseline covers, of is_batched less the baseline
  //! orders' batched share at that busy ratio (0 when fewer than 50 such orders or the baseline
  //! has no curve). A batching policy that starts with the incident raises batching at equal
  //! load; a load rise alone does not.
  double BatchedAtEqualLoad() const { return batched_at_equal_load_; }
  //! The quoted ETA as a function of distance (the ETA model's own slope).
  const ResponseCurve& DistanceToQuote() const { return distance_quote_; }

 private:
  const rca::FeatureMatrix* matrix_;
  std::vector<size_t> incident_;
  std::vector<size_t> baseline_;
  std::vector<uint8_t> cancelled_;
  ResponseCurve busy_assign_;
  ResponseCurve busy_batched_;
  ResponseCurve busy_no_dasher_;
  ResponseCurve busy_customer_;
  ResponseCurve distance_quote_;
  double batched_at_equal_load_ = 0;
};

//! The incident rows being changed by an action, with the edits the templates share.
struct Counterfactual {
  const IncidentSample* sample = nullptr;
  rca::FeatureMatrix rows;  //!< a copy of the incident rows, edited in place
  Rng rng;
  //! Share of the incident's orders the action keeps (a demand throttle turns some away).
  double orders_kept = 1.0;

  //! Value of a feature on an edited row.
  float& At(size_t row, std::string_view feature) { return rows.At(row, rows.Index(feature)); }
  //! True when the edited row is a cancelled order.
  bool Cancelled(size_t row) const;

  //! Moves a feature of the delivered rows towards the baseline window's distribution: each
  //! row's value goes to the baseline quantile of its incident rank, scaled so the mean is
  //! `target_mean`; `strength` in [0, 1] interpolates between unchanged (0) and mapped (1).
  void MapToBaseline(std::string_view feature, double target_mean, double strength = 1.0);
  //! Brings the mean merchant wait of the delivered rows to `target_mean` by making every order
  //! ready sooner by one factor: the minutes from checkout to ready (assignment delay + wait, on
  //! rows that waited) are scaled and the dasher, assigned as before, waits what is left. Rows
  //! that did not wait keep none. A target at or above today's mean maps to the baseline
  //! distribution (MapToBaseline).
  void SpeedUpPrep(double target_mean);
  //! Clears a 0/1 flag on each row where it is set with probability `clear(row)`.
  template <typename Probability>
  void ClearFlag(std::string_view feature, Probability clear) {
    const size_t column = rows.Index(feature);
    for (size_t row = 0; row < rows.rows; ++row) {
      float& value = rows.At(row, column);
      if (value > 0.5F && Uniform(rng) < clear(row)) value = 0.0F;
    }
  }
  //! Removes each unit of a line count with probability `remove` (binomial thinning); returns
  //! the per-row number removed.
  std::vector<int> ThinLines(std::string_view feature, double remove);
  //! Sets the busy ratio of every row to `factor` times its value and carries the change to the
  //! drivers the busy ratio moves, through response curves learnt from the sample: assignment
  //! delay (scaled), batching (thinned) and no-dasher and customer cancellations (thinned). A
  //! row whose dasher waited at the store waits longer by what the assignment got shorter (and
  //! less when it got longer, down to none): the order was ready when it was.
  void ScaleBusy(double factor);
  //! Brings the marketplace load of the rows to `target_busy` (a mean busy ratio): the share of
  //! the way back to the baseline level restores the load-driven drivers (busy ratio, assignment
  //! delay, batching, no-dasher and customer cancellations) towards their baseline distributions
  //! directly, keeping the batching rise at equal load (IncidentSample::BatchedAtEqualLoad), and
  //! carries the shorter assignment into the store wait as ScaleBusy does; a target below the
  //! baseline goes on through ScaleBusy's response curves.
  void SetLoad(double target_busy);
  //! Restores the dispatch drivers a load rise moves (assignment delay, batching, no-dasher and
  //! customer cancellations) a share `strength` in [0, 1] of the way back to their baseline
  //! levels, whatever raised them (SetLoad for the busy ratio; longer trips tie dashers up
  //! without the busy ratio recording it). `batched_kept` is a rise of the delivered batched
  //! share the restore leaves alone (SetLoad: the rise at equal load, a batching policy's).
  void RestoreDispatch(double strength, double batched_kept = 0);
  //! Orders the action let through (cancelled in the sample, not here) get a delivery: the
  //! delivery and item features of a random order delivered in both, of the same store type and
  //! fulfilment mode when there is one. The RCA encoding gives every cancelled order the same
  //! imputed values, and the trees learn that point as "cancelled" too, so a cleared flag alone
  //! would keep part of the cancellation in the prediction.
  void DeliverLetThrough();
};

//! A counterfactual of the incident rows with its own random stream.
Counterfactual MakeCounterfactual(const IncidentSample& sample, uint64_t seed);

}  // namespace cxagent::recommend
