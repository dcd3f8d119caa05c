#include "rca/rca.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <future>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <set>

#include "common/error.hpp"
#include "detect/incidents.hpp"
#include "storage/dataset.hpp"
#include "storage/duckdb.hpp"
#include "storage/needs.hpp"

namespace cxagent::rca {

// The orders behind the CX model of one incident.
struct Sample {
  FeatureMatrix features;
  std::vector<int64_t> order_ids;
  std::vector<uint8_t> in_incident;
  std::vector<double> cx;
  std::vector<float> late_min;  // NaN without a delivery (IncidentModel::late_min)
  std::vector<int32_t> day;     // index into the panel's dates
  std::vector<uint8_t> dispatched;
  size_t baseline_rows = 0;
  size_t incident_rows = 0;
};

namespace {

constexpr double NaN = std::numeric_limits<double>::quiet_NaN();

double Clip01(double x) {
  return std::isnan(x) ? 0.0 : std::clamp(x, 0.0, 1.0);
}

double Round(double x, int digits = 4) {
  if (!std::isfinite(x)) return x;
  const double scale = std::pow(10.0, digits);
  return std::round(x * scale) / scale;
}

nlohmann::json Number(double x, int digits = 4) {
  if (!std::isfinite(x)) return nullptr;
  return Round(x, digits);
}

double Sign(Direction direction) {
  return direction == Direction::UP ? 1.0 : -1.0;
}

// ---------------------------------------------------------------------------------------------
// The sample behind the CX model.

int64_t Threshold(double wanted, double available) {
  if (!(available > 0) || wanted >= available) return 1'000'000;
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(wanted / available * 1e6)));
}

// The share of a window's `orders` that incident_facts keeps (IncidentWindows' facts shares).
double FactsShare(int facts_per_window, double orders) {
  return static_cast<double>(Threshold(facts_per_window, orders)) / 1e6;
}

// The hash bucket below which incident_facts keeps an order of a window kept at `share`.
int64_t FactsBelow(double share) {
  return static_cast<int64_t>(std::ceil(share * 1e6));
}

// What one incident's sample needs: its windows and how many orders each window holds.
struct SampleRequest {
  const IncidentWindows* windows = nullptr;
  double baseline_orders = 0;
  double incident_orders = 0;
};

// The orders of every incident's slice over its windows, each window drawn at its facts share,
// selected from the orders table alone and then read through `selected_order_facts` (which joins
// only their rows of the other tables): the samples, and any later stage, then read a small table.
// A window that `kept` has drawn before takes those days' orders from its rows.
void BuildIncidentFacts(storage::Connection& connection,
                        const std::vector<const IncidentWindows*>& windows,
                        KeptFacts* kept = nullptr) {
  std::vector<std::string> fresh;
  std::vector<std::string> taken;
  const auto draw = [](const std::string& slice, Date first, Date last, int64_t below) {
    return fmt::format(
        "({} AND order_date BETWEEN DATE '{}' AND DATE '{}' AND hash(order_id) % 1000000 < {})",
        slice, FormatDate(first), FormatDate(last), below);
  };
  for (const IncidentWindows* w : windows) {
    const std::string slice = SliceCondition(w->slice);
    const std::string text = w->slice.ToText();
    for (const FactsDraw& want :
         {FactsDraw{w->baseline_start, w->baseline_end, FactsBelow(w->baseline_facts_share)},
          FactsDraw{w->start, w->end, FactsBelow(w->incident_facts_share)}}) {
      const FactsDraw* before = nullptr;
      if (kept != nullptr) {
        for (const auto& [kept_slice, d] : kept->draws) {
          if (kept_slice == text && d.first == want.first && d.last <= want.last &&
              d.first <= d.last && want.below <= d.below) {
            before = &d;
            break;
          }
        }
      }
      if (before == nullptr) {
        fresh.push_back(draw(slice, want.first, want.last, want.below));
        continue;
      }
      ++kept->taken;
      taken.push_back(draw(slice, want.first, before->last, want.below));
      if (before->last < want.last) {
        fresh.push_back(draw(slice, AddDays(before->last, 1), want.last, want.below));
      }
    }
  }
  if (taken.empty()) {
    connection.Execute(fmt::format(
        "CREATE OR REPLACE TEMP TABLE selected_orders AS SELECT order_id FROM order_rows WHERE "
        "{}; CREATE OR REPLACE TEMP TABLE incident_facts AS SELECT * FROM selected_order_facts",
        fresh.empty() ? "FALSE" : fmt::format("{}", fmt::join(fresh, " OR "))));
    return;
  }
  // An order two windows share is kept once, from the earlier analysis when one takes it there.
  connection.Execute(fmt::format(
      "CREATE OR REPLACE TEMP TABLE kept_facts AS SELECT * FROM {0} WHERE {1}; "
      "CREATE OR REPLACE TEMP TABLE selected_orders AS SELECT order_id FROM order_rows WHERE ({2}) "
      "AND order_id NOT IN (SELECT order_id FROM kept_facts); "
      "CREATE OR REPLACE TEMP TABLE incident_facts AS SELECT * FROM kept_facts UNION ALL BY NAME "
      "SELECT * FROM selected_order_facts; DROP TABLE kept_facts",
      kept->relation, fmt::join(taken, " OR "),
      fresh.empty() ? "FALSE" : fmt::format("{}", fmt::join(fresh, " OR "))));
}

