#include "storage/clickhouse_result.hpp"

#include <charconv>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "common/date.hpp"
#include "common/error.hpp"

namespace cxagent::storage {

namespace {

constexpr int64_t MICROS_PER_SECOND = 1'000'000;
constexpr int64_t SECONDS_PER_DAY = 86'400;

// `type` without one wrapper `name(...)`, or nullopt when it is not so wrapped.
std::optional<std::string_view> Unwrapped(std::string_view type, std::string_view name) {
  if (type.size() > name.size() + 2 && type.starts_with(name) && type[name.size()] == '(' &&
      type.ends_with(')')) {
    return type.substr(name.size() + 1, type.size() - name.size() - 2);
  }
  return std::nullopt;
}

// The fields of one TSV line, still escaped.
std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (true) {
    const size_t tab = line.find('\t', start);
    fields.push_back(line.substr(start, tab == std::string_view::npos ? tab : tab - start));
    if (tab == std::string_view::npos) return fields;
    start = tab + 1;
  }
}

// A field with its TSV escapes decoded (\t, \n, \\, \', \0, ...; a backslash before another
// character stands for that character).
std::string Unescaped(std::string_view field) {
  std::string text;
  text.reserve(field.size());
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] != '\\' || i + 1 == field.size()) {
      text += field[i];
      continue;
    }
    const char next = field[++i];
    switch (next) {
      case 'b':
        text += '\b';
        break;
      case 'f':
        text += '\f';
        break;
      case 'n':
        text += '\n';
        break;
      case 'r':
        text += '\r';
        break;
      case 't':
        text += '\t';
        break;
      case '0':
        text += '\0';
        break;
      default:
        text += next;
    }
  }
  return text;
}

template <typename Number>
std::optional<Number> ParseNumber(std::string_view text) {
  Number value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<int32_t> ParseDays(std::string_view text) {
  if (text == "0000-00-00") return 0;
  try {
    return ParseDate(text).days;
  } catch (const Error&) {
    return std::nullopt;
  }
}

std::optional<int64_t> ParseMicros(std::string_view text) {
  if (text.size() != 19 || text[10] != ' ' || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  const auto days = ParseDays(text.substr(0, 10));
  const auto hours = ParseNumber<int>(text.substr(11, 2));
  const auto minutes = ParseNumber<int>(text.substr(14, 2));
  const auto seconds = ParseNumber<int>(text.substr(17, 2));
  if (!days || !hours || !minutes || !seconds || *hours > 23 || *minutes > 59 || *seconds > 59) {
    return std::nullopt;
  }
  return (*days * SECONDS_PER_DAY + *hours * 3600 + *minutes * 60 + *seconds) * MICROS_PER_SECOND;
}

// Appends one field to `column`; false when it does not parse as the column's type.
bool Append(Column& column, std::string_view field) {
  const size_t row = column.Size();
  if (field == "\\N") {
    column.SetNull(row);
    switch (column.type) {
      case ColumnType::DOUBLE:
        column.doubles.push_back(0);
        break;
      case ColumnType::VARCHAR:
        column.strings.emplace_back();
        break;
      default:
        column.ints.push_back(0);
    }
    return true;
  }
  switch (column.type) {
    case ColumnType::DOUBLE: {
      const auto value = ParseNumber<double>(field);
      if (!value) return false;
      column.doubles.push_back(*value);
      return true;
    }
    case ColumnType::VARCHAR:
      column.strings.push_back(Unescaped(field));
      return true;
    case ColumnType::DATE: {
      const auto days = ParseDays(field);
      if (!days) return false;
      column.ints.push_back(*days);
      return true;
    }
    case ColumnType::TIMESTAMP: {
      const auto micros = ParseMicros(field);
      if (!micros) return false;
      column.ints.push_back(*micros);
      return true;
    }
    default: {
      // A UInt64 beyond Int64's range does not fit a BIGINT column and is refused.
      const auto value = ParseNumber<int64_t>(field);
      if (!value) return false;
      column.ints.push_back(*value);
      return true;
    }
  }
}

}  // namespace

std::optional<ColumnType> ColumnTypeOfClickHouse(std::string_view type) {
  for (const std::string_view wrapper : {"Nullable", "LowCardinality"}) {
    if (const auto inner = Unwrapped(type, wrapper)) return ColumnTypeOfClickHouse(*inner);
  }
  if (type == "Int8" || type == "Int16" || type == "Int32" || type == "UInt8" || type == "UInt16") {
    return ColumnType::INTEGER;
  }
  if (type == "UInt32" || type == "Int64" || type == "UInt64") return ColumnType::BIGINT;
  if (type == "Float32" || type == "Float64" || type.starts_with("Decimal")) {
    return ColumnType::DOUBLE;
  }
  if (type == "String" || type == "UUID" || type == "Nothing" || Unwrapped(type, "FixedString") ||
      Unwrapped(type, "Enum8") || Unwrapped(type, "Enum16")) {
    return ColumnType::VARCHAR;
  }
  if (type == "Date") return ColumnType::DATE;
  if (type == "DateTime" || Unwrapped(type, "DateTime")) return ColumnType::TIMESTAMP;
  return std::nullopt;
}

Table ParseClickHouseTsv(std::string_view body) {
  Table table;
  if (body.empty()) return table;
  std::vector<std::string_view> lines;
  for (size_t start = 0; start < body.size();) {
    const size_t end = body.find('\n', start);
    lines.push_back(body.substr(start, end == std::string_view::npos ? end : end - start));
    start = end == std::string_view::npos ? body.size() : end + 1;
  }
  if (lines.size() < 2) {
    throw InternalError("ClickHouse answer: expected a line of names and a line of types");
  }
  const auto names = Fields(lines[0]);
  const auto types = Fields(lines[1]);
  if (names.size() != types.size()) {
    throw InternalError("ClickHouse answer: {} names but {} types", names.size(), types.size());
  }
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string type_name = Unescaped(types[i]);
    const auto type = ColumnTypeOfClickHouse(type_name);
    if (!type) {
      throw InternalError(
          "ClickHouse answer: column '{}' has the type {}, which cxagent does not read",
          Unescaped(names[i]), type_name);
    }
    table.AddColumn(Unescaped(names[i]), *type).Reserve(lines.size() - 2);
  }
  for (size_t line = 2; line < lines.size(); ++line) {
    const auto fields = Fields(lines[line]);
    if (fields.size() != names.size()) {
      throw InternalError("ClickHouse answer: row {} has {} fields for {} columns", line - 1,
                          fields.size(), names.size());
    }
    for (size_t i = 0; i < fields.size(); ++i) {
      if (!Append(table.columns[i], fields[i])) {
        throw InternalError("ClickHouse answer: column '{}', row {}: '{}' does not read as {}",
                            table.columns[i].name, line - 1, OneLine(fields[i], 100),
                            SqlTypeName(table.columns[i].type));
      }
    }
  }
  return table;
}

}  // namespace cxagent::storage
