#include "localize/leaf_csv.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>
#include <vector>

#include "common/error.hpp"
#include "storage/duckdb.hpp"

namespace cxagent::localize {

namespace {

// The magnitudes in one value column may add up to at most this: sums, differences and
// products of two of them (squared deviations, rate x denominator) then stay far inside double.
constexpr double MAX_COLUMN_MAGNITUDE = 1e150;

// A record DuckDB could not split as the header says, as the one-line message of this input.
[[noreturn]] void ThrowProblem(const storage::CsvProblem& problem, std::string_view source,
                               size_t columns) {
  switch (problem.kind) {
    case storage::CsvProblem::Kind::CELL_COUNT:
      throw InvalidInput("{}: line {}: {} cells, but the header has {} columns", source,
                         problem.line, problem.cells, columns);
    case storage::CsvProblem::Kind::UNCLOSED_QUOTE:
      throw InvalidInput("{}: line {}: a quoted cell is not closed", source, problem.line);
    case storage::CsvProblem::Kind::OTHER:
      break;
  }
  throw InvalidInput("{}: line {}: {}", source, problem.line, problem.message);
}

std::optional<double> ParseNumber(const std::string& cell) {
  size_t begin = cell.find_first_not_of(" \t");
  size_t end = cell.find_last_not_of(" \t");
  if (begin == std::string::npos) return std::nullopt;
  const char* first = cell.data() + begin;
  const char* last = cell.data() + end + 1;
  if (*first == '+') ++first;
  double value = 0.0;
  auto [ptr, ec] = std::from_chars(first, last, value);
  if (ec != std::errc() || ptr != last || !std::isfinite(value)) return std::nullopt;
  return value;
}

constexpr std::array<const char*, 2> ADDITIVE_COLUMNS = {"real", "predict"};
constexpr std::array<const char*, 4> RATIO_COLUMNS = {"real_num", "real_den", "predict_num",
                                                      "predict_den"};

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Dimension values end up in slices (`dim=value&dim=value`), so they cannot hold the separators.
bool IsUsableValue(const std::string& value) {
  if (value.empty()) return false;
  for (char c : value) {
    if (c == '&' || c == '=' || static_cast<unsigned char>(c) < 0x20) return false;
  }
  return true;
}

// `text` with control characters written as escapes (\n, \r, \t, \xNN), so a message quoting
// it stays on one line.
std::string Printable(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += c;
    }
  }
  return out;
}

std::string Join(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) {
    if (!text.empty()) text += ", ";
    text += name;
  }
  return text;
}

}  // namespace

