#include "cli/commands.hpp"

namespace cxagent::cli {

void AddAnalyzeCommand(CLI::App& app) {
  auto* command = app.add_subcommand(
      "analyze", "Detect, localize, explain and recommend for every incident in a data folder");
  auto data = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto config = std::make_shared<std::string>();
  command->add_option("--data", *data, "Folder of <table>.parquet or <table>.csv files")
      ->required();
  command->add_option("--out", *out, "Analysis JSON file (stdout when absent)");
  command->add_option("--config", *config, "Configuration YAML file");
  command->callback([data, out, config] { ThrowNotImplemented("analyze"); });
}

}  // namespace cxagent::cli
