#include "detect/segmentation.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

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

std::vector<size_t> Pelt(const SegmentCost& cost, double penalty, size_t min_size) {
  const size_t n = cost.Size();
  min_size = std::max<size_t>(min_size, 1);
  if (n < 2 * min_size) return {};
  std::vector<double> best(n + 1, std::numeric_limits<double>::infinity());
  std::vector<size_t> previous(n + 1, 0);
  best[0] = -penalty;
  std::vector<size_t> candidates;
  std::vector<size_t> kept;
  for (size_t end = min_size; end <= n; ++end) {
    // The newest admissible start joins the candidates once it leaves room for a full segment.
    if (end >= 2 * min_size) candidates.push_back(end - min_size);
    if (end < 2 * min_size) {
      best[end] = cost.Cost(0, end);
      previous[end] = 0;
      continue;
    }
    double best_value = cost.Cost(0, end);
    size_t best_start = 0;
    // Start 0 (no change before `end`) is always a candidate and never pruned.
    kept.clear();
    std::vector<double> values;
    values.reserve(candidates.size());
    for (size_t start : candidates) {
      const double value = best[start] + cost.Cost(start, end) + penalty;
      values.push_back(value);
      if (value < best_value) {
        best_value = value;
        best_start = start;
      }
    }
    best[end] = best_value;
    previous[end] = best_start;
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (values[i] - penalty <= best_value) kept.push_back(candidates[i]);
    }
    candidates.swap(kept);
  }
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
