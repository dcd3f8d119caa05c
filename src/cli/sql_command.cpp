#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "common/error.hpp"
#include "storage/duckdb.hpp"
#include "storage/sql_script.hpp"

namespace cxagent::cli {

namespace {

// NAME=VALUE pairs of --set, each name lower-case letters, digits and _ and given once.
std::map<std::string, std::string> ParseSettings(const std::vector<std::string>& settings) {
  std::map<std::string, std::string> values;
  for (const auto& setting : settings) {
    const size_t equals = setting.find('=');
    const std::string name = setting.substr(0, equals);
    const bool named = !name.empty() &&
                       (std::islower(static_cast<unsigned char>(name[0])) || name[0] == '_') &&
                       std::all_of(name.begin(), name.end(), [](char c) {
                         return std::islower(static_cast<unsigned char>(c)) ||
                                std::isdigit(static_cast<unsigned char>(c)) || c == '_';
                       });
    if (equals == std::string::npos || !named) {
      throw InvalidInput(
          "--set {}: expected NAME=VALUE with NAME of lower-case letters, digits and _", setting);
    }
    if (!values.emplace(name, setting.substr(equals + 1)).second) {
      throw InvalidInput("--set {}: {} is set twice", setting, name);
    }
  }
  return values;
}

}  // namespace

void AddSqlCommand(CLI::App& app) {
  auto* command = app.add_subcommand(
      "sql", "Run a SQL script on an in-memory DuckDB database (the recipes of examples/)");
  command->group("");  // a tool for the project's own recipes, not listed in --help
  auto file = std::make_shared<std::string>();
  auto settings = std::make_shared<std::vector<std::string>>();
  command->add_option("file", *file, "SQL script; ${NAME} in it is replaced by --set values")
      ->required();
  command->add_option("--set", *settings,
                      "NAME=VALUE for ${NAME} in the script (inside a SQL string literal)");
  command->callback([file, settings] {
    const auto values = ParseSettings(*settings);
    storage::Database database;
    storage::Connection connection(database);
    storage::RunSqlScript(connection, *file, values);
  });
}

}  // namespace cxagent::cli
