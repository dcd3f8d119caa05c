#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "localize/localizer.hpp"

namespace cxagent::localize {

//! Parses the `cxagent localize` input (interfaces.md §3) from CSV text: a header, then one row
//! per leaf; value columns `real,predict` or `real_num,real_den,predict_num,predict_den`, every
//! other column a dimension. `source` names the file in error messages. Throws InvalidInput
//! naming the line and column of the first problem.
LeafTable ParseLeafCsv(std::string_view text, std::string_view source);

//! Reads and parses a leaf CSV file; throws NotFound when it does not exist.
LeafTable ReadLeafCsv(const std::string& path);

//! The `cxagent localize` output: {"root_causes": [{"slice": {...}, "score": ..., ...}]}.
nlohmann::json RootCausesJson(const LocalizeResult& result);

}  // namespace cxagent::localize