// The samples of several incidents in one pass over incident_facts. Stratified by window (each
// window gets its own rate, so both are equally represented) and, through the hash, proportionally
// by day within a window. Deterministic: the same orders are drawn on every run.
std::vector<Sample> LoadSamples(storage::Connection& connection,
                                const std::vector<SampleRequest>& requests, int per_window,
                                const DataLimits& limits) {
  std::vector<Sample> samples(requests.size());
  if (requests.empty()) return samples;
  std::vector<std::string> flags;
  std::vector<std::string> conditions;
  for (size_t k = 0; k < requests.size(); ++k) {
    const IncidentWindows& w = *requests[k].windows;
    const std::string condition = fmt::format(
        "({slice} AND ((order_date BETWEEN DATE '{bs}' AND DATE '{be}' AND "
        "hash(order_id) % 1000000 < {tb}) OR (order_date BETWEEN DATE '{start}' AND DATE '{end}' "
        "AND hash(order_id) % 1000000 < {ti})))",
        fmt::arg("slice", SliceCondition(w.slice)), fmt::arg("bs", FormatDate(w.baseline_start)),
        fmt::arg("be", FormatDate(w.baseline_end)), fmt::arg("start", FormatDate(w.start)),
        fmt::arg("end", FormatDate(w.end)),
        fmt::arg("tb", Threshold(per_window, requests[k].baseline_orders)),
        fmt::arg("ti", Threshold(per_window, requests[k].incident_orders)));
    flags.push_back(fmt::format("{}::INTEGER AS m{}", condition, k));
    conditions.push_back(condition);
  }
  const storage::Table table = connection.Query(fmt::format(
      "SELECT order_id, order_date::DATE AS d, cx_score, is_dispatched::INTEGER AS dispatched, "
      "late_min::DOUBLE AS observed_late_min, {}, {} FROM incident_facts WHERE {} ORDER BY "
      "hash(order_id + 7919), order_id",
      OrderFeatureColumnsSql(), fmt::join(flags, ", "), fmt::join(conditions, " OR ")));
  FeatureMatrix all = EncodeOrderFeatures(table, false);
  // Imputation tells dispatched orders by their batch size: without that column, every dispatched
  // order counts as a batch of one.
  if (limits.FeatureMissing("batch_size")) {
    const size_t batch_size = all.Index("batch_size");
    const auto& is_dispatched = table.Get("dispatched");
    for (size_t row = 0; row < all.rows; ++row) {
      if (!is_dispatched.IsNull(row) && is_dispatched.ints[row] != 0) all.At(row, batch_size) = 1;
    }
  }
  const auto& ids = table.Get("order_id");
  const auto& dates = table.Get("d");
  const auto& cx = table.Get("cx_score");
  const auto& dispatched = table.Get("dispatched");
  const auto& late = table.Get("observed_late_min");
  for (size_t k = 0; k < requests.size(); ++k) {
    const IncidentWindows& w = *requests[k].windows;
    const auto& member = table.Get(fmt::format("m{}", k));
    std::vector<size_t> rows;
    for (size_t row = 0; row < table.RowCount(); ++row) {
      if (!member.IsNull(row) && member.ints[row] != 0) rows.push_back(row);
    }
    Sample& sample = samples[k];
    sample.features = all.Rows(rows);
    ImputeUndispatched(sample.features);
    // A feature the data lacks is NaN for every order (imputation may have filled it), so the
    // model never splits on it and TreeSHAP gives it nothing.
    for (const auto& feature : limits.features) {
      const size_t column = sample.features.Index(feature);
      for (size_t row = 0; row < sample.features.rows; ++row) {
        sample.features.At(row, column) = std::numeric_limits<float>::quiet_NaN();
      }
    }
    for (size_t row : rows) {
      const Date date{static_cast<int32_t>(dates.ints[row])};
      sample.day.push_back(date.days - w.baseline_start.days);
      sample.dispatched.push_back(!dispatched.IsNull(row) && dispatched.ints[row] != 0 ? 1 : 0);
      sample.order_ids.push_back(ids.ints[row]);
      const bool in_incident = date >= w.start;
      sample.in_incident.push_back(in_incident ? 1 : 0);
      sample.cx.push_back(cx.IsNull(row) ? 0.0 : cx.doubles[row]);
      sample.late_min.push_back(late.IsNull(row) ? std::numeric_limits<float>::quiet_NaN()
                                                 : static_cast<float>(late.doubles[row]));
      (in_incident ? sample.incident_rows : sample.baseline_rows) += 1;
    }
  }
  return samples;
}

// TreeSHAP contributions of `rows` on `threads` workers, each with its own copy of the model.
std::vector<double> ParallelContributions(const CxModel& model, const FeatureMatrix& rows,
                                          int threads) {
  const size_t chunks =
      std::clamp<size_t>(static_cast<size_t>(threads), 1, std::max<size_t>(rows.rows / 500, 1));
  if (chunks <= 1) return model.Contributions(rows);
  const std::string bytes = model.SaveToBytes();
  const size_t width = rows.Columns() + 1;
  std::vector<double> out(rows.rows * width);
  std::vector<std::future<void>> futures;
  for (size_t chunk = 0; chunk < chunks; ++chunk) {
    futures.push_back(std::async(std::launch::async, [&, chunk] {
      const size_t begin = rows.rows * chunk / chunks;
      const size_t end = rows.rows * (chunk + 1) / chunks;
      std::vector<size_t> indices(end - begin);
      std::iota(indices.begin(), indices.end(), begin);
      const CxModel copy = CxModel::LoadFromBytes(bytes);
      const std::vector<double> part = copy.Contributions(rows.Rows(indices));
      std::copy(part.begin(), part.end(), out.begin() + static_cast<std::ptrdiff_t>(begin * width));
    }));
  }
  for (auto& future : futures) future.get();
  return out;
}

Attribution Attribute(const CxModel& model, const Sample& sample, int per_window, int threads,
                      const DataLimits& limits) {
  Attribution attribution;
  std::vector<size_t> rows;
  size_t baseline = 0;
  size_t incident = 0;
  for (size_t row = 0; row < sample.in_incident.size(); ++row) {
    size_t& count = sample.in_incident[row] ? incident : baseline;
    if (count >= static_cast<size_t>(per_window)) continue;
    ++count;
    rows.push_back(row);
  }
  const FeatureMatrix subset = sample.features.Rows(rows);
  const std::vector<double> contributions = ParallelContributions(model, subset, threads);
  const size_t width = subset.Columns() + 1;
  std::vector<double> sum_baseline(subset.Columns(), 0.0);
  std::vector<double> sum_incident(subset.Columns(), 0.0);
  for (size_t i = 0; i < rows.size(); ++i) {
    auto& sums = sample.in_incident[rows[i]] ? sum_incident : sum_baseline;
    for (size_t f = 0; f < subset.Columns(); ++f) sums[f] += contributions[i * width + f];
  }
  attribution.baseline_rows = baseline;
  attribution.incident_rows = incident;
  for (size_t f = 0; f < subset.Columns(); ++f) {
    // A blanked feature contributes nothing: it is not part of the account.
    if (limits.FeatureMissing(subset.names[f])) continue;
    FeatureAttribution feature;
    feature.feature = subset.names[f];
    const FeatureSpec* spec = FindOrderFeature(feature.feature);
    feature.label = spec != nullptr ? std::string(spec->label) : feature.feature;
    feature.baseline = sum_baseline[f] / static_cast<double>(std::max<size_t>(baseline, 1));
    feature.incident = sum_incident[f] / static_cast<double>(std::max<size_t>(incident, 1));
    feature.delta = feature.incident - feature.baseline;
    attribution.explained += feature.delta;
    if (feature.delta < 0) attribution.gross_loss -= feature.delta;
    attribution.features.push_back(std::move(feature));
  }
  double cx_baseline = 0;
  double cx_incident = 0;
  for (size_t row = 0; row < sample.cx.size(); ++row) {
    (sample.in_incident[row] ? cx_incident : cx_baseline) += sample.cx[row];
  }
  attribution.observed =
      cx_incident / static_cast<double>(std::max<size_t>(sample.incident_rows, 1)) -
      cx_baseline / static_cast<double>(std::max<size_t>(sample.baseline_rows, 1));
  attribution.valid = true;
  return attribution;
}

// ---------------------------------------------------------------------------------------------
// One hypothesis' causal checks.

std::span<const double> Before(const std::vector<double>& series, const Panel& panel) {
  return std::span<const double>(series.data(), panel.baseline_end);
}
std::span<const double> After(const std::vector<double>& series, const Panel& panel) {
  return std::span<const double>(series.data() + panel.incident_begin,
                                 series.size() - panel.incident_begin);
}

nlohmann::json Series(const Panel& panel, const std::vector<double>& values,
                      const char* key = "value") {
  nlohmann::json out = nlohmann::json::array();
  for (size_t day = 0; day < panel.dates.size(); ++day) {
    out.push_back({{"date", FormatDate(panel.dates[day])}, {key, Number(values[day])}});
  }
  return out;
}

nlohmann::json Interval(double mean, double low, double high) {
  return {{"mean", Number(mean)}, {"ci90", {Number(low), Number(high)}}};
}

double AverageDailyOrders(const Unit& unit) {
  return unit.days.empty() ? 0 : unit.orders / static_cast<double>(unit.days.size());
}

Unit Pool(const std::vector<const Unit*>& units, size_t days) {
  Unit pooled;
  pooled.days.assign(days, DaySums{});
  for (const Unit* unit : units) {
    for (size_t day = 0; day < days; ++day) {
      for (size_t i = 0; i < SUM_COUNT; ++i) pooled.days[day][i] += unit->days[day][i];
    }
    pooled.orders += unit->orders;
  }
  return pooled;
}

