#include "server/snapshot.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "common/error.hpp"
#include "metrics/metric_catalog.hpp"
#include "server/json_response.hpp"
#include "storage/duckdb.hpp"
#include "storage/incident_status.hpp"
#include "storage/results_store.hpp"

namespace cxagent::server {

namespace {

std::string FormatUtc(std::chrono::system_clock::time_point time) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", std::chrono::floor<std::chrono::seconds>(time));
}

int SeverityRank(const std::string& severity) {
  return severity == "high" ? 0 : severity == "medium" ? 1 : 2;
}

IncidentEntry ParseIncident(const nlohmann::json& document) {
  IncidentEntry entry;
  entry.document = document;
  entry.id = document.at("id").get<std::string>();
  entry.metric = document.value("metric", std::string("cx_score"));
  const auto& slices = document.value("slices", nlohmann::json::array());
  const nlohmann::json& slice = !slices.empty() && slices[0].contains("slice")
                                    ? slices[0]["slice"]
                                    : document.value("slice", nlohmann::json::object());
  entry.slice = Slice::FromJson(slice);
  entry.slice_text = entry.slice.ToText();
  const std::string start = document.at("start_date").get<std::string>();
  entry.start = ParseDate(start, "start_date");
  const auto& end = document.value("end_date", nlohmann::json());
  if (end.is_string()) entry.end = ParseDate(end.get<std::string>(), "end_date");
  entry.severity_rank = SeverityRank(document.value("severity", std::string("low")));
  entry.identity = storage::IncidentIdentity(entry.metric, entry.slice_text, start);
  return entry;
}

Cube LoadCube(storage::Connection& connection) {
  const storage::Table available = connection.Query(
      "SELECT column_name FROM duckdb_columns() WHERE database_name = 'results' AND "
      "table_name = 'slice_cube'");
  std::vector<std::string> present;
  for (size_t row = 0; row < available.RowCount(); ++row) {
    present.emplace_back(available.Get("column_name").StringAt(row));
  }
  Cube cube;
  std::string select = "SELECT slice, date";
  for (const auto& column : Cube::Columns()) {
    // A results store written without a cube (no orders) has only slice, depth and date.
    if (std::find(present.begin(), present.end(), column) == present.end()) {
      cube.Finish();
      return cube;
    }
    select += fmt::format(", CAST({0} AS DOUBLE) AS {0}", storage::SqlIdentifier(column));
  }
  const storage::Table table =
      connection.Query(select + " FROM results.slice_cube ORDER BY slice, date");
  const storage::Column& slices = table.Get("slice");
  const storage::Column& dates = table.Get("date");
  std::vector<const storage::Column*> columns;
  for (const auto& column : Cube::Columns()) columns.push_back(&table.Get(column));
  size_t row = 0;
  while (row < table.RowCount()) {
    const std::string_view slice = slices.StringAt(row);
    CubeSeries series;
    series.columns.resize(columns.size());
    for (; row < table.RowCount() && slices.StringAt(row) == slice; ++row) {
      series.dates.push_back(static_cast<int32_t>(dates.ints[row]));
      for (size_t c = 0; c < columns.size(); ++c) {
        series.columns[c].push_back(columns[c]->IsNull(row) ? 0.0 : columns[c]->doubles[row]);
      }
    }
    cube.Add(std::string(slice), std::move(series));
  }
  cube.Finish();
  return cube;
}

}  // namespace

const std::vector<std::string>& Cube::Columns() {
  static const std::vector<std::string> COLUMNS = [] {
    std::vector<std::string> columns;
    const auto add = [&columns](std::string_view column) {
      if (!column.empty() && std::find(columns.begin(), columns.end(), column) == columns.end()) {
        columns.emplace_back(column);
      }
    };
    for (const auto& metric : metrics::Metrics()) {
      if (metric.is_driver) continue;
      add(metric.numerator);
      add(metric.denominator);
    }
    return columns;
  }();
  return COLUMNS;
}

size_t Cube::ColumnIndex(std::string_view column) {
  const auto& columns = Columns();
  const auto found = std::find(columns.begin(), columns.end(), column);
  if (found == columns.end()) throw InternalError("the in-memory cube has no column {}", column);
  return static_cast<size_t>(found - columns.begin());
}

void Cube::Add(std::string slice_text, CubeSeries series) {
  series_.insert_or_assign(std::move(slice_text), std::move(series));
}

void Cube::Finish() {
  dimensions_.clear();
  for (const auto& [text, series] : series_) {
    if (text == "all" || text.find('&') != std::string::npos) continue;
    const size_t equals = text.find('=');
    if (equals == std::string::npos) continue;
    dimensions_[text.substr(0, equals)].push_back(text.substr(equals + 1));
  }
  for (auto& [dimension, values] : dimensions_) std::sort(values.begin(), values.end());
}

const CubeSeries* Cube::Find(const std::string& slice_text) const {
  const auto found = series_.find(slice_text);
  return found == series_.end() ? nullptr : &found->second;
}

RatioSums Cube::Sum(const CubeSeries& series, size_t numerator, size_t denominator, Date from,
                    Date to) {
  RatioSums sums;
  const auto first = std::lower_bound(series.dates.begin(), series.dates.end(), from.days);
  for (auto it = first; it != series.dates.end() && *it <= to.days; ++it) {
    const auto row = static_cast<size_t>(it - series.dates.begin());
    sums.numerator += series.columns[numerator][row];
    sums.denominator += series.columns[denominator][row];
  }
  return sums;
}

