#include "recommend/simulate.hpp"

#include <algorithm>
#include <cmath>
#include <future>
#include <mutex>
#include <numeric>

#include "common/error.hpp"
#include "rca/rca.hpp"
#include "recommend/interval.hpp"

namespace cxagent::recommend {

namespace {

constexpr std::string_view LATENESS_FEATURE = "late_min";

double Round(double x, int digits) {
  if (!std::isfinite(x)) return 0.0;
  const double scale = std::pow(10.0, digits);
  return std::round(x * scale) / scale;
}

// Per-order pieces of one counterfactual draw, differences against the factual orders.
struct RowDeltas {
  std::vector<double> cx;         // predicted CX change
  std::vector<double> delivered;  // 0/1 factual, and its change
  std::vector<double> delivered_delta;
  std::vector<double> hours;  // dasher hours of the delivery (0 when cancelled), and change
  std::vector<double> hours_delta;
  std::vector<double> refund_delta;  // dollars
};

// `matrix` with one more column, `late_min`, holding `late` (one value per row): the lateness
// model's features.
rca::FeatureMatrix WithLateness(const rca::FeatureMatrix& matrix, const std::vector<float>& late) {
  rca::FeatureMatrix out;
  out.names = matrix.names;
  out.names.emplace_back(LATENESS_FEATURE);
  out.rows = matrix.rows;
  const size_t columns = matrix.Columns();
  out.values.reserve(matrix.rows * (columns + 1));
  for (size_t row = 0; row < matrix.rows; ++row) {
    const auto begin = matrix.values.begin() + static_cast<std::ptrdiff_t>(row * columns);
    out.values.insert(out.values.end(), begin, begin + static_cast<std::ptrdiff_t>(columns));
    out.values.push_back(late[row]);
  }
  return out;
}

bool Same(float a, float b) {
  return a == b || (std::isnan(a) && std::isnan(b));
}

double Percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const double position = q * static_cast<double>(values.size() - 1);
  const size_t low = static_cast<size_t>(std::floor(position));
  const size_t high = std::min(low + 1, values.size() - 1);
  return values[low] + (position - static_cast<double>(low)) * (values[high] - values[low]);
}

}  // namespace

nlohmann::json IntervalJson(const Interval& interval, int digits) {
  return {{"mean", Round(interval.mean, digits)},
          {"ci90", {Round(interval.lo, digits), Round(interval.hi, digits)}}};
}

nlohmann::json WhatIfJson(const WhatIfResult& result) {
  nlohmann::json params = nlohmann::json::object();
  for (const auto& [name, value] : result.params) {
    // Whole-number parameters (a batch cap) read as integers.
    if (value == std::round(value) && std::abs(value) < 1e9) {
      params[name] = static_cast<int64_t>(value);
    } else {
      params[name] = Round(value, 4);
    }
  }
  return {
      {"template", result.template_name},
      {"params", params},
      {"action", result.action},
      {"expected_cx_delta", IntervalJson(result.cx)},
      {"cx_interval",
       {{"sampling_half_width", Round(result.cx_sampling_half_width, 3)},
        {"model_error_share", Round(result.cx_model_error_share, 3)}}},
      {"efficiency_delta",
       {{"cost_per_order", IntervalJson(result.efficiency.cost_per_order)},
        {"deliveries_per_dasher_hour", IntervalJson(result.efficiency.deliveries_per_dasher_hour)},
        {"dasher_hours_per_delivery", IntervalJson(result.efficiency.dasher_hours_per_delivery, 4)},
        {"incentive_spend", IntervalJson(result.efficiency.incentive_spend, 2)}}}};
}

// One CX model with the factual predictions of the incident rows; Predict is serialised per
// model because XGBoost's C API gives no thread-safety promise for one booster.
struct Simulator::Scorer {
  rca::CxModel owned;
  const rca::CxModel* model = nullptr;
  std::vector<double> factual;
  //! Out-of-sample share of the observed incident change the model explains (refits only).
  double recovered = 1.0;
  //! Rows the refit never saw and its predictions for them.
  std::vector<size_t> held_out;
  std::vector<double> held_out_predicted;
  mutable std::mutex mutex;

  std::vector<double> Predict(const rca::FeatureMatrix& rows) const {
    std::lock_guard lock(mutex);
    return model->Predict(rows);
  }
};