LeafTable ParseLeafRecords(const storage::CsvRecords& csv, std::string_view source) {
  const std::vector<storage::CsvRecord>& records = csv.records;
  // An unclosed quote runs to the end of the file, so it is reported before anything else.
  for (const auto& problem : csv.problems) {
    if (problem.kind == storage::CsvProblem::Kind::UNCLOSED_QUOTE) ThrowProblem(problem, source, 0);
  }
  if (records.empty() && !csv.problems.empty()) ThrowProblem(csv.problems.front(), source, 0);
  if (records.empty()) {
    throw InvalidInput(
        "{}: the file is empty; expected a header line with dimension columns and the value "
        "columns real,predict or real_num,real_den,predict_num,predict_den",
        source);
  }
  const std::vector<std::string>& header = records.front().cells;
  std::map<std::string, size_t> position;
  for (size_t c = 0; c < header.size(); ++c) {
    if (header[c].empty()) {
      throw InvalidInput("{}: line {}: column {} of the header has no name", source,
                         records.front().line, c + 1);
    }
    if (!position.emplace(header[c], c).second) {
      throw InvalidInput("{}: line {}: column '{}' appears twice in the header", source,
                         records.front().line, Printable(header[c]));
    }
  }
  std::vector<std::string> additive_present, additive_missing, ratio_present, ratio_missing;
  for (const char* name : ADDITIVE_COLUMNS) {
    (position.contains(name) ? additive_present : additive_missing).push_back(name);
  }
  for (const char* name : RATIO_COLUMNS) {
    (position.contains(name) ? ratio_present : ratio_missing).push_back(name);
  }
  if (!additive_present.empty() && !ratio_present.empty()) {
    throw InvalidInput(
        "{}: the header mixes additive value columns ({}) with ratio value columns ({}); use "
        "either real,predict or real_num,real_den,predict_num,predict_den",
        source, Join(additive_present), Join(ratio_present));
  }
  if (additive_present.empty() && ratio_present.empty()) {
    throw InvalidInput(
        "{}: no value columns in the header; needs real,predict (additive metric) or "
        "real_num,real_den,predict_num,predict_den (ratio metric)",
        source);
  }
  LeafTable table;
  std::vector<std::string> value_columns;
  if (!additive_present.empty()) {
    if (!additive_missing.empty()) {
      throw InvalidInput("{}: missing value column {}; an additive metric needs real and predict",
                         source, Join(additive_missing));
    }
    table.kind = MetricKind::ADDITIVE;
    value_columns.assign(ADDITIVE_COLUMNS.begin(), ADDITIVE_COLUMNS.end());
  } else {
    if (!ratio_missing.empty()) {
      throw InvalidInput(
          "{}: missing value column(s) {}; a ratio metric needs real_num, real_den, "
          "predict_num and predict_den",
          source, Join(ratio_missing));
    }
    table.kind = MetricKind::RATIO;
    value_columns.assign(RATIO_COLUMNS.begin(), RATIO_COLUMNS.end());
  }
  std::vector<size_t> dimension_columns;
  for (size_t c = 0; c < header.size(); ++c) {
    if (std::find(value_columns.begin(), value_columns.end(), header[c]) == value_columns.end()) {
      if (!std::all_of(header[c].begin(), header[c].end(), IsNameChar)) {
        throw InvalidInput(
            "{}: line {}: column '{}' is not a usable dimension name; use letters, digits and "
            "underscores",
            source, records.front().line, Printable(header[c]));
      }
      dimension_columns.push_back(c);
      table.dimensions.push_back(header[c]);
    }
  }
  if (dimension_columns.empty()) {
    throw InvalidInput(
        "{}: no dimension columns; every column other than the value columns ({}) is a "
        "dimension, and at least one is needed",
        source, Join(value_columns));
  }
  if (records.size() == 1 && csv.problems.empty()) {
    throw InvalidInput("{}: the header is followed by no leaf rows", source);
  }

  std::map<std::vector<std::string>, size_t> first_line;
  std::vector<double> magnitude(value_columns.size(), 0.0);
  auto problem = csv.problems.begin();
  for (size_t r = 1; r < records.size(); ++r) {
    const storage::CsvRecord& record = records[r];
    // Records DuckDB could not split are reported in file order with the others.
    if (problem != csv.problems.end() && problem->line < record.line) {
      ThrowProblem(*problem, source, header.size());
    }
    Leaf leaf;
    for (size_t c : dimension_columns) {
      if (!IsUsableValue(record.cells[c])) {
        throw InvalidInput(
            "{}: line {}, column '{}': dimension value '{}' is empty or holds '&', '=' or a "
            "control character",
            source, record.line, header[c], Printable(record.cells[c]));
      }
      leaf.values.push_back(record.cells[c]);
    }
    std::vector<double> values;
    for (const std::string& name : value_columns) {
      const std::string& cell = record.cells[position.at(name)];
      std::optional<double> value = ParseNumber(cell);
      if (!value) {
        throw InvalidInput("{}: line {}, column '{}': '{}' is not a number", source, record.line,
                           name, Printable(cell));
      }
      double& total = magnitude[values.size()];
      total += std::abs(*value);
      if (!(total <= MAX_COLUMN_MAGNITUDE)) {
        throw InvalidInput(
            "{}: line {}, column '{}': '{}' is too large; the magnitudes in a value column may "
            "add up to at most 1e150",
            source, record.line, name, cell);
      }
      values.push_back(*value);
    }
    if (table.kind == MetricKind::ADDITIVE) {
      leaf.real = values[0];
      leaf.predict = values[1];
    } else {
      leaf.real_num = values[0];
      leaf.real_den = values[1];
      leaf.predict_num = values[2];
      leaf.predict_den = values[3];
      for (size_t v : {size_t{1}, size_t{3}}) {
        if (values[v] < 0.0) {
          throw InvalidInput("{}: line {}, column '{}': denominator {} is negative", source,
                             record.line, value_columns[v],
                             record.cells[position.at(value_columns[v])]);
        }
      }
    }
    auto [it, inserted] = first_line.emplace(leaf.values, record.line);
    if (!inserted) {
      std::string key;
      for (size_t d = 0; d < leaf.values.size(); ++d) {
        if (!key.empty()) key += ", ";
        key += table.dimensions[d] + "=" + leaf.values[d];
      }
      throw InvalidInput("{}: lines {} and {} are the same leaf ({}); give each leaf one row",
                         source, it->second, record.line, key);
    }
    table.leaves.push_back(std::move(leaf));
  }
  if (problem != csv.problems.end()) ThrowProblem(*problem, source, header.size());
  return table;
}

LeafTable ReadLeafCsv(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    throw NotFound("input file '{}' does not exist", path);
  }
  if (std::filesystem::is_directory(path, error)) {
    throw InvalidInput("input '{}' is a directory, not a CSV file", path);
  }
  storage::Database database;
  storage::Connection connection(database);
  return ParseLeafRecords(storage::ReadCsvRecords(connection, path, path), path);
}

nlohmann::json RootCausesJson(const LocalizeResult& result) {
  nlohmann::json causes = nlohmann::json::array();
  for (const RootCause& cause : result.root_causes) {
    causes.push_back({{"slice", cause.slice.ToJson()},
                      {"score", cause.score},
                      {"baseline", cause.baseline},
                      {"current", cause.current},
                      {"delta", cause.delta},
                      {"contribution", cause.contribution},
                      {"rate_effect", cause.rate_effect},
                      {"mix_effect", cause.mix_effect}});
  }
  return {{"root_causes", causes}};
}

}  // namespace cxagent::localize
