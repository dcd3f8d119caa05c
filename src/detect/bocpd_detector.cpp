#include "detect/bocpd_detector.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "detect/series_stats.hpp"

namespace cxagent::detect {

std::span<const ConfigField<BocpdConfig>> BocpdConfig::Fields() {
  static const std::array<ConfigField<BocpdConfig>, 7> FIELDS{{
      {"expected_run_length", "expected segment length in points (1 / hazard)", 2, 1e9,
       &BocpdConfig::expected_run_length},
      {"max_run_length", "run lengths kept per step (cost is linear in it)", 10, 100000,
       &BocpdConfig::max_run_length},
      {"prior_kappa", "pseudo-observations behind the prior mean", 1e-6, 1e6,
       &BocpdConfig::prior_kappa},
      {"prior_alpha", "shape of the precision prior", 1e-3, 1e6, &BocpdConfig::prior_alpha},
      {"prior_beta", "rate of the precision prior, in squared noise units", 1e-6, 1e6,
       &BocpdConfig::prior_beta},
      {"min_size", "shortest segment reported, in observed points", 1, 100000,
       &BocpdConfig::min_size},
      {"outlier_threshold", "clip points this many noise sigmas from both neighbourhoods (0 = off)",
       0, 1000, &BocpdConfig::outlier_threshold},
  }};
  return FIELDS;
}

BocpdDetector::BocpdDetector(BocpdConfig config) : config_(config) {
  ValidateConfig(config_, "bocpd", BocpdConfig::Fields());
}

void BocpdDetector::Fit(std::span<const double> history) {
  const auto observed = DropMissing(history);
  RequireObserved("bocpd", observed.values.size(), 3);
  fitted_center_ = Median(observed.values);
  fitted_scale_ = DifferenceNoiseScale(observed.values);
}

namespace {

// Sufficient statistics of the normal-gamma posterior of one run length.
struct RunState {
  double mu;
  double kappa;
  double alpha;
  double beta;
};

double StudentLogPdf(double x, const RunState& s) {
  const double dof = 2 * s.alpha;
  const double scale2 = s.beta * (s.kappa + 1) / (s.alpha * s.kappa);
  const double z = (x - s.mu) * (x - s.mu) / (dof * scale2);
  return std::lgamma((dof + 1) / 2) - std::lgamma(dof / 2) - 0.5 * std::log(dof * M_PI * scale2) -
         (dof + 1) / 2 * std::log1p(z);
}

RunState Update(const RunState& s, double x) {
  return {(s.kappa * s.mu + x) / (s.kappa + 1), s.kappa + 1, s.alpha + 0.5,
          s.beta + s.kappa * (x - s.mu) * (x - s.mu) / (2 * (s.kappa + 1))};
}

}  // namespace

Detection BocpdDetector::Detect(std::span<const double> series) const {
  const auto observed = DropMissing(series);
  const size_t min_size = static_cast<size_t>(config_.min_size);
  RequireObserved("bocpd", observed.values.size(), std::max<size_t>(2 * min_size, 3));
  const auto& raw = observed.values;
  const double center = fitted_scale_ > 0 ? fitted_center_ : Median(raw);
  const double sigma = fitted_scale_ > 0 ? fitted_scale_ : DifferenceNoiseScale(raw);
  std::vector<double> x =
      config_.outlier_threshold > 0 ? ClipOutliers(raw, sigma, 3, config_.outlier_threshold) : raw;
  for (double& value : x) value = (value - center) / sigma;

  const size_t n = x.size();
  const size_t cap = static_cast<size_t>(config_.max_run_length);
  const double log_hazard = -std::log(config_.expected_run_length);
  const double log_survive = std::log1p(-1.0 / config_.expected_run_length);
  const RunState prior{0.0, config_.prior_kappa, config_.prior_alpha, config_.prior_beta};

  // log_prob[r] is the log posterior that the current run holds r earlier points (r = 0: the
  // next point starts a segment); states[r] are the statistics of those r points.
  std::vector<double> log_prob{0.0};
  std::vector<RunState> states{prior};
  std::vector<size_t> map_run(n, 0);
  std::vector<double> short_run_probability(n, 0);
  std::vector<double> expected(n, 0), spread(n, 0);
  std::vector<double> next_log_prob;
  std::vector<RunState> next_states;
  for (size_t t = 0; t < n; ++t) {
    const size_t runs = log_prob.size();
    next_log_prob.assign(std::min(runs + 1, cap), -std::numeric_limits<double>::infinity());
    next_states.resize(next_log_prob.size());
    next_states[0] = prior;
    double change_terms_max = -std::numeric_limits<double>::infinity();
    std::vector<double> change_terms(runs);
    for (size_t r = 0; r < runs; ++r) {
      const double joint = log_prob[r] + StudentLogPdf(x[t], states[r]);
      change_terms[r] = joint + log_hazard;
      change_terms_max = std::max(change_terms_max, change_terms[r]);
      // Truncation: the last bin means "at least cap - 1 points"; a run that would grow past
      // it stays there, so its mass is merged instead of lost, and the bin keeps the statistics
      // of whichever of the two runs carries more mass (after a change that is the new run).
      const size_t grown = std::min(r + 1, next_log_prob.size() - 1);
      const double growth = joint + log_survive;
      if (grown == r + 1) {
        next_log_prob[grown] = growth;
        next_states[grown] = Update(states[r], x[t]);
      } else {
        const double high = std::max(next_log_prob[grown], growth);
        if (growth > next_log_prob[grown]) next_states[grown] = Update(states[r], x[t]);
        next_log_prob[grown] =
            high + std::log(std::exp(next_log_prob[grown] - high) + std::exp(growth - high));
      }
    }
    double change_sum = 0;
    for (double term : change_terms) change_sum += std::exp(term - change_terms_max);
    next_log_prob[0] = change_terms_max + std::log(change_sum);
    double norm_max = *std::max_element(next_log_prob.begin(), next_log_prob.end());
    double norm = 0;
    for (double value : next_log_prob) norm += std::exp(value - norm_max);
    const double log_norm = norm_max + std::log(norm);
    for (double& value : next_log_prob) value -= log_norm;
    log_prob.swap(next_log_prob);
    states.swap(next_states);

    // After absorbing x[t], run length r + 1 means x[t] is the (r + 1)-th point of its segment.
    size_t best = 1;
    double short_mass = 0;
    for (size_t r = 1; r < log_prob.size(); ++r) {
      if (log_prob[r] > log_prob[best]) best = r;
      if (r <= min_size) short_mass += std::exp(log_prob[r]);
    }
    map_run[t] = best;
    short_run_probability[t] = short_mass;
    const RunState& s = states[best];
    expected[t] = s.mu;
    spread[t] = std::sqrt(s.beta * (s.kappa + 1) / (s.alpha * s.kappa));
  }

  // Backtrack the most probable run lengths from the end: the run ending at t began at
  // t - map_run[t] + 1. A run in the capped bin only says "at least this long", so step back one
  // point at a time until the run length is known again.
  std::vector<size_t> local;
  const size_t capped = cap - 1;
  size_t t = n - 1;
  while (true) {
    const size_t run = std::min(map_run[t], t + 1);
    if (run >= capped && t > 0) {
      --t;
      continue;
    }
    const size_t start = t + 1 - run;
    if (start == 0) break;
    local.push_back(start);
    t = start - 1;
  }
  std::reverse(local.begin(), local.end());
  std::vector<size_t> kept;
  size_t previous = 0;
  for (size_t change : local) {
    if (change - previous >= min_size && n - change >= min_size) {
      kept.push_back(change);
      previous = change;
    }
  }

  Detection detection;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (auto* column :
       {&detection.scores, &detection.expected, &detection.lower, &detection.upper}) {
    column->assign(series.size(), nan);
  }
  for (size_t i = 0; i < n; ++i) {
    const size_t at = observed.positions[i];
    detection.scores[at] = short_run_probability[i];
    detection.expected[at] = expected[i] * sigma + center;
    detection.lower[at] = (expected[i] - 2 * spread[i]) * sigma + center;
    detection.upper[at] = (expected[i] + 2 * spread[i]) * sigma + center;
  }
  for (size_t change : kept) detection.change_points.push_back(observed.positions[change]);
  return detection;
}

}  // namespace cxagent::detect
