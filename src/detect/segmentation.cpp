#include "detect/segmentation.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <utility>

namespace cxagent::detect {

namespace {

// Variances below this (in units of the noise scale squared) are treated as this, so runs of
// repeated values do not get an unbounded likelihood.
constexpr double MIN_VARIANCE = 1e-2;

}  // namespace

SegmentCost::SegmentCost(std::span<const double> values, SegmentModel model)
    : model_(model), size_(values.size()) {
  for (auto* sums : {&sum_x_, &sum_xx_, &sum_t_, &sum_tt_, &sum_tx_}) sums->assign(size_ + 1, 0.0);
  for (size_t i = 0; i < size_; ++i) {
    const double x = values[i];
    const double t = static_cast<double>(i);
    sum_x_[i + 1] = sum_x_[i] + x;
    sum_xx_[i + 1] = sum_xx_[i] + x * x;
    sum_t_[i + 1] = sum_t_[i] + t;
    sum_tt_[i + 1] = sum_tt_[i] + t * t;
    sum_tx_[i + 1] = sum_tx_[i] + t * x;
  }
}

double SegmentCost::Cost(size_t begin, size_t end) const {
  const double n = static_cast<double>(end - begin);
  if (n <= 0) return 0.0;
  const double sx = sum_x_[end] - sum_x_[begin];
  const double sxx = sum_xx_[end] - sum_xx_[begin];
  const double centred_xx = std::max(0.0, sxx - sx * sx / n);
  switch (model_) {
    case SegmentModel::MEAN:
      return centred_xx;
    case SegmentModel::MEAN_VAR:
      return n * std::log(std::max(centred_xx / n, MIN_VARIANCE));
    case SegmentModel::LINEAR: {
      const double st = sum_t_[end] - sum_t_[begin];
      const double stt = sum_tt_[end] - sum_tt_[begin];
      const double stx = sum_tx_[end] - sum_tx_[begin];
      const double centred_tt = stt - st * st / n;
      const double centred_tx = stx - st * sx / n;
      if (centred_tt <= 0) return centred_xx;
      return std::max(0.0, centred_xx - centred_tx * centred_tx / centred_tt);
    }
  }
  return centred_xx;
}

double SegmentCost::Fit(size_t begin, size_t end, size_t index) const {
  const double n = static_cast<double>(end - begin);
  const double sx = sum_x_[end] - sum_x_[begin];
  const double mean = sx / n;
  if (model_ != SegmentModel::LINEAR) return mean;
  const double st = sum_t_[end] - sum_t_[begin];
  const double stt = sum_tt_[end] - sum_tt_[begin];
  const double stx = sum_tx_[end] - sum_tx_[begin];
  const double centred_tt = stt - st * st / n;
  if (centred_tt <= 0) return mean;
  const double slope = (stx - st * sx / n) / centred_tt;
  return mean + slope * (static_cast<double>(index) - st / n);
}

namespace {

// Means (segment levels) as sorted disjoint closed intervals.
using Region = std::vector<std::pair<double, double>>;

// A kept start of the last segment and, under the constant-mean model, the means for which its
// cost function may still be the lowest.
struct Candidate {
  size_t start = 0;
  Region region;
  // Set once PELT's rule dropped the start at some end t: it leaves the candidates at end
  // t + min_size, when t itself becomes an admissible start that beats it.
  size_t expires = std::numeric_limits<size_t>::max();
};

void Intersect(Region& region, double low, double high) {
  size_t kept = 0;
  for (const auto& [a, b] : region) {
    const double l = std::max(a, low);
    const double h = std::min(b, high);
    if (l <= h) region[kept++] = {l, h};
  }
  region.resize(kept);
}

// A margin above the rounding of the totals PELT compares (sums of a few prefix-sum
// differences, each rounded relative to the largest prefix sum or total): a start is only
// dropped when it is worse by more than this, so rounding never decides which start wins.
double PruningSlack(const SegmentCost& cost, double penalty, size_t min_size) {
  const double n = static_cast<double>(cost.Size());
  return 1e-11 * (std::abs(cost.PrefixSquares(cost.Size())) +
                  std::abs(penalty) * (n / static_cast<double>(min_size) + 2)) +
         std::numeric_limits<double>::min();
}

// Functional pruning for the constant-mean cost. With S1, S2 the prefix sums and F the best
// total cost up to a start s, the cost of the partitions whose last segment starts at s and
// ends at t, as a function of that segment's mean mu, is
//   q_s(mu) = F(s) + penalty + (S2(t) - S2(s)) - 2 mu (S1(t) - S1(s)) + (t - s) mu^2,
// and the value PELT compares is its minimum over mu. The terms in t are the same for every s,
// so which start is lowest at a given mu never changes as t grows: q_c - q_s (c < s) is the
// convex parabola m + (s - c)(mu - mu0)^2 with mu0 the mean of points [c, s) and
// m = F(c) + Cost(c, s) - F(s). A start is dropped once the kept starts lie below it by more
// than `slack` at every mu: then its value stays above the others' forever and it can never be
// the best start (the start that lies lowest at that segment's mean beats it). Starts PELT's own
// rule drops stay until they expire (see Pelt), so a start that covered another one is replaced
// by one lower still before it leaves, and the partition found is the optimum.
class FunctionalPruning {
 public:
  FunctionalPruning(const SegmentCost& cost, const std::vector<double>& best, double penalty,
                    size_t min_size)
      : cost_(cost), best_(best), slack_(PruningSlack(cost, penalty, min_size)) {}

