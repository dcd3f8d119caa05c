#include "storage/needs.hpp"

#include <algorithm>

#include "storage/data_folder.hpp"
#include "storage/dataset.hpp"

namespace cxagent::storage {

namespace {

// `table.column` split at the dot; an empty table when there is none.
std::pair<std::string_view, std::string_view> Split(std::string_view need) {
  const auto dot = need.find('.');
  if (dot == std::string_view::npos) return {std::string_view(), need};
  return {need.substr(0, dot), need.substr(dot + 1)};
}

}  // namespace

std::vector<std::string> MissingNeeds(const Dataset& dataset, Needs needs) {
  std::vector<std::string> missing;
  for (const std::string_view need : needs) {
    const auto [table, column] = Split(need);
    if (!dataset.HasColumn(table, column)) missing.emplace_back(need);
  }
  return missing;
}

bool IsContractColumn(std::string_view need) {
  // Not a structured binding: clang before 16 cannot capture one in the lambda below.
  const auto table_column = Split(need);
  if (table_column.first.empty()) return false;
  const auto& columns = RequiredColumns(table_column.first);
  return std::any_of(columns.begin(), columns.end(), [&](const RequiredColumn& required) {
    return required.name == table_column.second;
  });
}

}  // namespace cxagent::storage
