#pragma once

#include <string_view>
#include <vector>

#include "storage/table.hpp"

namespace cxagent::detect {

//! Reads the numeric series in column `column` of a CSV read as text (storage::ReadCsvAsText,
//! row i = line i + 2 of `source`). Empty cells become NaN (missing). Throws InvalidInput naming
//! `source`, the line and the column for a cell that is not a finite number, when the column is
//! absent (listing the columns present) or when there are no rows.
std::vector<double> ReadSeriesColumn(const storage::Table& table, std::string_view source,
                                     std::string_view column = "value");

}  // namespace cxagent::detect
