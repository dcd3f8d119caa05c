#include "cli/commands.hpp"

namespace cxagent::cli {

void AddGenerateCommand(CLI::App& app) {
  auto* command = app.add_subcommand("generate", "Write the synthetic world of a scenario");
  auto scenario = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  command->add_option("--scenario", *scenario, "Scenario YAML file")->required();
  command->add_option("--out", *out, "Output folder")->required();
  command->add_option("--seed", "Random seed (overrides the scenario's)");
  command->add_option("--days", "Number of days (overrides the scenario's)");
  command->add_option("--orders-per-day", "Mean orders per day (overrides the scenario's)");
  command->add_option("--without", "Generate the counterfactual world without this incident id");
  command->add_option("--format", "Output format: parquet (default) or csv");
  command->callback([] { ThrowNotImplemented("generate"); });
}

}  // namespace cxagent::cli