  // Adds start `fresh` to `candidates` unless the kept starts (and start 0, always kept) cover
  // it everywhere; drops the kept starts that `fresh` covers everywhere.
  void Admit(std::vector<Candidate>& candidates, size_t fresh) {
    covered_.clear();
    has_merged_ = false;
    // The arithmetic first, in a loop without branches, so that its divisions overlap; then the
    // decisions, on the same figures.
    const size_t count = candidates.size();
    centres_.resize(count);
    gaps_.resize(count);
    lengths_.resize(count);
    for (size_t i = 0; i < count; ++i) {
      const auto [centre, gap] = Compare(candidates[i].start, fresh);
      centres_[i] = centre;
      gaps_[i] = gap;
      lengths_[i] = static_cast<double>(fresh - candidates[i].start);
    }
    size_t kept = 0;
    for (size_t i = 0; i < count; ++i) {
      Candidate& older = candidates[i];
      const double centre = centres_[i];
      const double gap = gaps_[i];
      const double length = lengths_[i];
      // older may still be lowest where q_older - q_fresh < slack.
      if (gap < slack_) {
        const double reach = (slack_ - gap) / length;
        const double margin = Tolerance(centre);
        // Most kept regions already lie well inside the new bounds; that is checked without
        // the square root (see LiesWithin), and the region is left as it is.
        if (!LiesWithin(older.region, centre, reach, margin)) {
          const double radius = std::sqrt(reach);
          Intersect(older.region, centre - radius - margin, centre + radius + margin);
        }
      } else {
        older.region.clear();
      }
      if (!older.region.empty()) {
        if (kept != i) std::swap(candidates[kept], older);
        ++kept;
      }
    }
    for (size_t i = kept; i < count; ++i) Recycle(std::move(candidates[i].region));
    candidates.resize(kept);
    // fresh may be lowest outside the intervals where an older start is lower by the slack.
    // Their union does not depend on the order they come in; newest first, the wide intervals
    // of the near starts come before the narrow ones of far starts, which then mostly lie inside
    // the running union and skip their square root (see Cover). Start 0 comes last.
    for (size_t i = count; i-- > 0;) Cover(centres_[i], gaps_[i], lengths_[i]);
    {
      const auto [centre, gap] = Compare(0, fresh);
      Cover(centre, gap, static_cast<double>(fresh));
    }
    if (has_merged_) covered_.push_back(merged_);
    std::sort(covered_.begin(), covered_.end());
    Region region;
    if (!spare_.empty()) {
      region = std::move(spare_.back());
      spare_.pop_back();
    }
    double from = -std::numeric_limits<double>::infinity();
    for (const auto& [low, high] : covered_) {
      if (low > from) region.emplace_back(from, low);
      from = std::max(from, high);
    }
    if (from < std::numeric_limits<double>::infinity()) {
      region.emplace_back(from, std::numeric_limits<double>::infinity());
    }
    if (!region.empty()) {
      candidates.push_back({fresh, std::move(region)});
    } else {
      Recycle(std::move(region));
    }
  }

