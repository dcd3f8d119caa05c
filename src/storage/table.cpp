#include "storage/table.hpp"

#include <fmt/format.h>

#include "common/error.hpp"

namespace cxagent::storage {

std::string_view SqlTypeName(ColumnType type) {
  switch (type) {
    case ColumnType::BOOLEAN:
      return "BOOLEAN";
    case ColumnType::INTEGER:
      return "INTEGER";
    case ColumnType::BIGINT:
      return "BIGINT";
    case ColumnType::DOUBLE:
      return "DOUBLE";
    case ColumnType::VARCHAR:
      return "VARCHAR";
    case ColumnType::DATE:
      return "DATE";
    case ColumnType::TIMESTAMP:
      return "TIMESTAMP";
  }
  return "UNKNOWN";
}

size_t Column::Size() const {
  if (type == ColumnType::DOUBLE) return doubles.size();
  if (type == ColumnType::VARCHAR && dictionary.empty()) return strings.size();
  return ints.size();
}

std::string_view Column::StringAt(size_t row) const {
  if (!dictionary.empty()) return dictionary[static_cast<size_t>(ints[row])];
  return strings[row];
}

void Column::Reserve(size_t rows) {
  if (type == ColumnType::DOUBLE) {
    doubles.reserve(rows);
  } else if (type == ColumnType::VARCHAR && dictionary.empty()) {
    strings.reserve(rows);
  } else {
    ints.reserve(rows);
  }
}

void Column::SetNull(size_t row) {
  if (valid.size() <= row) valid.resize(row + 1, 1);
  valid[row] = 0;
}

const Column* Table::Find(std::string_view name) const {
  for (const auto& column : columns) {
    if (column.name == name) return &column;
  }
  return nullptr;
}

const Column& Table::Get(std::string_view name) const {
  if (const Column* column = Find(name)) return *column;
  std::string names;
  for (const auto& column : columns) names += (names.empty() ? "" : ", ") + column.name;
  throw NotFound("no column '{}' (columns: {})", name, names);
}

Column& Table::AddColumn(std::string name, ColumnType type) {
  Column& column = columns.emplace_back();
  column.name = std::move(name);
  column.type = type;
  return column;
}

}  // namespace cxagent::storage
