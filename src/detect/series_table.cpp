#include "detect/series_table.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <string>

#include "common/error.hpp"

namespace cxagent::detect {

namespace {

std::string_view Trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

}  // namespace

std::vector<double> ReadSeriesColumn(const storage::Table& table, std::string_view source,
                                     std::string_view column) {
  const storage::Column* values = table.Find(column);
  if (values == nullptr) {
    std::string present;
    for (const auto& other : table.columns) {
      if (!present.empty()) present += ", ";
      present += other.name;
    }
    throw InvalidInput("{}: no column '{}' (the header has: {})", source, column, present);
  }
  const size_t rows = table.RowCount();
  if (rows == 0) throw InvalidInput("{}: no data rows after the header", source);
  std::vector<double> series(rows, std::numeric_limits<double>::quiet_NaN());
  for (size_t row = 0; row < rows; ++row) {
    if (values->IsNull(row)) continue;
    const std::string_view cell = Trim(values->StringAt(row));
    if (cell.empty()) continue;
    double value = 0;
    const auto [end, error] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
    if (error != std::errc() || end != cell.data() + cell.size() || !std::isfinite(value)) {
      // Escaped: a NUL byte in the cell would otherwise end the message there.
      throw InvalidInput("{}: line {}, column '{}': '{}' is not a finite number", source, row + 2,
                         column, OneLine(cell, 200));
    }
    series[row] = value;
  }
  return series;
}

}  // namespace cxagent::detect
