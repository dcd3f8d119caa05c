#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cxagent::storage {

class Dataset;

//! What a metric, CX Score component, cause or action needs of the data: contract columns written
//! `table.column` (docs/your-data.md, "What is required").
using Needs = std::span<const std::string_view>;

//! The entries of `needs` that `dataset` lacks (its table, or the column of it), in order.
std::vector<std::string> MissingNeeds(const Dataset& dataset, Needs needs);

//! Whether `need` is `table.column` naming a column of the contract (domain.md §2).
bool IsContractColumn(std::string_view need);

}  // namespace cxagent::storage
