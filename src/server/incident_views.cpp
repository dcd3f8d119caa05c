#include "server/incident_views.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string_view>

#include "common/error.hpp"
#include "metrics/metric_catalog.hpp"
#include "rca/rca.hpp"

namespace cxagent::server {

namespace {

// Four decimals, as the analysis file rounds.
nlohmann::json Rounded(std::optional<double> value) {
  if (!value || !std::isfinite(*value)) return nullptr;
  return std::round(*value * 1e4) / 1e4;
}

std::string_view Label(std::string_view metric) {
  static constexpr std::pair<std::string_view, std::string_view> LABELS[] = {
      {"cx_score", "CX Score"},
      {"on_time_rate", "On-time rate"},
      {"cancel_rate", "Cancel rate"},
      {"missing_item_rate", "Missing-item rate"},
      {"substitution_accept_rate", "Substitution acceptance"},
      {"contact_rate", "Contact rate"},
      {"avg_rating", "Average rating"},
      {"low_rating_rate", "Low-rating rate"}};
  for (const auto& [name, label] : LABELS) {
    if (name == metric) return label;
  }
  return metric;
}

struct Window {
  Date baseline_start;
  Date baseline_end;
  Date start;
  Date end;
};

Window IncidentWindow(const Snapshot& snapshot, const IncidentEntry& incident) {
  Window window;
  window.start = incident.start;
  window.end = incident.end ? *incident.end : snapshot.data_end.value_or(incident.start);
  const auto& document = incident.document;
  const auto date_field = [&document](const char* key) -> std::optional<Date> {
    const auto& value = document.value(key, nlohmann::json());
    if (!value.is_string()) return std::nullopt;
    return ParseDate(value.get<std::string>(), key);
  };
  // Older analysis files lack the baseline window; four weeks before the start is the detector's
  // default history.
  window.baseline_end = date_field("baseline_end_date").value_or(AddDays(incident.start, -1));
  window.baseline_start =
      date_field("baseline_start_date").value_or(AddDays(window.baseline_end, -27));
  return window;
}

// A CubeSeries' ratio over a window, and the same for the rest of the marketplace (all - slice).
struct Comparison {
  RatioSums slice;
  RatioSums rest;
};

Comparison Compare(const CubeSeries* slice, const CubeSeries* all, size_t numerator,
                   size_t denominator, Date from, Date to) {
  Comparison comparison;
  if (slice != nullptr) comparison.slice = Cube::Sum(*slice, numerator, denominator, from, to);
  if (all != nullptr) {
    const RatioSums total = Cube::Sum(*all, numerator, denominator, from, to);
    comparison.rest = {total.numerator - comparison.slice.numerator,
                       total.denominator - comparison.slice.denominator};
  }
  return comparison;
}

std::optional<double> Delta(std::optional<double> before, std::optional<double> after) {
  if (!before || !after) return std::nullopt;
  return *after - *before;
}

std::optional<double> RatioAt(const CubeSeries& series, size_t row, size_t numerator,
                              size_t denominator) {
  const double den = series.columns[denominator][row];
  if (den <= 0) return std::nullopt;
  return series.columns[numerator][row] / den;
}

nlohmann::json Breakdown(const Snapshot& snapshot, const IncidentEntry& incident,
                         const Window& window) {
  const CubeSeries* slice = snapshot.cube.Find(incident.slice_text);
  const CubeSeries* all = snapshot.cube.Find("all");
  nlohmann::json breakdown = nlohmann::json::array();
  for (const auto& metric : metrics::Metrics()) {
    if (metric.is_driver || metric.kind != metrics::MetricKind::RATIO) continue;
    const auto missing = snapshot.unavailable_metrics.find(std::string(metric.name));
    if (missing != snapshot.unavailable_metrics.end()) {
      // The data cannot support it: its sums are 0, not a measurement.
      breakdown.push_back({{"metric", metric.name},
                           {"label", Label(metric.name)},
                           {"higher_is_better", metric.higher_is_better},
                           {"baseline", nullptr},
                           {"current", nullptr},
                           {"delta", nullptr},
                           {"rest_baseline", nullptr},
                           {"rest_current", nullptr},
                           {"series", nlohmann::json::array()},
                           {"needs", missing->second}});
      continue;
    }
    const size_t num = Cube::ColumnIndex(metric.numerator);
    const size_t den = Cube::ColumnIndex(metric.denominator);
    const Comparison before =
        Compare(slice, all, num, den, window.baseline_start, window.baseline_end);
    const Comparison after = Compare(slice, all, num, den, window.start, window.end);
    nlohmann::json series = nlohmann::json::array();
    if (all != nullptr) {
      size_t slice_row = 0;
      for (size_t row = 0; row < all->dates.size(); ++row) {
        const int32_t date = all->dates[row];
        std::optional<double> slice_value;
        std::optional<double> rest_value;
        double slice_num = 0;
        double slice_den = 0;
        if (slice != nullptr) {
          while (slice_row < slice->dates.size() && slice->dates[slice_row] < date) ++slice_row;
          if (slice_row < slice->dates.size() && slice->dates[slice_row] == date) {
            slice_value = RatioAt(*slice, slice_row, num, den);
            slice_num = slice->columns[num][slice_row];
            slice_den = slice->columns[den][slice_row];
          }
        }
        const double rest_den = all->columns[den][row] - slice_den;
        if (rest_den > 0) rest_value = (all->columns[num][row] - slice_num) / rest_den;
        series.push_back({{"date", FormatDate(Date{date})},
                          {"slice", Rounded(slice_value)},
                          {"rest", Rounded(rest_value)}});
      }
    }
    breakdown.push_back({{"metric", metric.name},
                         {"label", Label(metric.name)},
                         {"higher_is_better", metric.higher_is_better},
                         {"baseline", Rounded(before.slice.Ratio())},
                         {"current", Rounded(after.slice.Ratio())},
                         {"delta", Rounded(Delta(before.slice.Ratio(), after.slice.Ratio()))},
                         {"rest_baseline", Rounded(before.rest.Ratio())},
                         {"rest_current", Rounded(after.rest.Ratio())},
                         {"series", series},
                         {"needs", nlohmann::json::array()}});
  }
  return breakdown;
}

const metrics::MetricDefinition& DrilldownMetric(const IncidentEntry& incident) {
  for (const auto& metric : metrics::Metrics()) {
    if (metric.name == incident.metric && !metric.is_driver &&
        metric.kind == metrics::MetricKind::RATIO) {
      return metric;
    }
  }
  return metrics::FindMetric("cx_score");
}

nlohmann::json Drilldown(const Snapshot& snapshot, const IncidentEntry& incident,
                         const Window& window) {
  const auto& metric = DrilldownMetric(incident);
  const size_t num = Cube::ColumnIndex(metric.numerator);
  const size_t den = Cube::ColumnIndex(metric.denominator);
  const size_t orders = Cube::ColumnIndex("orders");
  nlohmann::json drilldown = nlohmann::json::array();
  for (const auto& [dimension, values] : snapshot.cube.Dimensions()) {
    if (incident.slice.Pairs().contains(dimension)) continue;
    struct Row {
      Slice slice;
      std::optional<double> baseline;
      std::optional<double> current;
      double orders = 0;
    };
    std::vector<Row> rows;
    for (const auto& value : values) {
      auto pairs = incident.slice.Pairs();
      pairs[dimension] = value;
      Slice child(pairs);
      const CubeSeries* series = snapshot.cube.Find(child.ToText());
      if (series == nullptr) continue;
      rows.push_back(
          {child, Cube::Sum(*series, num, den, window.baseline_start, window.baseline_end).Ratio(),
           Cube::Sum(*series, num, den, window.start, window.end).Ratio(),
           Cube::Sum(*series, orders, orders, window.start, window.end).numerator});
    }
    if (rows.empty()) continue;
    // Worst first: the largest move in the bad direction; rows without a delta go last.
    const double sign = metric.higher_is_better ? 1.0 : -1.0;
    std::stable_sort(rows.begin(), rows.end(), [sign](const Row& a, const Row& b) {
      const auto da = Delta(a.baseline, a.current);
      const auto db = Delta(b.baseline, b.current);
      if (!da || !db) return da.has_value() && !db.has_value();
      return sign * *da < sign * *db;
    });
    nlohmann::json out = nlohmann::json::array();
    for (const auto& row : rows) {
      out.push_back({{"slice", row.slice.ToJson()},
                     {"slice_text", row.slice.ToText()},
                     {"baseline", Rounded(row.baseline)},
                     {"current", Rounded(row.current)},
                     {"delta", Rounded(Delta(row.baseline, row.current))},
                     {"orders", static_cast<int64_t>(std::llround(row.orders))}});
    }
    drilldown.push_back({{"dimension", dimension}, {"metric", metric.name}, {"rows", out}});
  }
  return drilldown;
}

nlohmann::json Alerts(const IncidentEntry& incident) {
  nlohmann::json alerts = nlohmann::json::array();
  for (const auto& component : incident.document.value("components", nlohmann::json::array())) {
    nlohmann::json alert = component;
    if (alert.contains("slice")) alert["slice_text"] = Slice::FromJson(alert["slice"]).ToText();
    alerts.push_back(alert);
  }
  return alerts;
}

// What an incident's summary and an unconfirmed incident's share, from its stored document.
nlohmann::json SummaryFields(const IncidentEntry& incident) {
  const auto& document = incident.document;
  return {{"id", incident.id},
          {"metric", incident.metric},
          // Analyses stored before mechanism-led detection found every incident on the CX Score.
          {"detected_by", document.value("detected_by", std::string("cx"))},
          {"start_date", document.at("start_date")},
          {"end_date", document.value("end_date", nlohmann::json())},
          {"severity", document.value("severity", std::string("low"))},
          {"baseline", document.value("baseline", nlohmann::json())},
          {"current", document.value("current", nlohmann::json())},
          {"delta", document.value("delta", nlohmann::json())},
          {"slice", incident.slice.ToJson()},
          {"slice_text", incident.slice_text}};
}

}  // namespace

nlohmann::json IncidentSummary(const IncidentEntry& incident, const storage::IncidentStatus* status,
                               const storage::IncidentFeedback* feedback,
                               const storage::IncidentFeedback* muted_by) {
  const auto& document = incident.document;
  const auto label = [](const storage::IncidentFeedback* entry) -> nlohmann::json {
    if (entry == nullptr) return nullptr;
    return {{"label", entry->label},
            {"by", entry->by},
            {"note", entry->note},
            {"updated_at", entry->updated_at}};
  };
  nlohmann::json muting = nullptr;
  if (muted_by != nullptr) {
    muting = {{"label", muted_by->label},
              {"by", muted_by->by},
              {"metric", muted_by->metric},
              {"slice_text", muted_by->slice_text},
              {"start_date", muted_by->start_date},
              {"end_date",
               muted_by->end_date.empty() ? nlohmann::json() : nlohmann::json(muted_by->end_date)}};
  }
  nlohmann::json summary = SummaryFields(incident);
  summary["score"] = document.value("score", nlohmann::json());
  summary["status"] = status != nullptr ? status->status : "open";
  summary["note"] = status != nullptr ? status->note : "";
  summary["updated_at"] = status != nullptr ? nlohmann::json(status->updated_at) : nullptr;
  summary["feedback"] = label(feedback);
  summary["muted"] = muted_by != nullptr;
  summary["muted_by"] = muting;
  return summary;
}

nlohmann::json UnconfirmedSummary(const IncidentEntry& incident,
                                  std::optional<double> min_confidence) {
  const auto& document = incident.document;
  const auto& slices = document.value("slices", nlohmann::json::array());
  // The cause that came closest: it is what falls short of the threshold (the RCA always reports
  // its best cause, so this is the RCA's first unless report_all listed more).
  nlohmann::json top_cause = nullptr;
  const auto rca = document.find("rca");
  const nlohmann::json* cause = rca != document.end() ? rca::MostConfidentCause(*rca) : nullptr;
  if (cause != nullptr) {
    top_cause = {{"cause", cause->value("cause", std::string())},
                 {"label", cause->value("label", cause->value("cause", std::string()))},
                 {"confidence", cause->at("confidence")}};
  }
  // Analyses stored before the threshold was recorded say which setting without its value.
  const std::string reason =
      min_confidence ? fmt::format("no cause reaches confidence {}", *min_confidence)
                     : std::string("no cause reaches the analysis's rca.min_confidence");
  nlohmann::json summary = SummaryFields(incident);
  summary["z"] = document.value("z", nlohmann::json());
  summary["top_slice"] = slices.is_array() && !slices.empty() ? slices[0] : nlohmann::json();
  summary["top_cause"] = top_cause;
  summary["reason"] = reason;
  return summary;
}

nlohmann::json IncidentDetailBody(const Snapshot& snapshot, const IncidentEntry& incident) {
  const Window window = IncidentWindow(snapshot, incident);
  return {{"slices", incident.document.value("slices", nlohmann::json::array())},
          {"window",
           {{"baseline_start", FormatDate(window.baseline_start)},
            {"baseline_end", FormatDate(window.baseline_end)},
            {"start", FormatDate(window.start)},
            {"end", FormatDate(window.end)}}},
          {"breakdown", Breakdown(snapshot, incident, window)},
          {"drilldown", Drilldown(snapshot, incident, window)},
          {"alerts", Alerts(incident)}};
}

nlohmann::json CxScoreSeries(const Snapshot& snapshot, const Slice& cohort,
                             std::optional<Date> from, std::optional<Date> to) {
  const std::string text = cohort.ToText();
  const CubeSeries* series = snapshot.cube.Find(text);
  if (series == nullptr) {
    throw NotFound(
        "cohort '{}' has no stored series (deeper than the cube or below its minimum volume)",
        text);
  }
  const size_t num = Cube::ColumnIndex("cx_sum");
  const size_t orders = Cube::ColumnIndex("orders");
  nlohmann::json points = nlohmann::json::array();
  for (size_t row = 0; row < series->dates.size(); ++row) {
    const Date date{series->dates[row]};
    if ((from && date < *from) || (to && date > *to)) continue;
    points.push_back(
        {{"date", FormatDate(date)},
         {"cx_score", Rounded(RatioAt(*series, row, num, orders))},
         {"orders", static_cast<int64_t>(std::llround(series->columns[orders][row]))}});
  }
  nlohmann::json incidents = nlohmann::json::array();
  for (const auto& incident : snapshot.incidents) {
    if (!SlicesOverlap(incident.slice, cohort) || !IncidentInRange(incident, from, to)) continue;
    incidents.push_back({{"id", incident.id},
                         {"start_date", incident.document.at("start_date")},
                         {"end_date", incident.document.value("end_date", nlohmann::json())},
                         {"severity", incident.document.value("severity", std::string("low"))}});
  }
  return {{"cohort", cohort.ToJson()},
          {"cohort_text", text},
          {"series", points},
          {"incidents", incidents}};
}

bool SlicesOverlap(const Slice& a, const Slice& b) {
  for (const auto& [dimension, value] : a.Pairs()) {
    const auto found = b.Pairs().find(dimension);
    if (found != b.Pairs().end() && found->second != value) return false;
  }
  return true;
}

bool IncidentInRange(const IncidentEntry& incident, std::optional<Date> from,
                     std::optional<Date> to) {
  if (to && incident.start > *to) return false;
  if (from && incident.end && *incident.end < *from) return false;
  return true;
}

}  // namespace cxagent::server
