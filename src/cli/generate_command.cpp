#include <limits>

#include "cli/commands.hpp"
#include "generate/run.hpp"

namespace cxagent::cli {

void AddGenerateCommand(CLI::App& app) {
  auto* command = app.add_subcommand("generate", "Write the synthetic world of a scenario");
  auto request = std::make_shared<generate::GenerateRequest>();
  auto seed = std::make_shared<uint64_t>();
  auto days = std::make_shared<int>();
  auto orders_per_day = std::make_shared<int64_t>();
  auto without = std::make_shared<std::string>();
  command->add_option("--scenario", request->scenario_path, "Scenario YAML file")->required();
  command->add_option("--out", request->out_dir, "Output folder")->required();
  // Whole numbers are checked as text before CLI11 converts them (which would wrap or clamp);
  // the seed has the scenario file's range, days and volume are range-checked with the scenario.
  auto* seed_option = command->add_option("--seed", *seed, "Random seed (overrides the scenario's)")
                          ->transform(IntegerIn(0, std::numeric_limits<int64_t>::max()));
  auto* days_option =
      command->add_option("--days", *days, "Number of days (overrides the scenario's)")
          ->transform(IntegerIn(std::numeric_limits<int>::min(), std::numeric_limits<int>::max()));
  auto* orders_option = command
                            ->add_option("--orders-per-day", *orders_per_day,
                                         "Mean orders per day (overrides the scenario's)")
                            ->transform(IntegerIn(std::numeric_limits<int64_t>::min(),
                                                  std::numeric_limits<int64_t>::max()));
  auto* without_option = command->add_option(
      "--without", *without, "Generate the counterfactual world without this incident id");
  command->add_option("--format", request->format, "Output format: parquet (default) or csv");
  command->callback([=] {
    if (seed_option->count() > 0) request->seed = *seed;
    if (days_option->count() > 0) request->days = *days;
    if (orders_option->count() > 0) request->orders_per_day = *orders_per_day;
    if (without_option->count() > 0) request->without = *without;
    generate::RunGenerate(*request);
  });
}

}  // namespace cxagent::cli