// A driver's daily series net of a confounder: each dispatched order's value minus the baseline's
// mean at the same level of the confounder (baseline deciles), plus the baseline mean. Empty when
// the sample is too small.
std::vector<double> AdjustedSeries(const Sample& sample, const Panel& panel,
                                   const std::string& feature, const std::string& confounder) {
  const size_t f = sample.features.Index(feature);
  const size_t c = sample.features.Index(confounder);
  std::vector<float> levels;
  double baseline_sum = 0;
  for (size_t row = 0; row < sample.cx.size(); ++row) {
    if (sample.in_incident[row] || !sample.dispatched[row]) continue;
    const float level = sample.features.At(row, c);
    const float value = sample.features.At(row, f);
    if (std::isnan(level) || std::isnan(value)) continue;
    levels.push_back(level);
    baseline_sum += value;
  }
  if (levels.size() < 100) return {};
  const double baseline_mean = baseline_sum / static_cast<double>(levels.size());
  std::sort(levels.begin(), levels.end());
  std::vector<float> edges;  // upper edges of the first nine deciles
  for (int q = 1; q < 10; ++q) {
    const float edge = levels[levels.size() * static_cast<size_t>(q) / 10];
    if (edges.empty() || edge > edges.back()) edges.push_back(edge);
  }
  const auto bin_of = [&](float level) {
    return static_cast<size_t>(std::upper_bound(edges.begin(), edges.end(), level) - edges.begin());
  };
  std::vector<double> bin_sum(edges.size() + 1, 0.0);
  std::vector<double> bin_count(edges.size() + 1, 0.0);
  for (size_t row = 0; row < sample.cx.size(); ++row) {
    if (sample.in_incident[row] || !sample.dispatched[row]) continue;
    const float level = sample.features.At(row, c);
    const float value = sample.features.At(row, f);
    if (std::isnan(level) || std::isnan(value)) continue;
    const size_t bin = bin_of(level);
    bin_sum[bin] += value;
    bin_count[bin] += 1;
  }
  std::vector<double> excess(panel.dates.size(), 0.0);
  std::vector<double> count(panel.dates.size(), 0.0);
  for (size_t row = 0; row < sample.cx.size(); ++row) {
    if (!sample.dispatched[row]) continue;
    const int32_t day = sample.day[row];
    if (day < 0 || static_cast<size_t>(day) >= panel.dates.size()) continue;
    const float level = sample.features.At(row, c);
    const float value = sample.features.At(row, f);
    if (std::isnan(level) || std::isnan(value)) continue;
    const size_t bin = bin_of(level);
    if (bin_count[bin] <= 0) continue;
    excess[static_cast<size_t>(day)] += value - bin_sum[bin] / bin_count[bin];
    count[static_cast<size_t>(day)] += 1;
  }
  std::vector<double> series(panel.dates.size(), NaN);
  for (size_t day = 0; day < series.size(); ++day) {
    if (count[day] >= 5) series[day] = baseline_mean + excess[day] / count[day];
  }
  return series;
}

// The baseline's mean daily units of a share metric (its binomial variance, BaselineVarianceZ);
// 0 for a metric that is not a share.
double DailyUnits(const PanelMetric& metric, const Unit& unit, const Panel& panel) {
  if (metric.share_of == Sum::COUNT_) return 0;
  double units = 0;
  size_t days = 0;
  for (size_t day = 0; day < panel.baseline_end && day < unit.days.size(); ++day) {
    const double count = unit.days[day][static_cast<size_t>(metric.share_of)];
    if (count > 0) {
      units += count;
      ++days;
    }
  }
  return days > 0 ? units / static_cast<double>(days) : 0;
}

