#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "localize/localizer.hpp"
#include "storage/csv_records.hpp"

namespace cxagent::localize {

//! Checks and converts the `cxagent localize` input (interfaces.md §3) read by
//! storage::ReadCsvRecords: a header, then one row per leaf; value columns `real,predict` or
//! `real_num,real_den,predict_num,predict_den`, every other column a dimension. `source` names
//! the file in error messages. Throws InvalidInput naming the line and column of the first
//! problem, in file order (an unclosed quote first). The magnitudes in a value column may add up
//! to at most 1e150, so the localizer's sums and squares stay finite.
LeafTable ParseLeafRecords(const storage::CsvRecords& csv, std::string_view source);

//! Reads a leaf CSV file through the storage layer (DuckDB) and checks it as ParseLeafRecords
//! does; throws NotFound when it does not exist.
LeafTable ReadLeafCsv(const std::string& path);

//! The `cxagent localize` output: {"root_causes": [{"slice": {...}, "score": ..., ...}]}.
nlohmann::json RootCausesJson(const LocalizeResult& result);

}  // namespace cxagent::localize