const IncidentEntry& Snapshot::Incident(const std::string& id) const {
  const auto found = by_id.find(id);
  if (found != by_id.end()) return incidents[found->second];
  // Not served as an incident: it has no recommendations, triage or feedback, and a status set
  // on it would follow it silently if a later analysis confirmed it. The message says where it is.
  if (std::any_of(unconfirmed.begin(), unconfirmed.end(),
                  [&id](const IncidentEntry& entry) { return entry.id == id; })) {
    throw ApiError(ErrorType::NOT_FOUND, {{"id", id}, {"unconfirmed", true}},
                   fmt::format("{} is unconfirmed: the CX Score fell but no cause explains it, "
                               "so it is not alerted and not served as an incident; GET "
                               "/api/unconfirmed lists it",
                               id));
  }
  throw NotFound("no incident with id '{}'", id);
}

const IncidentEntry* Snapshot::FindByIdentity(std::string_view metric, std::string_view slice_text,
                                              std::string_view start_date) const {
  const size_t* index = storage::FindByIncidentIdentity(by_identity, metric, slice_text, start_date,
                                                        storage::INCIDENT_START_TOLERANCE_DAYS);
  return index == nullptr ? nullptr : &incidents[*index];
}

std::shared_ptr<Snapshot> BuildSnapshot(const nlohmann::json& analysis, Cube cube,
                                        std::string analyzed_at) {
  auto snapshot = std::make_shared<Snapshot>();
  const auto& data = analysis.value("data", nlohmann::json::object());
  const auto date_or_null = [&data](const char* key) -> nlohmann::json {
    const auto& value = data.value(key, nlohmann::json());
    return value.is_string() && !value.get<std::string>().empty() ? value : nlohmann::json();
  };
  snapshot->data = {{"orders", data.value("orders", int64_t{0})},
                    {"start_date", date_or_null("start_date")},
                    {"end_date", date_or_null("end_date")}};
  // What the data supports (results stored before the analysis recorded it have nothing here: no
  // component list, nothing listed unavailable, the cube's dimensions).
  const auto& unavailable = data.value("unavailable", nlohmann::json::array());
  snapshot->data["unavailable"] = unavailable.is_array() ? unavailable : nlohmann::json::array();
  const auto& cx_score = data.value("cx_score", nlohmann::json());
  snapshot->data["cx_score"] = cx_score.is_object() ? cx_score : nlohmann::json();
  for (const auto& entry : snapshot->data["unavailable"]) {
    if (entry.value("kind", std::string()) != "metric") continue;
    snapshot->unavailable_metrics[entry.value("name", std::string())] =
        entry.value("needs", std::vector<std::string>());
  }
  if (snapshot->data["start_date"].is_string()) {
    snapshot->data_start = ParseDate(snapshot->data["start_date"].get<std::string>(), "start_date");
  }
  if (snapshot->data["end_date"].is_string()) {
    snapshot->data_end = ParseDate(snapshot->data["end_date"].get<std::string>(), "end_date");
  }
  snapshot->analyzed_at = std::move(analyzed_at);
  for (const auto& incident : analysis.value("incidents", nlohmann::json::array())) {
    snapshot->by_id.emplace(incident.at("id").get<std::string>(), snapshot->incidents.size());
    IncidentEntry entry = ParseIncident(incident);
    snapshot->by_identity.emplace(entry.identity, snapshot->incidents.size());
    snapshot->incidents.push_back(std::move(entry));
  }
  // Analyses stored before step 10 existed have no `unconfirmed`: none.
  for (const auto& incident : analysis.value("unconfirmed", nlohmann::json::array())) {
    snapshot->unconfirmed.push_back(ParseIncident(incident));
  }
  const auto& threshold = analysis.value("unconfirmed_min_confidence", nlohmann::json());
  if (threshold.is_number()) snapshot->unconfirmed_min_confidence = threshold.get<double>();
  snapshot->cube = std::move(cube);
  const auto& dimensions = data.value("dimensions", nlohmann::json());
  if (dimensions.is_array()) {
    snapshot->data["dimensions"] = dimensions;
  } else {
    snapshot->data["dimensions"] = nlohmann::json::array();
    for (const auto& [name, values] : snapshot->cube.Dimensions()) {
      snapshot->data["dimensions"].push_back(name);
    }
  }
  return snapshot;
}

std::shared_ptr<const Snapshot> LoadSnapshot(const std::string& data_dir) {
  storage::Database database;
  storage::Connection connection(database);
  storage::AttachResults(connection, data_dir);
  const storage::Table document = connection.Query("SELECT document FROM results.analysis");
  if (document.RowCount() != 1) {
    throw InvalidInput("{}: the stored analysis is damaged; run analyze again",
                       storage::ResultsPath(data_dir));
  }
  const std::string path = storage::ResultsPath(data_dir);
  try {
    const auto analysis = nlohmann::json::parse(document.Get("document").StringAt(0));
    const auto written = std::filesystem::last_write_time(path);
    const auto analyzed_at = FormatUtc(std::chrono::file_clock::to_sys(written));
    return BuildSnapshot(analysis, LoadCube(connection), analyzed_at);
  } catch (const nlohmann::json::exception& error) {
    throw InvalidInput("{}: the stored analysis is damaged ({}); run analyze again", path,
                       error.what());
  }
}

std::string UtcNow() {
  return FormatUtc(std::chrono::system_clock::now());
}

}  // namespace cxagent::server