CauseResult Evaluate(const Hypothesis& hypothesis, const Panel& panel,
                     const std::vector<Change>& changes, const IncidentWindows& windows,
                     const RcaConfig& config, const Sample* sample, const DataLimits& limits) {
  CauseResult result;
  result.hypothesis = &hypothesis;
  Signals& signals = result.signals;

  // Each driver's tested daily series (adjusted, when it is), for its signature's z.
  std::vector<std::vector<double>> tested(hypothesis.drivers.size());
  for (size_t d = 0; d < hypothesis.drivers.size(); ++d) {
    const DriverSpec& driver = hypothesis.drivers[d];
    const PanelMetric& metric = *FindPanelMetric(driver.metric);
    if (const MissingEvidence* missing = limits.Metric(driver.metric)) {
      // Its sums read 0 without the columns: not a measurement, so not tested.
      result.driver_shifts.emplace_back();
      result.raw_shifts.emplace_back();
      result.missing_drivers.push_back(*missing);
      continue;
    }
    const std::vector<double> raw = MetricSeries(metric, panel.treated);
    std::vector<double> series = raw;
    std::string label(metric.label);
    nlohmann::json unadjusted;
    if (!driver.adjust_for.empty() && sample != nullptr) {
      std::vector<double> adjusted =
          AdjustedSeries(*sample, panel, driver.order_feature, driver.adjust_for);
      if (!adjusted.empty()) {
        const ShiftResult plain = ShiftTest(Before(raw, panel), After(raw, panel));
        unadjusted = {{"before", Number(plain.before)}, {"after", Number(plain.after)}};
        series = std::move(adjusted);
        const FeatureSpec* spec = FindOrderFeature(driver.adjust_for);
        std::string confounder = spec != nullptr ? std::string(spec->label) : driver.adjust_for;
        if (!confounder.empty()) confounder[0] = static_cast<char>(std::tolower(confounder[0]));
        label += fmt::format(" (at the baseline's {})", confounder);
      }
    }
    const ShiftResult shift = ShiftTest(Before(series, panel), After(series, panel));
    tested[d] = series;
    result.driver_shifts.push_back(shift);
    result.raw_shifts.push_back(
        unadjusted.is_null() ? shift : ShiftTest(Before(raw, panel), After(raw, panel)));
    if (!shift.valid && shift.n_before == 0 && shift.n_after == 0) continue;  // metric absent
    result.driver_records.push_back({{"kind", "driver_shift"},
                                     {"metric", driver.metric},
                                     {"label", label},
                                     {"expected", DirectionName(driver.direction)},
                                     {"before", Number(shift.before)},
                                     {"after", Number(shift.after)},
                                     {"delta", Interval(shift.delta, shift.low, shift.high)},
                                     {"z", Number(shift.z, 2)},
                                     {"change_date", FormatDate(windows.start)},
                                     {"series", Series(panel, series)}});
    if (!unadjusted.is_null()) result.driver_records.back()["unadjusted"] = unadjusted;
  }

  // Each signature driver: how far it moved, in the expected direction, and whether the slice's
  // siblings moved with it (then it cannot explain a drop that is the slice's own). The strongest
  // one chooses the controls of the difference in differences.
  std::vector<const Unit*> controls;
  for (size_t d = 0; d < hypothesis.drivers.size(); ++d) {
    const DriverSpec& driver = hypothesis.drivers[d];
    if (!driver.signature || limits.Metric(driver.metric) != nullptr) continue;
    const PanelMetric& metric = *FindPanelMetric(driver.metric);
    const ShiftResult& shift = result.driver_shifts[d];
    const double sign = Sign(driver.direction);
    const double treated_move = sign * shift.delta;
    SignatureEvidence evidence;
    evidence.driver = d;
    if (shift.valid) {
      evidence.z = sign * shift.z;
      if (config.baseline_variance_z && !metric.day_level) {
        evidence.z = sign * BaselineVarianceZ(Before(tested[d], panel), shift,
                                              DailyUnits(metric, panel.treated, panel));
      }
      evidence.relative =
          treated_move / std::max(std::fabs(shift.before), 1e-3 + 1e-9 * std::fabs(shift.after));
    }
    std::map<std::string, std::vector<double>> sibling_moves;  // by the dimension they vary
    std::vector<const Unit*> unmoved;
    for (const Unit& sibling : panel.siblings) {
      if (AverageDailyOrders(sibling) < config.control_min_daily_orders) continue;
      const std::vector<double> series = MetricSeries(metric, sibling);
      const ShiftResult sibling_shift = ShiftTest(Before(series, panel), After(series, panel));
      double move = sibling_shift.valid ? sign * sibling_shift.delta : 0.0;
      // A total is compared at the slice's size: a sibling half as large moving half as many
      // orders moved alike (held-out world random-7919-011: a merchant's prep delay inside its
      // region's demand surge, its orders up 22% as every merchant's there, read as a surge of
      // its own because the smaller merchants gained fewer orders).
      if (metric.extensive && move != 0.0) {
        move = sibling_shift.before > 0 && shift.before > 0
                   ? move * shift.before / sibling_shift.before
                   : 0.0;
      }
      sibling_moves[sibling.dimension].push_back(move);
      if (treated_move <= 0 || move <= config.control_max_driver_share * treated_move) {
        unmoved.push_back(&sibling);
      }
    }
    // Specific when, along some dimension, the siblings did not share the move: the cause acts
    // on this slice or on a wider one containing it (when the localized slice is narrower than the
    // cause's, siblings along the other dimensions move too). A driver that moved along every
    // dimension moved everywhere.
    if (!sibling_moves.empty() && treated_move > 0) {
      // Along a dimension a concurrent wider incident leaves open, the siblings are that
      // incident's slice too: a driver that moved as much there is its cause, not this slice's
      // own (random-6389-023: a radius expansion over Los Angeles and a demand surge in its
      // restaurants a day apart; the restaurants' longer trips were the region's). The
      // specificity is then at most that of the open dimension whose siblings moved most.
      double least = std::numeric_limits<double>::infinity();
      std::optional<double> most_open;
      for (auto& [name, moves] : sibling_moves) {
        auto middle = moves.begin() + static_cast<std::ptrdiff_t>(moves.size() / 2);
        std::nth_element(moves.begin(), middle, moves.end());
        least = std::min(least, *middle);
        const std::string& dimension = name;  // a lambda cannot capture a structured binding
        const bool open =
            config.wider_incidents &&
            std::any_of(windows.wider.begin(), windows.wider.end(),
                        [&](const Slice& wider) { return wider.Pairs().count(dimension) == 0; });
        if (open) most_open = std::max(most_open.value_or(*middle), *middle);
      }
      evidence.specific = Clip01(1.0 - std::max(0.0, least) / treated_move);
      if (most_open) {
        const double capped =
            std::min(evidence.specific, Clip01(1.0 - std::max(0.0, *most_open) / treated_move));
        evidence.wider = evidence.specific - capped;  // scaled below as the evidence is
        evidence.specific = capped;
      }
    }
    const double strength = Clip01((evidence.z - 2.0) / 4.0) * Clip01(evidence.relative / 0.10);
    evidence.evidence = strength * evidence.specific;
    evidence.wider *= strength;
    evidence.discounted = evidence.evidence;
    if (result.signatures.empty() || evidence.evidence > result.signatures[result.best].evidence) {
      result.best = result.signatures.size();
      controls = std::move(unmoved);
    }
    result.signatures.push_back(evidence);
  }
  {
    const SignatureEvidence& best = result.signatures[result.best];
    signals.driver_z = best.z;
    signals.driver_relative = best.relative;
    signals.driver_specific = best.specific;
    signals.driver_evidence = best.evidence;
  }

  // Difference in differences of the CX Score against the controls the driver did not move.
  if (!controls.empty()) {
    const Unit pooled = Pool(controls, panel.dates.size());
    const PanelMetric& cx = *FindPanelMetric("cx_score");
    const std::vector<double> treated = MetricSeries(cx, panel.treated);
    const std::vector<double> control = MetricSeries(cx, pooled);
    std::vector<bool> post(panel.dates.size());
    std::vector<bool> use(panel.dates.size());
    for (size_t day = 0; day < panel.dates.size(); ++day) {
      post[day] = day >= panel.incident_begin;
      use[day] = day < panel.baseline_end || day >= panel.incident_begin;
    }
    result.did = DiffInDiff(treated, control, post, use);
    // Placebo: the same estimate inside the baseline, with a fake change at its midpoint.
    std::vector<bool> placebo_post(panel.dates.size(), false);
    std::vector<bool> placebo_use(panel.dates.size(), false);
    for (size_t day = 0; day < panel.baseline_end; ++day) {
      placebo_use[day] = true;
      placebo_post[day] = day >= panel.baseline_end / 2;
    }
    const DidResult placebo = DiffInDiff(treated, control, placebo_post, placebo_use);
    if (result.did.valid) {
      signals.did_valid = true;
      signals.did_t = -result.did.t;
      signals.placebo_p = placebo.valid ? placebo.p_value : 1.0;
      for (const Unit* unit : controls) result.controls.push_back(unit->slice.ToText());
      nlohmann::json placebo_json = nlohmann::json::object();
      placebo_json["estimate"] = placebo.valid ? Number(placebo.estimate) : nlohmann::json(nullptr);
      placebo_json["p_value"] = placebo.valid ? Number(placebo.p_value) : nlohmann::json(nullptr);
      result.did_record = nlohmann::json{
          {"kind", "did"},
          {"metric", "cx_score"},
          {"estimate", Interval(result.did.estimate, result.did.low, result.did.high)},
          {"p_value", Number(result.did.p_value)},
          {"placebo", placebo_json},
          {"controls", result.controls},
          {"treated", Series(panel, treated)},
          {"control", Series(panel, control)}};
    }
  }

  // change_log: evidence, never proof. Only changes of a kind this cause could come from are
  // shown; a consistent one (timing and scope) adds to the confidence.
  for (const Change& change : changes) {
    const ChangeCheck check =
        CheckChange(change, hypothesis, windows.slice, windows.start, config.change_window_days);
    if (!check.kind || std::abs(check.days_from_start) > 30) continue;
    result.change_records.push_back({{"kind", "change_log"},
                                     {"change_id", change.id},
                                     {"changed_at", change.changed_at},
                                     {"change_kind", change.kind},
                                     {"scope", change.scope},
                                     {"description", change.description},
                                     {"consistent", check.consistent},
                                     {"reason", check.reason}});
    if (check.consistent && !signals.change_consistent) {
      signals.change_consistent = true;
      signals.change_id = change.id;
      result.change = change;
    }
  }
  return result;
}

