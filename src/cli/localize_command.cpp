#include "cli/commands.hpp"

namespace cxagent::cli {

void AddLocalizeCommand(CLI::App& app) {
  auto* command = app.add_subcommand(
      "localize", "Find the slices that explain a change in a metric (generic CSV of leaves)");
  auto input = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  command->add_option("--input", *input, "CSV: dimension columns plus real/predict values")
      ->required();
  command->add_option("--out", *out, "Output JSON file (stdout when absent)");
  command->callback([] { ThrowNotImplemented("localize"); });
}

}  // namespace cxagent::cli
