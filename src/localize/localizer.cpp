#include "localize/localizer.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <map>
#include <unordered_map>

#include "common/error.hpp"

namespace cxagent::localize {

namespace {

// Median of a chi-square variable with one degree of freedom: turns the median of squared
// standardized deviations into a variance estimate that a few anomalous leaves cannot inflate.
constexpr double CHI2_1_MEDIAN = 0.454936;
constexpr int BITS_PER_DIMENSION = 16;
constexpr size_t MAX_DIMENSION_VALUES = (size_t{1} << BITS_PER_DIMENSION) - 1;

// A candidate slice in coded form: (dimension index, value code) pairs, ascending by dimension.
using CodedSlice = std::vector<std::pair<int, uint32_t>>;

// Without close_slices, the most pairs shared by all of a slice's leaves (that it does not name)
// whose combinations are listed as its aliases.
constexpr size_t MAX_IMPLIED_ALIAS_PAIRS = 4;

struct Aggregate {
  double deviation = 0.0;
  double size = 0.0;
};

// The leaves with their dimension values replaced by codes, and the per-leaf additive deviation
// (its impact on the total's change) and size (to which its noise variance is proportional).
struct Encoded {
  size_t dimension_count = 0;
  std::vector<uint32_t> codes;  // leaf-major: codes[leaf * dimension_count + dimension]
  std::vector<std::vector<std::string>> dictionaries;
  std::vector<double> deviation;
  std::vector<double> size;
};

Encoded Encode(const LeafTable& table) {
  Encoded encoded;
  encoded.dimension_count = table.dimensions.size();
  encoded.dictionaries.resize(encoded.dimension_count);
  std::vector<std::unordered_map<std::string, uint32_t>> lookup(encoded.dimension_count);
  encoded.codes.reserve(table.leaves.size() * encoded.dimension_count);
  for (const Leaf& leaf : table.leaves) {
    if (leaf.values.size() != encoded.dimension_count) {
      throw InvalidInput("a leaf has {} dimension values but the table has {} dimensions",
                         leaf.values.size(), encoded.dimension_count);
    }
    for (size_t d = 0; d < encoded.dimension_count; ++d) {
      auto [it, inserted] = lookup[d].try_emplace(
          leaf.values[d], static_cast<uint32_t>(encoded.dictionaries[d].size()));
      if (inserted) {
        if (encoded.dictionaries[d].size() >= MAX_DIMENSION_VALUES) {
          throw InvalidInput("dimension '{}' has more than {} distinct values", table.dimensions[d],
                             MAX_DIMENSION_VALUES);
        }
        encoded.dictionaries[d].push_back(leaf.values[d]);
      }
      encoded.codes.push_back(it->second);
    }
  }
  return encoded;
}

// Totals of a ratio metric over a set of leaves.
struct RatioTotals {
  double real_num = 0.0, real_den = 0.0, predict_num = 0.0, predict_den = 0.0;
  void Add(const Leaf& leaf) {
    real_num += leaf.real_num;
    real_den += leaf.real_den;
    predict_num += leaf.predict_num;
    predict_den += leaf.predict_den;
  }
};

double SafeRatio(double num, double den) {
  return den != 0.0 ? num / den : 0.0;
}

// Per leaf, the additive impact on the total's change and the size measure of its noise.
// Ratio metric: with R the expected total rate, D and D' the expected and observed total
// denominators, a leaf moves the total rate by (num' − R·den')/D' − (num − R·den)/D; summed over a
// slice this is exactly the slice's rate effect plus its mix effect, so the ratio problem becomes
// an additive one without losing the share shifts.
void ComputeDeviations(const LeafTable& table, Encoded& encoded) {
  const size_t n = table.leaves.size();
  encoded.deviation.assign(n, 0.0);
  encoded.size.assign(n, 0.0);
  if (table.kind == MetricKind::ADDITIVE) {
    for (size_t i = 0; i < n; ++i) {
      const Leaf& leaf = table.leaves[i];
      encoded.deviation[i] = leaf.real - leaf.predict;
      encoded.size[i] = 0.5 * (std::abs(leaf.real) + std::abs(leaf.predict));
    }
    return;
  }
  RatioTotals totals;
  for (const Leaf& leaf : table.leaves) totals.Add(leaf);
  if (totals.real_den <= 0.0 || totals.predict_den <= 0.0) return;
  const double rate = totals.predict_num / totals.predict_den;
  for (size_t i = 0; i < n; ++i) {
    const Leaf& leaf = table.leaves[i];
    encoded.deviation[i] = (leaf.real_num - rate * leaf.real_den) / totals.real_den -
                           (leaf.predict_num - rate * leaf.predict_den) / totals.predict_den;
    encoded.size[i] = leaf.real_den / totals.real_den + leaf.predict_den / totals.predict_den;
  }
}

// Robust noise scale: squared deviation per unit of size, from the median leaf, so that the
// anomalous leaves (a minority, by assumption) do not inflate it.
double NoiseScale(const Encoded& encoded) {
  std::vector<double> ratios;
  double total_sq = 0.0, total_size = 0.0;
  for (size_t i = 0; i < encoded.size.size(); ++i) {
    if (encoded.size[i] <= 0.0) continue;
    ratios.push_back(encoded.deviation[i] * encoded.deviation[i] / encoded.size[i]);
    total_sq += encoded.deviation[i] * encoded.deviation[i];
    total_size += encoded.size[i];
  }
  if (ratios.empty()) return 0.0;
  auto middle = ratios.begin() + static_cast<std::ptrdiff_t>(ratios.size() / 2);
  std::nth_element(ratios.begin(), middle, ratios.end());
  double scale = *middle / CHI2_1_MEDIAN;
  // Exact forecasts (constructed data) would give zero noise; a floor keeps gains finite and
  // still ranks slices by how much of the deviation they hold.
  double floor = 1e-6 * total_sq / std::max(total_size, std::numeric_limits<double>::min());
  return std::max({scale, floor, std::numeric_limits<double>::min()});
}

// Every combination of up to `max_depth` dimensions, shallow first; the empty one is `all`.
std::vector<std::vector<int>> DimensionCombinations(int dimension_count, int max_depth) {
  std::vector<std::vector<int>> result{{}};
  for (size_t start = 0; start < result.size(); ++start) {
    const std::vector<int> base = result[start];
    if (static_cast<int>(base.size()) >= max_depth) continue;
    for (int d = base.empty() ? 0 : base.back() + 1; d < dimension_count; ++d) {
      std::vector<int> next = base;
      next.push_back(d);
      result.push_back(std::move(next));
    }
  }
  return result;
}

uint64_t PackKey(const Encoded& encoded, size_t leaf, const std::vector<int>& combination) {
  uint64_t key = 0;
  for (int d : combination) {
    key = (key << BITS_PER_DIMENSION) | encoded.codes[leaf * encoded.dimension_count + d];
  }
  return key;
}

CodedSlice UnpackKey(uint64_t key, const std::vector<int>& combination) {
  CodedSlice slice(combination.size());
  for (size_t j = combination.size(); j-- > 0;) {
    slice[j] = {combination[j], static_cast<uint32_t>(key & MAX_DIMENSION_VALUES)};
    key >>= BITS_PER_DIMENSION;
  }
  return slice;
}

bool Contains(const Encoded& encoded, size_t leaf, const CodedSlice& slice) {
  for (auto [d, code] : slice) {
    if (encoded.codes[leaf * encoded.dimension_count + d] != code) return false;
  }
  return true;
}

// True when every pair of `inner` is in `outer` (inner is an ancestor of, or equal to, outer).
bool IsSubset(const CodedSlice& inner, const CodedSlice& outer) {
  return std::includes(outer.begin(), outer.end(), inner.begin(), inner.end());
}

// One explanation: a single slice, or several sibling slices (values of one dimension under a
// common parent) sharing one fitted effect.
struct Candidate {
  std::vector<CodedSlice> slices;
  double deviation = 0.0;
  double size = 0.0;
  double gain = 0.0;
  double adjusted = -std::numeric_limits<double>::infinity();
};

bool ContainsAny(const Encoded& encoded, size_t leaf, const std::vector<CodedSlice>& slices) {
  for (const CodedSlice& slice : slices) {
    if (Contains(encoded, leaf, slice)) return true;
  }
  return false;
}

bool OverlapsAny(const CodedSlice& slice, const std::vector<CodedSlice>& others) {
  for (const CodedSlice& other : others) {
    if (IsSubset(other, slice) || IsSubset(slice, other)) return true;
  }
  return false;
}

Aggregate Sum(const Encoded& encoded, const std::vector<double>& residual,
              const CodedSlice& slice) {
  Aggregate total;
  for (size_t i = 0; i < residual.size(); ++i) {
    if (!Contains(encoded, i, slice)) continue;
    total.deviation += residual[i];
    total.size += encoded.size[i];
  }
  return total;
}

// True when `rest` moved, per unit of size, by at most `ratio` times what `hit` moved in the
// direction being explained: the siblings left out of an explanation are not part of it.
bool IsHealthy(const Aggregate& rest, const Aggregate& hit, double sign, double ratio) {
  if (rest.size <= 0.0 || hit.size <= 0.0) return true;
  return sign * rest.deviation / rest.size <= ratio * sign * hit.deviation / hit.size;
}

// A parent whose change comes from only some of its children along one dimension (two bitrates
// out of five, say) is better explained by those children: the parent's single effect would
// wrongly claim the healthy siblings too. Along every dimension not in the parent, grow the set
// of children from the most deviating one down and keep the set, of two or more, whose shared
// effect earns the most evidence after the penalty of one more level per child; it replaces the
// parent when it beats the parent's own adjusted evidence.
void SplitIntoSiblings(const Encoded& encoded, const std::vector<double>& residual, double noise,
                       double sign, const LocalizeConfig& config,
                       const std::vector<double>& penalty, int room, double total_deviation,
                       const std::vector<CodedSlice>& chosen, Candidate& best) {
  const double parsimony = config.parsimony;
  const CodedSlice parent = best.slices.front();
  const size_t level = parent.size() + 1;
  const double shrink = std::pow(1.0 - parsimony, static_cast<double>(level));
  Candidate split;
  for (size_t d = 0; d < encoded.dimension_count; ++d) {
    bool used = false;
    for (auto [dimension, code] : parent) used = used || dimension == static_cast<int>(d);
    if (used) continue;
    std::unordered_map<uint32_t, Aggregate> children;
    for (size_t i = 0; i < residual.size(); ++i) {
      if (!Contains(encoded, i, parent)) continue;
      Aggregate& child = children[encoded.codes[i * encoded.dimension_count + d]];
      child.deviation += residual[i];
      child.size += encoded.size[i];
    }
    if (children.size() < 3) continue;
    std::vector<std::pair<uint32_t, Aggregate>> order(children.begin(), children.end());
    auto strength = [&](const Aggregate& a) {
      return a.size > 0.0 ? sign * a.deviation * std::abs(a.deviation) / a.size : 0.0;
    };
    std::sort(order.begin(), order.end(), [&](const auto& x, const auto& y) {
      return strength(x.second) != strength(y.second) ? strength(x.second) > strength(y.second)
                                                      : x.first < y.first;
    });
    Aggregate all_children;
    for (const auto& [code, child] : order) {
      all_children.deviation += child.deviation;
      all_children.size += child.size;
    }
    Aggregate set;
    for (size_t j = 0; j + 1 < order.size() && static_cast<int>(j) < room; ++j) {
      // Every child named must carry a material share of the change, as any root must.
      if (order[j].second.deviation * sign < config.min_sibling_share * std::abs(total_deviation)) {
        break;
      }
      set.deviation += order[j].second.deviation;
      set.size += order[j].second.size;
      if (j == 0 || set.size <= 0.0) continue;
      const Aggregate rest{all_children.deviation - set.deviation, all_children.size - set.size};
      if (!IsHealthy(rest, set, sign, config.healthy_ratio)) continue;
      const double gain = set.deviation * set.deviation / (noise * set.size);
      const double adjusted = gain * shrink - static_cast<double>(j + 1) * penalty[level];
      if (adjusted <= split.adjusted) continue;
      std::vector<CodedSlice> slices;
      bool overlaps = false;
      for (size_t k = 0; k <= j; ++k) {
        CodedSlice child = parent;
        child.emplace_back(static_cast<int>(d), order[k].first);
        std::sort(child.begin(), child.end());
        overlaps = overlaps || OverlapsAny(child, chosen);
        slices.push_back(std::move(child));
      }
      if (overlaps) continue;
      split = {std::move(slices), set.deviation, set.size, gain, adjusted};
    }
  }
  if (!(split.adjusted > best.adjusted)) return;
  if (config.split_stopping && split.slices.size() >= 2) {
    // The split beat the parent's single effect; how many siblings it names is decided as for
    // further roots: fitted one after another (strongest first, each with its own effect), a
    // sibling beyond the first must hold at least `min_explained` of the standardized squared
    // deviation still left in the leaves beyond their noise, or it and the weaker ones are
    // dropped (an operator names the one hit child, not it and a partly hit neighbour).
    std::vector<double> left = residual;
    size_t kept = 0;
    Aggregate kept_total;
    for (; kept < split.slices.size(); ++kept) {
      const Aggregate own = Sum(encoded, left, split.slices[kept]);
      if (own.size <= 0.0) break;
      if (kept > 0) {
        double remaining = 0.0;
        for (size_t i = 0; i < left.size(); ++i) {
          if (encoded.size[i] > 0.0) {
            remaining += left[i] * left[i] / (noise * encoded.size[i]) - 1.0;
          }
        }
        const double gain = own.deviation * own.deviation / (noise * own.size);
        if (gain < config.min_explained * remaining) break;
      }
      for (size_t i = 0; i < left.size(); ++i) {
        if (Contains(encoded, i, split.slices[kept])) {
          left[i] -= own.deviation * encoded.size[i] / own.size;
        }
      }
      kept_total.deviation += own.deviation;
      kept_total.size += own.size;
    }
    if (kept > 0 && kept < split.slices.size()) {
      split.slices.resize(kept);
      split.deviation = kept_total.deviation;
      split.size = kept_total.size;
      split.gain = kept_total.deviation * kept_total.deviation / (noise * kept_total.size);
    }
  }
  best = std::move(split);
}

// The most specific slice selecting the same leaves as `slice`: every dimension=value shared by
// all of its leaves that carry data (size > 0) is added. Leaves without data in either window
// select nothing and are left out, so a stray empty row cannot keep a slice open.
CodedSlice Close(const Encoded& encoded, const CodedSlice& slice) {
  const size_t dimensions = encoded.dimension_count;
  std::vector<int64_t> shared(dimensions, -1);  // -1: no leaf yet, -2: several values
  for (size_t i = 0; i < encoded.size.size(); ++i) {
    if (encoded.size[i] <= 0.0 || !Contains(encoded, i, slice)) continue;
    for (size_t d = 0; d < dimensions; ++d) {
      const int64_t code = encoded.codes[i * dimensions + d];
      if (shared[d] == -1) {
        shared[d] = code;
      } else if (shared[d] != code) {
        shared[d] = -2;
      }
    }
  }
  CodedSlice closed = slice;
  for (size_t d = 0; d < dimensions; ++d) {
    bool used = false;
    for (auto [dimension, code] : slice) used = used || dimension == static_cast<int>(d);
    if (!used && shared[d] >= 0) {
      closed.emplace_back(static_cast<int>(d), static_cast<uint32_t>(shared[d]));
    }
  }
  std::sort(closed.begin(), closed.end());
  return closed;
}

// A slice whose siblings under one of its parents moved too (by more than the healthy ratio) is
// the visible part of a wider root: climb to the strongest such parent (whatever the column
// order), and repeat while it holds. Operators
// name the wider slice (`bitrate=500`), not its most affected child, when the change spills over.
// When the siblings' move is itself concentrated in a few of them, the parent is split into
// those instead (two regions of one segment, not the whole segment).
void Generalize(const Encoded& encoded, const std::vector<double>& residual, double noise,
                double sign, const LocalizeConfig& config, const std::vector<double>& penalty,
                int room, double total_deviation, const std::vector<CodedSlice>& chosen,
                Candidate& best) {
  while (best.slices.size() == 1 && !best.slices.front().empty()) {
    const CodedSlice slice = best.slices.front();
    const Aggregate hit{best.deviation, best.size};
    Candidate wider;
    // The parents (one pair dropped), or with widen_ancestors every enclosing slice short of
    // `all` (any non-empty proper subset of the pairs): a change that spilled over a whole
    // segment two levels up leaves each single parent's other children nearly healthy.
    std::vector<CodedSlice> enclosing;
    const size_t subsets = size_t{1} << slice.size();
    // Descending masks: the parents come in the order of the pair dropped (the first pair
    // first), as before widen_ancestors, so exact ties still go the same way.
    for (size_t mask = subsets - 2; mask >= 1; --mask) {
      if (!config.widen_ancestors && std::popcount(mask) + 1 != static_cast<int>(slice.size())) {
        continue;
      }
      CodedSlice ancestor;
      for (size_t j = 0; j < slice.size(); ++j) {
        if (mask & (size_t{1} << j)) ancestor.push_back(slice[j]);
      }
      enclosing.push_back(std::move(ancestor));
    }
    for (CodedSlice& parent : enclosing) {
      // climbing to `all` is left to the ranking itself
      if (OverlapsAny(parent, chosen)) continue;
      Aggregate whole = Sum(encoded, residual, parent);
      const Aggregate rest{whole.deviation - hit.deviation, whole.size - hit.size};
      if (IsHealthy(rest, hit, sign, config.healthy_ratio)) continue;
      // ... and the siblings' move must itself stand out of the noise.
      if (rest.deviation * rest.deviation / (noise * rest.size) < config.min_gain) continue;
      const double gain = whole.deviation * whole.deviation / (noise * whole.size);
      const double level = static_cast<double>(parent.size());
      const double adjusted =
          gain * std::pow(1.0 - config.parsimony, level) - penalty[parent.size()];
      if (adjusted <= wider.adjusted) continue;
      wider = {{std::move(parent)}, whole.deviation, whole.size, gain, adjusted};
    }
    if (wider.slices.empty()) break;
    best = std::move(wider);
    if (room >= 2) {
      const CodedSlice widened = best.slices.front();
      SplitIntoSiblings(encoded, residual, noise, sign, config, penalty, room, total_deviation,
                        chosen, best);
      // A split cut back to one child by split_stopping is final: widening it again would
      // undo the split and loop.
      if (best.slices.size() == 1 && best.slices.front() != widened) break;
    }
  }
}

// Each dimension's NamingKey in `order`; empty when `order` is (no preference: the first slice
// found of equals stays).
std::vector<NamingKey> NamingKeys(const std::vector<std::string>& dimensions,
                                  const std::vector<std::string>& order) {
  if (order.empty()) return {};
  std::vector<NamingKey> keys;
  for (const auto& dimension : dimensions) keys.push_back(NamingKeyOf(dimension, order));
  return keys;
}

// Whether a slice over `dimensions` (indices) is named before `other` (one of the same depth):
// their dimensions' keys, each list sorted, compared in order (cxagent::NamedBefore).
bool NamedBefore(const std::vector<int>& dimensions, const CodedSlice& other,
                 const std::vector<NamingKey>& keys) {
  std::vector<NamingKey> mine;
  std::vector<NamingKey> theirs;
  for (int d : dimensions) mine.push_back(keys[static_cast<size_t>(d)]);
  for (const auto& [d, code] : other) theirs.push_back(keys[static_cast<size_t>(d)]);
  std::sort(mine.begin(), mine.end());
  std::sort(theirs.begin(), theirs.end());
  return mine < theirs;
}

cxagent::Slice Decode(const LeafTable& table, const Encoded& encoded, const CodedSlice& coded) {
  std::map<std::string, std::string> pairs;
  for (auto [d, code] : coded) pairs.emplace(table.dimensions[d], encoded.dictionaries[d][code]);
  return cxagent::Slice(std::move(pairs));
}

// Baseline, current, delta and the rate/mix decomposition of one slice, from the raw leaves.
void Describe(const LeafTable& table, const Encoded& encoded, const CodedSlice& coded,
              double total_change, RootCause& cause) {
  if (table.kind == MetricKind::ADDITIVE) {
    double real = 0.0, predict = 0.0;
    for (size_t i = 0; i < table.leaves.size(); ++i) {
      if (!Contains(encoded, i, coded)) continue;
      real += table.leaves[i].real;
      predict += table.leaves[i].predict;
    }
    cause.baseline = predict;
    cause.current = real;
    cause.delta = real - predict;
    cause.rate_effect = cause.delta;
    cause.mix_effect = 0.0;
  } else {
    RatioTotals all, in;
    for (size_t i = 0; i < table.leaves.size(); ++i) {
      all.Add(table.leaves[i]);
      if (Contains(encoded, i, coded)) in.Add(table.leaves[i]);
    }
    const double total_rate = SafeRatio(all.predict_num, all.predict_den);
    cause.baseline = SafeRatio(in.predict_num, in.predict_den);
    cause.current = SafeRatio(in.real_num, in.real_den);
    cause.delta = cause.current - cause.baseline;
    const double share_before = SafeRatio(in.predict_den, all.predict_den);
    const double share_after = SafeRatio(in.real_den, all.real_den);
    // A slice that has no expected denominator has no expected rate; its whole impact is mix.
    cause.rate_effect = in.predict_den > 0.0 ? share_after * cause.delta : 0.0;
    cause.mix_effect = in.predict_den > 0.0
                           ? (share_after - share_before) * (cause.baseline - total_rate)
                           : share_after * (cause.current - total_rate);
  }
  const double impact = cause.rate_effect + cause.mix_effect;
  cause.contribution = SafeRatio(impact, total_change);
}

}  // namespace

void LocalizeConfig::Validate() const {
  if (max_depth < 0 || max_depth > 4) {
    throw InvalidInput("localize.max_depth must be between 0 and 4, got {}", max_depth);
  }
  if (max_roots < 1 || max_roots > 20) {
    throw InvalidInput("localize.max_roots must be between 1 and 20, got {}", max_roots);
  }
  if (!(min_gain >= 0.0)) throw InvalidInput("localize.min_gain must be >= 0, got {}", min_gain);
  if (!(depth_penalty >= 0.0)) {
    throw InvalidInput("localize.depth_penalty must be >= 0, got {}", depth_penalty);
  }
  if (!(parsimony >= 0.0 && parsimony < 1.0)) {
    throw InvalidInput("localize.parsimony must be in [0, 1), got {}", parsimony);
  }
  if (!(min_share >= 0.0 && min_share <= 1.0)) {
    throw InvalidInput("localize.min_share must be in [0, 1], got {}", min_share);
  }
  if (!(healthy_ratio >= 0.0 && healthy_ratio <= 1.0)) {
    throw InvalidInput("localize.healthy_ratio must be in [0, 1], got {}", healthy_ratio);
  }
  if (!(min_relative_gain >= 0.0 && min_relative_gain <= 1.0)) {
    throw InvalidInput("localize.min_relative_gain must be in [0, 1], got {}", min_relative_gain);
  }
  if (!(min_sibling_share >= 0.0 && min_sibling_share <= 1.0)) {
    throw InvalidInput("localize.min_sibling_share must be in [0, 1], got {}", min_sibling_share);
  }
  if (!(min_explained >= 0.0 && min_explained <= 1.0)) {
    throw InvalidInput("localize.min_explained must be in [0, 1], got {}", min_explained);
  }
}

LocalizeResult Localize(const LeafTable& table, const LocalizeConfig& config) {
  config.Validate();
  LocalizeResult result;
  Encoded encoded = Encode(table);
  ComputeDeviations(table, encoded);

  RootCause total;
  Describe(table, encoded, {}, 0.0, total);
  result.baseline = total.baseline;
  result.current = total.current;
  result.delta = total.delta;
  const double total_change = total.rate_effect + total.mix_effect;

  double total_deviation = 0.0;
  for (double v : encoded.deviation) total_deviation += v;
  double sign = 0.0;
  switch (config.direction) {
    case Direction::AUTO:
      sign = total_deviation > 0.0 ? 1.0 : (total_deviation < 0.0 ? -1.0 : 0.0);
      break;
    case Direction::DOWN:
      sign = -1.0;
      break;
    case Direction::UP:
      sign = 1.0;
      break;
  }
  if (sign == 0.0 || table.leaves.empty()) return result;

  const double noise = NoiseScale(encoded);
  const std::vector<NamingKey> naming = NamingKeys(table.dimensions, config.naming_order);
  const int depth = std::min<int>(config.max_depth, static_cast<int>(encoded.dimension_count));
  const auto combinations = DimensionCombinations(static_cast<int>(encoded.dimension_count), depth);
  std::vector<double> residual = encoded.deviation;
  std::vector<CodedSlice> chosen;
  std::vector<double> penalty;
  double first_gain = 0.0;
  std::vector<std::unordered_map<uint64_t, Aggregate>> groups(combinations.size());

  for (int round = 0; round < config.max_roots; ++round) {
    for (size_t c = 0; c < combinations.size(); ++c) {
      groups[c].clear();
      for (size_t i = 0; i < residual.size(); ++i) {
        Aggregate& aggregate = groups[c][PackKey(encoded, i, combinations[c])];
        aggregate.deviation += residual[i];
        aggregate.size += encoded.size[i];
      }
    }
    if (penalty.empty()) {
      // Multiple-testing penalty per depth: the largest of N null chi-square(1) statistics grows
      // like 2 ln N, so deeper levels, with many more slices, must clear a higher bar.
      std::vector<double> counts(static_cast<size_t>(depth) + 1, 0.0);
      for (size_t c = 0; c < combinations.size(); ++c) {
        counts[combinations[c].size()] += static_cast<double>(groups[c].size());
      }
      for (double count : counts) {
        penalty.push_back(config.depth_penalty * std::log(std::max(count, 1.0)));
      }
    }
    Candidate best;
    // Slices of best's depth with exactly its evidence: slices selecting the same leaves sum
    // them in the same order, so they tie to the last bit.
    std::vector<CodedSlice> equals;
    for (size_t c = 0; c < combinations.size(); ++c) {
      const size_t level = combinations[c].size();
      const double shrink = std::pow(1.0 - config.parsimony, static_cast<double>(level));
      for (const auto& [key, aggregate] : groups[c]) {
        if (aggregate.size <= 0.0 || aggregate.deviation * sign <= 0.0) continue;
        const double gain = aggregate.deviation * aggregate.deviation / (noise * aggregate.size);
        const double adjusted = gain * shrink - penalty[level];
        if (adjusted < best.adjusted) continue;
        const bool tie = adjusted == best.adjusted && !best.slices.empty() &&
                         best.slices.front().size() == level;
        if (adjusted == best.adjusted && !tie) continue;
        CodedSlice slice = UnpackKey(key, combinations[c]);
        // Chosen roots are closed, so with close_slices the candidate's closure nests in (or
        // under) one exactly when its leaves do, whatever dimensions name them.
        if (OverlapsAny(slice, chosen)) continue;
        if (config.close_slices && !chosen.empty() && OverlapsAny(Close(encoded, slice), chosen)) {
          continue;
        }
        if (tie) {
          if (naming.empty() || !NamedBefore(combinations[c], best.slices.front(), naming)) {
            equals.push_back(std::move(slice));
            continue;
          }
          equals.push_back(std::move(best.slices.front()));
        } else {
          equals.clear();
        }
        best = {{std::move(slice)}, aggregate.deviation, aggregate.size, gain, adjusted};
      }
    }
    if (best.adjusted < config.min_gain) break;
    if (!chosen.empty()) {
      if (best.gain < config.min_relative_gain * first_gain) break;
      // A further root must explain a material part of what is still unexplained: of the
      // standardized squared deviation left in the leaves beyond what their noise alone gives
      // (one per leaf), it must hold at least `min_explained`.
      double remaining = 0.0;
      for (size_t i = 0; i < residual.size(); ++i) {
        if (encoded.size[i] > 0.0) {
          remaining += residual[i] * residual[i] / (noise * encoded.size[i]) - 1.0;
        }
      }
      if (best.gain < config.min_explained * remaining) break;
      if (std::abs(best.deviation) < config.min_share * std::abs(total_deviation)) break;
    } else {
      first_gain = best.gain;
    }
    // The equals that select exactly best's leaves name the same orders (its aliases).
    const CodedSlice named = best.slices.front();
    std::vector<CodedSlice> aliases;
    for (CodedSlice& other : equals) {
      bool same = true;
      for (size_t i = 0; same && i < encoded.size.size(); ++i) {
        same = Contains(encoded, i, other) == Contains(encoded, i, named);
      }
      if (same) aliases.push_back(std::move(other));
    }
    // The closure selects the same leaves; it is not taken when it would nest in (or under) a
    // root already chosen, which the searched slice did not.
    CodedSlice closed_named = named;
    if (!config.close_slices) {
      // Not named by its closure, the slice is still named as well by itself with any of the
      // pairs all its leaves share: those longer names are aliases (at most 2^4 - 1 of them).
      const CodedSlice closed = Close(encoded, named);
      CodedSlice sorted = named;
      std::sort(sorted.begin(), sorted.end());
      CodedSlice shared;
      std::set_difference(closed.begin(), closed.end(), sorted.begin(), sorted.end(),
                          std::back_inserter(shared));
      if (shared.size() > MAX_IMPLIED_ALIAS_PAIRS) shared.resize(MAX_IMPLIED_ALIAS_PAIRS);
      for (size_t mask = 1; mask < (size_t{1} << shared.size()); ++mask) {
        CodedSlice longer = named;
        for (size_t bit = 0; bit < shared.size(); ++bit) {
          if ((mask & (size_t{1} << bit)) != 0) longer.push_back(shared[bit]);
        }
        std::sort(longer.begin(), longer.end());
        aliases.push_back(std::move(longer));
      }
    } else {
      CodedSlice closed = Close(encoded, named);
      if (closed != named && !OverlapsAny(closed, chosen)) {
        closed_named = closed;
        aliases.insert(aliases.begin(), named);
        best.slices.front() = std::move(closed);
      }
    }
    const int room = config.max_roots - static_cast<int>(result.root_causes.size());
    if (static_cast<int>(best.slices.front().size()) < depth && room >= 2) {
      SplitIntoSiblings(encoded, residual, noise, sign, config, penalty, room, total_deviation,
                        chosen, best);
    }
    if (config.generalize) {
      Generalize(encoded, residual, noise, sign, config, penalty, room, total_deviation, chosen,
                 best);
    }
    if (config.close_slices) {
      // Widened to a parent or split into children, the named slices are other slices: each is
      // closed in turn (same leaves, so the fitted effect below is unchanged).
      for (CodedSlice& slice : best.slices) {
        CodedSlice closed = Close(encoded, slice);
        if (closed != slice && !OverlapsAny(closed, chosen)) slice = std::move(closed);
      }
    }
    // Fit the candidate's effect (deviation proportional to size, the least-squares fit under
    // the noise model) and remove it, so that later rounds see only what is still unexplained.
    std::vector<double> before = residual;
    for (size_t i = 0; i < residual.size(); ++i) {
      if (ContainsAny(encoded, i, best.slices)) {
        residual[i] -= best.deviation * encoded.size[i] / best.size;
      }
    }
    for (CodedSlice& slice : best.slices) {
      Aggregate own = Sum(encoded, before, slice);
      RootCause cause;
      cause.slice = Decode(table, encoded, slice);
      cause.gain = own.size > 0.0 ? own.deviation * own.deviation / (noise * own.size) : 0.0;
      Describe(table, encoded, slice, total_change, cause);
      cause.score = std::clamp(std::abs(own.deviation) / std::abs(total_deviation), 0.0, 1.0);
      // Widened or split, the named slice is another one: its aliases were not searched.
      if (slice == named || slice == closed_named) {
        for (const CodedSlice& alias : aliases) {
          cause.aliases.push_back(Decode(table, encoded, alias));
        }
        std::sort(cause.aliases.begin(), cause.aliases.end(),
                  [](const Slice& a, const Slice& b) { return a.ToText() < b.ToText(); });
      }
      result.root_causes.push_back(std::move(cause));
      chosen.push_back(std::move(slice));
    }
  }
  // Bounded inputs keep every figure finite unless values of very different magnitudes cancel
  // (a total change of 1e-300 beside slices moving by 1e100); refuse those rather than answer
  // with figures that are not numbers.
  const auto require_finite = [](double value, std::string_view figure, const Slice& slice) {
    if (!std::isfinite(value)) {
      throw InvalidInput(
          "localize: the {} of slice {} is not finite in double precision; the input's values "
          "are too far apart in magnitude",
          figure, slice.ToText());
    }
  };
  require_finite(result.baseline, "baseline", Slice{});
  require_finite(result.current, "current value", Slice{});
  require_finite(result.delta, "delta", Slice{});
  for (const RootCause& cause : result.root_causes) {
    require_finite(cause.score, "score", cause.slice);
    require_finite(cause.baseline, "baseline", cause.slice);
    require_finite(cause.current, "current value", cause.slice);
    require_finite(cause.delta, "delta", cause.slice);
    require_finite(cause.contribution, "contribution", cause.slice);
    require_finite(cause.rate_effect, "rate effect", cause.slice);
    require_finite(cause.mix_effect, "mix effect", cause.slice);
  }
  return result;
}

}  // namespace cxagent::localize