// A signature that another hypothesis' own signature also explains counts only as far as that
// one does not: evidence x (1 - the explainer's undiscounted evidence). The cause keeps its best
// signature after discounting.
void Discount(std::vector<CauseResult>& causes) {
  std::map<std::string, double> raw;
  for (const auto& cause : causes) raw[cause.hypothesis->id] = cause.signals.driver_evidence;
  for (auto& cause : causes) {
    size_t best = cause.best;
    double best_value = -1;
    for (size_t i = 0; i < cause.signatures.size(); ++i) {
      SignatureEvidence& signature = cause.signatures[i];
      double explained = 0;
      for (const auto& other : cause.hypothesis->drivers[signature.driver].explained_by) {
        const auto found = raw.find(other);
        if (found != raw.end() && found->second > explained) {
          explained = found->second;
          signature.explained_by = other;
        }
      }
      signature.discounted = signature.evidence * (1.0 - explained);
      if (signature.discounted > best_value) {
        best_value = signature.discounted;
        best = i;
      }
    }
    if (cause.signatures.empty()) continue;
    cause.best = best;
    const SignatureEvidence& chosen = cause.signatures[best];
    cause.signals.driver_z = chosen.z;
    cause.signals.driver_relative = chosen.relative;
    cause.signals.driver_specific = chosen.specific;
    cause.signals.driver_evidence = chosen.discounted;
    if (chosen.discounted < 0.5 * chosen.evidence) cause.signals.explained_by = chosen.explained_by;
  }
}

// The evidence of a cause that a concurrent wider incident holds (SignatureEvidence::wider, its
// largest): a share of what the causes split that goes to none of them.
double WiderEvidence(const CauseResult& cause) {
  double wider = 0;
  for (const auto& signature : cause.signatures) wider = std::max(wider, signature.wider);
  return wider;
}

// Splits the SHAP change of every feature among the hypotheses that name it: all of it to the
// one owning it, a shared one in proportion to the driver evidence. Evidence a concurrent wider
// incident holds takes its share too, which stays that incident's (held-out world
// random-5309-002: an ETA regression in Austin's dinner restaurants two days before a surge over
// Austin; the surge's share of the dinner's longer assignment delays went to a supply shortage
// whose dashers had not moved, named first).
void AllocateImpact(std::vector<CauseResult>& causes, Attribution& attribution,
                    double observed_delta) {
  if (!attribution.valid) {
    // No model (too few orders): the observed change split by driver evidence.
    double total = 0;
    for (const auto& cause : causes) total += cause.signals.driver_evidence + WiderEvidence(cause);
    for (auto& cause : causes) {
      const double share = total > 0 ? cause.signals.driver_evidence / total : 0.0;
      cause.impact = observed_delta * share;
      cause.signals.shap_share = share;
    }
    return;
  }
  std::map<std::string, double> shared_evidence;
  for (const auto& cause : causes) {
    for (const auto& feature : cause.hypothesis->shared_features) {
      shared_evidence[feature] += cause.signals.driver_evidence + WiderEvidence(cause);
    }
  }
  for (auto& cause : causes) {
    double impact = 0;
    for (const auto& f : attribution.features) {
      const auto& own = cause.hypothesis->own_features;
      const auto& shared = cause.hypothesis->shared_features;
      if (std::find(own.begin(), own.end(), f.feature) != own.end()) {
        impact += f.delta;
      } else if (std::find(shared.begin(), shared.end(), f.feature) != shared.end()) {
        const double total = shared_evidence[f.feature];
        if (total > 0) impact += f.delta * cause.signals.driver_evidence / total;
      }
    }
    cause.impact = impact;
  }
  // Shares of the loss: features that move together (is_batched and batch_size) can carry large
  // SHAP changes of opposite sign, so the loss is the model's net drop, or the sum of the causes'
  // losses when that is larger, never the sum of the negative feature changes.
  double causes_loss = 0;
  for (const auto& cause : causes) causes_loss += std::max(0.0, -cause.impact);
  attribution.loss = std::max(-attribution.explained, causes_loss);
  for (auto& cause : causes) {
    cause.signals.shap_share =
        attribution.loss > 0 ? Clip01(-cause.impact / attribution.loss) : 0.0;
  }
}

double RankScore(const CauseResult& cause) {
  return cause.confidence * std::max(0.0, -cause.impact);
}

// ---------------------------------------------------------------------------------------------
// Narrative.

std::string FormatValue(const PanelMetric& metric, double value) {
  if (!std::isfinite(value)) return "n/a";
  if (metric.percent) return fmt::format("{:.1f}%", 100 * value);
  if (metric.name == "active_dashers" || metric.name == "order_volume") {
    return fmt::format("{:.0f}", value);
  }
  if (metric.name == "busy_ratio") return fmt::format("{:.2f}", value);
  return fmt::format("{:.1f} {}", value, metric.unit);
}

std::string Narrative(const IncidentRca& rca) {
  std::vector<std::string> sentences;
  const double drop = rca.current - rca.baseline;
  sentences.push_back(
      fmt::format("CX {} {:.1f} points in {} from {} ({:.1f} to {:.1f}{}).",
                  drop < 0 ? "fell" : "rose", std::fabs(drop), rca.windows.slice.ToText(),
                  FormatDate(rca.windows.start), rca.baseline, rca.current,
                  rca.windows.cut ? fmt::format(" over its first {} days, to {}",
                                                rca.windows.end.days - rca.windows.start.days + 1,
                                                FormatDate(rca.windows.end))
                                  : std::string()));
  if (!rca.windows.narrower.empty()) {
    std::vector<std::string> names;
    for (const Slice& slice : rca.windows.narrower) names.push_back(slice.ToText());
    sentences.push_back(
        fmt::format("Its drivers are read without the orders of {}, a narrower "
                    "incident's.",
                    fmt::join(names, " and ")));
  }
  if (rca.causes.empty()) return sentences.front();
  const CauseResult& top = rca.causes.front();
  const Hypothesis& h = *top.hypothesis;
  const double loss = rca.attribution.valid ? rca.attribution.loss : -drop;
  std::string sentence;
  if (loss > 0 && top.impact < 0) {
    sentence = fmt::format("{:.0f}% of the loss ({:.1f} points) comes from {}",
                           100 * Clip01(-top.impact / loss), -top.impact, h.mechanism);
  } else {
    sentence = fmt::format("The strongest candidate is {} ({})", h.label, h.mechanism);
  }
  const size_t signature = top.signatures.empty() ? 0 : top.signatures[top.best].driver;
  const ShiftResult& shift = top.raw_shifts[signature];
  const PanelMetric& metric = *FindPanelMetric(h.drivers[signature].metric);
  if (shift.valid) {
    sentence +=
        fmt::format("; {} {} from {} to {}", metric.label, shift.delta >= 0 ? "rose" : "fell",
                    FormatValue(metric, shift.before), FormatValue(metric, shift.after));
    if (top.change) {
      const int days = top.change->date.days - rca.windows.start.days;
      sentence += days == 0 ? fmt::format(" on the same day as change '{}' ({})",
                                          top.change->description, top.change->id)
                            : fmt::format(" {} day(s) {} change '{}' ({})", std::abs(days),
                                          days > 0 ? "before" : "after", top.change->description,
                                          top.change->id);
    } else if (h.change_kinds.empty()) {
      sentence += " with no change logged (an external cause)";
    } else {
      sentence += ", with no matching change in the change log";
    }
  }
  sentences.push_back(sentence + ".");
  if (top.did_record) {
    sentences.push_back(fmt::format(
        "Against {} comparable slice{} the driver did not move, the difference in differences is "
        "{:.1f} points (90% CI {:.1f} to {:.1f}){}.",
        top.controls.size(), top.controls.size() == 1 ? "" : "s", top.did.estimate, top.did.low,
        top.did.high,
        top.signals.placebo_p < 0.05 ? "; the pre-period placebo is significant, so the trend "
                                       "was already moving"
                                     : ""));
  }
  sentences.push_back(fmt::format("Most likely cause: {}{}.", h.label,
                                  h.actionable ? "" : " (external: mitigate, not revert)"));
  std::vector<std::string> others;
  for (size_t i = 1; i < rca.reported; ++i) {
    const CauseResult& other = rca.causes[i];
    others.push_back(fmt::format("{} (confidence {:.2f}, {:.1f} points)", other.hypothesis->label,
                                 other.confidence, other.impact));
  }
  if (!others.empty())
    sentences.push_back(fmt::format("Also supported: {}.", fmt::join(others, "; ")));
  sentences.push_back(fmt::format("Confidence {:.2f}.", top.confidence));
  return fmt::format("{}", fmt::join(sentences, " "));
}

