#include "localize/leaf_csv.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

#include "common/error.hpp"

namespace cxagent::localize {

namespace {

// One CSV record and the file line it starts on (1-based).
struct Record {
  size_t line = 0;
  std::vector<std::string> cells;
};

// RFC 4180 records: quoted cells may hold commas, doubled quotes and line breaks; CRLF and LF
// line ends; blank lines are skipped. The storage layer's DuckDB reader would do, but this input
// needs exact line numbers in every message and no type guessing, so it is read here.
std::vector<Record> SplitRecords(std::string_view text, std::string_view source) {
  std::vector<Record> records;
  size_t line = 1;
  size_t pos = 0;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") pos = 3;  // UTF-8 byte order mark
  while (pos < text.size()) {
    Record record{line, {}};
    std::string cell;
    bool in_quotes = false;
    bool quoted_cell = false;
    bool line_done = false;
    while (pos < text.size() && !line_done) {
      char c = text[pos];
      if (in_quotes) {
        if (c == '"') {
          if (pos + 1 < text.size() && text[pos + 1] == '"') {
            cell += '"';
            pos += 2;
            continue;
          }
          in_quotes = false;
        } else {
          if (c == '\n') ++line;
          cell += c;
        }
        ++pos;
        continue;
      }
      if (c == '"' && cell.empty() && !quoted_cell) {
        in_quotes = true;
        quoted_cell = true;
      } else if (c == ',') {
        record.cells.push_back(std::move(cell));
        cell.clear();
        quoted_cell = false;
      } else if (c == '\n' || c == '\r') {
        if (c == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n') ++pos;
        ++line;
        line_done = true;
      } else {
        cell += c;
      }
      ++pos;
    }
    if (in_quotes) {
      throw InvalidInput("{}: line {}: a quoted cell is not closed", source, record.line);
    }
    const bool blank = record.cells.empty() && cell.empty() && !quoted_cell;
    if (blank) continue;
    record.cells.push_back(std::move(cell));
    records.push_back(std::move(record));
  }
  return records;
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

std::string Join(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) {
    if (!text.empty()) text += ", ";
    text += name;
  }
  return text;
}

}  // namespace

LeafTable ParseLeafCsv(std::string_view text, std::string_view source) {
  std::vector<Record> records = SplitRecords(text, source);
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
                         records.front().line, header[c]);
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
            source, records.front().line, header[c]);
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
  if (records.size() == 1) {
    throw InvalidInput("{}: the header is followed by no leaf rows", source);
  }

  std::map<std::vector<std::string>, size_t> first_line;
  for (size_t r = 1; r < records.size(); ++r) {
    const Record& record = records[r];
    if (record.cells.size() != header.size()) {
      throw InvalidInput("{}: line {}: {} cells, but the header has {} columns", source,
                         record.line, record.cells.size(), header.size());
    }
    Leaf leaf;
    for (size_t c : dimension_columns) {
      if (!IsUsableValue(record.cells[c])) {
        throw InvalidInput(
            "{}: line {}, column '{}': dimension value '{}' is empty or holds '&', '=' or a "
            "control character",
            source, record.line, header[c], record.cells[c]);
      }
      leaf.values.push_back(record.cells[c]);
    }
    std::vector<double> values;
    for (const std::string& name : value_columns) {
      const std::string& cell = record.cells[position.at(name)];
      std::optional<double> value = ParseNumber(cell);
      if (!value) {
        throw InvalidInput("{}: line {}, column '{}': '{}' is not a number", source, record.line,
                           name, cell);
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
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot open input file '{}'", path);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return ParseLeafCsv(buffer.str(), path);
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
