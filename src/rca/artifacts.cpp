#include "rca/artifacts.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cmath>
#include <limits>

#include "common/error.hpp"
#include "storage/duckdb.hpp"
#include "storage/results_store.hpp"

namespace cxagent::rca {

namespace {

constexpr char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string FeatureColumn(const std::string& feature) {
  return "f_" + feature;
}

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) |
                       (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    out += ALPHABET[(v >> 18) & 63];
    out += ALPHABET[(v >> 12) & 63];
    out += ALPHABET[(v >> 6) & 63];
    out += ALPHABET[v & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += ALPHABET[(v >> 18) & 63];
    out += ALPHABET[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? ALPHABET[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string Base64Decode(std::string_view text) {
  std::array<int, 256> value{};
  value.fill(-1);
  for (int i = 0; i < 64; ++i) value[static_cast<uint8_t>(ALPHABET[i])] = i;
  if (text.size() % 4 != 0)
    throw InvalidInput("base64 text of length {} is malformed", text.size());
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    uint32_t v = 0;
    int padding = 0;
    for (size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      if (c == '=' && i + 4 == text.size() && j >= 2) {
        ++padding;
        v <<= 6;
        continue;
      }
      const int digit = value[static_cast<uint8_t>(c)];
      if (digit < 0 || padding > 0) throw InvalidInput("malformed base64 at offset {}", i + j);
      v = (v << 6) | static_cast<uint32_t>(digit);
    }
    out += static_cast<char>((v >> 16) & 0xff);
    if (padding < 2) out += static_cast<char>((v >> 8) & 0xff);
    if (padding < 1) out += static_cast<char>(v & 0xff);
  }
  return out;
}

void StageArtifacts(storage::Connection& connection, const std::vector<IncidentRca>& results) {
  std::vector<const IncidentRca*> pointers;
  for (const auto& rca : results) pointers.push_back(&rca);
  StageArtifacts(connection, pointers);
}

void StageArtifacts(storage::Connection& connection,
                    const std::vector<const IncidentRca*>& results) {
  std::vector<std::string> feature_names;
  for (const auto& feature : OrderFeatures()) feature_names.emplace_back(feature.name);
  std::vector<std::string> columns;
  for (const auto& name : feature_names) columns.push_back(FeatureColumn(name) + " DOUBLE");
  connection.Execute(
      "CREATE OR REPLACE TEMP TABLE rca_models (incident_id VARCHAR, model BLOB, features VARCHAR, "
      "baseline_rows INTEGER, incident_rows INTEGER)");
  connection.Execute(
      fmt::format("CREATE OR REPLACE TEMP TABLE rca_samples (incident_id VARCHAR, row_no INTEGER, "
                  "order_id BIGINT, in_incident BOOLEAN, cx_score DOUBLE, late_min DOUBLE, {})",
                  fmt::join(columns, ", ")));
  for (const IncidentRca* each : results) {
    const IncidentRca& rca = *each;
    if (!rca.model) continue;
    const IncidentModel& m = *rca.model;
    if (m.sample.names != feature_names) {
      throw InternalError("incident {}: sample features differ from the order features",
                          rca.incident_id);
    }
    size_t baseline_rows = 0;
    for (uint8_t flag : m.in_incident) baseline_rows += flag ? 0 : 1;
    connection.Prepare("INSERT INTO rca_models VALUES (?, from_base64(?), ?, ?, ?)")
        .Bind(1, rca.incident_id)
        .Bind(2, Base64Encode(m.model.SaveToBytes()))
        .Bind(3, nlohmann::json(m.model.Features()).dump())
        .Bind(4, static_cast<int64_t>(baseline_rows))
        .Bind(5, static_cast<int64_t>(m.in_incident.size() - baseline_rows))
        .Execute();
    storage::Table table;
    auto& incident = table.AddColumn("incident_id", storage::ColumnType::VARCHAR);
    auto& row_no = table.AddColumn("row_no", storage::ColumnType::INTEGER);
    auto& order_id = table.AddColumn("order_id", storage::ColumnType::BIGINT);
    auto& in_incident = table.AddColumn("in_incident", storage::ColumnType::BOOLEAN);
    auto& cx = table.AddColumn("cx_score", storage::ColumnType::DOUBLE);
    auto& late = table.AddColumn("late_min", storage::ColumnType::DOUBLE);
    std::vector<storage::Column*> features;
    for (const auto& name : feature_names) {
      features.push_back(&table.AddColumn(FeatureColumn(name), storage::ColumnType::DOUBLE));
    }
    const size_t rows = m.sample.rows;
    incident.dictionary = {rca.incident_id};
    incident.ints.assign(rows, 0);
    for (size_t row = 0; row < rows; ++row) {
      row_no.ints.push_back(static_cast<int64_t>(row));
      order_id.ints.push_back(m.order_ids[row]);
      in_incident.ints.push_back(m.in_incident[row]);
      cx.doubles.push_back(m.cx_score[row]);
      const float late_min =
          row < m.late_min.size() ? m.late_min[row] : std::numeric_limits<float>::quiet_NaN();
      late.doubles.push_back(std::isnan(late_min) ? 0.0 : static_cast<double>(late_min));
      if (std::isnan(late_min)) late.SetNull(row);
      for (size_t f = 0; f < features.size(); ++f) {
        const float value = m.sample.At(row, f);
        features[f]->doubles.push_back(std::isnan(value) ? 0.0 : static_cast<double>(value));
        if (std::isnan(value)) features[f]->SetNull(row);
      }
    }
    storage::Appender appender(connection, "rca_samples");
    appender.Append(table);
    appender.Flush();
  }
}

IncidentModel LoadIncidentModel(const std::string& data_dir, const std::string& incident_id) {
  storage::Database database;
  storage::Connection connection(database);
  storage::AttachResults(connection, data_dir);
  const storage::Table tables = connection.Query(
      "SELECT count(*) AS n FROM duckdb_tables() WHERE database_name = 'results' AND "
      "table_name IN ('rca_models', 'rca_samples')");
  if (tables.Get("n").ints.at(0) < 2) {
    throw NotFound("the stored results of {} hold no RCA models: run cxagent analyze again",
                   data_dir);
  }
  const storage::Table model_row =
      connection
          .Prepare("SELECT to_base64(model) AS model FROM results.rca_models WHERE incident_id = ?")
          .Bind(1, incident_id)
          .Execute();
  if (model_row.RowCount() == 0) throw NotFound("no stored RCA model for incident {}", incident_id);
  IncidentModel out;
  out.model = CxModel::LoadFromBytes(Base64Decode(model_row.Get("model").StringAt(0)));
  std::vector<std::string> select;
  for (const auto& name : out.model.Features())
    select.push_back(storage::SqlIdentifier(FeatureColumn(name)));
  // Results stored before the samples kept late_min have no such column: the lateness is then
  // unknown (empty), and the what-if scores quote changes with the CX model alone.
  const bool has_late =
      connection
          .Query(
              "SELECT count(*) AS n FROM duckdb_columns() WHERE database_name = 'results' AND "
              "table_name = 'rca_samples' AND column_name = 'late_min'")
          .Get("n")
          .ints.at(0) > 0;
  if (has_late) select.emplace_back("late_min");
  const storage::Table sample =
      connection
          .Prepare(
              fmt::format("SELECT order_id, in_incident, cx_score, {} FROM results.rca_samples "
                          "WHERE incident_id = ? ORDER BY row_no",
                          fmt::join(select, ", ")))
          .Bind(1, incident_id)
          .Execute();
  out.sample.names = out.model.Features();
  out.sample.rows = sample.RowCount();
  out.sample.values.assign(out.sample.rows * out.sample.names.size(), 0.0F);
  const auto& ids = sample.Get("order_id");
  const auto& flags = sample.Get("in_incident");
  const auto& cx = sample.Get("cx_score");
  for (size_t row = 0; row < sample.RowCount(); ++row) {
    out.order_ids.push_back(ids.ints[row]);
    out.in_incident.push_back(flags.ints[row] != 0 ? 1 : 0);
    out.cx_score.push_back(cx.doubles[row]);
  }
  for (size_t f = 0; f < out.sample.names.size(); ++f) {
    const auto& column = sample.Get(FeatureColumn(out.sample.names[f]));
    for (size_t row = 0; row < sample.RowCount(); ++row) {
      out.sample.At(row, f) = column.IsNull(row) ? std::numeric_limits<float>::quiet_NaN()
                                                 : static_cast<float>(column.doubles[row]);
    }
  }
  if (has_late) {
    const auto& late = sample.Get("late_min");
    bool known = false;
    for (size_t row = 0; row < sample.RowCount(); ++row) {
      known = known || !late.IsNull(row);
      out.late_min.push_back(late.IsNull(row) ? std::numeric_limits<float>::quiet_NaN()
                                              : static_cast<float>(late.doubles[row]));
    }
    // Rows kept from results stored before it (an incremental refresh) have it NULL throughout.
    if (!known) out.late_min.clear();
  }
  return out;
}

}  // namespace cxagent::rca
