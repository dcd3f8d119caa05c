#pragma once

#include <Eigen/Dense>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/date.hpp"
#include "common/slice.hpp"

namespace cxagent::storage {
class Connection;
class Dataset;
}  // namespace cxagent::storage

namespace cxagent::rca {

struct Hypothesis;

//! Before-vs-after shift of a daily metric (NaN days skipped): Welch's difference of means with a
//! 90% interval (Student t with Welch-Satterthwaite degrees of freedom).
struct ShiftResult {
  double before = 0;
  double after = 0;
  double delta = 0;
  double se = 0;
  double low = 0;  //!< 90% interval of delta
  double high = 0;
  double z = 0;  //!< delta / se (0 when se is 0 and delta is 0)
  size_t n_before = 0;
  size_t n_after = 0;
  bool valid = false;  //!< at least two days on each side
};
ShiftResult ShiftTest(std::span<const double> before, std::span<const double> after);

//! The z of `shift` (ShiftTest of `before` and some window after) against `before`'s day-to-day
//! variance alone: the variance of both windows' days when nothing changed, so a step a day or
//! two inside a misdated window, or a rare event rising in a small slice, does not widen it as
//! the window's own spread widens Welch's. For a share (`daily_units` > 0, the baseline's mean
//! daily units), the variance is at least the binomial's at the two windows' mean share, so a
//! baseline of days without one event is not read as certainty. shift.z when `before` gives no
//! variance.
double BaselineVarianceZ(std::span<const double> before, const ShiftResult& shift,
                         double daily_units = 0);

//! Ordinary least squares with cluster-robust (CR1) covariance: the sandwich over clusters with
//! the small-sample factor G/(G-1) x (N-1)/(N-K).
struct OlsResult {
  Eigen::VectorXd beta;
  Eigen::MatrixXd covariance;
  size_t clusters = 0;
  size_t rows = 0;
};
//! `cluster[i]` is row i's cluster id. Throws InvalidInput when X is rank deficient or there are
//! fewer than two clusters.
OlsResult ClusteredOls(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                       const std::vector<int64_t>& cluster);

//! Two-sided p-value of a t statistic with `df` degrees of freedom.
double TwoSidedP(double t, double df);
//! The t quantile for a two-sided interval of `level` (0.90 -> t_0.95).
double TQuantile(double level, double df);

//! Difference in differences of a treated and a control daily series:
//! y = a + b treated + c post + d treated x post, standard errors clustered by day.
struct DidResult {
  double estimate = 0;  //!< d: the treated unit's change beyond the controls'
  double se = 0;
  double low = 0;  //!< 90% interval
  double high = 0;
  double t = 0;
  double p_value = 1;
  size_t pre_days = 0;
  size_t post_days = 0;
  bool valid = false;  //!< at least three days in each period
};
//! `post[i]` says whether day i is after the change; days with NaN in either series or with
//! `use[i]` false are left out.
DidResult DiffInDiff(std::span<const double> treated, std::span<const double> control,
                     const std::vector<bool>& post, const std::vector<bool>& use);

//! One row of change_log.
struct Change {
  std::string id;
  std::string changed_at;  //!< as logged, `YYYY-MM-DD HH:MM:SS`
  Date date;
  std::string kind;
  std::string scope;                 //!< as logged: a slice's text or `all`
  std::optional<Slice> scope_slice;  //!< parsed scope; nullopt when it is not a slice
  std::string description;
};

//! Reads the data folder's change_log; an absent table gives no rows (not an error) and an
//! unreadable one is logged and gives no rows.
std::vector<Change> LoadChangeLog(storage::Connection& connection, const storage::Dataset& dataset);

//! True when two slices can share orders (no dimension with different values).
bool SlicesOverlap(const Slice& a, const Slice& b);

//! How a change relates to a hypothesis on an incident: consistent when its kind is one the
//! hypothesis expects, it happened within `window_days` of the start, and its scope overlaps the
//! incident slice. `reason` says which test failed, or why it fits.
struct ChangeCheck {
  bool kind = false;
  bool timing = false;
  bool scope = false;
  bool consistent = false;
  int days_from_start = 0;
  std::string reason;
};
ChangeCheck CheckChange(const Change& change, const Hypothesis& hypothesis, const Slice& slice,
                        Date start, int window_days);

}  // namespace cxagent::rca
