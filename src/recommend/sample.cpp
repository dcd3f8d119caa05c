#include "recommend/sample.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "common/error.hpp"
#include "rca/rca.hpp"

namespace cxagent::recommend {

namespace {

constexpr std::string_view CANCEL_FLAGS[] = {"cancel_app_error", "cancel_no_dasher",
                                             "cancel_customer", "cancel_store_closed"};

bool Known(double x) {
  return !std::isnan(x);
}

// Quantile `u` in [0, 1] of sorted values, linearly interpolated.
double Quantile(const std::vector<double>& sorted, double u) {
  if (sorted.empty()) return std::nan("");
  const double position = std::clamp(u, 0.0, 1.0) * static_cast<double>(sorted.size() - 1);
  const size_t low = static_cast<size_t>(std::floor(position));
  const size_t high = std::min(low + 1, sorted.size() - 1);
  const double weight = position - static_cast<double>(low);
  return sorted[low] * (1 - weight) + sorted[high] * weight;
}

constexpr size_t MIN_EQUAL_LOAD_ORDERS = 50;

// The batched share of the incident's delivered orders above the baseline orders' at the same
// busy ratio, over the incident orders inside the baseline curve's range (where it interpolates
// and does not extrapolate). The curve pooled over both windows would read a batching
// policy that starts with a load rise as a steeper load response.
double BatchedRiseAtEqualLoad(const rca::FeatureMatrix& matrix,
                              const std::vector<uint8_t>& in_incident,
                              const std::vector<uint8_t>& delivered) {
  const size_t busy = matrix.Index("busy_ratio");
  const size_t batched = matrix.Index("is_batched");
  std::vector<uint8_t> baseline_delivered(matrix.rows);
  for (size_t row = 0; row < matrix.rows; ++row) {
    baseline_delivered[row] = in_incident[row] == 0 && delivered[row] != 0 ? 1 : 0;
  }
  const ResponseCurve curve(matrix, busy, batched, &baseline_delivered);
  if (!curve.Valid()) return 0.0;
  double excess = 0;
  size_t n = 0;
  for (size_t row = 0; row < matrix.rows; ++row) {
    if (in_incident[row] == 0 || delivered[row] == 0) continue;
    const double x = matrix.At(row, busy);
    const double y = matrix.At(row, batched);
    if (!Known(y) || !curve.Covers(x)) continue;
    excess += y - curve.At(x);
    ++n;
  }
  return n < MIN_EQUAL_LOAD_ORDERS ? 0.0 : std::max(0.0, excess / static_cast<double>(n));
}

// The dasher who arrives sooner waits longer at a merchant whose order is not ready: on a row
// that waited (prep_wait > 0, the order was not ready when the dasher came) an assignment
// `shorter` minutes sooner adds `shorter` minutes of wait, and the order leaves the store when it
// did. A row without a wait keeps none (how much earlier than the food the dasher came is not
// recorded), which still credits it the whole change.
void CarryAssignToPrepWait(Counterfactual& cf, const std::vector<float>& assign_before) {
  const size_t assign = cf.rows.Index("assign_delay_min");
  const size_t prep_wait = cf.rows.Index("prep_wait_min");
  for (size_t row = 0; row < cf.rows.rows; ++row) {
    if (cf.Cancelled(row)) continue;
    float& wait = cf.rows.At(row, prep_wait);
    const float after = cf.rows.At(row, assign);
    if (!(wait > 0) || !Known(after) || !Known(assign_before[row])) continue;
    wait = std::max(0.0F, wait + (assign_before[row] - after));
  }
}

std::vector<float> ColumnValues(const rca::FeatureMatrix& rows, std::string_view feature) {
  const size_t column = rows.Index(feature);
  std::vector<float> values(rows.rows);
  for (size_t row = 0; row < rows.rows; ++row) values[row] = rows.At(row, column);
  return values;
}

}  // namespace

double Uniform(Rng& rng) {
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

ResponseCurve::ResponseCurve(const rca::FeatureMatrix& sample, size_t x, size_t y,
                             const std::vector<uint8_t>* rows_filter, int bins) {
  std::vector<std::pair<double, double>> points;
  for (size_t row = 0; row < sample.rows; ++row) {
    if (rows_filter != nullptr && (*rows_filter)[row] == 0) continue;
    const double xv = sample.At(row, x);
    const double yv = sample.At(row, y);
    if (Known(xv) && Known(yv)) points.emplace_back(xv, yv);
  }
  if (points.size() < static_cast<size_t>(2 * bins)) return;
  std::sort(points.begin(), points.end());
  const size_t per_bin = points.size() / static_cast<size_t>(bins);
  for (int bin = 0; bin < bins; ++bin) {
    const size_t begin = static_cast<size_t>(bin) * per_bin;
    const size_t end = bin + 1 == bins ? points.size() : begin + per_bin;
    double sx = 0;
    double sy = 0;
    for (size_t i = begin; i < end; ++i) {
      sx += points[i].first;
      sy += points[i].second;
    }
    const double n = static_cast<double>(end - begin);
    // Bins of tied x values merge, so the interpolation never divides by a zero step.
    if (!xs_.empty() && sx / n <= xs_.back() + 1e-9) {
      const double merged = ys_.back();
      ys_.back() = (merged + sy / n) / 2;
      continue;
    }
    xs_.push_back(sx / n);
    ys_.push_back(sy / n);
  }
  // Every curve used here is a non-decreasing mechanism (delays, batching, cancels and quotes
  // grow with load or distance); a running maximum keeps bin noise from reversing it.
  for (size_t i = 1; i < ys_.size(); ++i) ys_[i] = std::max(ys_[i], ys_[i - 1]);
}

double ResponseCurve::At(double x) const {
  if (xs_.empty()) return std::nan("");
  if (x <= xs_.front()) return ys_.front();
  if (x >= xs_.back()) return ys_.back();
  const size_t high =
      static_cast<size_t>(std::upper_bound(xs_.begin(), xs_.end(), x) - xs_.begin());
  const size_t low = high - 1;
  const double weight = (x - xs_[low]) / (xs_[high] - xs_[low]);
  return ys_[low] * (1 - weight) + ys_[high] * weight;
}

IncidentSample::IncidentSample(const rca::IncidentModel& model) : matrix_(&model.sample) {
  const auto& matrix = model.sample;
  if (model.in_incident.size() != matrix.rows) {
    throw InvalidInput("incident sample: {} window flags for {} rows", model.in_incident.size(),
                       matrix.rows);
  }
  cancelled_.assign(matrix.rows, 0);
  std::vector<size_t> flags;
  for (auto flag : CANCEL_FLAGS) flags.push_back(matrix.Index(flag));
  for (size_t row = 0; row < matrix.rows; ++row) {
    (model.in_incident[row] ? incident_ : baseline_).push_back(row);
    for (size_t flag : flags) {
      if (matrix.At(row, flag) > 0.5F) cancelled_[row] = 1;
    }
  }
  if (incident_.empty() || baseline_.empty()) {
    throw InvalidInput("incident sample has {} baseline and {} incident orders; both are needed",
                       baseline_.size(), incident_.size());
  }
  std::vector<uint8_t> delivered(matrix.rows);
  for (size_t row = 0; row < matrix.rows; ++row) delivered[row] = cancelled_[row] ? 0 : 1;
  const size_t busy = matrix.Index("busy_ratio");
  busy_assign_ = ResponseCurve(matrix, busy, matrix.Index("assign_delay_min"), &delivered);
  busy_batched_ = ResponseCurve(matrix, busy, matrix.Index("is_batched"), &delivered);
  busy_no_dasher_ = ResponseCurve(matrix, busy, matrix.Index("cancel_no_dasher"));
  busy_customer_ = ResponseCurve(matrix, busy, matrix.Index("cancel_customer"));
  distance_quote_ =
      ResponseCurve(matrix, matrix.Index("distance_km"), matrix.Index("quoted_eta_min"));
  batched_at_equal_load_ = BatchedRiseAtEqualLoad(matrix, model.in_incident, delivered);
}

double IncidentSample::At(size_t row, std::string_view feature) const {
  return matrix_->At(row, matrix_->Index(feature));
}

bool IncidentSample::Cancelled(size_t row) const {
  return cancelled_[row] != 0;
}

double IncidentSample::Mean(std::string_view feature, bool incident, bool delivered_only) const {
  const size_t column = matrix_->Index(feature);
  double sum = 0;
  size_t n = 0;
  for (size_t row : incident ? incident_ : baseline_) {
    if (delivered_only && cancelled_[row]) continue;
    const double value = matrix_->At(row, column);
    if (!Known(value)) continue;
    sum += value;
    ++n;
  }
  return n == 0 ? std::nan("") : sum / static_cast<double>(n);
}

std::vector<double> IncidentSample::BaselineValues(std::string_view feature,
                                                   bool delivered_only) const {
  const size_t column = matrix_->Index(feature);
  std::vector<double> values;
  for (size_t row : baseline_) {
    if (delivered_only && cancelled_[row]) continue;
    const double value = matrix_->At(row, column);
    if (Known(value)) values.push_back(value);
  }
  std::sort(values.begin(), values.end());
  return values;
}

double IncidentSample::Rate(std::string_view flag, bool incident) const {
  return Mean(flag, incident, false);
}

double IncidentSample::LineRate(std::string_view count, bool incident) const {
  const size_t column = matrix_->Index(count);
  const size_t lines = matrix_->Index("n_lines");
  double units = 0;
  double total = 0;
  for (size_t row : incident ? incident_ : baseline_) {
    if (cancelled_[row]) continue;
    const double value = matrix_->At(row, column);
    const double n = matrix_->At(row, lines);
    if (!Known(value) || !Known(n)) continue;
    units += value;
    total += n;
  }
  return total > 0 ? units / total : 0.0;
}

double IncidentSample::AcceptRate(bool incident) const {
  const size_t substituted = matrix_->Index("substituted_lines");
  const size_t rejected = matrix_->Index("sub_reject_share");
  double subs = 0;
  double accepted = 0;
  for (size_t row : incident ? incident_ : baseline_) {
    const double n = matrix_->At(row, substituted);
    const double share = matrix_->At(row, rejected);
    if (cancelled_[row] || !Known(n) || n <= 0 || !Known(share)) continue;
    subs += n;
    accepted += n * (1 - share);
  }
  return subs > 0 ? accepted / subs : 1.0;
}

bool Counterfactual::Cancelled(size_t row) const {
  for (auto flag : CANCEL_FLAGS) {
    if (rows.At(row, rows.Index(flag)) > 0.5F) return true;
  }
  return false;
}

void Counterfactual::MapToBaseline(std::string_view feature, double target_mean, double strength) {
  const std::vector<double> baseline = sample->BaselineValues(feature, true);
  if (baseline.empty()) return;
  const double baseline_mean =
      std::accumulate(baseline.begin(), baseline.end(), 0.0) / static_cast<double>(baseline.size());
  const double scale = baseline_mean > 0 ? target_mean / baseline_mean : 1.0;
  const size_t column = rows.Index(feature);
  // Rank the delivered rows by value, ties in random order, and give each the baseline value of
  // its quantile: the counterfactual keeps each order's place in the distribution.
  std::vector<std::pair<double, double>> ranked;
  std::vector<size_t> order;
  for (size_t row = 0; row < rows.rows; ++row) {
    const double value = rows.At(row, column);
    if (Cancelled(row) || !Known(value)) continue;
    ranked.emplace_back(value, Uniform(rng));
    order.push_back(row);
  }
  std::vector<size_t> index(order.size());
  std::iota(index.begin(), index.end(), 0);
  std::sort(index.begin(), index.end(), [&](size_t a, size_t b) { return ranked[a] < ranked[b]; });
  const double n = static_cast<double>(index.size());
  for (size_t rank = 0; rank < index.size(); ++rank) {
    const size_t row = order[index[rank]];
    const double old_value = rows.At(row, column);
    const double mapped = Quantile(baseline, (static_cast<double>(rank) + 0.5) / n) * scale;
    rows.At(row, column) = static_cast<float>(old_value + strength * (mapped - old_value));
  }
}

void Counterfactual::SpeedUpPrep(double target_mean) {
  const size_t wait = rows.Index("prep_wait_min");
  const size_t assign = rows.Index("assign_delay_min");
  std::vector<size_t> known;
  double current = 0;
  for (size_t row = 0; row < rows.rows; ++row) {
    if (Cancelled(row) || !Known(rows.At(row, wait))) continue;
    known.push_back(row);
    current += rows.At(row, wait);
  }
  if (known.empty()) return;
  current /= static_cast<double>(known.size());
  if (!(target_mean < current)) {
    MapToBaseline("prep_wait_min", target_mean);
    return;
  }
  const auto waited = [&](size_t row, double factor) {
    const double w = rows.At(row, wait);
    const double a = rows.At(row, assign);
    if (!(w > 0) || !Known(a)) return w;
    return std::max(0.0, (a + w) * factor - a);
  };
  const auto mean_at = [&](double factor) {
    double sum = 0;
    for (size_t row : known) sum += waited(row, factor);
    return sum / static_cast<double>(known.size());
  };
  // The mean wait grows with the factor (1 leaves it as it is): bisection.
  double low = 0;
  double high = 1;
  for (int step = 0; step < 50; ++step) {
    const double mid = (low + high) / 2;
    (mean_at(mid) < target_mean ? low : high) = mid;
  }
  const double factor = (low + high) / 2;
  for (size_t row : known) rows.At(row, wait) = static_cast<float>(waited(row, factor));
}

std::vector<int> Counterfactual::ThinLines(std::string_view feature, double remove) {
  const size_t column = rows.Index(feature);
  std::vector<int> removed(rows.rows, 0);
  if (remove <= 0) return removed;
  for (size_t row = 0; row < rows.rows; ++row) {
    float& value = rows.At(row, column);
    if (!Known(value) || value <= 0) continue;
    const int count = static_cast<int>(std::lround(value));
    int kept = 0;
    for (int unit = 0; unit < count; ++unit) kept += Uniform(rng) < remove ? 0 : 1;
    removed[row] = count - kept;
    value = static_cast<float>(kept);
  }
  return removed;
}

void Counterfactual::ScaleBusy(double factor) {
  const size_t busy = rows.Index("busy_ratio");
  const size_t assign = rows.Index("assign_delay_min");
  const size_t batched = rows.Index("is_batched");
  const size_t batch_size = rows.Index("batch_size");
  const size_t no_dasher = rows.Index("cancel_no_dasher");
  const size_t customer = rows.Index("cancel_customer");
  // A ratio of expected levels, never above 1 when load falls (and the reverse when it grows).
  const auto ratio = [factor](const ResponseCurve& curve, double from, double to) {
    if (!curve.Valid()) return 1.0;
    const double before = curve.At(from);
    const double after = curve.At(to);
    if (!(before > 0)) return 1.0;
    const double r = after / before;
    return factor <= 1 ? std::min(r, 1.0) : std::max(r, 1.0);
  };
  const std::vector<float> assign_before = ColumnValues(rows, "assign_delay_min");
  for (size_t row = 0; row < rows.rows; ++row) {
    const double from = rows.At(row, busy);
    if (!Known(from)) continue;
    const double to = from * factor;
    rows.At(row, busy) = static_cast<float>(to);
    if (rows.At(row, no_dasher) > 0.5F) {
      if (Uniform(rng) >= ratio(sample->BusyToNoDasher(), from, to)) rows.At(row, no_dasher) = 0;
      continue;
    }
    if (rows.At(row, customer) > 0.5F) {
      if (Uniform(rng) >= ratio(sample->BusyToCustomerCancel(), from, to)) {
        rows.At(row, customer) = 0;
      }
      continue;
    }
    if (Cancelled(row)) continue;
    float& delay = rows.At(row, assign);
    if (Known(delay)) delay *= static_cast<float>(ratio(sample->BusyToAssign(), from, to));
    if (rows.At(row, batched) > 0.5F && Uniform(rng) >= ratio(sample->BusyToBatched(), from, to)) {
      rows.At(row, batched) = 0;
      rows.At(row, batch_size) = 1;
    }
  }
  CarryAssignToPrepWait(*this, assign_before);
}

void Counterfactual::SetLoad(double target_busy) {
  const double now = sample->Mean("busy_ratio", true, false);
  const double before = sample->Mean("busy_ratio", false, false);
  if (!(now > before) || !Known(target_busy)) {
    if (now > 0) ScaleBusy(target_busy / now);
    return;
  }
  // Quantile mapping restores the drivers' whole distributions; response curves of bin means
  // flatten the convex top of the load curve and would undo too little.
  const double strength = std::clamp((now - target_busy) / (now - before), 0.0, 1.0);
  const double busy_target = now - strength * (now - before);
  MapToBaseline("busy_ratio",
                busy_target * sample->Mean("busy_ratio", false, true) / std::max(before, 1e-9),
                strength);
  // A batching rise at equal load (a concurrent batching policy) is not the load's to undo.
  const std::vector<float> assign_before = ColumnValues(rows, "assign_delay_min");
  RestoreDispatch(strength, sample->BatchedAtEqualLoad());
  CarryAssignToPrepWait(*this, assign_before);
  if (target_busy < before) ScaleBusy(target_busy / before);
}

void Counterfactual::RestoreDispatch(double strength, double batched_kept) {
  if (!(strength > 0)) return;
  MapToBaseline("assign_delay_min", sample->Mean("assign_delay_min", false, true), strength);
  const auto clear = [&](std::string_view flag, bool delivered_share, double kept) {
    const double rate_now =
        delivered_share ? sample->Mean(flag, true, true) : sample->Rate(flag, true);
    const double rate_before =
        (delivered_share ? sample->Mean(flag, false, true) : sample->Rate(flag, false)) + kept;
    if (!(rate_now > rate_before)) return;
    const double p = strength * (1 - rate_before / rate_now);
    const size_t column = rows.Index(flag);
    const size_t size = rows.Index("batch_size");
    for (size_t row = 0; row < rows.rows; ++row) {
      if (rows.At(row, column) < 0.5F) continue;
      if (delivered_share && Cancelled(row)) continue;
      if (Uniform(rng) < p) {
        rows.At(row, column) = 0;
        if (delivered_share) rows.At(row, size) = 1;
      }
    }
  };
  clear("cancel_no_dasher", false, 0.0);
  clear("cancel_customer", false, 0.0);
  clear("is_batched", true, std::max(0.0, batched_kept));
}

void Counterfactual::DeliverLetThrough() {
  const std::vector<size_t>& incident = sample->IncidentRows();
  const size_t store_type = rows.Index("store_type");
  const size_t mode = rows.Index("fulfillment_mode");
  const auto key = [&](size_t row) {
    const float type = rows.At(row, store_type);
    const float m = rows.At(row, mode);
    return (Known(type) ? static_cast<int>(type) : -1) * 4 + (Known(m) ? static_cast<int>(m) : 3);
  };
  std::vector<size_t> let_through;
  std::vector<std::pair<int, size_t>> donors;  // (key, row), sorted by key
  for (size_t row = 0; row < rows.rows; ++row) {
    const bool was = sample->Cancelled(incident[row]);
    const bool now = Cancelled(row);
    if (was && !now) let_through.push_back(row);
    if (!was && !now) donors.emplace_back(key(row), row);
  }
  if (let_through.empty() || donors.empty()) return;
  std::sort(donors.begin(), donors.end());
  std::vector<size_t> columns;
  for (std::string_view name :
       {"is_batched", "batch_size", "assign_delay_min", "prep_wait_min", "shop_min", "weather",
        "n_lines", "missing_lines", "substituted_lines", "sub_reject_share"}) {
    columns.push_back(rows.Index(name));
  }
  for (size_t row : let_through) {
    const int k = key(row);
    auto first = std::lower_bound(donors.begin(), donors.end(), std::make_pair(k, size_t{0}));
    auto last = std::upper_bound(donors.begin(), donors.end(),
                                 std::make_pair(k, std::numeric_limits<size_t>::max()));
    if (first == last) {
      first = donors.begin();
      last = donors.end();
    }
    const auto span = static_cast<size_t>(last - first);
    const size_t donor =
        (first + static_cast<std::ptrdiff_t>(std::min(
                     span - 1, static_cast<size_t>(Uniform(rng) * static_cast<double>(span)))))
            ->second;
    for (size_t column : columns) rows.At(row, column) = rows.At(donor, column);
  }
}

Counterfactual MakeCounterfactual(const IncidentSample& sample, uint64_t seed) {
  Counterfactual counterfactual;
  counterfactual.sample = &sample;
  counterfactual.rows = sample.Matrix().Rows(sample.IncidentRows());
  counterfactual.rng.seed(seed);
  return counterfactual;
}

}  // namespace cxagent::recommend