template <typename Work>
void ParallelFor(size_t count, int threads, Work&& work) {
  const size_t workers = std::max<size_t>(1, std::min<size_t>(count, static_cast<size_t>(threads)));
  std::vector<std::future<void>> futures;
  for (size_t w = 0; w < workers; ++w) {
    futures.push_back(std::async(std::launch::async, [&, w] {
      for (size_t i = w; i < count; i += workers) work(i);
    }));
  }
  for (auto& future : futures) future.get();
}

}  // namespace

double Confidence(const Signals& s) {
  // A logistic over the evidence, weights fitted (L2-regularised) on the generated scenario
  // suites and rounded (docs/rca.md, "Confidence"). The change log adds, but cannot carry a
  // hypothesis whose driver did not move: its weight is far below the intercept's deficit.
  const double did = s.did_valid ? Clip01((s.did_t - 1.0) / 3.0) : 0.5;
  const double placebo_bad = s.did_valid && s.placebo_p < 0.05 ? 1.0 : 0.0;
  const double logit = -5.0 + 5.0 * s.driver_evidence + 3.5 * Clip01(s.shap_share) + 0.5 * did +
                       1.0 * (s.change_consistent ? 1.0 : 0.0) - 0.7 * placebo_bad;
  return 1.0 / (1.0 + std::exp(-logit));
}

RcaEngine::RcaEngine(const HypothesisRegistry& registry, RcaConfig config)
    : config_(std::move(config)) {
  if (config_.hypotheses.empty()) {
    for (const auto& hypothesis : registry.All()) hypotheses_.push_back(&hypothesis);
  } else {
    for (const auto& name : config_.hypotheses) hypotheses_.push_back(&registry.Find(name));
  }
}

IncidentWindows WindowsOf(const detect::Incident& incident, Date data_end,
                          const RcaConfig& config) {
  const int max_days = config.max_window_days;
  IncidentWindows windows;
  windows.slice = incident.slices.empty() ? incident.lead.slice : incident.slices.front().slice;
  windows.baseline_start = incident.lead.baseline_start;
  windows.baseline_end = std::min(incident.lead.baseline_end, AddDays(incident.lead.start, -1));
  windows.start = incident.lead.start;
  const Date last = incident.lead.end.value_or(data_end);
  // Up to max_days, and up to the last day its regression is seen alone (Incident::own_end).
  windows.end = std::min(last, AddDays(windows.start, std::max(max_days, 1) - 1));
  if (incident.own_end) windows.end = std::min(windows.end, *incident.own_end);
  windows.wider = incident.wider;
  if (config.narrower_incidents) windows.narrower = incident.narrower;
  windows.cut = windows.end < last;
  if (windows.end < windows.start) windows.end = windows.start;
  return windows;
}

std::vector<FactsDraw> RecordedFactsDraws(const IncidentWindows& windows) {
  return {{windows.baseline_start, windows.baseline_end, FactsBelow(windows.baseline_facts_share)},
          {windows.start, windows.end, FactsBelow(windows.incident_facts_share)}};
}

std::vector<FactsDraw> IncidentFactsDraws(storage::Connection& connection,
                                          const IncidentWindows& windows, const RcaConfig& config) {
  // The slice's orders per window, as its panel counts them (the leaves of its days).
  const storage::Table orders = connection.Query(fmt::format(
      "SELECT coalesce(sum(orders) FILTER (WHERE order_date BETWEEN DATE '{bs}' AND DATE '{be}'), "
      "0)::DOUBLE AS baseline, coalesce(sum(orders) FILTER (WHERE order_date BETWEEN DATE "
      "'{start}' AND DATE '{end}'), 0)::DOUBLE AS incident FROM order_leaves WHERE {slice}",
      fmt::arg("bs", FormatDate(windows.baseline_start)),
      fmt::arg("be", FormatDate(windows.baseline_end)),
      fmt::arg("start", FormatDate(windows.start)), fmt::arg("end", FormatDate(windows.end)),
      fmt::arg("slice", SliceCondition(windows.slice))));
  return {{windows.baseline_start, windows.baseline_end,
           FactsBelow(FactsShare(config.facts_per_window, orders.Get("baseline").doubles.at(0)))},
          {windows.start, windows.end,
           FactsBelow(FactsShare(config.facts_per_window, orders.Get("incident").doubles.at(0)))}};
}

// What Prepare pulls through the connection for one incident; Finish needs nothing else.
struct RcaEngine::Prepared {
  IncidentRca rca;
  Panel panel;
  std::optional<Sample> sample;
  const std::vector<Change>* changes = nullptr;
  const DataLimits* limits = nullptr;
  const std::vector<NotTestable>* not_testable = nullptr;
};

std::vector<RcaEngine::Prepared> RcaEngine::PrepareAll(
    storage::Connection& connection, const storage::Dataset& dataset,
    const std::vector<const detect::Incident*>& incidents, const std::vector<Change>& changes,
    Date data_end, const DataLimits& limits, KeptFacts* kept) const {
  const auto started = std::chrono::steady_clock::now();
  std::vector<Prepared> prepared(incidents.size());
  Date first{std::numeric_limits<int32_t>::max()};
  Date last{std::numeric_limits<int32_t>::min()};
  for (size_t i = 0; i < incidents.size(); ++i) {
    const detect::Incident& incident = *incidents[i];
    prepared[i].changes = &changes;
    prepared[i].limits = &limits;
    IncidentRca& rca = prepared[i].rca;
    rca.incident_id = incident.id;
    rca.windows = WindowsOf(incident, data_end, config_);
    const IncidentWindows& windows = rca.windows;
    first = std::min(first, windows.baseline_start);
    last = std::max(last, windows.end);
  }
  if (incidents.empty()) {
    BuildIncidentFacts(connection, {});
    return prepared;
  }
  BuildPanelLeaves(connection, dataset.Dimensions(), first, last);
  const double leaves_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  std::vector<SampleRequest> requests;
  std::vector<size_t> requested;
  for (size_t i = 0; i < incidents.size(); ++i) {
    IncidentRca& rca = prepared[i].rca;
    prepared[i].panel = LoadPanel(connection, dataset, rca.windows);
    const Panel& panel = prepared[i].panel;
    // The slice's figures and its sample cover all its orders, its narrower incidents' too: the
    // model and the what-if read the whole slice; only the driver tests leave those out.
    DaySums before{};
    DaySums after{};
    for (const Unit* unit : {&panel.treated, &panel.left_out}) {
      for (size_t day = 0; day < unit->days.size(); ++day) {
        for (size_t j = 0; j < SUM_COUNT; ++j) {
          if (day < panel.baseline_end) before[j] += unit->days[day][j];
          if (day >= panel.incident_begin) after[j] += unit->days[day][j];
        }
      }
    }
    const PanelMetric& cx = *FindPanelMetric("cx_score");
    rca.baseline = cx.value(before).value_or(NaN);
    rca.current = cx.value(after).value_or(NaN);
    const double baseline_orders = before[static_cast<size_t>(Sum::ORDERS)];
    const double incident_orders = after[static_cast<size_t>(Sum::ORDERS)];
    rca.windows.baseline_facts_share = FactsShare(config_.facts_per_window, baseline_orders);
    rca.windows.incident_facts_share = FactsShare(config_.facts_per_window, incident_orders);
    if (baseline_orders >= config_.min_orders_per_window &&
        incident_orders >= config_.min_orders_per_window) {
      requests.push_back({&rca.windows, baseline_orders, incident_orders});
      requested.push_back(i);
    }
  }
  const double panels_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::vector<const IncidentWindows*> windows;
  for (const auto& p : prepared) windows.push_back(&p.rca.windows);
  BuildIncidentFacts(connection, windows, kept);
  const double facts_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::vector<Sample> samples =
      LoadSamples(connection, requests, config_.sample_per_window, limits);
  for (size_t k = 0; k < requested.size(); ++k)
    prepared[requested[k]].sample = std::move(samples[k]);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  spdlog::debug(
      "rca: data of {} incidents in {:.3f} s (leaves {:.3f} s, panels {:.3f} s, facts {:.3f} s)",
      incidents.size(), seconds, leaves_seconds, panels_seconds - leaves_seconds,
      facts_seconds - panels_seconds);
  // Each incident is charged its share of the shared passes.
  for (auto& p : prepared) p.rca.seconds = seconds / static_cast<double>(incidents.size());
  return prepared;
}