  // Keeps the storage of a dropped start's region for a later start: a series admits a start
  // per point, and allocating each region would cost more than the pruning.
  void Recycle(Region&& region) {
    region.clear();
    spare_.push_back(std::move(region));
  }

 private:
  // mu0 and m of q_older - q_fresh (see the class comment).
  std::pair<double, double> Compare(size_t older, size_t fresh) const {
    const double length = static_cast<double>(fresh - older);
    const double centre = (cost_.PrefixSum(fresh) - cost_.PrefixSum(older)) / length;
    const double gap = best_[older] + cost_.MeanCost(older, fresh) - best_[fresh];
    return {centre, gap};
  }

  static double Tolerance(double centre) { return 1e-9 * (1.0 + std::abs(centre)); }

  // True when every mean of `region` lies within [centre - r - margin, centre + r + margin],
  // r = sqrt(reach), by a clear margin, so that intersecting with those bounds (as computed in
  // floating point) keeps the region exactly as it is. The test asks for the region's farthest
  // point w from the centre to satisfy (w + margin / 2)^2 <= reach (1 - 1e-12): then
  // r - w >= margin / 2 + 5e-13 r, far more than the few roundings of w, centre - r and
  // centre + r (each below 1e-15 (|centre| + r)), so the computed bounds still enclose the
  // region. A region reaching to infinity never passes.
  static bool LiesWithin(const Region& region, double centre, double reach, double margin) {
    if (region.empty()) return true;
    const double w = std::max(centre - region.front().first, region.back().second - centre);
    const double padded = w + 0.5 * margin;
    return padded * padded <= reach * (1.0 - 1e-12);
  }

  // Records the means where an older start (mu0 `centre`, m `gap`, `length` points before
  // `fresh`) lies below `fresh` by more than the slack.
  //
  // Overlapping intervals are merged into one running interval (merged_) as they come, and only
  // those apart from it are kept for the sort in Admit; the union, and so fresh's region, is the
  // same as from sorting them all. An interval that lies inside the running one by a clear
  // margin is skipped before its square root: with reach <= w^2 (1 - 1e-12), w the distance from
  // the centre to the nearer end of the running interval, the computed ends centre -+ (sqrt(reach)
  // - tolerance) lie inside it by nearly the tolerance, far more than their rounding.
  void Cover(double centre, double gap, double length) {
    if (!(gap < -slack_)) return;
    const double reach = (-slack_ - gap) / length;
    if (has_merged_) {
      const double w = std::min(centre - merged_.first, merged_.second - centre);
      if (w > 0 && reach <= w * w * (1.0 - 1e-12)) return;
    }
    const double radius = std::sqrt(reach) - Tolerance(centre);
    if (!(radius > 0)) return;
    const double low = centre - radius;
    const double high = centre + radius;
    if (!has_merged_) {
      merged_ = {low, high};
      has_merged_ = true;
    } else if (low <= merged_.second && high >= merged_.first) {
      merged_ = {std::min(low, merged_.first), std::max(high, merged_.second)};
    } else {
      covered_.emplace_back(low, high);
    }
  }

