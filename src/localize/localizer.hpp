#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "common/slice.hpp"

namespace cxagent::localize {

//! How a metric aggregates over leaves: a plain sum, or a ratio of two sums (a rate, an average).
enum class MetricKind { ADDITIVE, RATIO };

//! One leaf of the cube: its value for every dimension, and the observed and expected values.
struct Leaf {
  //! One value per dimension of the LeafTable, in the same order.
  std::vector<std::string> values;
  //! Additive metric: observed and expected (forecast or baseline) value.
  double real = 0.0;
  double predict = 0.0;
  //! Ratio metric: observed and expected numerator and denominator (metric = num / den).
  double real_num = 0.0;
  double real_den = 0.0;
  double predict_num = 0.0;
  double predict_den = 0.0;
};

//! The input of the localizer: dimension names and the finest-grain leaves.
struct LeafTable {
  MetricKind kind = MetricKind::ADDITIVE;
  std::vector<std::string> dimensions;
  std::vector<Leaf> leaves;
};

//! One localized root cause with the figures that say how much of the change it explains.
struct RootCause {
  cxagent::Slice slice;
  //! Share of the total change this slice explains, clipped to [0, 1]; the output's `score`.
  double score = 0.0;
  //! Evidence strength: the reduction in standardized squared error when this slice's effect is
  //! fitted (a chi-square-like statistic); used for ranking.
  double gain = 0.0;
  //! Expected and observed metric inside the slice (sum for additive, num/den for ratio).
  double baseline = 0.0;
  double current = 0.0;
  double delta = 0.0;
  //! Part of the total's change due to this slice (rate effect + mix effect for a ratio metric)
  //! divided by the total's change.
  double contribution = 0.0;
  //! Ratio metric: change of the total due to the slice's own rate moving (current share × rate
  //! change), and due to its share of the denominator moving (share change × (slice rate − total
  //! rate)). rate_effect + mix_effect is the slice's absolute impact on the total. Additive: the
  //! slice's delta and zero.
  double rate_effect = 0.0;
  double mix_effect = 0.0;
  //! Other slices that select exactly the same leaves (the data cannot tell them apart): those of
  //! the same depth, among which LocalizeConfig::naming_order chose, and with close_slices the
  //! shorter name the search found before `slice` was closed, without it `slice` with any of the
  //! pairs all its leaves share (up to four of them: Seattle's dasher-shopped orders, all
  //! grocery, are Seattle's dasher-shopped grocery); sorted by text.
  std::vector<cxagent::Slice> aliases;
};

//! Which direction of change the localizer explains.
enum class Direction {
  AUTO,  //!< the direction of the total's change (a regression if the total fell)
  DOWN,  //!< only slices that pulled the total down
  UP,    //!< only slices that pulled the total up
};

//! Settings of the localizer; every default is chosen and explained in docs/localize.md.
struct LocalizeConfig {
  //! Deepest conjunction searched (number of dimension=value pairs in a slice). Bounds 0..4.
  int max_depth = 3;
  //! Most root causes returned. Bounds 1..20.
  int max_roots = 3;
  //! Smallest evidence (gain minus the multiple-testing penalty of its depth) for a root cause.
  double min_gain = 9.0;
  //! Per depth level, the multiple-testing penalty is this × ln(number of slices at that depth).
  double depth_penalty = 2.0;
  //! A slice one level deeper must beat its rival's gain by this factor (parsimony: prefer the
  //! shorter explanation when two explain nearly as well). Bounds 0..1.
  double parsimony = 0.1;
  //! A root after the first must explain at least this share of the total change.
  double min_share = 0.1;
  //! Each sibling named by a split must explain at least this share of the total change.
  double min_sibling_share = 0.15;
  //! A root after the first must have at least this fraction of the first root's gain.
  double min_relative_gain = 0.1;
  //! A root after the first must hold at least this fraction of the standardized squared
  //! deviation still unexplained in the leaves beyond their noise. Bounds 0..1.
  double min_explained = 0.6;
  //! Siblings count as healthy when they moved, per unit of size, by at most this fraction of
  //! the explaining slice's move: decides when a parent is split into its hit children and when
  //! a slice is widened to its parent. Bounds 0..1.
  double healthy_ratio = 0.1;
  //! Widen a slice to its parent when the parent's other children moved too.
  bool generalize = true;
  //! Widening also considers every enclosing slice short of `all`, not only the parents.
  bool widen_ancestors = true;
  //! Which direction of change to explain.
  Direction direction = Direction::AUTO;
  //! Name each root by the most specific slice selecting the same leaves (its closure: every
  //! dimension=value that all its leaves with data share is added). The data cannot tell such
  //! slices apart; the closure is the one that says everything they have in common, and widening
  //! then starts from it.
  bool close_slices = true;
  //! The siblings named by a split beyond the strongest must each pass the stopping rule of a
  //! further root (`min_explained`), fitted one after another; the weaker ones are dropped (when
  //! one is left, it is the answer: the split already rejected the parent's single effect).
  bool split_stopping = true;
  //! When two slices of one depth explain exactly as much (they select the same leaves, e.g.
  //! one region's grocery stores and its dasher-shopped orders where all its grocery stores are
  //! dasher-shopped), the one whose dimensions come first in this list is named; dimensions not
  //! listed come after the listed ones, by name (cxagent::NamedBefore). Empty: the first in the
  //! table's dimension order.
  std::vector<std::string> naming_order;

  //! Throws InvalidInput naming the field when a value is out of bounds.
  void Validate() const;
};

//! The outcome of a localization: the total's figures and the root causes, best first.
struct LocalizeResult {
  double baseline = 0.0;
  double current = 0.0;
  double delta = 0.0;
  std::vector<RootCause> root_causes;
};

//! Finds the slices that explain the change between `predict` and `real` across `table`'s leaves.
//! Returns no root cause when nothing stands out of the noise.
LocalizeResult Localize(const LeafTable& table, const LocalizeConfig& config = {});

}  // namespace cxagent::localize