IncidentRca RcaEngine::Finish(Prepared prepared) const {
  const auto started = std::chrono::steady_clock::now();
  IncidentRca rca = std::move(prepared.rca);
  const Panel& panel = prepared.panel;

  // Attribution (the CX model on the stratified sample, TreeSHAP per feature) runs while the
  // hypotheses' checks run on the other workers; both only read the sample.
  const Sample* sample = prepared.sample ? &*prepared.sample : nullptr;
  const bool model_possible =
      sample != nullptr &&
      sample->baseline_rows >= static_cast<size_t>(config_.min_orders_per_window) &&
      sample->incident_rows >= static_cast<size_t>(config_.min_orders_per_window);
  std::future<std::optional<CxModel>> attribution;
  if (model_possible) {
    attribution = std::async(std::launch::async, [&]() -> std::optional<CxModel> {
      const auto begin = std::chrono::steady_clock::now();
      CxModel model = CxModel::Train(sample->features, sample->cx, config_.model);
      const auto trained = std::chrono::steady_clock::now();
      rca.attribution =
          Attribute(model, *sample, config_.shap_per_window, config_.threads, *prepared.limits);
      spdlog::debug(
          "rca: {} model on {} orders in {:.3f} s, TreeSHAP in {:.3f} s", rca.incident_id,
          sample->cx.size(), std::chrono::duration<double>(trained - begin).count(),
          std::chrono::duration<double>(std::chrono::steady_clock::now() - trained).count());
      return model;
    });
  }
  // Only the hypotheses the data can test are evaluated and ranked; the others are listed.
  static const std::vector<NotTestable> none;
  const std::vector<NotTestable>& not_testable =
      prepared.not_testable != nullptr ? *prepared.not_testable : none;
  std::vector<const Hypothesis*> testable;
  for (const Hypothesis* hypothesis : hypotheses_) {
    const auto untestable =
        std::find_if(not_testable.begin(), not_testable.end(),
                     [&](const NotTestable& entry) { return entry.hypothesis == hypothesis; });
    if (untestable == not_testable.end()) {
      testable.push_back(hypothesis);
    } else {
      rca.not_testable.push_back(*untestable);
    }
  }
  std::vector<CauseResult> causes(testable.size());
  ParallelFor(testable.size(), std::max(1, config_.threads - (model_possible ? 1 : 0)),
              [&](size_t i) {
                causes[i] = Evaluate(*testable[i], panel, *prepared.changes, rca.windows, config_,
                                     sample, *prepared.limits);
              });
  if (model_possible) {
    std::optional<CxModel> model = attribution.get();
    Sample& owned = *prepared.sample;
    rca.model = IncidentModel{std::move(*model),          std::move(owned.features),
                              std::move(owned.order_ids), std::move(owned.in_incident),
                              std::move(owned.cx),        std::move(owned.late_min)};
  }

  Discount(causes);
  AllocateImpact(causes, rca.attribution, rca.current - rca.baseline);
  for (auto& cause : causes) cause.confidence = Confidence(cause.signals);
  std::stable_sort(causes.begin(), causes.end(), [](const CauseResult& a, const CauseResult& b) {
    const double sa = RankScore(a);
    const double sb = RankScore(b);
    if (sa != sb) return sa > sb;
    return a.confidence > b.confidence;
  });
  // Report every cause the evidence supports, in rank order, and always the best one.
  const auto supported = [&](const CauseResult& cause) {
    return config_.report_all ||
           (cause.confidence >= config_.min_confidence && -cause.impact >= config_.min_impact);
  };
  const auto split = std::stable_partition(causes.begin(), causes.end(), supported);
  rca.reported =
      std::max<size_t>(static_cast<size_t>(split - causes.begin()), causes.empty() ? 0 : 1);
  rca.causes = std::move(causes);
  rca.narrative = Narrative(rca);
  rca.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return rca;
}

static Date DataEnd(storage::Connection& connection, const storage::Dataset& dataset) {
  // The orders table itself: order_facts is a view over every table.
  const storage::Table end = connection.Query("SELECT max(order_date)::DATE AS d FROM orders");
  const auto& column = end.Get("d");
  if (column.Size() == 0 || column.IsNull(0)) {
    throw InvalidInput("{}: no orders", dataset.Origin("orders"));
  }
  return Date{static_cast<int32_t>(column.ints[0])};
}

namespace {

std::vector<NotTestable> UntestableHypotheses(const std::vector<const Hypothesis*>& hypotheses,
                                              const storage::Dataset& dataset) {
  std::vector<NotTestable> out;
  for (const Hypothesis* hypothesis : hypotheses) {
    std::vector<std::string> needs = UntestableNeeds(*hypothesis, dataset);
    if (!needs.empty()) out.push_back({hypothesis, std::move(needs)});
  }
  return out;
}

}  // namespace

DataLimits DataLimits::Of(const storage::Dataset& dataset) {
  DataLimits limits;
  for (const PanelMetric& metric : PanelMetrics()) {
    std::vector<std::string> missing = storage::MissingNeeds(dataset, metric.needs);
    if (!missing.empty()) limits.metrics.push_back({std::string(metric.name), std::move(missing)});
  }
  for (const FeatureSpec& feature : OrderFeatures()) {
    if (!storage::MissingNeeds(dataset, feature.needs).empty()) {
      limits.features.emplace_back(feature.name);
    }
  }
  return limits;
}

const MissingEvidence* DataLimits::Metric(std::string_view metric) const {
  for (const auto& entry : metrics) {
    if (entry.metric == metric) return &entry;
  }
  return nullptr;
}

bool DataLimits::FeatureMissing(std::string_view feature) const {
  return std::find(features.begin(), features.end(), feature) != features.end();
}