Simulator::Simulator(const rca::IncidentModel& model, EfficiencyModel efficiency,
                     SimulationOptions options)
    : model_(model), sample_(model), efficiency_(efficiency), options_(options) {
  scorers_ = MakeScorers(sample_.Matrix(), &model_.model);
}

Simulator::Scorers Simulator::MakeScorers(const rca::FeatureMatrix& matrix,
                                          const rca::CxModel* stored) const {
  Scorers scorers;
  const rca::FeatureMatrix incident = matrix.Rows(sample_.IncidentRows());
  auto first = std::make_unique<Scorer>();
  if (stored != nullptr) {
    first->model = stored;
  } else {
    first->owned = rca::CxModel::Train(matrix, model_.cx_score, options_.model);
    first->model = &first->owned;
  }
  scorers.push_back(std::move(first));
  // Refits on halves of the sample carry the model's own uncertainty: the effect a model fitted
  // on half the orders finds differs from the full model's by about as much as the full model's
  // differs from the truth (half-sampling, McCarthy 1969), at half the training cost of a
  // bootstrap refit. Refits come in complementary pairs; each is checked on the half it never saw.
  std::vector<std::future<std::unique_ptr<Scorer>>> refits;
  const size_t rows = matrix.rows;
  for (int k = 0; k < options_.refits; ++k) {
    refits.push_back(std::async(std::launch::deferred, [this, &matrix, k, rows] {
      Rng rng(options_.seed + 104729ULL * static_cast<uint64_t>(k / 2 + 1));
      std::vector<size_t> order(rows);
      std::iota(order.begin(), order.end(), 0);
      std::shuffle(order.begin(), order.end(), rng);
      const size_t half = rows / 2;
      std::vector<uint8_t> in_fit(rows, 0);
      for (size_t i = 0; i < rows; ++i) {
        if ((i < half) == (k % 2 == 0)) in_fit[order[i]] = 1;
      }
      std::vector<size_t> chosen;
      std::vector<size_t> held_out;
      for (size_t row = 0; row < rows; ++row) (in_fit[row] ? chosen : held_out).push_back(row);
      std::vector<double> targets;
      for (size_t row : chosen) targets.push_back(model_.cx_score[row]);
      rca::CxModelParams params = options_.model;
      params.seed = options_.model.seed + k + 1;
      auto scorer = std::make_unique<Scorer>();
      scorer->owned = rca::CxModel::Train(matrix.Rows(chosen), targets, params);
      scorer->model = &scorer->owned;
      // Orders the refit never saw tell how much of the incident's CX change the model recovers:
      // regularised trees attenuate effects, and every simulated effect inherits that.
      scorer->held_out = std::move(held_out);
      scorer->held_out_predicted = scorer->owned.Predict(matrix.Rows(scorer->held_out));
      return scorer;
    }));
  }
  // Deferred tasks started in waves of `threads`.
  const size_t wave = static_cast<size_t>(std::max(1, options_.threads));
  for (size_t begin = 0; begin < refits.size(); begin += wave) {
    std::vector<std::future<std::unique_ptr<Scorer>>> running;
    for (size_t i = begin; i < std::min(refits.size(), begin + wave); ++i) {
      running.push_back(std::async(std::launch::async, [&refits, i] { return refits[i].get(); }));
    }
    for (auto& task : running) scorers.push_back(task.get());
  }
  // A complementary pair predicts every order out of sample: its recovery compares that with the
  // whole sample's observed change (one half's observed change alone is too noisy a yardstick).
  for (size_t k = 1; k < scorers.size(); k += 2) {
    const size_t last = std::min(k + 1, scorers.size() - 1);
    double sums[2][2] = {{0, 0}, {0, 0}};  // [window][observed, predicted]
    double counts[2] = {0, 0};
    for (size_t j = k; j <= last; ++j) {
      const Scorer& scorer = *scorers[j];
      for (size_t i = 0; i < scorer.held_out.size(); ++i) {
        const size_t row = scorer.held_out[i];
        const int window = model_.in_incident[row] ? 1 : 0;
        sums[window][0] += model_.cx_score[row];
        sums[window][1] += scorer.held_out_predicted[i];
        counts[window] += 1;
      }
    }
    if (counts[0] > 0 && counts[1] > 0) {
      const double observed = sums[1][0] / counts[1] - sums[0][0] / counts[0];
      const double explained = sums[1][1] / counts[1] - sums[0][1] / counts[0];
      if (std::abs(observed) > 0) {
        for (size_t j = k; j <= last; ++j) scorers[j]->recovered = explained / observed;
      }
    }
  }
  for (auto& scorer : scorers) scorer->factual = scorer->model->Predict(incident);
  return scorers;
}

