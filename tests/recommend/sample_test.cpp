#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "rca/rca.hpp"
#include "recommend/sample.hpp"

namespace cxagent::recommend {
namespace {

// The load response of batching in the synthetic samples: 8% batched at a busy ratio of 0.6 or
// less, 20% at 0.9 or more.
double LoadBatching(double busy) {
  return 0.08 + 0.12 * std::clamp((busy - 0.6) / 0.3, 0.0, 1.0);
}

// Baseline orders at busy ratios spread over [0.5, 0.9]; incident orders at `load` times those,
// batched at the load response plus `policy` (a batching policy starting with the incident). Every
// order is a delivered merchant order whose dasher waited `prep_wait` minutes at the store after
// an assignment delay that grows with the load.
rca::IncidentModel LoadSample(double load, double policy, float prep_wait = 0.0F) {
  rca::IncidentModel model;
  for (const auto& feature : rca::OrderFeatures()) model.sample.names.emplace_back(feature.name);
  const size_t per_window = 6000;
  model.sample.rows = 2 * per_window;
  model.sample.values.assign(model.sample.rows * model.sample.names.size(), 0.0F);
  auto& m = model.sample;
  const size_t busy = m.Index("busy_ratio");
  const size_t batched = m.Index("is_batched");
  const size_t size = m.Index("batch_size");
  const size_t assign = m.Index("assign_delay_min");
  const size_t wait = m.Index("prep_wait_min");
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  for (size_t row = 0; row < m.rows; ++row) {
    const bool incident = row >= per_window;
    const double base = 0.5 + 0.4 * uniform(rng);
    const double b = incident ? base * load : base;
    const bool is_batched = uniform(rng) < LoadBatching(b) + (incident ? policy : 0.0);
    m.At(row, busy) = static_cast<float>(b);
    m.At(row, batched) = is_batched ? 1.0F : 0.0F;
    m.At(row, size) = is_batched ? 2.0F : 1.0F;
    m.At(row, assign) = static_cast<float>(1.0 + 10.0 * b * uniform(rng));
    m.At(row, wait) = prep_wait;
    model.in_incident.push_back(incident ? 1 : 0);
    model.cx_score.push_back(incident ? 80.0 : 90.0);
    model.order_ids.push_back(static_cast<int64_t>(row) + 1);
  }
  return model;
}

double BatchedShare(const Counterfactual& cf) {
  const size_t batched = cf.rows.Index("is_batched");
  double sum = 0;
  for (size_t row = 0; row < cf.rows.rows; ++row) sum += cf.rows.At(row, batched);
  return sum / static_cast<double>(cf.rows.rows);
}

// A load rise alone: its revert takes the batched share back to the baseline's.
TEST(RecommendSample, LoadRevertUndoesTheLoadDrivenBatching) {
  const rca::IncidentModel model = LoadSample(1.2, 0.0);
  const IncidentSample sample(model);
  EXPECT_NEAR(sample.BatchedAtEqualLoad(), 0.0, 0.02);
  const double before = sample.Mean("is_batched", false, true);
  const double now = sample.Mean("is_batched", true, true);
  ASSERT_GT(now, before + 0.03);
  Counterfactual cf = MakeCounterfactual(sample, 5);
  cf.SetLoad(sample.Mean("busy_ratio", false, false));
  EXPECT_NEAR(BatchedShare(cf), before, 0.02);
}

// A batching policy that starts with the load rise batches 15 points more at equal load; the load
// revert keeps that part (the world without the load rise still has the policy) and undoes only
// the load's.
TEST(RecommendSample, LoadRevertKeepsTheBatchingOfAConcurrentPolicy) {
  const rca::IncidentModel model = LoadSample(1.2, 0.15);
  const IncidentSample sample(model);
  EXPECT_NEAR(sample.BatchedAtEqualLoad(), 0.15, 0.03);
  const double before = sample.Mean("is_batched", false, true);
  const double now = sample.Mean("is_batched", true, true);
  Counterfactual cf = MakeCounterfactual(sample, 5);
  cf.SetLoad(sample.Mean("busy_ratio", false, false));
  const double after = BatchedShare(cf);
  EXPECT_NEAR(after, before + 0.15, 0.03);
  EXPECT_LT(after, now - 0.02);  // the load's part is still undone
}

// When the incident's load lies beyond anything the baseline saw, nothing is measured at equal
// load and the revert restores the baseline's batched share as before.
TEST(RecommendSample, WithoutOverlappingLoadTheWholeBatchingRiseIsTheLoads) {
  const rca::IncidentModel model = LoadSample(2.0, 0.15);
  const IncidentSample sample(model);
  EXPECT_EQ(sample.BatchedAtEqualLoad(), 0.0);
  Counterfactual cf = MakeCounterfactual(sample, 5);
  cf.SetLoad(sample.Mean("busy_ratio", false, false));
  EXPECT_NEAR(BatchedShare(cf), sample.Mean("is_batched", false, true), 0.02);
}

// A dasher assigned sooner reaches the store sooner but the order is ready when it was: on orders
// whose dasher waited, the revert's shorter assignment becomes a longer wait, and the time the
// order leaves the store (assignment + wait) does not move.
TEST(RecommendSample, SoonerAssignmentBecomesALongerWaitAtTheStore) {
  const rca::IncidentModel model = LoadSample(1.2, 0.0, 6.0F);
  const IncidentSample sample(model);
  Counterfactual cf = MakeCounterfactual(sample, 5);
  cf.SetLoad(sample.Mean("busy_ratio", false, false));
  const size_t assign = cf.rows.Index("assign_delay_min");
  const size_t wait = cf.rows.Index("prep_wait_min");
  const std::vector<size_t>& incident = sample.IncidentRows();
  size_t sooner = 0;
  for (size_t row = 0; row < cf.rows.rows; ++row) {
    const double assign_before = sample.At(incident[row], "assign_delay_min");
    const double left_before = assign_before + sample.At(incident[row], "prep_wait_min");
    const double assign_after = cf.rows.At(row, assign);
    if (assign_after < assign_before - 0.01) ++sooner;
    if (cf.rows.At(row, wait) > 0) {
      EXPECT_NEAR(assign_after + cf.rows.At(row, wait), left_before, 1e-3) << row;
    } else {
      // The wait ran out: the dasher now comes after the order is ready (a later assignment).
      EXPECT_GE(assign_after, left_before - 1e-3) << row;
    }
  }
  EXPECT_GT(sooner, cf.rows.rows / 2);
}

// A merchant prep slowdown's revert makes every order ready sooner by one factor: the minutes
// from checkout to ready (assignment + wait) shrink in proportion, the dasher comes when he did,
// and the mean wait reaches the target. An order whose dasher did not wait still does not.
TEST(RecommendSample, PrepRevertMakesEveryOrderReadySoonerByOneFactor) {
  rca::IncidentModel model = LoadSample(1.0, 0.0);
  auto& m = model.sample;
  const size_t assign = m.Index("assign_delay_min");
  const size_t wait = m.Index("prep_wait_min");
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  for (size_t row = 0; row < m.rows; ++row) {
    const bool incident = model.in_incident[row] != 0;
    const double ready = (incident ? 2.0 : 1.0) * 12.0 * (0.5 + uniform(rng));
    m.At(row, wait) = static_cast<float>(std::max(0.0, ready - m.At(row, assign) - 4.0));
  }
  const IncidentSample sample(model);
  const double target = sample.Mean("prep_wait_min", false, true);
  ASSERT_LT(target, sample.Mean("prep_wait_min", true, true) - 3);
  Counterfactual cf = MakeCounterfactual(sample, 5);
  cf.SpeedUpPrep(target);
  const std::vector<size_t>& incident = sample.IncidentRows();
  double sum = 0;
  double factor = -1;
  for (size_t row = 0; row < cf.rows.rows; ++row) {
    const double before = sample.At(incident[row], "prep_wait_min");
    const double after = cf.rows.At(row, wait);
    const double a = cf.rows.At(row, assign);
    EXPECT_EQ(a, sample.At(incident[row], "assign_delay_min"));
    sum += after;
    if (before == 0) {
      EXPECT_EQ(after, 0) << row;
    }
    if (after <= 0) continue;
    const double ratio = (a + after) / (a + before);
    if (factor < 0) factor = ratio;
    EXPECT_NEAR(ratio, factor, 1e-4) << row;
  }
  EXPECT_GT(factor, 0.3);
  EXPECT_LT(factor, 0.9);
  EXPECT_NEAR(sum / static_cast<double>(cf.rows.rows), target, 1e-3);
}

// A target at or above today's wait (a slowdown, not a revert) maps the waits to the baseline's
// distribution at that mean.
TEST(RecommendSample, PrepTargetAboveTodaysWaitMapsToTheBaseline) {
  rca::IncidentModel model = LoadSample(1.0, 0.0, 5.0F);
  const IncidentSample sample(model);
  Counterfactual cf = MakeCounterfactual(sample, 5);
  cf.SpeedUpPrep(8.0);
  const size_t wait = cf.rows.Index("prep_wait_min");
  double sum = 0;
  for (size_t row = 0; row < cf.rows.rows; ++row) sum += cf.rows.At(row, wait);
  EXPECT_NEAR(sum / static_cast<double>(cf.rows.rows), 8.0, 1e-3);
}

}  // namespace
}  // namespace cxagent::recommend