IncidentRca RcaEngine::Analyze(storage::Connection& connection, const storage::Dataset& dataset,
                               const detect::Incident& incident, const std::vector<Change>& changes,
                               Date data_end) const {
  const DataLimits limits = DataLimits::Of(dataset);
  const std::vector<NotTestable> not_testable = UntestableHypotheses(hypotheses_, dataset);
  std::vector<Prepared> prepared =
      PrepareAll(connection, dataset, {&incident}, changes, data_end, limits);
  prepared.front().not_testable = &not_testable;
  return Finish(std::move(prepared.front()));
}

std::vector<IncidentRca> RcaEngine::AnalyzeAll(storage::Connection& connection,
                                               const storage::Dataset& dataset,
                                               const std::vector<detect::Incident>& incidents,
                                               std::optional<Date> data_end, KeptFacts* kept,
                                               const std::vector<Change>* given_changes) const {
  std::vector<IncidentRca> results(incidents.size());
  if (incidents.empty()) return results;
  const std::vector<Change> changes =
      given_changes != nullptr ? *given_changes : LoadChangeLog(connection, dataset);
  std::vector<const detect::Incident*> pointers;
  for (const auto& incident : incidents) pointers.push_back(&incident);
  // The data of every incident from the leaves and one pass over the orders (incident facts, from
  // which the samples are drawn); then the incidents, `threads` at a time, each also using the
  // threads itself (hypotheses in parallel, TreeSHAP split over workers with a model copy each):
  // one incident alone leaves cores idle between its steps. XGBoost's own OpenMP threads are not
  // used because they spin and lose badly on a busy machine.
  const DataLimits limits = DataLimits::Of(dataset);
  const std::vector<NotTestable> not_testable = UntestableHypotheses(hypotheses_, dataset);
  std::vector<Prepared> prepared =
      PrepareAll(connection, dataset, pointers, changes,
                 data_end ? *data_end : DataEnd(connection, dataset), limits, kept);
  for (auto& p : prepared) p.not_testable = &not_testable;
  const size_t wave = static_cast<size_t>(std::max(1, config_.threads));
  for (size_t begin = 0; begin < incidents.size(); begin += wave) {
    std::vector<std::future<IncidentRca>> running;
    for (size_t i = begin; i < std::min(incidents.size(), begin + wave); ++i) {
      running.push_back(std::async(
          std::launch::async, [this, &prepared, i] { return Finish(std::move(prepared[i])); }));
    }
    for (size_t k = 0; k < running.size(); ++k) results[begin + k] = running[k].get();
  }
  for (const auto& rca : results) {
    spdlog::info("rca: {} in {:.2f} s: {} (confidence {:.2f})", rca.incident_id, rca.seconds,
                 rca.causes.empty() ? "no cause" : rca.causes.front().hypothesis->id,
                 rca.causes.empty() ? 0.0 : rca.causes.front().confidence);
  }
  return results;
}

const nlohmann::json* MostConfidentCause(const nlohmann::json& rca) {
  if (!rca.is_object()) return nullptr;
  const auto causes = rca.find("causes");
  if (causes == rca.end() || !causes->is_array()) return nullptr;
  const nlohmann::json* best = nullptr;
  for (const auto& cause : *causes) {
    const auto confidence = cause.find("confidence");
    if (confidence == cause.end() || !confidence->is_number()) continue;
    if (best == nullptr || confidence->get<double>() > best->at("confidence").get<double>()) {
      best = &cause;
    }
  }
  return best;
}

nlohmann::json RcaJson(const IncidentRca& rca) {
  nlohmann::json causes = nlohmann::json::array();
  std::vector<const FeatureAttribution*> sorted;
  for (const auto& f : rca.attribution.features) sorted.push_back(&f);
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
    return std::fabs(a->delta) > std::fabs(b->delta);
  });
  for (size_t i = 0; i < rca.reported && i < rca.causes.size(); ++i) {
    const CauseResult& cause = rca.causes[i];
    const Hypothesis& h = *cause.hypothesis;
    nlohmann::json evidence = nlohmann::json::array();
    for (const auto& record : cause.driver_records) evidence.push_back(record);
    if (rca.attribution.valid) {
      nlohmann::json features = nlohmann::json::array();
      for (const auto* f : sorted) {
        const bool own = std::find(h.own_features.begin(), h.own_features.end(), f->feature) !=
                         h.own_features.end();
        const bool shared = std::find(h.shared_features.begin(), h.shared_features.end(),
                                      f->feature) != h.shared_features.end();
        features.push_back({{"feature", f->feature},
                            {"label", f->label},
                            {"baseline", Number(f->baseline)},
                            {"incident", Number(f->incident)},
                            {"delta", Number(f->delta)},
                            {"in_cause", own || shared}});
      }
      evidence.push_back({{"kind", "shap"},
                          {"features", features},
                          {"explained", Number(rca.attribution.explained)},
                          {"observed", Number(rca.attribution.observed)},
                          {"orders",
                           {{"baseline", rca.attribution.baseline_rows},
                            {"incident", rca.attribution.incident_rows}}}});
    }
    if (cause.did_record) evidence.push_back(*cause.did_record);
    for (const auto& record : cause.change_records) evidence.push_back(record);
    const Signals& s = cause.signals;
    nlohmann::json missing = nlohmann::json::array();
    for (const auto& driver : cause.missing_drivers) {
      missing.push_back({{"metric", driver.metric}, {"needs", driver.needs}});
    }
    causes.push_back({{"cause", h.id},
                      {"label", h.label},
                      {"actionable", h.actionable},
                      {"confidence", Number(cause.confidence, 3)},
                      {"impact", Number(cause.impact, 3)},
                      {"evidence", evidence},
                      {"signals",
                       {{"driver_z", Number(s.driver_z, 2)},
                        {"driver_relative", Number(s.driver_relative, 3)},
                        {"driver_specific", Number(s.driver_specific, 3)},
                        {"driver_evidence", Number(s.driver_evidence, 3)},
                        {"shap_share", Number(s.shap_share, 3)},
                        {"did_t", Number(s.did_t, 2)},
                        {"placebo_p", Number(s.placebo_p, 3)},
                        {"change_consistent", s.change_consistent},
                        {"explained_by", s.explained_by}}}});
    // Only when some evidence is missing, so that a contract-shaped world's output is unchanged.
    if (!missing.empty()) causes.back()["missing_evidence"] = std::move(missing);
  }
  const IncidentWindows& w = rca.windows;
  nlohmann::json out = {{"causes", causes},
                        {"narrative", rca.narrative},
                        {"window",
                         {{"baseline_start", FormatDate(w.baseline_start)},
                          {"baseline_end", FormatDate(w.baseline_end)},
                          {"start", FormatDate(w.start)},
                          {"end", FormatDate(w.end)},
                          {"cut", w.cut}}}};
  // Only when some are left out, so that the output of an incident with none is unchanged.
  if (!w.narrower.empty()) {
    nlohmann::json without = nlohmann::json::array();
    for (const Slice& slice : w.narrower) without.push_back(slice.ToText());
    out["window"]["without"] = std::move(without);
  }
  if (!rca.not_testable.empty()) {
    nlohmann::json not_testable = nlohmann::json::array();
    for (const auto& entry : rca.not_testable) {
      not_testable.push_back({{"cause", entry.hypothesis->id},
                              {"label", entry.hypothesis->label},
                              {"needs", entry.needs}});
    }
    out["not_testable"] = std::move(not_testable);
  }
  return out;
}

}  // namespace cxagent::rca