bool Simulator::KnowsLateness() const {
  const std::vector<float>& late = model_.late_min;
  return late.size() == sample_.Matrix().rows &&
         std::any_of(late.begin(), late.end(), [](float value) { return !std::isnan(value); });
}

const Simulator::Scorers& Simulator::LatenessScorers() const {
  std::call_once(lateness_once_, [this] {
    const rca::FeatureMatrix matrix = WithLateness(sample_.Matrix(), model_.late_min);
    lateness_scorers_ = MakeScorers(matrix, nullptr);
  });
  return lateness_scorers_;
}

Simulator::~Simulator() = default;

std::vector<double> Simulator::RecoveredShares() const {
  std::vector<double> shares;
  for (size_t k = 1; k < scorers_.size(); ++k) shares.push_back(scorers_[k]->recovered);
  return shares;
}

WhatIfResult Simulator::Simulate(const ActionTemplate& action, const ParamValues& params,
                                 const std::string& slice) const {
  action.Validate(params);
  const rca::FeatureMatrix& matrix = sample_.Matrix();
  const std::vector<size_t>& incident = sample_.IncidentRows();
  const size_t n = incident.size();
  const EfficiencyModel& e = efficiency_;
  const size_t distance = matrix.Index("distance_km");
  const size_t prep = matrix.Index("prep_wait_min");
  const size_t shop = matrix.Index("shop_min");
  const size_t batched = matrix.Index("is_batched");
  const size_t batch_size = matrix.Index("batch_size");
  const size_t missing = matrix.Index("missing_lines");
  const size_t substituted = matrix.Index("substituted_lines");
  const size_t rejected_share = matrix.Index("sub_reject_share");
  // Dasher hours of one delivered row from its drivers (the efficiency model's engaged time).
  const auto hours = [&](const rca::FeatureMatrix& m, size_t row) {
    const auto value = [&](size_t column) {
      const double v = m.At(row, column);
      return std::isnan(v) ? 0.0 : v;
    };
    const double minutes = e.engaged_base_min + value(prep) + value(shop) +
                           e.engaged_per_km * value(distance) +
                           e.engaged_batched_extra * value(batched);
    return std::max(0.0, minutes) / std::max(1.0, value(batch_size)) / 60.0;
  };
  const auto rejected = [&](const rca::FeatureMatrix& m, size_t row) {
    const double subs = m.At(row, substituted);
    const double share = m.At(row, rejected_share);
    return subs > 0 && !std::isnan(share) ? subs * share : 0.0;
  };

  const size_t models = scorers_.size();
  std::vector<RowDeltas> draws(models);
  double orders_kept = 1.0;
  WhatIfResult result;
  result.template_name = action.name;
  result.params = params;
  result.action = action.describe(params, slice);
  result.orders = n;
  std::vector<Counterfactual> counterfactuals;
  for (size_t k = 0; k < models; ++k) {
    Counterfactual cf = MakeCounterfactual(sample_, options_.seed + 7919ULL * k);
    action.apply(params, cf);
    cf.DeliverLetThrough();
    counterfactuals.push_back(std::move(cf));
  }
  // A counterfactual that changes only the quotes leaves every delivery as it was, so each
  // order's lateness moves by exactly its quote's change: the lateness model scores it.
  const size_t quoted = matrix.Index("quoted_eta_min");
  bool quotes_only = KnowsLateness();
  for (const Counterfactual& cf : counterfactuals) {
    if (!quotes_only) break;
    quotes_only = cf.orders_kept == 1.0;
    for (size_t i = 0; i < n && quotes_only; ++i) {
      for (size_t c = 0; c < matrix.Columns() && quotes_only; ++c) {
        quotes_only = c == quoted || Same(cf.rows.At(i, c), matrix.At(incident[i], c));
      }
    }
  }
  const Scorers& scorers = quotes_only ? LatenessScorers() : scorers_;
  for (size_t k = 0; k < models; ++k) {
    const Counterfactual& cf = counterfactuals[k];
    orders_kept = cf.orders_kept;
    std::vector<double> predicted;
    if (quotes_only) {
      std::vector<float> late(n);
      for (size_t i = 0; i < n; ++i) {
        const size_t row = incident[i];
        late[i] = model_.late_min[row] - (cf.rows.At(i, quoted) - matrix.At(row, quoted));
      }
      predicted = scorers[k]->Predict(WithLateness(cf.rows, late));
    } else {
      predicted = scorers[k]->Predict(cf.rows);
    }
    RowDeltas& d = draws[k];
    d.cx.resize(n);
    d.delivered.resize(n);
    d.delivered_delta.resize(n);
    d.hours.resize(n);
    d.hours_delta.resize(n);
    d.refund_delta.resize(n);
    for (size_t i = 0; i < n; ++i) {
      const size_t row = incident[i];
      const bool was = !sample_.Cancelled(row);
      const bool now = !cf.Cancelled(i);
      // A cancelled order scores 0 by the CX Score's definition (domain.md §4): an order the
      // action lets through gains its predicted score from that known 0, not from the model's
      // (smoothed) prediction for a cancelled order.
      d.cx[i] = predicted[i] - (!was && now ? 0.0 : scorers[k]->factual[i]);
      d.delivered[i] = was ? 1 : 0;
      d.delivered_delta[i] = (now ? 1.0 : 0.0) - d.delivered[i];
      d.hours[i] = was ? hours(matrix, row) : 0.0;
      d.hours_delta[i] = (now ? hours(cf.rows, i) : 0.0) - d.hours[i];
      const double missing_change = (now ? cf.rows.At(i, missing) : 0.0) -
                                    (was ? static_cast<double>(matrix.At(row, missing)) : 0.0);
      const double rejected_change =
          (now ? rejected(cf.rows, i) : 0.0) - (was ? rejected(matrix, row) : 0.0);
      d.refund_delta[i] =
          e.refund_per_missing_line * (std::isnan(missing_change) ? 0 : missing_change) +
          e.refund_per_rejected_line * rejected_change;
    }
  }
  const ActionCosts costs = action.costs ? action.costs(params) : ActionCosts{};

  // Efficiency figures per day from the measured baseline, scaled by the sample's relative
  // changes: deliveries and engaged hours follow the orders, extra engaged hours need extra
  // active dashers at the same utilisation, incentives add supply and pay a bonus on every
  // active hour.
  struct Figures {
    double cx, cost, deliveries_per_hour, hours_per_delivery, incentive;
  };
  const double o = e.orders_per_day;
  const double d0 = o * e.delivered_share;
  const double h0 = d0 * e.dasher_hours_per_delivery;
  const double a0 = e.active_dasher_hours_per_day;
  const double utilisation = a0 > 0 ? h0 / a0 : 1.0;
  const auto cost_of = [&](double orders, double deliveries, double engaged, double refunds,
                           double incentive) {
    return orders > 0 ? (e.costs.pay_per_engaged_hour * engaged +
                         e.costs.pay_per_delivery * deliveries + refunds + incentive) /
                            orders
                      : 0.0;
  };
  const double base_incentive = 0.0;
  const double base_cost = cost_of(o, d0, h0, e.refunds_per_order * o, base_incentive);
  const auto figures = [&](double cx, double delivered, double delivered_delta, double hours_sum,
                           double hours_delta, double refund_delta) {
    Figures f{};
    f.cx = cx;
    const double delivered_ratio = delivered > 0 ? (delivered + delivered_delta) / delivered : 1;
    const double hours_ratio = hours_sum > 0 ? (hours_sum + hours_delta) / hours_sum : 1;
    const double orders = o * orders_kept;
    const double deliveries = d0 * delivered_ratio * orders_kept;
    const double engaged = h0 * hours_ratio * orders_kept;
    const double active = a0 * (1 + costs.supply_increase) +
                          std::max(0.0, engaged - h0) / std::max(utilisation, 1e-6);
    const double incentive = costs.incentive_per_dasher_hour * active;
    const double refunds = (e.refunds_per_order + refund_delta) * orders;
    f.cost = cost_of(orders, deliveries, engaged, refunds, incentive) - base_cost;
    // Without active dasher-hours (no supply_hourly) the figure is not measured, and the extra
    // engaged hours alone would make one up (tens of deliveries an hour): no change is claimed.
    f.deliveries_per_hour =
        a0 > 0 && active > 0 ? deliveries / active - e.deliveries_per_dasher_hour : 0.0;
    f.hours_per_delivery =
        (deliveries > 0 ? engaged / deliveries : 0.0) - e.dasher_hours_per_delivery;
    f.incentive = incentive - base_incentive;
    return f;
  };
  const auto summarise = [&](const std::vector<size_t>* picks, size_t k) {
    const RowDeltas& d = draws[k];
    double sums[6] = {0, 0, 0, 0, 0, 0};
    const size_t count = picks ? picks->size() : n;
    for (size_t j = 0; j < count; ++j) {
      const size_t i = picks ? (*picks)[j] : j;
      sums[0] += d.cx[i];
      sums[1] += d.delivered[i];
      sums[2] += d.delivered_delta[i];
      sums[3] += d.hours[i];
      sums[4] += d.hours_delta[i];
      sums[5] += d.refund_delta[i];
    }
    const double c = static_cast<double>(count);
    return figures(sums[0] / c, sums[1], sums[2], sums[3], sums[4], sums[5] / c);
  };

  // Point estimate: the stored model (fitted on the whole sample) on every order. The half-sample
  // refits attenuate more; they only spread the replicates.
  const Figures point = summarise(nullptr, 0);
  std::vector<double> cx, cost, dph, hpd, incentive;
  // SplitMix64 (modulo bias is nil for n far below 2^64): the replicates draw bootstrap x orders
  // indices, and mt19937 with a uniform distribution made those draws most of a simulation's time.
  uint64_t state = options_.seed ^ 0x5bd1e995ULL;
  const auto pick = [&state, n] {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return static_cast<size_t>(z % n);
  };
  std::vector<size_t> picks(n);
  for (int b = 0; b < options_.bootstrap; ++b) {
    for (auto& p : picks) p = pick();
    // Replicates go to the refits when there are any, each scaled by its out-of-bag recovery
    // of the observed incident change: the model's own error enters the interval.
    const size_t k = models > 1 ? 1 + static_cast<size_t>(b) % (models - 1) : 0;
    const Figures f = summarise(&picks, k);
    cx.push_back(f.cx / std::clamp(scorers[k]->recovered, 0.5, 2.0));
    cost.push_back(f.cost);
    dph.push_back(f.deliveries_per_hour);
    hpd.push_back(f.hours_per_delivery);
    incentive.push_back(f.incentive);
  }
  // Symmetric about the point estimate: the 90th percentile of the replicates' absolute
  // deviation from it (the refits' recovery shares move replicates mostly one way, and an
  // error of the model can go either way).
  const auto interval = [&](double mean, const std::vector<double>& values) {
    if (values.empty()) return Interval{mean, mean, mean};
    std::vector<double> deviations;
    for (double value : values) deviations.push_back(std::abs(value - mean));
    const double half = Percentile(deviations, 0.9);
    return Interval{mean, mean - half, mean + half};
  };
  // The bootstrap knows the orders' sampling and the refits' spread, not how far the model's
  // counterfactual is from the world's: that error grows with the effect (a model that
  // attenuates or exaggerates by some share), so a share of the estimate joins the half-width.
  const Interval sampled = interval(point.cx, cx);
  const double half =
      CalibratedHalfWidth(sampled.hi - point.cx, point.cx, options_.model_error_share);
  result.cx = Interval{point.cx, point.cx - half, point.cx + half};
  result.cx_sampling_half_width = sampled.hi - point.cx;
  result.cx_model_error_share = options_.model_error_share;
  result.efficiency.cost_per_order = interval(point.cost, cost);
  result.efficiency.deliveries_per_dasher_hour = interval(point.deliveries_per_hour, dph);
  result.efficiency.dasher_hours_per_delivery = interval(point.hours_per_delivery, hpd);
  result.efficiency.incentive_spend = interval(point.incentive, incentive);
  return result;
}

}  // namespace cxagent::recommend