  const SegmentCost& cost_;
  const std::vector<double>& best_;
  double slack_ = 0;
  Region covered_;
  std::vector<double> centres_, gaps_, lengths_;
  std::pair<double, double> merged_;
  bool has_merged_ = false;
  std::vector<Region> spare_;
};

}  // namespace

std::vector<size_t> Pelt(const SegmentCost& cost, double penalty, size_t min_size,
                         PeltStats* stats) {
  const size_t n = cost.Size();
  min_size = std::max<size_t>(min_size, 1);
  if (n < 2 * min_size) return {};
  std::vector<double> best(n + 1, std::numeric_limits<double>::infinity());
  std::vector<size_t> previous(n + 1, 0);
  best[0] = -penalty;
  std::optional<FunctionalPruning> functional;
  if (cost.Model() == SegmentModel::MEAN) functional.emplace(cost, best, penalty, min_size);
  const double slack = PruningSlack(cost, penalty, min_size);
  std::vector<Candidate> candidates;
  std::vector<double> values;
  PeltStats work;
  for (size_t end = min_size; end <= n; ++end) {
    if (end < 2 * min_size) {
      best[end] = cost.Cost(0, end);
      previous[end] = 0;
      continue;
    }
    // The newest admissible start joins the candidates once it leaves room for a full segment;
    // starts PELT's rule dropped min_size ends ago leave now (in order, their regions' storage
    // kept for reuse).
    size_t kept = 0;
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (candidates[i].expires <= end) {
        if (functional) functional->Recycle(std::move(candidates[i].region));
        continue;
      }
      if (kept != i) candidates[kept] = std::move(candidates[i]);
      ++kept;
    }
    candidates.resize(kept);
    if (functional) {
      functional->Admit(candidates, end - min_size);
    } else {
      candidates.push_back({end - min_size, {}});
    }
    double best_value = cost.Cost(0, end);
    size_t best_start = 0;
    // Start 0 (no change before `end`) is always a candidate and never pruned.
    values.resize(candidates.size());
    for (size_t i = 0; i < candidates.size(); ++i) {
      const size_t start = candidates[i].start;
      const double segment = functional ? cost.MeanCost(start, end) : cost.Cost(start, end);
      values[i] = best[start] + segment + penalty;
    }
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (values[i] < best_value) {
        best_value = values[i];
        best_start = candidates[i].start;
      }
    }
    work.evaluations += candidates.size() + 1;
    work.max_candidates = std::max(work.max_candidates, candidates.size());
    best[end] = best_value;
    previous[end] = best_start;
    // PELT's rule: a start whose cost up to `end` already exceeds the best total up to `end`
    // loses, at every later end, to a change at `end`. That start only becomes admissible
    // min_size ends later, so the dropped start stays until then (dropping it at once, as
    // textbook PELT does, can miss the optimum when min_size > 1).
    for (size_t i = 0; i < candidates.size(); ++i) {
      Candidate& candidate = candidates[i];
      if (candidate.expires == std::numeric_limits<size_t>::max() &&
          values[i] - penalty > best_value + slack) {
        candidate.expires = end + min_size;
      }
    }
  }
  if (stats != nullptr) *stats = work;
  std::vector<size_t> changes;
  for (size_t end = n; previous[end] > 0; end = previous[end]) changes.push_back(previous[end]);
  std::reverse(changes.begin(), changes.end());
  return changes;
}

namespace {

void SplitRecursively(const SegmentCost& cost, double penalty, size_t min_size, size_t begin,
                      size_t end, std::vector<size_t>& changes) {
  if (end - begin < 2 * min_size) return;
  const double whole = cost.Cost(begin, end);
  double best_gain = 0;
  size_t best_split = 0;
  for (size_t split = begin + min_size; split + min_size <= end; ++split) {
    const double gain = whole - cost.Cost(begin, split) - cost.Cost(split, end);
    if (gain > best_gain) {
      best_gain = gain;
      best_split = split;
    }
  }
  if (best_split == 0 || best_gain <= penalty) return;
  changes.push_back(best_split);
  SplitRecursively(cost, penalty, min_size, begin, best_split, changes);
  SplitRecursively(cost, penalty, min_size, best_split, end, changes);
}

}  // namespace

std::vector<size_t> BinarySegmentation(const SegmentCost& cost, double penalty, size_t min_size) {
  std::vector<size_t> changes;
  SplitRecursively(cost, penalty, std::max<size_t>(min_size, 1), 0, cost.Size(), changes);
  std::sort(changes.begin(), changes.end());
  return changes;
}

}  // namespace cxagent::detect
