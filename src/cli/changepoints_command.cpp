#include "cli/commands.hpp"

namespace cxagent::cli {

void AddChangepointsCommand(CLI::App& app) {
  auto* command = app.add_subcommand("changepoints", "Find change points in one series (CSV)");
  auto input = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto method = std::make_shared<std::string>();
  command->add_option("--input", *input, "CSV with a column `value` (optionally `t,value`)")
      ->required();
  command->add_option("--method", *method, "Detector name");
  command->add_option("--out", *out, "Output JSON file (stdout when absent)");
  command->callback([] { ThrowNotImplemented("changepoints"); });
}

}  // namespace cxagent::cli
